package io.crowdrank.batch.train;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.Expressions;
import io.crowdrank.batch.common.TimeColumns;
import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.ContextScoring;
import java.time.LocalDate;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;

/**
 * Where and when: popularity per host app and city, category affinity per hour of week, and each
 * user's own hour-of-week habit.
 */
public final class ContextStats {
  private ContextStats() {}

  /** Mini-programs kept per (host app, city) scope; enough for filters and exclusions. */
  static final int TOP_PER_SCOPE = 300;

  /** Pseudo-count pulling sparse (category, hour) cells towards the category's overall rate. */
  static final double SMOOTHING = 20.0;

  /**
   * Time-decayed payment counts per (host app, city, mini-program), plus each host app over all
   * cities ({@code city = "*"}) and everything ({@code host_app = city = "*"}), normalised to the
   * scope's best (score in (0, 1]) and cut to the top {@link #TOP_PER_SCOPE}.
   */
  public static Dataset<Row> popularity(
      Dataset<Row> payments, LocalDate asOf, double halfLifeDays) {
    Dataset<Row> weighted =
        payments.select(
            col(HOST_APP),
            col(CITY),
            col(MINI_PROGRAM_ID),
            TrainJob.decay(asOf, halfLifeDays).as(WEIGHT));
    String all = BundleFormat.ALL;
    Dataset<Row> scoped =
        weighted
            .unionByName(weighted.withColumn(CITY, lit(all)))
            .unionByName(weighted.withColumn(CITY, lit(all)).withColumn(HOST_APP, lit(all)))
            .groupBy(HOST_APP, CITY, MINI_PROGRAM_ID)
            .agg(sum(WEIGHT).as(WEIGHT));
    var scope = Window.partitionBy(HOST_APP, CITY);
    return scoped
        .withColumn(
            "_r", row_number().over(scope.orderBy(col(WEIGHT).desc(), col(MINI_PROGRAM_ID))))
        .filter(col("_r").leq(TOP_PER_SCOPE))
        .withColumn(SCORE, col(WEIGHT).divide(max(WEIGHT).over(scope)))
        .select(HOST_APP, CITY, MINI_PROGRAM_ID, SCORE);
  }

  /**
   * For each category, 168 lifts P(h | c) / P(h): how much likelier a use of that category is in
   * that hour of week than activity in general, smoothed towards 1 where data are thin and clipped
   * to [{@value ContextScoring#MIN_LIFT}, {@value ContextScoring#MAX_LIFT}]; plus one row with
   * category {@link BundleFormat#ALL} holding P(h), the share of all activity in each hour.
   *
   * @param events {@code category}, {@code event_time} and {@code weight} (confidence) per use
   */
  public static Dataset<Row> categoryHourLifts(Dataset<Row> events, String zone) {
    Dataset<Row> counts =
        events
            .select(
                col(CATEGORY),
                TimeColumns.hourOfWeek(col(EVENT_TIME), zone).as(HOUR_OF_WEEK),
                col(WEIGHT))
            .groupBy(CATEGORY, HOUR_OF_WEEK)
            .agg(sum(WEIGHT).as("n"));
    // Every (category, hour) cell, so hours without a use get a low lift rather than none.
    Dataset<Row> hours =
        events
            .sparkSession()
            .range(BundleFormat.HOURS_PER_WEEK)
            .select(col("id").cast("int").as(HOUR_OF_WEEK));
    Dataset<Row> cells =
        counts
            .select(CATEGORY)
            .distinct()
            .crossJoin(hours)
            .join(counts, new String[] {CATEGORY, HOUR_OF_WEEK}, "left")
            .withColumn("n", coalesce(col("n"), lit(0.0)));
    var byCategory = Window.partitionBy(CATEGORY);
    var byHour = Window.partitionBy(HOUR_OF_WEEK);
    Dataset<Row> stats =
        cells
            .withColumn("n_c", sum("n").over(byCategory))
            .withColumn("n_h", sum("n").over(byHour))
            .crossJoin(cells.agg(sum("n").as("n_all")))
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      // P(category | hour), smoothed towards P(category), divided by P(category).
      Dataset<Row> lifts =
          stats
              .withColumn("p_c", col("n_c").divide(col("n_all")))
              .withColumn(
                  "v",
                  col("n")
                      .plus(col("p_c").multiply(SMOOTHING))
                      .divide(col("n_h").plus(SMOOTHING))
                      .divide(col("p_c")))
              .withColumn(
                  "v",
                  least(
                      greatest(col("v"), lit(ContextScoring.MIN_LIFT)),
                      lit(ContextScoring.MAX_LIFT)))
              .select(CATEGORY, HOUR_OF_WEEK, "v");
      Dataset<Row> shares =
          stats
              .select(HOUR_OF_WEEK, "n_h", "n_all")
              .distinct()
              .select(
                  lit(BundleFormat.ALL).as(CATEGORY),
                  col(HOUR_OF_WEEK),
                  col("n_h").divide(col("n_all")).as("v"));
      return lifts
          .unionByName(shares)
          .groupBy(CATEGORY)
          .agg(map_from_entries(collect_list(struct(col(HOUR_OF_WEEK), col("v")))).as("m"))
          .select(
              col(CATEGORY),
              Expressions.hourOfWeekCells(col("m"))
                  .cast(DataTypes.createArrayType(DataTypes.FloatType, false))
                  .as(LIFTS))
          .localCheckpoint();
    } finally {
      stats.unpersist();
    }
  }

  /**
   * Each user's own hour-of-week habit: confidence-weighted uses per (user, category, hour of
   * week), the sparse counts {@link ContextScoring#userLift} shrinks towards the global lifts.
   */
  public static Dataset<Row> userHabits(Dataset<Row> events, String zone) {
    return events
        .select(
            col(USER_ID),
            col(CATEGORY),
            TimeColumns.hourOfWeek(col(EVENT_TIME), zone).as(HOUR_OF_WEEK),
            col(WEIGHT))
        .groupBy(USER_ID, CATEGORY, HOUR_OF_WEEK)
        .agg(sum(WEIGHT).cast("float").as(WEIGHT));
  }
}
