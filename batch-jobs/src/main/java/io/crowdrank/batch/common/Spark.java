package io.crowdrank.batch.common;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** Builds the SparkSession the CLI passes to every step; jobs never create one themselves. */
public final class Spark {
  private Spark() {}

  /**
   * Applies what every crowdrank session needs: Delta's extension and catalog, and UTC as the
   * session time zone (event dates are UTC dates; hour-of-week uses the bundle's zone explicitly).
   */
  public static SparkSession.Builder configure(SparkSession.Builder builder) {
    return builder
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config(
            "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        // Small default so local runs on 2 cores don't schedule 200 tiny tasks per shuffle;
        // adaptive execution still coalesces or splits on a cluster.
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.adaptive.enabled", "true");
  }

  /**
   * The session for a CLI run: the master comes from spark-submit when there is one, otherwise
   * {@code local[*]}.
   */
  public static SparkSession forCli(String appName) {
    SparkConf conf = new SparkConf();
    SparkSession.Builder builder = configure(SparkSession.builder().appName(appName));
    if (!conf.contains("spark.master")) {
      builder
          .master("local[*]")
          .config("spark.driver.host", "127.0.0.1")
          // Delta rebuilds table state with 50 tasks by default: right for big tables on a
          // cluster, pure overhead for one local JVM.
          .config("spark.databricks.delta.snapshotPartitions", "4");
      if (!conf.contains("spark.checkpoint.dir")) {
        // ALS checkpoints every 10 iterations when there is a directory; without one a long fit's
        // lineage overflows the stack when tasks deserialise. On a cluster, set it to shared
        // storage with --conf spark.checkpoint.dir=... (see docs/OPERATIONS.md).
        builder.config(
            "spark.checkpoint.dir",
            java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "crowdrank-checkpoints")
                .toString());
      }
    }
    return builder.getOrCreate();
  }
}
