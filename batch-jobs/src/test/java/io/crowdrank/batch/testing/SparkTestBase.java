package io.crowdrank.batch.testing;

import io.crowdrank.batch.common.Spark;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * One local Spark session per test JVM (local[2], UI off, loopback, settings for tiny data),
 * started by the first class that needs it and stopped by Spark's shutdown hook; a fresh temp dir
 * per test. A class that changes the session's conf puts it back.
 */
public abstract class SparkTestBase {
  protected static SparkSession spark;

  @TempDir protected Path tmp;

  @BeforeAll
  static void startSpark() {
    spark = Shared.SESSION;
  }

  /** What one class cached is no use to the next. */
  @AfterAll
  static void clearCache() {
    spark.catalog().clearCache();
  }

  protected String warehouse() {
    return tmp.resolve("warehouse").toString();
  }

  private static final class Shared {
    static final SparkSession SESSION = start();

    // Spark's own shutdown hook stops the context when the JVM exits.
    private static SparkSession start() {
      return Spark.configure(SparkSession.builder())
          .master("local[2]")
          .appName("crowdrank-test")
          .config("spark.ui.enabled", "false")
          .config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.sql.shuffle.partitions", "2")
          .config("spark.default.parallelism", "2")
          .config("spark.databricks.delta.snapshotPartitions", "2")
          // Tests run thousands of jobs over a few hundred rows each: compiling every plan costs
          // more than running it interpreted (a fifth of the pipeline tests' time, measured on
          // 2026-12-03). The product keeps Spark's code generation.
          .config("spark.sql.codegen.wholeStage", "false")
          .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
          .config(
              "spark.checkpoint.dir",
              Path.of(System.getProperty("java.io.tmpdir"), "crowdrank-test-checkpoints")
                  .toString())
          .getOrCreate();
    }
  }
}
