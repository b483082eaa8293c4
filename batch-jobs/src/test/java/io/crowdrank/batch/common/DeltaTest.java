package io.crowdrank.batch.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.testing.SparkTestBase;
import io.delta.tables.DeltaTable;
import java.nio.file.Files;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.delta.actions.CommitInfo;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.OptionConverters;

class DeltaTest extends SparkTestBase {
  @Test
  void version_isTheNumberOfTheLastCommit_pastACheckpoint_andMinusOneWithoutATable()
      throws Exception {
    String path = tmp.resolve("t").toString();
    assertThat(Delta.version(spark, path)).as("no folder").isEqualTo(-1);
    Files.createDirectories(tmp.resolve("t"));
    assertThat(Delta.version(spark, path)).as("a folder, no log").isEqualTo(-1);

    // Commit 0 creates the table; Delta writes a checkpoint at commit 10 by default.
    for (int commit = 0; commit < 12; commit++) {
      spark
          .range(3)
          .withColumn("c", functions.lit(commit))
          .write()
          .format("delta")
          .mode("append")
          .save(path);
      assertThat(Delta.version(spark, path)).isEqualTo(commit);
    }
    try (var log = Files.list(tmp.resolve("t/_delta_log"))) {
      assertThat(log).anyMatch(f -> f.getFileName().toString().endsWith(".checkpoint.parquet"));
    }
    // The same as the history's newest entry, as the public API reports it.
    assertThat(Delta.version(spark, path))
        .isEqualTo(DeltaTable.forPath(spark, path).history(1).first().<Long>getAs("version"));
  }

  @Test
  void commitInfo_ofEachVersion_isWhatTheHistoryShows_andEmptyOutsideTheLog() {
    String path = tmp.resolve("t").toString();
    for (int commit = 0; commit < 12; commit++) {
      spark
          .range(commit + 1)
          .write()
          .format("delta")
          .mode("append")
          .option("userMetadata", "commit " + commit)
          .save(path);
    }
    for (Row h : DeltaTable.forPath(spark, path).history().collectAsList()) {
      long version = h.getAs("version");
      CommitInfo info = Delta.commitInfo(spark, path, version).orElseThrow();
      assertThat(OptionConverters.toJava(info.userMetadata()))
          .contains("commit " + version)
          .contains(h.<String>getAs("userMetadata"));
      assertThat(CollectionConverters.asJava(info.operationMetrics().get()))
          .isEqualTo(h.getJavaMap(h.fieldIndex("operationMetrics")))
          .containsEntry("numOutputRows", String.valueOf(version + 1));
    }
    assertThat(Delta.lastOperationMetrics(spark, path)).containsEntry("numOutputRows", "12");
    assertThat(Delta.commitInfo(spark, path, -1)).isEmpty();
    assertThat(Delta.commitInfo(spark, path, 12)).isEmpty();
    assertThat(Delta.commitInfo(spark, tmp.resolve("none").toString(), 0)).isEmpty();
  }
}
