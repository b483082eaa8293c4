package io.crowdrank.batch.common;

import io.delta.tables.DeltaTable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** Small helpers over Delta tables addressed by path. */
public final class Delta {
  private Delta() {}

  public static boolean exists(SparkSession spark, String path) {
    return DeltaTable.isDeltaTable(spark, path);
  }

  /** Creates an empty table with this schema and partitioning unless one exists already. */
  public static DeltaTable createIfNotExists(
      SparkSession spark, String path, StructType schema, List<String> partitionColumns) {
    var builder = DeltaTable.createIfNotExists(spark).location(path).addColumns(schema);
    if (!partitionColumns.isEmpty()) {
      builder = builder.partitionedBy(partitionColumns.toArray(String[]::new));
    }
    return builder.execute();
  }

  /** The table's current version, or -1 if there is no table. */
  public static long version(SparkSession spark, String path) {
    if (!exists(spark, path)) {
      return -1;
    }
    return DeltaTable.forPath(spark, path).history(1).select("version").first().getLong(0);
  }

  /** Current versions of the given tables under a warehouse, in order; -1 for a missing one. */
  public static Map<String, Long> versions(
      SparkSession spark, String warehouse, List<String> tables) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String t : tables) {
      out.put(t, version(spark, Tables.at(warehouse, t)));
    }
    return out;
  }

  /** Like {@link #versions}, but every table must exist. */
  public static Map<String, Long> requireVersions(
      SparkSession spark, String warehouse, List<String> tables) {
    Map<String, Long> out = versions(spark, warehouse, tables);
    out.forEach(
        (t, v) -> {
          if (v < 0) {
            throw new IllegalStateException(
                "missing table " + Tables.at(warehouse, t) + ": run the earlier steps first");
          }
        });
    return out;
  }

  /** Replaces a table (or creates it) with these rows in one commit, schema included. */
  public static void overwrite(Dataset<Row> rows, String path) {
    rows.write().format("delta").mode("overwrite").option("overwriteSchema", "true").save(path);
  }

  /**
   * As {@link #overwrite(Dataset, String)}, the table partitioned by these columns, each partition
   * written by one task (one file per partition value).
   */
  public static void overwrite(Dataset<Row> rows, String path, String... partitionColumns) {
    rows.repartition(
            java.util.Arrays.stream(partitionColumns)
                .map(org.apache.spark.sql.functions::col)
                .toArray(org.apache.spark.sql.Column[]::new))
        .write()
        .format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .partitionBy(partitionColumns)
        .save(path);
  }

  /**
   * Appends rows to a table (or creates it) in one commit; columns added since the table was
   * created are added to it, so a record table keeps its history across versions.
   */
  public static void append(Dataset<Row> rows, String path) {
    rows.write().format("delta").mode("append").option("mergeSchema", "true").save(path);
  }

  /** Reads a table of the warehouse. */
  public static Dataset<Row> read(SparkSession spark, String warehouse, String table) {
    return spark.read().format("delta").load(Tables.at(warehouse, table));
  }

  /** Operation metrics of the table's last commit (e.g. numTargetRowsInserted for a MERGE). */
  public static Map<String, String> lastOperationMetrics(SparkSession spark, String path) {
    Row last = DeltaTable.forPath(spark, path).history(1).select("operationMetrics").first();
    Map<String, String> metrics = last.getJavaMap(0);
    return metrics == null ? Map.of() : metrics;
  }

  public static long metric(Map<String, String> metrics, String name) {
    String v = metrics.get(name);
    return v == null ? 0 : Long.parseLong(v);
  }
}
