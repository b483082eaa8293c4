package io.crowdrank.batch.reports;

import static io.crowdrank.batch.common.Columns.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.format.HourOfWeek;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class HeatTest extends SparkTestBase {
  private static final StructType MEMBERS =
      new StructType()
          .add(MERCHANT_ID, DataTypes.StringType)
          .add(SEGMENT_ID, DataTypes.StringType)
          .add(HOUR_OF_WEEK_ACTIVITY, DataTypes.createArrayType(DataTypes.LongType, false));

  private static Row member(String merchant, String segment, Map<Integer, Long> cells) {
    List<Long> hours = new ArrayList<>();
    for (int h = 0; h < HourOfWeek.HOURS; h++) {
      hours.add(cells.getOrDefault(h, 0L));
    }
    return RowFactory.create(merchant, segment, hours);
  }

  @Test
  void heat_sumsEachMembersShareOfActivityPerHour_andSkipsInactiveMembers() {
    List<Row> rows =
        List.of(
            // 3 at hour 0, 1 at hour 167: shares 0.75 and 0.25
            member("m1", "s1", Map.of(0, 3L, 167, 1L)),
            // all 5 at hour 0: share 1
            member("m1", "s1", Map.of(0, 5L)),
            // 2 and 2: 0.5 each, in another segment
            member("m1", "s2", Map.of(10, 2L, 20, 2L)),
            // no activity: in no hour
            member("m1", "s2", Map.of()));

    Map<String, Double> got = new TreeMap<>();
    long s2Rows = 0;
    for (Row r : ReportsJob.heat(spark.createDataFrame(rows, MEMBERS)).collectAsList()) {
      s2Rows += r.getString(1).equals("s2") ? 1 : 0;
      double v = r.getDouble(r.fieldIndex("v"));
      if (v != 0) {
        got.put(r.getString(0) + "/" + r.getString(1) + "/" + r.getInt(r.fieldIndex("h")), v);
      }
    }

    assertThat(got).containsOnlyKeys("m1/s1/0", "m1/s1/167", "m1/s2/10", "m1/s2/20");
    assertThat(got.get("m1/s1/0")).isCloseTo(1.75, within(1e-12));
    assertThat(got.get("m1/s1/167")).isCloseTo(0.25, within(1e-12));
    assertThat(got.get("m1/s2/10")).isCloseTo(0.5, within(1e-12));
    assertThat(got.get("m1/s2/20")).isCloseTo(0.5, within(1e-12));
    // The inactive member adds no row of zeros either: s2 has the active member's 168 hours only.
    assertThat(s2Rows).isEqualTo(HourOfWeek.HOURS);
  }
}
