package io.crowdrank.batch.common;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.format.HourOfWeek;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The batch side's hour of week (a Spark expression) and the serving side's ({@link HourOfWeek})
 * are one definition written twice: they must agree on every hour.
 */
class TimeColumnsTest extends SparkTestBase {
  /** Zones with and without DST, with half-hour offsets and a half-hour DST shift. */
  static final List<String> ZONES =
      List.of(
          "Asia/Shanghai",
          "UTC",
          "America/New_York",
          "Europe/London",
          "Asia/Kolkata",
          "Australia/Lord_Howe",
          "America/St_Johns");

  /**
   * Every hour (and a quarter past and to) over the weeks around this year's DST changes in the
   * northern (March, late October / early November) and southern (April, October) hemispheres.
   */
  static List<Instant> instants() {
    List<Instant> out = new ArrayList<>();
    for (String start :
        List.of(
            "2026-03-05T00:00:00Z",
            "2026-03-26T00:00:00Z",
            "2026-04-02T00:00:00Z",
            "2026-10-01T00:00:00Z",
            "2026-10-22T00:00:00Z",
            "2026-10-29T00:00:00Z")) {
      Instant t = Instant.parse(start);
      for (int h = 0; h < 8 * 24; h++) {
        for (int m : new int[] {0, 15, 45}) {
          out.add(t.plus(Duration.ofHours(h)).plus(Duration.ofMinutes(m)));
        }
      }
    }
    return out;
  }

  /** Whatever the session's own time zone (the jobs set UTC; a caller's session may not). */
  @ParameterizedTest
  @ValueSource(strings = {"UTC", "America/Los_Angeles", "Asia/Kolkata"})
  void hourOfWeek_agreesWithTheServingSideForEveryHourInEveryZone(String sessionZone) {
    String before = spark.conf().get("spark.sql.session.timeZone");
    spark.conf().set("spark.sql.session.timeZone", sessionZone);
    try {
      List<Instant> instants = instants();
      Dataset<Row> times =
          spark.createDataFrame(
              instants.stream().map(t -> RowFactory.create(Timestamp.from(t))).toList(),
              new StructType().add("t", DataTypes.TimestampType, false));
      for (String zone : ZONES) {
        List<Row> rows =
            times.select(col("t"), TimeColumns.hourOfWeek(col("t"), zone).as("h")).collectAsList();
        assertThat(rows).hasSize(instants.size());
        for (Row r : rows) {
          Instant t = r.getTimestamp(0).toInstant();
          assertThat(((Number) r.get(1)).intValue())
              .as("%s in %s (session %s)", t, zone, sessionZone)
              .isEqualTo(HourOfWeek.of(t, ZoneId.of(zone)));
        }
      }
    } finally {
      spark.conf().set("spark.sql.session.timeZone", before);
    }
  }
}
