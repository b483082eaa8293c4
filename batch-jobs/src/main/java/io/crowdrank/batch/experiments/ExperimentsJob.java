package io.crowdrank.batch.experiments;

import static io.crowdrank.format.ServingLogFormat.ARMS;
import static io.crowdrank.format.ServingLogFormat.CLICK;
import static io.crowdrank.format.ServingLogFormat.EVENT;
import static io.crowdrank.format.ServingLogFormat.EVENT_ID;
import static io.crowdrank.format.ServingLogFormat.EXPERIMENT;
import static io.crowdrank.format.ServingLogFormat.FORCED;
import static io.crowdrank.format.ServingLogFormat.ITEMS;
import static io.crowdrank.format.ServingLogFormat.KIND;
import static io.crowdrank.format.ServingLogFormat.SERVED;
import static io.crowdrank.format.ServingLogFormat.TOKEN;
import static io.crowdrank.format.ServingLogFormat.TYPE;
import static io.crowdrank.format.ServingLogFormat.USE;
import static io.crowdrank.format.ServingLogFormat.USER_ID;
import static io.crowdrank.format.ServingLogFormat.USER_TYPE;
import static io.crowdrank.format.ServingLogFormat.VARIANT;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Inputs;
import io.crowdrank.batch.common.StepJob;
import io.crowdrank.batch.common.StepOptions;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.evaluate.ServedBundle;
import io.crowdrank.batch.identity.Events;
import io.crowdrank.format.ExperimentResultsFormat;
import io.crowdrank.format.Experiments;
import io.crowdrank.format.ServingLogFormat;
import java.sql.Date;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.commons.math3.distribution.ChiSquaredDistribution;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Per experiment, variant and day (and over all days), from the served lists and events in {@code
 * bronze/serving_events}: users, impressions (items shown in the variant's answers), clicks and
 * uses attributed to those answers by their token, CTR and use rate (clicks and uses per item
 * shown) with 95 % confidence intervals, the lift of each variant against the experiment's control
 * with its interval, and a sample-ratio-mismatch test of the users per variant.
 *
 * <p>The user is the unit that was randomised, so a rate is a ratio of per-user sums and its
 * variance comes from the delta method: {@code Var(X̄/Ȳ) ≈ (s²x − 2R·sxy + R²·s²y) / (n·Ȳ²)}. The
 * lift's interval is taken on the log of the ratio of the two rates (the arms are independent) and
 * mapped back. Answers an operator forced to a variant are left out.
 */
public final class ExperimentsJob extends StepJob<ExperimentsJob.Options, ExperimentsJob.Result> {

  public record Options(String warehouse) implements StepOptions {}

  /**
   * @param rows result rows written (variant x day, and variant over all days)
   * @param overall one line per variant over all days, for people
   */
  public record Result(long rows, long experiments, List<String> overall, StepJob.Outcome outcome)
      implements StepJob.Report {
    public Result {
      overall = List.copyOf(overall);
    }

    /** The variants over all days: users, CTR with its interval, lift against control, SRM. */
    public String table() {
      StringBuilder out = new StringBuilder();
      overall.forEach(l -> out.append(l).append('\n'));
      return out.toString();
    }

    @Override
    public Map<String, Long> counts() {
      Map<String, Long> out = new LinkedHashMap<>();
      out.put("experiments", experiments);
      out.put("rows", rows);
      return out;
    }
  }

  static final String STEP = "experiments";

  /** Two-sided 95 %. */
  static final double Z = 1.959963984540054;

  public static final String DAY = ExperimentResultsFormat.DAY;
  static final String CLICKS = ExperimentResultsFormat.CLICKS;
  static final String USES = ExperimentResultsFormat.USES;

  /** {@link ExperimentResultsFormat}'s columns, typed. */
  public static final StructType SCHEMA =
      new StructType()
          .add(EXPERIMENT, DataTypes.StringType, false)
          .add(VARIANT, DataTypes.StringType, false)
          .add(DAY, DataTypes.DateType, true) // null: every day together
          .add(ExperimentResultsFormat.IS_CONTROL, DataTypes.BooleanType, false)
          .add(ExperimentResultsFormat.USERS, DataTypes.LongType, false)
          .add(ExperimentResultsFormat.IMPRESSIONS, DataTypes.LongType, false)
          .add(CLICKS, DataTypes.LongType, false)
          .add(USES, DataTypes.LongType, false)
          .add(ExperimentResultsFormat.CTR, DataTypes.DoubleType, true)
          .add(ExperimentResultsFormat.CTR_LOW, DataTypes.DoubleType, true)
          .add(ExperimentResultsFormat.CTR_HIGH, DataTypes.DoubleType, true)
          .add(ExperimentResultsFormat.USE_RATE, DataTypes.DoubleType, true)
          .add(ExperimentResultsFormat.USE_RATE_LOW, DataTypes.DoubleType, true)
          .add(ExperimentResultsFormat.USE_RATE_HIGH, DataTypes.DoubleType, true)
          .add(ExperimentResultsFormat.CTR_LIFT, DataTypes.DoubleType, true)
          .add(ExperimentResultsFormat.CTR_LIFT_LOW, DataTypes.DoubleType, true)
          .add(ExperimentResultsFormat.CTR_LIFT_HIGH, DataTypes.DoubleType, true)
          .add(ExperimentResultsFormat.USE_LIFT, DataTypes.DoubleType, true)
          .add(ExperimentResultsFormat.USE_LIFT_LOW, DataTypes.DoubleType, true)
          .add(ExperimentResultsFormat.USE_LIFT_HIGH, DataTypes.DoubleType, true)
          .add(ExperimentResultsFormat.EXPECTED_SHARE, DataTypes.DoubleType, true)
          .add(ExperimentResultsFormat.SRM_P_VALUE, DataTypes.DoubleType, true);

  public ExperimentsJob(SparkSession spark, Options options) {
    super(
        spark,
        options,
        STEP,
        List.of(ServingLogFormat.TABLE_PATH),
        // Before anything was served there is nothing to read.
        Set.of(ServingLogFormat.TABLE_PATH),
        List.of(Tables.EXPERIMENT_RESULTS));
  }

  private Experiments running;

  /** The experiments the served bundle runs: their definitions give the control and the shares. */
  private Experiments running() {
    if (running == null) {
      running =
          ServedBundle.current(spark, warehouse)
              .map(ServedBundle::experiments)
              .orElse(Experiments.NONE);
    }
    return running;
  }

  /** The definitions, not the bundle's version: a new bundle with the same ones changes nothing. */
  @Override
  protected Map<String, ?> params() {
    return Map.of("experiments", running().toMap());
  }

  @Override
  protected Result result(Run run) {
    List<String> overall =
        run.lineage().get("overall") instanceof List<?> l
            ? l.stream().map(String::valueOf).toList()
            : List.of();
    return new Result(run.fact("rows"), run.fact("experiments"), overall, run.outcome());
  }

  /**
   * One arm's per-user sums: n users, and sums of clicks (x), uses (u), items shown (y) and their
   * squares and products, for the delta method.
   */
  record Sums(
      long users,
      double y,
      double x,
      double u,
      double yy,
      double xx,
      double uu,
      double xy,
      double uy) {}

  /** A rate with its delta-method variance. */
  record Rate(double value, double variance) {
    double low() {
      return value - Z * Math.sqrt(variance);
    }

    double high() {
      return value + Z * Math.sqrt(variance);
    }
  }

  static Rate rate(long n, double sx, double sy, double sxx, double syy, double sxy) {
    if (n < 2 || sy <= 0) {
      return null;
    }
    double mx = sx / n;
    double my = sy / n;
    double vx = (sxx - n * mx * mx) / (n - 1);
    double vy = (syy - n * my * my) / (n - 1);
    double cxy = (sxy - n * mx * my) / (n - 1);
    double r = mx / my;
    return new Rate(r, Math.max(0, (vx - 2 * r * cxy + r * r * vy) / (n * my * my)));
  }

  /** Lift of {@code t} over {@code c} with its interval, or nulls where undefined. */
  static Double[] lift(Rate t, Rate c) {
    if (t == null || c == null || t.value() <= 0 || c.value() <= 0) {
      return new Double[] {null, null, null};
    }
    double log = Math.log(t.value() / c.value());
    double se =
        Math.sqrt(t.variance() / (t.value() * t.value()) + c.variance() / (c.value() * c.value()));
    return new Double[] {
      t.value() / c.value() - 1, Math.exp(log - Z * se) - 1, Math.exp(log + Z * se) - 1
    };
  }

  /** The p-value of users per variant against the shares expected (chi-square), or null. */
  static Double srm(Map<String, Long> users, Map<String, Double> expected) {
    if (expected == null || users.size() < 2) {
      return null;
    }
    long total = users.values().stream().mapToLong(Long::longValue).sum();
    double chi2 = 0;
    for (var e : expected.entrySet()) {
      double want = total * e.getValue();
      long got = users.getOrDefault(e.getKey(), 0L);
      chi2 += (got - want) * (got - want) / want;
    }
    return 1 - new ChiSquaredDistribution(expected.size() - 1).cumulativeProbability(chi2);
  }

  @Override
  protected void compute(Inputs in, Commit commit) {
    Experiments running = running();
    List<Row> rows = new ArrayList<>();
    Dataset<Row> log =
        in.versions().containsKey(ServingLogFormat.TABLE_PATH)
            ? in.read(ServingLogFormat.TABLE_PATH)
            : null;
    // One cheap look first: most runs before any experiment have nothing to aggregate.
    if (log != null && !served(log).isEmpty()) {
      // Read and joined once for both aggregations (by day, and over all days).
      Dataset<Row> perUserDay =
          perUserDay(log).persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
      Map<String, Map<Date, Map<String, Sums>>> byDay;
      Map<String, Map<Date, Map<String, Sums>>> overall;
      try {
        byDay = sums(perUserDay, true);
        overall = sums(perUserDay, false);
      } finally {
        perUserDay.unpersist();
      }
      for (var e : overall.entrySet()) {
        Experiments.Experiment def = running.experiment(e.getKey());
        for (var days : List.of(byDay.get(e.getKey()), e.getValue())) {
          for (var day : days.entrySet()) {
            rows.addAll(results(e.getKey(), def, day.getKey(), day.getValue()));
          }
        }
      }
    }
    long experiments = rows.stream().map(r -> r.getString(0)).distinct().count();
    Map<String, Object> facts =
        Map.of(
            "rows",
            (long) rows.size(),
            "experiments",
            experiments,
            "overall",
            rows.stream().filter(r -> r.isNullAt(2)).map(ExperimentsJob::line).toList());
    commit.commit(
        facts,
        () ->
            Delta.overwrite(spark.createDataFrame(rows, SCHEMA), path(Tables.EXPERIMENT_RESULTS)));
  }

  /** Per experiment, variant, day and user: items shown, clicks and uses that followed them. */
  private static Dataset<Row> perUserDay(Dataset<Row> log) {
    Dataset<Row> served =
        served(log)
            .select(
                col(EVENT_ID).as("token"),
                col(USER_TYPE),
                col(USER_ID),
                // The day it was served, not the context time a host app may rank for ahead.
                to_date(Events.happened()).as(DAY),
                size(col(ITEMS)).as("shown"),
                explode(col(ARMS)).as("arm"));
    Dataset<Row> followed =
        log.filter(col(TYPE).equalTo(EVENT).and(coalesce(col(TOKEN), lit("")).notEqual("")))
            .groupBy(col(TOKEN).as("token"))
            .agg(
                sum(when(col(KIND).equalTo(CLICK), 1).otherwise(0)).as(CLICKS),
                sum(when(col(KIND).equalTo(USE), 1).otherwise(0)).as(USES));
    return served
        .join(followed, "token", "left")
        .groupBy(
            col("arm." + EXPERIMENT).as(EXPERIMENT),
            col("arm." + VARIANT).as(VARIANT),
            col(DAY),
            col(USER_TYPE),
            col(USER_ID))
        .agg(
            sum("shown").as("y"),
            sum(coalesce(col(CLICKS), lit(0L))).as("x"),
            sum(coalesce(col(USES), lit(0L))).as("u"));
  }

  /** The answers in experiments that count: not forced by an operator. */
  private static Dataset<Row> served(Dataset<Row> log) {
    return log.filter(
        col(TYPE)
            .equalTo(SERVED)
            .and(coalesce(col(FORCED), lit(false)).unary_$bang())
            .and(size(col(ARMS)).gt(0)));
  }

  /** Experiment → day (null: all days) → variant → sums over its users. */
  private static Map<String, Map<Date, Map<String, Sums>>> sums(
      Dataset<Row> perUserDay, boolean daily) {
    Dataset<Row> users =
        daily
            ? perUserDay
            : perUserDay
                .groupBy(EXPERIMENT, VARIANT, USER_TYPE, USER_ID)
                .agg(sum("y").as("y"), sum("x").as("x"), sum("u").as("u"))
                .withColumn(DAY, lit(null).cast(DataTypes.DateType));
    Column y = col("y").cast(DataTypes.DoubleType);
    Column x = col("x").cast(DataTypes.DoubleType);
    Column u = col("u").cast(DataTypes.DoubleType);
    Map<String, Map<Date, Map<String, Sums>>> out = new TreeMap<>();
    for (Row r :
        users
            .groupBy(EXPERIMENT, VARIANT, DAY)
            .agg(
                count(lit(1)),
                sum(y),
                sum(x),
                sum(u),
                sum(y.multiply(y)),
                sum(x.multiply(x)),
                sum(u.multiply(u)),
                sum(x.multiply(y)),
                sum(u.multiply(y)))
            .collectAsList()) {
      out.computeIfAbsent(r.getString(0), k -> new LinkedHashMap<>())
          .computeIfAbsent(r.getDate(2), k -> new TreeMap<>())
          .put(
              r.getString(1),
              new Sums(
                  r.getLong(3),
                  r.getDouble(4),
                  r.getDouble(5),
                  r.getDouble(6),
                  r.getDouble(7),
                  r.getDouble(8),
                  r.getDouble(9),
                  r.getDouble(10),
                  r.getDouble(11)));
    }
    return out;
  }

  /** A result row over all days, as one line for people. */
  static String line(Row r) {
    String ctr =
        r.isNullAt(8)
            ? "CTR -"
            : String.format(
                java.util.Locale.ROOT,
                "CTR %.4f [%.4f, %.4f]",
                r.getDouble(8),
                r.getDouble(9),
                r.getDouble(10));
    String lift =
        r.getBoolean(3)
            ? "control"
            : r.isNullAt(14)
                ? "lift -"
                : String.format(
                    java.util.Locale.ROOT,
                    "CTR lift %+.1f%% [%+.1f%%, %+.1f%%]",
                    100 * r.getDouble(14),
                    100 * r.getDouble(15),
                    100 * r.getDouble(16));
    String srm =
        r.isNullAt(21)
            ? ""
            : String.format(
                java.util.Locale.ROOT,
                ", sample ratio p=%.3f%s",
                r.getDouble(21),
                r.getDouble(21) < ExperimentResultsFormat.SRM_ALARM
                    ? " MISMATCH: do not trust this experiment"
                    : "");
    return String.format(
        java.util.Locale.ROOT,
        "experiment %s, variant %s: %d users, %d shown, %d clicks, %s, %s%s",
        r.getString(0),
        r.getString(1),
        r.getLong(4),
        r.getLong(5),
        r.getLong(6),
        ctr,
        lift,
        srm);
  }

  /** One day's (or every day's) rows of an experiment: one per variant. */
  private static List<Row> results(
      String experiment, Experiments.Experiment def, Date day, Map<String, Sums> variants) {
    String control =
        def != null && variants.containsKey(def.control())
            ? def.control()
            : variants.keySet().iterator().next();
    Map<String, Double> expected = def == null ? null : Experiments.expectedShares(def);
    Map<String, Long> users = new LinkedHashMap<>();
    variants.forEach((v, s) -> users.put(v, s.users()));
    Double srm = srm(users, expected);
    Sums c = variants.get(control);
    Rate controlCtr = rate(c.users(), c.x(), c.y(), c.xx(), c.yy(), c.xy());
    Rate controlUse = rate(c.users(), c.u(), c.y(), c.uu(), c.yy(), c.uy());
    List<Row> out = new ArrayList<>();
    for (var e : variants.entrySet()) {
      Sums s = e.getValue();
      Rate ctr = rate(s.users(), s.x(), s.y(), s.xx(), s.yy(), s.xy());
      Rate use = rate(s.users(), s.u(), s.y(), s.uu(), s.yy(), s.uy());
      boolean isControl = e.getKey().equals(control);
      Double[] ctrLift = isControl ? new Double[3] : lift(ctr, controlCtr);
      Double[] useLift = isControl ? new Double[3] : lift(use, controlUse);
      out.add(
          RowFactory.create(
              experiment,
              e.getKey(),
              day,
              isControl,
              s.users(),
              (long) s.y(),
              (long) s.x(),
              (long) s.u(),
              ctr == null ? null : ctr.value(),
              ctr == null ? null : ctr.low(),
              ctr == null ? null : ctr.high(),
              use == null ? null : use.value(),
              use == null ? null : use.low(),
              use == null ? null : use.high(),
              ctrLift[0],
              ctrLift[1],
              ctrLift[2],
              useLift[0],
              useLift[1],
              useLift[2],
              expected == null ? null : expected.get(e.getKey()),
              srm));
    }
    return out;
  }
}
