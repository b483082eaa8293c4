package io.crowdrank.batch.common;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The input tables of a step, pinned to the Delta versions current when the step started. Every
 * read goes through time travel to those versions, so the step sees one consistent state even if
 * another job commits meanwhile, and its result records exactly what it read (and can be reproduced
 * by reading the same versions).
 */
public final class Inputs {
  private final SparkSession spark;
  private final String warehouse;
  private final Map<String, Long> versions;

  private Inputs(SparkSession spark, String warehouse, Map<String, Long> versions) {
    this.spark = spark;
    this.warehouse = warehouse;
    this.versions = Map.copyOf(versions);
  }

  /** Pins the current version of each table; every table must exist. */
  public static Inputs pin(SparkSession spark, String warehouse, List<String> tables) {
    return new Inputs(spark, warehouse, Delta.requireVersions(spark, warehouse, tables));
  }

  /** Reads the given versions (e.g. recorded by an earlier run) instead of the current ones. */
  public static Inputs at(SparkSession spark, String warehouse, Map<String, Long> versions) {
    return new Inputs(spark, warehouse, versions);
  }

  public Dataset<Row> read(String table) {
    Long version = versions.get(table);
    if (version == null) {
      throw new IllegalArgumentException(
          table + " is not among the pinned inputs " + versions.keySet());
    }
    return spark
        .read()
        .format("delta")
        .option("versionAsOf", version)
        .load(Tables.at(warehouse, table));
  }

  /** Table to version, in the order the step declared them. */
  public Map<String, Long> versions() {
    return new java.util.TreeMap<>(versions);
  }

  public SparkSession spark() {
    return spark;
  }

  public String warehouse() {
    return warehouse;
  }
}
