package io.crowdrank.batch.train;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.TimeColumns;
import io.crowdrank.format.BundleFormat;
import java.time.LocalDate;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/** Where and when: popularity per host app and city, and category affinity per hour of week. */
final class ContextStats {
  private ContextStats() {}

  /** Mini-programs kept per (host app, city) scope; enough for filters and exclusions. */
  static final int TOP_PER_SCOPE = 300;

  /** Pseudo-count pulling sparse (category, hour) cells towards the category's overall rate. */
  static final double SMOOTHING = 20.0;

  static final double MIN_LIFT = 0.1;
  static final double MAX_LIFT = 10.0;

  /**
   * Time-decayed payment counts per (host app, city, mini-program), plus each host app over all
   * cities ({@code city = "*"}) and everything ({@code host_app = city = "*"}), normalised to the
   * scope's best (score in (0, 1]) and cut to the top {@link #TOP_PER_SCOPE}.
   */
  static Dataset<Row> popularity(Dataset<Row> payments, LocalDate asOf, double halfLifeDays) {
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
   * For each category, 168 lifts: how much likelier a payment in that category is in that hour of
   * week than the category's share overall, smoothed towards 1 where data are thin and clipped to
   * [{@value #MIN_LIFT}, {@value #MAX_LIFT}].
   */
  static Dataset<Row> categoryHourLifts(Dataset<Row> payments, String zone) {
    Dataset<Row> counts =
        payments
            .select(col(CATEGORY), TimeColumns.hourOfWeek(col(EVENT_TIME), zone).as(HOUR_OF_WEEK))
            .groupBy(CATEGORY, HOUR_OF_WEEK)
            .agg(count(lit(1)).as("n"));
    // Every (category, hour) cell, so hours without a payment get a low lift rather than none.
    Dataset<Row> hours =
        payments
            .sparkSession()
            .range(BundleFormat.HOURS_PER_WEEK)
            .select(col("id").cast("int").as(HOUR_OF_WEEK));
    Dataset<Row> cells =
        counts
            .select(CATEGORY)
            .distinct()
            .crossJoin(hours)
            .join(counts, new String[] {CATEGORY, HOUR_OF_WEEK}, "left")
            .withColumn("n", coalesce(col("n"), lit(0L)));
    var byCategory = Window.partitionBy(CATEGORY);
    var byHour = Window.partitionBy(HOUR_OF_WEEK);
    Dataset<Row> lifts =
        cells
            .withColumn("n_c", sum("n").over(byCategory))
            .withColumn("n_h", sum("n").over(byHour))
            .withColumn("n_all", sum("n").over(Window.partitionBy()))
            // P(category | hour), smoothed towards P(category), divided by P(category).
            .withColumn("p_c", col("n_c").divide(col("n_all")))
            .withColumn(
                "lift",
                col("n")
                    .plus(col("p_c").multiply(SMOOTHING))
                    .divide(col("n_h").plus(SMOOTHING))
                    .divide(col("p_c")))
            .withColumn("lift", least(greatest(col("lift"), lit(MIN_LIFT)), lit(MAX_LIFT)));
    return lifts
        .groupBy(CATEGORY)
        .agg(map_from_entries(collect_list(struct(col(HOUR_OF_WEEK), col("lift")))).as("m"))
        .select(
            col(CATEGORY),
            expr("transform(sequence(0, 167), h -> cast(element_at(m, h) as float))").as(LIFTS));
  }
}
