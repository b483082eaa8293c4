package io.crowdrank.batch.reports;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Expressions;
import io.crowdrank.batch.common.Inputs;
import io.crowdrank.batch.common.Json;
import io.crowdrank.batch.common.StepJob;
import io.crowdrank.batch.common.StepOptions;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.format.HourOfWeek;
import io.crowdrank.format.ReportsFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Merchant segment reports: fits the personas, expands every merchant's customers into lookalikes
 * (its top N, {@link Lookalike}), and writes one report per (merchant, segment) — the merchant's
 * own segments and its whole crowd (every user with an AIPL stage at one of its mini-programs) — to
 * {@code gold/merchant_reports}, with every number about fewer than k people already suppressed, so
 * the web pages never hold them. AIPL movement compares with the previous version of {@code
 * user_aipl} (the previous profiles run).
 */
public final class ReportsJob extends StepJob<ReportsJob.Options, ReportsJob.Result> {
  /** Segment id of a merchant's whole crowd. */
  public static final String CROWD = "_crowd";

  public static final StructType REPORTS_SCHEMA =
      new StructType()
          .add(MERCHANT_ID, DataTypes.StringType, false)
          .add(SEGMENT_ID, DataTypes.StringType, false)
          .add(NAME, DataTypes.StringType, false)
          .add(ReportsFormat.REPORT_JSON, DataTypes.StringType, false);

  /** KMeans personas fitted when nothing says otherwise (the pipeline has no option for it). */
  public static final int DEFAULT_PERSONAS = 6;

  /**
   * @param k smallest number of people a published number may describe (&ge; 2)
   * @param personas number of KMeans personas (&ge; 2)
   * @param lookalikeTopN most lookalikes kept per merchant (&ge; 1)
   */
  public record Options(String warehouse, int k, int personas, int lookalikeTopN, long seed)
      implements StepOptions {
    public Options {
      if (warehouse == null) {
        throw new IllegalArgumentException("warehouse is required");
      }
      if (k < 2) {
        throw new IllegalArgumentException("k must be >= 2, got " + k);
      }
      if (personas < 2) {
        throw new IllegalArgumentException("personas must be >= 2, got " + personas);
      }
      if (lookalikeTopN < 1) {
        throw new IllegalArgumentException("lookalikeTopN must be >= 1, got " + lookalikeTopN);
      }
    }

    public static Options defaults(String warehouse) {
      return new Options(warehouse, 50, DEFAULT_PERSONAS, Lookalike.DEFAULT_TOP_N, 42);
    }
  }

  public record Result(long reports, long merchants, long lookalikes, StepJob.Outcome outcome)
      implements StepJob.Report {
    @Override
    public Map<String, Long> counts() {
      return Map.of("reports", reports, "merchants", merchants, "lookalikes", lookalikes);
    }
  }

  /** The tables read. */
  static final List<String> INPUTS =
      List.of(
          Tables.CATALOG,
          Tables.USER_PROFILES,
          Tables.USER_AIPL,
          Tables.SEGMENT_DEFINITIONS,
          Tables.SEGMENT_MEMBERS,
          Tables.USER_FACTORS);

  /** The tables written, in commit order. */
  static final List<String> OUTPUTS =
      List.of(Tables.USER_PERSONAS, Tables.PERSONAS, Tables.LOOKALIKES, Tables.MERCHANT_REPORTS);

  static final String STEP = "reports";

  public ReportsJob(SparkSession spark, Options options) {
    super(spark, options, STEP, INPUTS, OUTPUTS);
  }

  @Override
  protected Map<String, ?> params() {
    return Map.of(
        "k",
        options.k(),
        "personas",
        options.personas(),
        "lookalike_top_n",
        options.lookalikeTopN(),
        "seed",
        options.seed());
  }

  @Override
  protected void compute(Inputs in, Commit commit) {
    Dataset<Row> profiles = in.read(Tables.USER_PROFILES).cache();
    try {
      Dataset<Row> aipl = in.read(Tables.USER_AIPL);
      long aiplVersion = in.versions().get(Tables.USER_AIPL);
      Dataset<Row> previousAipl =
          aiplVersion > 0
              ? spark
                  .read()
                  .format("delta")
                  .option("versionAsOf", aiplVersion - 1)
                  .load(path(Tables.USER_AIPL))
              : null; // a first run has no previous period: no movement

      Personas.Result personas = Personas.fit(profiles, options.personas(), options.seed());
      Dataset<Row> lookalikes =
          Lookalike.expand(
              in.read(Tables.USER_FACTORS),
              profiles,
              aipl,
              new Lookalike.Options(
                  options.k(),
                  Lookalike.THRESHOLDS.get(6),
                  options.lookalikeTopN(),
                  options.seed()));

      Dataset<Row> merchantAipl =
          aipl.filter(col(SCOPE).equalTo(SCOPE_MERCHANT))
              .select(col(SCOPE_ID).as(MERCHANT_ID), col(USER_ID), col(STAGE_LEVEL));
      Dataset<Row> defined =
          in.read(Tables.SEGMENT_DEFINITIONS).filter(col(MERCHANT_ID).isNotNull());
      Dataset<Row> members =
          in.read(Tables.SEGMENT_MEMBERS)
              .join(defined.select(SEGMENT_ID, MERCHANT_ID), SEGMENT_ID)
              .select(MERCHANT_ID, SEGMENT_ID, USER_ID)
              .unionByName(
                  merchantAipl.select(col(MERCHANT_ID), lit(CROWD).as(SEGMENT_ID), col(USER_ID)));

      // Cached for the facts, which read it some twelve times. Both caches are released here even
      // when the step fails: a run's later steps (evaluate, publish) share the session.
      Dataset<Row> wide = members.join(profiles, USER_ID).cache();
      try {
        commit.commit(
            () -> {
              overwrite(personas.assignments(), Tables.USER_PERSONAS);
              List<Row> personaRows = new ArrayList<>();
              for (Personas.Persona p : personas.personas()) {
                personaRows.add(
                    RowFactory.create(p.id(), p.name(), p.size(), Json.write(p.zScores())));
              }
              overwrite(
                  spark.createDataFrame(
                      personaRows,
                      StructType.fromDDL(
                          "persona_id INT, name STRING, size BIGINT, z_scores_json STRING")),
                  Tables.PERSONAS);
              overwrite(lookalikes.repartition(col(MERCHANT_ID)), Tables.LOOKALIKES);
              Dataset<Row> facts =
                  facts(
                      wide,
                      profiles,
                      merchantAipl,
                      previousAipl,
                      Delta.read(spark, warehouse, Tables.USER_PERSONAS));
              overwrite(reports(facts, defined, personas), Tables.MERCHANT_REPORTS);
            });
      } finally {
        wide.unpersist();
      }
    } finally {
      profiles.unpersist();
    }
  }

  /**
   * Every number of every report as (merchant_id, segment_id, metric, key, value).
   *
   * @param wide every segment member (merchant_id, segment_id, user_id) with its profile
   */
  private Dataset<Row> facts(
      Dataset<Row> wide,
      Dataset<Row> profiles,
      Dataset<Row> merchantAipl,
      Dataset<Row> previousAipl,
      Dataset<Row> userPersonas) {
    String[] seg = {MERCHANT_ID, SEGMENT_ID};
    List<Dataset<Row>> parts = new ArrayList<>();
    parts.add(
        fact(
            wide.groupBy(col(MERCHANT_ID), col(SEGMENT_ID)).agg(count(lit(1)).as("v")),
            "size",
            lit("")));
    Column platform =
        when(col(IS_SHARED), "shared")
            .when(col(HAS_PAYMENT), "payment_only")
            .otherwise("social_only");
    parts.add(counted(wide, "platform", platform));
    Column stage = stageName(col(STAGE_LEVEL));
    Dataset<Row> withStage = wide.join(merchantAipl, new String[] {MERCHANT_ID, USER_ID}, "left");
    parts.add(counted(withStage, "aipl", stage));
    if (previousAipl != null) {
      Dataset<Row> prev =
          previousAipl
              .filter(col(SCOPE).equalTo(SCOPE_MERCHANT))
              .select(
                  col(SCOPE_ID).as(MERCHANT_ID), col(USER_ID), col(STAGE_LEVEL).as("prev_level"));
      Dataset<Row> moved =
          withStage
              .join(prev, new String[] {MERCHANT_ID, USER_ID}, "left")
              .filter(
                  not(
                      coalesce(col("prev_level"), lit(0))
                          .equalTo(coalesce(col(STAGE_LEVEL), lit(0)))));
      parts.add(counted(moved, "movement", concat(stageName(col("prev_level")), lit(">"), stage)));
    }
    for (String score : List.of(R_SCORE, F_SCORE, M_SCORE)) {
      parts.add(counted(wide, score, coalesce(col(score).cast("string"), lit("none"))));
    }
    parts.add(counted(wide.filter(col(HOME_CITY).isNotNull()), "city", col(HOME_CITY)));
    parts.add(fact(heat(wide), "heat", col("h").cast("string")));
    parts.add(
        counted(
            wide.select(
                    col(MERCHANT_ID),
                    col(SEGMENT_ID),
                    explode(col(INTERESTS)).as(new String[] {"vertical", "share"}))
                .filter(col("share").geq(INTERESTED)),
            "interest",
            col("vertical")));
    parts.add(counted(wide.join(userPersonas, USER_ID), "persona", col(PERSONA_ID).cast("string")));
    // The whole population, for TGI.
    parts.add(
        fact(
            profiles
                .agg(count(lit(1)).as("v"))
                .withColumn(MERCHANT_ID, lit("*"))
                .withColumn(SEGMENT_ID, lit("*")),
            "size",
            lit("")));
    parts.add(
        fact(
            profiles
                .select(explode(col(INTERESTS)).as(new String[] {"vertical", "share"}))
                .filter(col("share").geq(INTERESTED))
                .groupBy("vertical")
                .agg(count(lit(1)).as("v"))
                .withColumn(MERCHANT_ID, lit("*"))
                .withColumn(SEGMENT_ID, lit("*")),
            "interest",
            col("vertical")));
    // Lookalike sizes per merchant and threshold.
    Dataset<Row> look = Delta.read(spark, warehouse, Tables.LOOKALIKES);
    for (double t : Lookalike.THRESHOLDS) {
      parts.add(
          fact(
              look.filter(col(SIMILARITY).geq(t))
                  .groupBy(MERCHANT_ID)
                  .agg(count(lit(1)).as("v"))
                  .withColumn(SEGMENT_ID, lit("*")),
              "lookalike",
              lit(Double.toString(t))));
    }
    Dataset<Row> all = parts.get(0);
    for (int i = 1; i < parts.size(); i++) {
      all = all.unionByName(parts.get(i));
    }
    return all;
  }

  /** Share of a user's interest from which they count as interested in a vertical. */
  static final double INTERESTED = 0.1;

  /** "awareness".."loyalty" for levels 1-4, "none" for anything else (a missing stage). */
  private static Column stageName(Column level) {
    Column name = lit("none");
    for (int l = SegmentReport.STAGES.size(); l >= 1; l--) {
      name = when(level.equalTo(l), SegmentReport.STAGES.get(l - 1)).otherwise(name);
    }
    return name;
  }

  /**
   * Per segment and hour of the week h (0-167): the sum over its members of the share of their
   * activity in h; members with no activity count in no hour.
   *
   * @param members merchant_id, segment_id and the member's hour_of_week_activity
   * @return merchant_id, segment_id, h, v
   */
  static Dataset<Row> heat(Dataset<Row> members) {
    // Generated code only, one pass over the members: each member's total once (inside a lambda
    // over the cells it ran once per cell), then 168 sums per segment; only the few per-segment
    // rows are turned into hours.
    Column cells = col(HOUR_OF_WEEK_ACTIVITY);
    Column total = Expressions.hourOfWeekTotal(cells);
    Column[] sums = new Column[HourOfWeek.HOURS];
    Column[] perHour = new Column[HourOfWeek.HOURS];
    for (int h = 0; h < HourOfWeek.HOURS; h++) {
      sums[h] = sum(col("_cells").getItem(h).divide(col("_total"))).as("_v" + h);
      perHour[h] = col("_v" + h);
    }
    return members
        .select(col(MERCHANT_ID), col(SEGMENT_ID), cells.as("_cells"), total.as("_total"))
        .filter(col("_total").gt(0))
        .groupBy(col(MERCHANT_ID), col(SEGMENT_ID))
        .agg(sums[0], Arrays.copyOfRange(sums, 1, sums.length))
        .select(
            col(MERCHANT_ID),
            col(SEGMENT_ID),
            posexplode(array(perHour)).as(new String[] {"h", "v"}));
  }

  private static Dataset<Row> counted(Dataset<Row> rows, String metric, Column key) {
    return fact(
        rows.groupBy(col(MERCHANT_ID), col(SEGMENT_ID), key.as("key")).agg(count(lit(1)).as("v")),
        metric,
        col("key"));
  }

  private static Dataset<Row> fact(Dataset<Row> aggregated, String metric, Column key) {
    return aggregated.select(
        col(MERCHANT_ID),
        col(SEGMENT_ID),
        lit(metric).as("metric"),
        key.cast("string").as("key"),
        col("v").cast("double").as("value"));
  }

  /** Collects the facts (a few hundred per report) and builds each report's JSON. */
  private Dataset<Row> reports(Dataset<Row> facts, Dataset<Row> defined, Personas.Result personas) {
    Map<String, String[]> names = new HashMap<>();
    for (Row r : defined.select(SEGMENT_ID, NAME, DESCRIPTION).collectAsList()) {
      names.put(r.getString(0), new String[] {r.getString(1), r.getString(2)});
    }
    Map<String, String> personaNames = new HashMap<>();
    personas.personas().forEach(p -> personaNames.put(Integer.toString(p.id()), p.name()));
    Map<String, List<SegmentReport.Fact>> bySegment = new LinkedHashMap<>();
    Map<String, List<SegmentReport.Fact>> lookalike = new HashMap<>();
    List<SegmentReport.Fact> population = new ArrayList<>();
    for (Row r : facts.orderBy(MERCHANT_ID, SEGMENT_ID).collectAsList()) {
      String merchant = r.getString(0);
      String segment = r.getString(1);
      SegmentReport.Fact f = new SegmentReport.Fact(r.getString(2), r.getString(3), r.getDouble(4));
      if (merchant.equals("*")) {
        population.add(f);
      } else if (segment.equals("*")) {
        lookalike.computeIfAbsent(merchant, m -> new ArrayList<>()).add(f);
      } else {
        bySegment.computeIfAbsent(merchant + "\u0000" + segment, x -> new ArrayList<>()).add(f);
      }
    }
    List<Row> rows = new ArrayList<>();
    for (var e : bySegment.entrySet()) {
      String[] key = e.getKey().split("\u0000", 2);
      String[] named =
          key[1].equals(CROWD)
              ? new String[] {
                "Everyone who knows " + key[0],
                "Every user with an AIPL stage at one of the merchant's mini-programs"
              }
              : names.getOrDefault(key[1], new String[] {key[1], null});
      Map<String, Object> report =
          SegmentReport.build(
              key[0],
              key[1],
              named[0],
              named[1],
              e.getValue(),
              population,
              lookalike.getOrDefault(key[0], List.of()),
              personaNames,
              options.lookalikeTopN(),
              options.k());
      rows.add(RowFactory.create(key[0], key[1], named[0], Json.write(report)));
    }
    return spark.createDataFrame(rows, REPORTS_SCHEMA);
  }

  @Override
  protected Result result(Run run) {
    Dataset<Row> reports = Delta.read(spark, warehouse, Tables.MERCHANT_REPORTS);
    return new Result(
        reports.count(),
        reports.select(MERCHANT_ID).distinct().count(),
        Delta.read(spark, warehouse, Tables.LOOKALIKES).count(),
        run.outcome());
  }

  private void overwrite(Dataset<Row> rows, String table) {
    Delta.overwrite(rows, path(table));
  }
}
