package io.crowdrank.batch.common;

import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.from_utc_timestamp;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.unix_micros;

import org.apache.spark.sql.Column;

/** Time expressions shared by the steps. */
public final class TimeColumns {
  private TimeColumns() {}

  private static final long MICROS_PER_HOUR = 3_600_000_000L;

  /** Hours from Monday 00:00 to Thursday 1970-01-01 00:00, the epoch's weekday. */
  private static final int EPOCH_HOUR_OF_WEEK = 3 * 24;

  /**
   * Hour of week in the given zone: 0 = Monday 00:00-00:59 ... 167 = Sunday 23:00-23:59, matching
   * {@link io.crowdrank.format.HourOfWeek#of} on the serving side ({@code TimeColumnsTest} checks
   * every hour around DST changes). Counted from the local wall clock as epoch micros, so the
   * session's own time zone plays no part ({@code hour()} and {@code dayofweek()} would read it).
   */
  public static Column hourOfWeek(Column utcTimestamp, String zone) {
    Column localHours =
        floor(unix_micros(from_utc_timestamp(utcTimestamp, zone)).divide(MICROS_PER_HOUR));
    return pmod(
            localHours.plus(lit(EPOCH_HOUR_OF_WEEK)),
            lit(io.crowdrank.format.BundleFormat.HOURS_PER_WEEK))
        .cast("int");
  }
}
