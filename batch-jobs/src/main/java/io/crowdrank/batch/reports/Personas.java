package io.crowdrank.batch.reports;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.Expressions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.clustering.KMeansModel;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Personas: KMeans (MLlib) over standardised profile features — RFM scores and spend, platforms,
 * when in the week the user is active, and interest in the most common verticals. With features
 * centred and scaled, a cluster centre's components are z-scores against the whole population, so
 * each persona is described by its most distinctive features ("lunch-time, food, big spenders").
 */
public final class Personas {
  private Personas() {}

  /** Verticals with the most interested users that become features. */
  static final int TOP_VERTICALS = 8;

  /** A part of the day in local hours, start inclusive, end exclusive (may pass midnight). */
  record DayPart(String name, int from, int to) {}

  /**
   * The day parts, every day of the week, in day order: a list, so the features (and the personas'
   * z-scores and names, which break ties by feature order) come out the same in every JVM.
   */
  static final List<DayPart> DAY_PARTS =
      List.of(
          new DayPart("morning", 6, 11),
          new DayPart("lunch", 11, 14),
          new DayPart("afternoon", 14, 18),
          new DayPart("evening", 18, 22),
          new DayPart("night", 22, 30)); // 22:00 to 06:00 the next day

  /** One persona: id, a readable name, its size and the z-score of every feature. */
  public record Persona(int id, String name, long size, Map<String, Double> zScores) {}

  public record Result(Dataset<Row> assignments, List<Persona> personas) {}

  /**
   * @param profiles {@code user_profiles}
   * @param k number of personas (&ge; 2)
   * @return (user_id, persona_id) for every profile, and the personas
   */
  public static Result fit(Dataset<Row> profiles, int k, long seed) {
    List<String> verticals =
        profiles
            .select(explode(map_keys(col(INTERESTS))).as(VERTICAL))
            .groupBy(VERTICAL)
            .count()
            .orderBy(col("count").desc(), col(VERTICAL))
            .limit(TOP_VERTICALS)
            .collectAsList()
            .stream()
            .map(r -> r.getString(0))
            .toList();
    Map<String, Column> features = new LinkedHashMap<>();
    features.put("recency", coalesce(col(R_SCORE), lit(0)).cast("double"));
    features.put("frequency", coalesce(col(F_SCORE), lit(0)).cast("double"));
    features.put("spend", log1p(col(MONETARY_FEN).divide(100.0)));
    features.put("payment", col(HAS_PAYMENT).cast("double"));
    features.put("social", col(HAS_SOCIAL).cast("double"));
    // The week's total and each part's sum are projected once before the features use them: the
    // total inlined into every share made one generated method over 64 KB (Spark then logs the
    // compile error and falls back to slower code).
    Map<String, Column> sums = new LinkedHashMap<>();
    Column cells = col(HOUR_OF_WEEK_ACTIVITY);
    for (DayPart part : DAY_PARTS) {
      sums.put(
          part.name(),
          Expressions.sumOfCells(
              cells,
              IntStream.range(0, 7)
                  .flatMap(
                      day ->
                          IntStream.range(part.from(), part.to()).map(h -> (day * 24 + h) % 168))));
    }
    sums.put("weekend", Expressions.sumOfCells(cells, IntStream.range(5 * 24, 168)));
    Dataset<Row> withSums =
        profiles.withColumn("_total", Expressions.hourOfWeekTotal(col(HOUR_OF_WEEK_ACTIVITY)));
    for (var sum : sums.entrySet()) {
      withSums = withSums.withColumn("_sum_" + sum.getKey(), sum.getValue());
    }
    Column total = col("_total");
    for (String part : sums.keySet()) {
      features.put(part, when(total.gt(0), col("_sum_" + part).divide(total)).otherwise(0.0));
    }
    for (String v : verticals) {
      features.put(
          "interest:" + v, coalesce(element_at(col(INTERESTS), lit(v)), lit(0.0)).cast("double"));
    }
    List<Column> select = new ArrayList<>();
    select.add(col(USER_ID));
    List<String> names = new ArrayList<>(features.keySet());
    for (int i = 0; i < names.size(); i++) {
      select.add(features.get(names.get(i)).as("f" + i));
    }
    Dataset<Row> table = withSums.select(select.toArray(Column[]::new)).cache();
    String[] inputs = new String[names.size()];
    for (int i = 0; i < inputs.length; i++) {
      inputs[i] = "f" + i;
    }
    PipelineModel model =
        new Pipeline()
            .setStages(
                new PipelineStage[] {
                  new VectorAssembler().setInputCols(inputs).setOutputCol("raw"),
                  new StandardScaler()
                      .setInputCol("raw")
                      .setOutputCol("features")
                      .setWithMean(true)
                      .setWithStd(true),
                  new org.apache.spark.ml.clustering.KMeans()
                      .setK(k)
                      .setSeed(seed)
                      .setFeaturesCol("features")
                      .setPredictionCol(PERSONA_ID)
                })
            .fit(table);
    Dataset<Row> assigned =
        model.transform(table).select(col(USER_ID), col(PERSONA_ID).cast("int").as(PERSONA_ID));
    Map<Integer, Long> sizes = new LinkedHashMap<>();
    for (Row r : assigned.groupBy(PERSONA_ID).count().collectAsList()) {
      sizes.put(r.getInt(0), r.getLong(1));
    }
    table.unpersist();
    Vector[] centres = ((KMeansModel) model.stages()[2]).clusterCenters();
    List<Persona> personas = new ArrayList<>();
    for (int c = 0; c < centres.length; c++) {
      Map<String, Double> z = new LinkedHashMap<>();
      for (int f = 0; f < names.size(); f++) {
        z.put(names.get(f), Math.round(centres[c].apply(f) * 1000) / 1000.0);
      }
      personas.add(new Persona(c, name(z), sizes.getOrDefault(c, 0L), z));
    }
    return new Result(assigned, personas);
  }

  /** The three most distinctive features, as words: "lunch-time · food lovers · big spenders". */
  static String name(Map<String, Double> z) {
    List<String> words =
        z.entrySet().stream()
            .filter(e -> Math.abs(e.getValue()) >= 0.5)
            .sorted(
                Comparator.comparingDouble(
                    (Map.Entry<String, Double> e) -> -Math.abs(e.getValue())))
            .limit(3)
            .map(e -> word(e.getKey(), e.getValue() > 0))
            .toList();
    return words.isEmpty() ? "typical users" : String.join(" · ", words);
  }

  private static String word(String feature, boolean high) {
    if (feature.startsWith("interest:")) {
      String v = feature.substring("interest:".length());
      return high ? v + " fans" : "little " + v;
    }
    return switch (feature) {
      case "recency" -> high ? "recent buyers" : "lapsed buyers";
      case "frequency" -> high ? "frequent buyers" : "rare buyers";
      case "spend" -> high ? "big spenders" : "small spenders";
      case "payment" -> high ? "payers" : "not paying here";
      case "social" -> high ? "social users" : "not on social";
      case "weekend" -> high ? "weekend-active" : "weekday-active";
      default ->
          (high ? "" : "rarely ") + feature.toLowerCase(Locale.ROOT) + (high ? "-active" : "");
    };
  }
}
