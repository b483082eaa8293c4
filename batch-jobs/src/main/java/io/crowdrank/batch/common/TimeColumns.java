package io.crowdrank.batch.common;

import static org.apache.spark.sql.functions.dayofweek;
import static org.apache.spark.sql.functions.from_utc_timestamp;
import static org.apache.spark.sql.functions.hour;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;

import org.apache.spark.sql.Column;

/** Time expressions shared by the steps. */
public final class TimeColumns {
  private TimeColumns() {}

  /**
   * Hour of week in the given zone: 0 = Monday 00:00-00:59 ... 167 = Sunday 23:00-23:59, matching
   * {@link io.crowdrank.format.HourOfWeek#of} on the serving side.
   */
  public static Column hourOfWeek(Column utcTimestamp, String zone) {
    Column local = from_utc_timestamp(utcTimestamp, zone);
    // Spark's dayofweek: 1 = Sunday ... 7 = Saturday; shift so Monday = 0.
    return pmod(dayofweek(local).plus(lit(5)), lit(7)).multiply(24).plus(hour(local));
  }
}
