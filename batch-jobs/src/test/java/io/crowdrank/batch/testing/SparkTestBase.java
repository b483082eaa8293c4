package io.crowdrank.batch.testing;

import io.crowdrank.batch.common.Spark;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * One local Spark session per test class (local[2], UI off, loopback), a fresh temp dir per test;
 * the session is stopped and cleared after the class.
 */
public abstract class SparkTestBase {
  protected static SparkSession spark;

  @TempDir protected Path tmp;

  @BeforeAll
  static void startSpark() {
    spark =
        Spark.configure(SparkSession.builder())
            .master("local[2]")
            .appName("crowdrank-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            .config("spark.databricks.delta.snapshotPartitions", "2")
            .config(
                "spark.checkpoint.dir",
                Path.of(System.getProperty("java.io.tmpdir"), "crowdrank-test-checkpoints")
                    .toString())
            .getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
      spark = null;
    }
  }

  protected String warehouse() {
    return tmp.resolve("warehouse").toString();
  }
}
