package io.crowdrank.batch.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.testing.SparkTestBase;
import io.delta.tables.DeltaTable;
import java.nio.file.Files;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;

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
}
