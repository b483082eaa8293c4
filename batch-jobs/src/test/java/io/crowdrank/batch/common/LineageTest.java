package io.crowdrank.batch.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.testing.SparkTestBase;
import io.delta.tables.DeltaTable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class LineageTest extends SparkTestBase {
  private void commits(String path, String step, int n) {
    for (int i = 0; i < n; i++) {
      int v = i;
      Lineage.committing(
          spark,
          Lineage.record(step, Map.of("in", (long) v), Map.of(), Map.of()),
          () ->
              spark
                  .range(3)
                  .write()
                  .format("delta")
                  .mode(v == 0 ? "overwrite" : "append")
                  .save(path));
    }
  }

  @Test
  void committing_twoStepsSharingASession_eachCommitCarriesItsOwnLineage() throws Exception {
    String a = tmp.resolve("a").toString();
    String b = tmp.resolve("b").toString();
    ExecutorService two = Executors.newFixedThreadPool(2);
    try {
      Future<?> fa = two.submit(() -> commits(a, "step-a", 4));
      Future<?> fb = two.submit(() -> commits(b, "step-b", 4));
      fa.get();
      fb.get();
    } finally {
      two.shutdown();
    }
    for (var table : Map.of(a, "step-a", b, "step-b").entrySet()) {
      List<Row> history =
          DeltaTable.forPath(spark, table.getKey())
              .history()
              .select("userMetadata")
              .collectAsList();
      assertThat(history).hasSize(4);
      for (Row r : history) {
        assertThat(Json.readObject(r.getString(0))).containsEntry(Lineage.STEP, table.getValue());
      }
    }
    assertThat(spark.conf().getOption("spark.databricks.delta.commitInfo.userMetadata").isDefined())
        .isFalse();
  }
}
