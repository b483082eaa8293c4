package io.crowdrank.batch.common;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.format.HourOfWeek;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class ExpressionsTest extends SparkTestBase {
  @Test
  void hourOfWeekCells_placesEachCountInItsCellAndZeroElsewhere_andSumsAddTheChosenCells() {
    // Monday 00:00 (hour 0), a Wednesday afternoon and the last hour of Sunday (167).
    Map<Integer, Long> counts = Map.of(0, 3L, 61, 5L, 167, 2L);
    StructType schema =
        new StructType()
            .add("m", DataTypes.createMapType(DataTypes.IntegerType, DataTypes.LongType));
    Row row =
        spark
            .createDataFrame(
                List.of(RowFactory.create(scala.jdk.javaapi.CollectionConverters.asScala(counts))),
                schema)
            .select(Expressions.hourOfWeekCells(col("m")).as("cells"))
            .select(
                col("cells"),
                Expressions.hourOfWeekTotal(col("cells")).as("total"),
                // Wednesday 12:00-14:00 (cells 60 and 61) and the weekend (120-167)
                Expressions.sumOfCells(col("cells"), IntStream.of(60, 61)).as("lunch"),
                Expressions.sumOfCells(col("cells"), IntStream.range(120, 168)).as("weekend"))
            .first();

    List<Long> cells = row.getList(0);
    assertThat(cells).hasSize(HourOfWeek.HOURS);
    for (int h = 0; h < HourOfWeek.HOURS; h++) {
      assertThat(cells.get(h)).as("cell %d", h).isEqualTo(counts.getOrDefault(h, 0L));
    }
    assertThat(row.getLong(1)).isEqualTo(10L);
    assertThat(row.getLong(2)).isEqualTo(5L);
    assertThat(row.getLong(3)).isEqualTo(2L);
  }
}
