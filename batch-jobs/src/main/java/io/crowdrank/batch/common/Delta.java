package io.crowdrank.batch.common;

import static org.apache.spark.sql.functions.expr;

import io.delta.tables.DeltaTable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.actions.Action;
import org.apache.spark.sql.delta.actions.CommitInfo;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.OptionConverters;

/** Small helpers over Delta tables addressed by path. */
public final class Delta {
  private Delta() {}

  public static boolean exists(SparkSession spark, String path) {
    return DeltaTable.isDeltaTable(spark, path);
  }

  /**
   * Whether a version of a table can still be read whole: its log replays and every data file it
   * names is there (a vacuum removes the files of versions past its retention).
   */
  public static boolean readable(SparkSession spark, String path, long version) {
    if (version < 0 || version > version(spark, path)) {
      return false;
    }
    try {
      String[] files =
          spark.read().format("delta").option("versionAsOf", version).load(path).inputFiles();
      org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(path);
      org.apache.hadoop.fs.FileSystem fs =
          root.getFileSystem(spark.sparkContext().hadoopConfiguration());
      for (String f : files) {
        if (!fs.exists(new org.apache.hadoop.fs.Path(f))) {
          return false;
        }
      }
      return true;
    } catch (java.io.IOException | RuntimeException e) {
      // Log entries cleaned up, or a checkpoint missing: not readable at that version.
      return false;
    }
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
    // The newest snapshot's version, found by listing the log (-1 where there is none).
    // DeltaTable.history(1) read the last commit's info with a Spark job and a query over it,
    // once for each of the hundreds of calls a run makes: 12 % of the driver's samples over the
    // test DAG.
    return DeltaLog.forTableWithSnapshot(spark, path)._2().version();
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

  /** Operation metrics of the table's last commit (e.g. numRemovedFiles for an OPTIMIZE). */
  public static Map<String, String> lastOperationMetrics(SparkSession spark, String path) {
    return newestCommitInfo(spark, path)
        .flatMap(c -> OptionConverters.toJava(c.operationMetrics()))
        .<Map<String, String>>map(CollectionConverters::asJava)
        .orElse(Map.of());
  }

  /**
   * The commit info of one version of a table, read from that version's log file on the driver;
   * empty if there is no such version or its entry has been cleaned up. The public history() read
   * it with a Spark job and a query over every commit it lists.
   */
  public static Optional<CommitInfo> commitInfo(SparkSession spark, String path, long version) {
    var logAndSnapshot = DeltaLog.forTableWithSnapshot(spark, path);
    if (version > logAndSnapshot._2().version()) {
      return Optional.empty();
    }
    return commitInfo(logAndSnapshot._1(), version);
  }

  /** As {@link #commitInfo(SparkSession, String, long)} for the newest version, one log listing. */
  public static Optional<CommitInfo> newestCommitInfo(SparkSession spark, String path) {
    var logAndSnapshot = DeltaLog.forTableWithSnapshot(spark, path);
    return commitInfo(logAndSnapshot._1(), logAndSnapshot._2().version());
  }

  /** The commit info of a version the log is known to reach (none below 0). */
  private static Optional<CommitInfo> commitInfo(DeltaLog log, long version) {
    if (version < 0) {
      return Optional.empty();
    }
    var changes = log.getChanges(version, version, scala.Option.empty(), false);
    while (changes.hasNext()) {
      var commit = changes.next();
      if ((long) commit._1() != version) {
        continue;
      }
      for (Action action : CollectionConverters.asJava(commit._2())) {
        if (action instanceof CommitInfo info) {
          return Optional.of(info);
        }
      }
    }
    return Optional.empty();
  }

  public static long metric(Map<String, String> metrics, String name) {
    String v = metrics.get(name);
    return v == null ? 0 : Long.parseLong(v);
  }

  /**
   * Inserts the rows whose key the table does not hold yet; a row whose key it holds is a
   * duplicate, unless {@code newerColumn} is given and the row is newer by it, which then replaces
   * the held one. Nothing new commits nothing (an empty MERGE would still commit a version, and
   * every later step would see a "changed" input).
   *
   * @param dateColumn when the key decides this partition column (same event, same date), only the
   *     partitions of the rows' dates are looked at: a daily run reads days, not the history; null
   *     to look at the whole table
   * @param newerColumn null: rows already held are never updated
   * @return rows inserted or updated
   */
  public static long insertNew(
      DeltaTable table,
      Dataset<Row> rows,
      List<String> key,
      String dateColumn,
      String newerColumn) {
    String on =
        key.stream()
            .map(c -> "t." + c + " = s." + c)
            .collect(java.util.stream.Collectors.joining(" AND "));
    Dataset<Row> target = table.toDF();
    if (dateColumn != null) {
      String dates =
          rows.select(dateColumn).distinct().collectAsList().stream()
              .map(r -> "DATE'" + r.get(0) + "'")
              .sorted()
              .collect(java.util.stream.Collectors.joining(", "));
      if (dates.isEmpty()) {
        return 0;
      }
      on += " AND t." + dateColumn + " = s." + dateColumn;
      on += " AND t." + dateColumn + " IN (" + dates + ")";
      target = target.where(dateColumn + " IN (" + dates + ")");
    }
    target = target.as("t");
    Dataset<Row> changes = rows.as("s").join(target, expr(on), "left_anti");
    String newer = newerColumn == null ? null : " AND s." + newerColumn + " > t." + newerColumn;
    if (newer != null) {
      changes = changes.unionByName(rows.as("s").join(target, expr(on + newer), "left_semi"));
    }
    if (changes.isEmpty()) {
      return 0;
    }
    var merge = table.as("t").merge(changes.as("s"), on);
    if (newer != null) {
      merge = merge.whenMatched(newer.substring(" AND ".length())).updateAll();
    }
    Row counts = merge.whenNotMatched().insertAll().execute().first();
    return counts.<Long>getAs("num_inserted_rows") + counts.<Long>getAs("num_updated_rows");
  }
}
