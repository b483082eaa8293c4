package io.crowdrank.batch.evaluate;

import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.Indexing;
import io.crowdrank.batch.train.TrainJob;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.ml.evaluation.RankingEvaluator;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.storage.StorageLevel;

/**
 * Offline evaluation the way the model is used: split the interactions (by time, or per user at
 * random), train on one side, rank the <em>whole</em> catalog for every test user with the items
 * they already used in training removed, and score the top K against what they used in the test
 * side: NDCG, recall, precision and MAP at each K (Spark MLlib's {@link RankingEvaluator}), plus
 * catalog coverage — for ALS and, always beside it, a popularity baseline on the same split.
 *
 * <p>Input: one row per event with columns {@code user} (string), {@code item} (string), {@code
 * weight} (double &gt; 0) and {@code ts} (timestamp, may be null for a random split).
 */
public final class Evaluation {

  public enum Split {
    /** Train on events before a cut, test on the events after it. */
    TIME,
    /** Per user, a seeded random share of their items goes to test (stratified by user). */
    RANDOM;

    public static Split parse(String s) {
      return switch (s.toLowerCase(Locale.ROOT)) {
        case "time" -> TIME;
        case "random" -> RANDOM;
        default -> throw new IllegalArgumentException("split must be time or random, got " + s);
      };
    }
  }

  /**
   * @param testFraction share of time (TIME) or of each user's items (RANDOM) held out, 0..1
   * @param ks cut-offs, each 1..100
   */
  public record Options(
      Split split, double testFraction, long seed, List<Integer> ks, TrainJob.Params als) {
    public Options {
      if (!(testFraction > 0 && testFraction < 1)) {
        throw new IllegalArgumentException(
            "test fraction must be between 0 and 1, got " + testFraction);
      }
      ks = List.copyOf(ks);
      if (ks.isEmpty() || ks.stream().anyMatch(k -> k < 1 || k > 100)) {
        throw new IllegalArgumentException("each K must be 1..100, got " + ks);
      }
    }
  }

  public static final List<Integer> DEFAULT_KS = List.of(5, 10, 20);

  /** A time split holding out the last quarter, K = 5, 10, 20. */
  public static Options defaults(TrainJob.Params als) {
    return new Options(Split.TIME, 0.25, 42L, DEFAULT_KS, als);
  }

  /** One model at one K. */
  public record Metrics(
      String model,
      int k,
      double ndcg,
      double recall,
      double precision,
      double map,
      double coverage) {}

  public record Result(
      long trainPairs, long testUsers, long coldTestUsers, long items, List<Metrics> metrics) {
    /** The metrics as a fixed-width table for people. */
    public String table() {
      StringBuilder b = new StringBuilder();
      b.append(
          String.format(
              Locale.ROOT,
              "train pairs %,d; test users %,d (plus %,d with no training history, not scored); items %,d%n",
              trainPairs,
              testUsers,
              coldTestUsers,
              items));
      b.append(
          String.format(
              Locale.ROOT,
              "%-12s %4s %8s %8s %9s %8s %8s%n",
              "model",
              "K",
              "NDCG",
              "Recall",
              "Precision",
              "MAP",
              "Coverage"));
      for (Metrics m : metrics) {
        b.append(
            String.format(
                Locale.ROOT,
                "%-12s %4d %8.4f %8.4f %9.4f %8.4f %8.4f%n",
                m.model(),
                m.k(),
                m.ndcg(),
                m.recall(),
                m.precision(),
                m.map(),
                m.coverage()));
      }
      return b.toString();
    }
  }

  public static final String USER = "user";
  public static final String ITEM = "item";
  public static final String WEIGHT = "weight";
  public static final String TS = "ts";

  private final SparkSession spark;
  private final Options options;

  public Evaluation(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Result evaluate(Dataset<Row> events) {
    List<Dataset<Row>> cached = new ArrayList<>();
    try {
      Dataset<Row> users =
          keep(cached, Indexing.withIndex(spark, events.select(USER).distinct(), USER, "u"));
      Dataset<Row> items =
          keep(cached, Indexing.withIndex(spark, events.select(ITEM).distinct(), ITEM, "i"));
      Dataset<Row> indexed =
          events
              .join(users, USER)
              .join(items, ITEM)
              .select(col("u"), col("i"), col(WEIGHT), col(TS));
      Dataset<Row>[] split = split(indexed);
      Dataset<Row> train = keep(cached, split[0].persist(StorageLevel.MEMORY_AND_DISK()));
      Dataset<Row> testAll = split[1];
      // Only users the model has seen can be scored; the rest are reported, not hidden.
      Dataset<Row> warm = train.select("u").distinct();
      Dataset<Row> test =
          keep(
              cached,
              testAll
                  .join(warm, "u")
                  .groupBy("u")
                  .agg(collect_set(col("i").cast("double")).as("label"))
                  .persist(StorageLevel.MEMORY_AND_DISK()));
      long testUsers = test.count();
      if (testUsers == 0) {
        throw new IllegalStateException(
            "no test user has training history: the split left nothing to evaluate");
      }
      long coldUsers = testAll.select("u").distinct().except(warm).count();
      long itemCount = items.count();
      int maxK = options.ks().stream().mapToInt(Integer::intValue).max().orElseThrow();
      Dataset<Row> seen = train.select("u", "i").distinct();
      int maxSeen =
          (int)
              seen.join(test.select("u"), "u")
                  .groupBy("u")
                  .count()
                  .agg(max("count"))
                  .first()
                  .getLong(0);
      int candidates = (int) Math.min(itemCount, (long) maxK + maxSeen);

      ALSModel als = TrainJob.fit(options.als(), train.withColumnRenamed(WEIGHT, "r"));
      Dataset<Row> alsCandidates =
          als.recommendForUserSubset(test.select(col("u")), candidates)
              .select(col("u"), explode(col("recommendations")).as("rec"))
              .select(col("u"), col("rec.i").as("i"), col("rec.rating").as("score"));
      Dataset<Row> popular =
          train
              .groupBy("i")
              .agg(countDistinct("u").as("score"))
              .orderBy(col("score").desc(), col("i"))
              .limit(candidates);
      Dataset<Row> popCandidates = test.select("u").crossJoin(popular);

      List<Metrics> out = new ArrayList<>();
      out.addAll(score("als", alsCandidates, seen, test, maxK, itemCount));
      out.addAll(score("popularity", popCandidates, seen, test, maxK, itemCount));
      return new Result(seen.count(), testUsers, coldUsers, itemCount, out);
    } finally {
      cached.forEach(d -> d.unpersist());
    }
  }

  private static Dataset<Row> keep(List<Dataset<Row>> cached, Dataset<Row> d) {
    cached.add(d);
    return d;
  }

  /** [train events aggregated to pairs, test events (pairs not used in training)]. */
  @SuppressWarnings("unchecked")
  private Dataset<Row>[] split(Dataset<Row> events) {
    Dataset<Row> train;
    Dataset<Row> test;
    if (options.split() == Split.TIME) {
      if (events.filter(col(TS).isNull()).limit(1).count() > 0) {
        throw new IllegalArgumentException(
            "a time split needs a timestamp on every interaction; use --split random");
      }
      double cut =
          events
              .select(unix_timestamp(col(TS)).cast("double").as("t"))
              .stat()
              .approxQuantile("t", new double[] {1 - options.testFraction()}, 0.0001)[0];
      Column before = unix_timestamp(col(TS)).lt(lit(cut));
      train = events.filter(before);
      test = events.filter(not(before));
    } else {
      Dataset<Row> pairs = events.groupBy("u", "i").agg(sum(WEIGHT).as(WEIGHT));
      var perUser = Window.partitionBy("u");
      Dataset<Row> ranked =
          pairs
              .withColumn("_n", count(lit(1)).over(perUser))
              .withColumn(
                  "_r",
                  row_number()
                      .over(perUser.orderBy(xxhash64(col("i"), lit(options.seed())), col("i"))));
      // Users with one item stay in training; others give round(n * fraction) items, at least 1.
      Column inTest =
          col("_n")
              .geq(2)
              .and(
                  col("_r")
                      .leq(greatest(lit(1), round(col("_n").multiply(options.testFraction())))));
      train =
          ranked
              .filter(not(inTest))
              .select(col("u"), col("i"), col(WEIGHT), lit(null).cast("timestamp").as(TS));
      test =
          ranked
              .filter(inTest)
              .select(col("u"), col("i"), col(WEIGHT), lit(null).cast("timestamp").as(TS));
    }
    Dataset<Row> trainPairs =
        train.groupBy("u", "i").agg(sum(WEIGHT).as(WEIGHT)).filter(col(WEIGHT).gt(0));
    // What a user already used before the cut is not something to predict.
    Dataset<Row> testPairs =
        test.select("u", "i")
            .distinct()
            .join(trainPairs.select("u", "i"), new String[] {"u", "i"}, "left_anti");
    return new Dataset[] {trainPairs, testPairs};
  }

  private List<Metrics> score(
      String model,
      Dataset<Row> candidates,
      Dataset<Row> seen,
      Dataset<Row> test,
      int maxK,
      long itemCount) {
    Dataset<Row> ranked =
        candidates
            .join(seen, new String[] {"u", "i"}, "left_anti")
            .withColumn(
                "_r",
                row_number().over(Window.partitionBy("u").orderBy(col("score").desc(), col("i"))))
            .filter(col("_r").leq(maxK))
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Dataset<Row> lists =
          ranked
              .groupBy("u")
              .agg(
                  sort_array(collect_list(struct(col("_r"), col("i").cast("double").as("i"))))
                      .as("_l"))
              .select(col("u"), col("_l.i").as("prediction"))
              .join(test, "u")
              .persist(StorageLevel.MEMORY_AND_DISK());
      List<Metrics> out = new ArrayList<>();
      for (int k : options.ks()) {
        RankingEvaluator e =
            new RankingEvaluator().setPredictionCol("prediction").setLabelCol("label").setK(k);
        double coverage =
            ranked.filter(col("_r").leq(k)).select("i").distinct().count() / (double) itemCount;
        out.add(
            new Metrics(
                model,
                k,
                e.setMetricName("ndcgAtK").evaluate(lists),
                e.setMetricName("recallAtK").evaluate(lists),
                e.setMetricName("precisionAtK").evaluate(lists),
                e.setMetricName("meanAveragePrecisionAtK").evaluate(lists),
                coverage));
      }
      lists.unpersist();
      return out;
    } finally {
      ranked.unpersist();
    }
  }
}
