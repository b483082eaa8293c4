package io.crowdrank.batch.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.common.Delta;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.MapType;

/** Compares the same table in two warehouses, row for row. */
public final class TableAssertions {
  private TableAssertions() {}

  /**
   * Columns that legitimately differ between two runs over the same data. File and offset say which
   * copy of a line delivered twice was kept: the first to arrive, so it depends on delivery order.
   */
  static final List<String> RUN_SPECIFIC =
      List.of("_ingested_at", "_source_file", "_source_offset", "run_id");

  public static void assertSameRows(SparkSession spark, String a, String b, String table) {
    Dataset<Row> x = comparable(Delta.read(spark, a, table));
    Dataset<Row> y = comparable(Delta.read(spark, b, table));
    assertThat(x.count()).as(table + " row count").isEqualTo(y.count()).isPositive();
    assertThat(x.exceptAll(y).count()).as(table + ": rows only in " + a).isZero();
    assertThat(y.exceptAll(x).count()).as(table + ": rows only in " + b).isZero();
  }

  private static Dataset<Row> comparable(Dataset<Row> t) {
    for (String c : RUN_SPECIFIC) {
      if (List.of(t.columns()).contains(c)) {
        t = t.drop(c);
      }
    }
    // Set operations cannot compare maps; their JSON (entries sorted on write) can be.
    for (var field : t.schema().fields()) {
      if (field.dataType() instanceof MapType) {
        t = t.withColumn(field.name(), functions.to_json(t.col(field.name())));
      }
    }
    return t;
  }
}
