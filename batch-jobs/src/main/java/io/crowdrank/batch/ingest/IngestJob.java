package io.crowdrank.batch.ingest;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.transform;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Quarantine;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.common.TextLines;
import io.crowdrank.batch.pipeline.StepReport;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raw files to bronze Delta tables. Every line is parsed against its source's declared fields;
 * accepted rows are deduplicated on the source's event key (within the run and against what the
 * table already holds) and land in the partition of their event date, however late they arrive;
 * rejected lines go to the quarantine table with file, byte offset, raw text and reason. Re-running
 * the same input changes nothing.
 */
public final class IngestJob {
  private static final Logger LOG = LoggerFactory.getLogger(IngestJob.class);

  /**
   * @param raw root of the raw sources ({@code <source>/dt=YYYY-MM-DD/})
   * @param warehouse root of the Delta tables
   * @param from first delivery date to read, or null for all
   * @param to last delivery date to read (inclusive), or null for all
   * @param runId identifies this run in the quarantine table
   */
  public record Options(String raw, String warehouse, LocalDate from, LocalDate to, String runId) {
    public Options {
      if (raw == null || warehouse == null || runId == null) {
        throw new IllegalArgumentException("raw, warehouse and runId are required");
      }
      if ((from == null) != (to == null)) {
        throw new IllegalArgumentException("give both from and to, or neither");
      }
      if (from != null && from.isAfter(to)) {
        throw new IllegalArgumentException("from " + from + " is after to " + to);
      }
    }
  }

  /**
   * Per source: lines read = accepted + quarantined; accepted = inserted + duplicates (repeated in
   * this input or already in the table).
   */
  public record SourceResult(
      String source,
      int files,
      long read,
      long accepted,
      long quarantined,
      long inserted,
      long duplicates,
      long tableVersion) {}

  public record Result(Map<String, SourceResult> sources, long quarantineVersion)
      implements StepReport {
    public long totalQuarantined() {
      return sources.values().stream().mapToLong(SourceResult::quarantined).sum();
    }

    /** Ingest reads raw files, not Delta tables. */
    @Override
    public Map<String, Long> inputVersions() {
      return Map.of();
    }

    @Override
    public Map<String, Long> outputVersions() {
      Map<String, Long> out = new LinkedHashMap<>();
      for (RawSource source : RawSource.values()) {
        SourceResult r = sources.get(source.sourceName());
        if (r != null) {
          out.put(source.table(), r.tableVersion());
        }
      }
      out.put(Tables.QUARANTINE, quarantineVersion);
      return out;
    }

    @Override
    public Map<String, Long> counts() {
      Map<String, Long> out = new LinkedHashMap<>();
      sources.forEach(
          (name, r) -> {
            out.put(name + ".files", (long) r.files());
            out.put(name + ".read", r.read());
            out.put(name + ".accepted", r.accepted());
            out.put(name + ".quarantined", r.quarantined());
            out.put(name + ".inserted", r.inserted());
            out.put(name + ".duplicates", r.duplicates());
          });
      return out;
    }

    /** Over every source: what came in, what was set aside, what was new. */
    @Override
    public Map<String, Long> headline() {
      return StepReport.totals(counts(), "read", "quarantined", "inserted");
    }
  }

  private final SparkSession spark;
  private final Options options;

  public IngestJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Result execute() {
    String quarantinePath = Quarantine.path(options.warehouse());
    DeltaTable quarantine = Quarantine.table(spark, options.warehouse());
    Map<String, SourceResult> results = new LinkedHashMap<>();
    for (RawSource source : RawSource.values()) {
      results.put(source.sourceName(), ingest(source, quarantine));
    }
    return new Result(results, Delta.version(spark, quarantinePath));
  }

  private SourceResult ingest(RawSource source, DeltaTable quarantine) {
    long started = System.nanoTime();
    String tablePath = Tables.at(options.warehouse(), source.table());
    DeltaTable table =
        Delta.createIfNotExists(spark, tablePath, bronzeSchema(source), partitioning(source));
    List<String> dirs = inputDirectories(source);
    if (dirs.isEmpty()) {
      LOG.warn("{}: no input folders under {}", source.sourceName(), options.raw());
      return new SourceResult(
          source.sourceName(), 0, 0, 0, 0, 0, 0, Delta.version(spark, tablePath));
    }
    // The one pass over the input: every line parsed and checked, accepted and rejected alike,
    // written once as Parquet; counting, quarantine and MERGE read that, not the raw files.
    Path staging =
        new Path(
            Tables.at(options.warehouse(), Tables.STAGING),
            "ingest-" + options.runId() + "/" + source.sourceName());
    new LineParser(source)
        .parse(TextLines.read(spark, dirs))
        .write()
        .mode("overwrite")
        .parquet(staging.toString());
    long staged = System.nanoTime();
    try {
      Dataset<Row> parsed = spark.read().parquet(staging.toString());
      long read = 0;
      long quarantined = 0;
      for (Row r : parsed.groupBy(col(LineParser.ERROR).isNull()).count().collectAsList()) {
        read += r.getLong(1);
        quarantined += r.getBoolean(0) ? 0 : r.getLong(1);
      }
      if (quarantined > 0) {
        // A MERGE of nothing still runs its jobs and commits an empty version.
        Quarantine.add(
            quarantine,
            parsed
                .filter(col(LineParser.ERROR).isNotNull())
                .withColumnRenamed(LineParser.ERROR, REASON),
            source.sourceName(),
            options.runId());
      }
      long quarantinedAt = System.nanoTime();

      Dataset<Row> accepted =
          parsed.filter(col(LineParser.ERROR).isNull()).drop(LineParser.ERROR, RAW);
      for (Field f : source.fields()) {
        if (f.structField().dataType() instanceof ArrayType) {
          // Checked to hold no null; Parquet forgot that, and the bronze arrays declare it.
          accepted =
              accepted.withColumn(f.name(), transform(col(f.name()), x -> coalesce(x, lit(""))));
        }
      }
      accepted =
          accepted
              .withColumn(EVENT_DATE, to_date(col(source.timeColumn())))
              .withColumn(INGESTED_AT, current_timestamp());
      long acceptedCount = read - quarantined;
      Dataset<Row> unique = latestPerKey(source, accepted);
      long inserted;
      try {
        inserted = merge(source, table, unique);
      } finally {
        unique.unpersist();
      }
      long version = Delta.version(spark, tablePath);
      long done = System.nanoTime();
      LOG.info(
          "{}: read {} lines from {} folders, accepted {}, quarantined {}, inserted {} in {} ms"
              + " (parse and stage {} ms, count and quarantine {} ms, dedup and MERGE {} ms)",
          source.sourceName(),
          read,
          dirs.size(),
          acceptedCount,
          quarantined,
          inserted,
          (done - started) / 1_000_000,
          (staged - started) / 1_000_000,
          (quarantinedAt - staged) / 1_000_000,
          (done - quarantinedAt) / 1_000_000);
      return new SourceResult(
          source.sourceName(),
          dirs.size(),
          read,
          acceptedCount,
          quarantined,
          inserted,
          acceptedCount - inserted,
          version);
    } finally {
      delete(staging.getParent());
    }
  }

  private void delete(Path dir) {
    try {
      dir.getFileSystem(spark.sparkContext().hadoopConfiguration()).delete(dir, true);
    } catch (IOException e) {
      LOG.warn("could not remove the staging folder {}: {}", dir, e.toString());
    }
  }

  /** Above this many repeated keys the ranked subset is joined by a shuffle, not a broadcast. */
  static final long BROADCAST_REPEATED_KEYS = 2_000_000;

  /**
   * One row per event key; for the catalog, the newest state of each mini-program. Persisted, as
   * the caller reads it three times (batch dates, what is new, the MERGE). A key repeats only when
   * a file was sent twice or a record changed (the catalog), so the keys are counted first and only
   * the rows whose key repeats are ranked: a window over every whole row shuffled the batch once
   * more (at 1 M users, 12 M payments).
   */
  static Dataset<Row> latestPerKey(RawSource source, Dataset<Row> accepted) {
    Column[] key = source.key().stream().map(c -> col(c)).toArray(Column[]::new);
    String[] keyNames = source.key().toArray(String[]::new);
    Dataset<Row> repeated =
        accepted
            .groupBy(key)
            .count()
            .filter(col("count").gt(1))
            .drop("count")
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long repeats = repeated.count();
      if (repeats == 0) {
        return accepted.persist(StorageLevel.MEMORY_AND_DISK());
      }
      Dataset<Row> keys = repeats <= BROADCAST_REPEATED_KEYS ? broadcast(repeated) : repeated;
      Dataset<Row> newest =
          accepted
              .join(keys, keyNames, "left_semi")
              .withColumn(
                  "_rank",
                  row_number()
                      .over(
                          Window.partitionBy(key)
                              .orderBy(
                                  col(source.timeColumn()).desc(),
                                  col(SOURCE_FILE).desc(),
                                  col(SOURCE_OFFSET).desc())))
              .filter(col("_rank").equalTo(1))
              .drop("_rank");
      Dataset<Row> unique =
          accepted
              .join(keys, keyNames, "left_anti")
              .unionByName(newest)
              .persist(StorageLevel.MEMORY_AND_DISK());
      unique.count();
      return unique;
    } finally {
      repeated.unpersist();
    }
  }

  private long merge(RawSource source, DeltaTable table, Dataset<Row> rows) {
    return Delta.insertNew(
        table,
        rows,
        source.key(),
        // An event's date follows from its key (same event, same time).
        partitioning(source).contains(EVENT_DATE) ? EVENT_DATE : null,
        // The catalog is a state table: a newer snapshot of a mini-program replaces the older one.
        source == RawSource.CATALOG ? UPDATED_TIME : null);
  }

  private List<String> inputDirectories(RawSource source) {
    Path root = new Path(options.raw(), source.directory());
    try {
      FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(root)) {
        return List.of();
      }
      List<String> dirs = new ArrayList<>();
      for (FileStatus status : fs.listStatus(root)) {
        String name = status.getPath().getName();
        if (!status.isDirectory() || !name.startsWith("dt=")) {
          continue;
        }
        LocalDate day;
        try {
          day = LocalDate.parse(name.substring(3));
        } catch (RuntimeException e) {
          LOG.warn("{}: ignoring folder {} (not dt=YYYY-MM-DD)", source.sourceName(), name);
          continue;
        }
        if (options.from() == null
            || (!day.isBefore(options.from()) && !day.isAfter(options.to()))) {
          dirs.add(status.getPath().toString());
        }
      }
      dirs.sort(null);
      return dirs;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + root, e);
    }
  }

  static StructType bronzeSchema(RawSource source) {
    return source
        .schema()
        .add(SOURCE_FILE, DataTypes.StringType, false)
        .add(SOURCE_OFFSET, DataTypes.LongType, false)
        .add(EVENT_DATE, DataTypes.DateType, true)
        .add(INGESTED_AT, DataTypes.TimestampType, true);
  }

  private static List<String> partitioning(RawSource source) {
    return source == RawSource.PAYMENTS || source == RawSource.SOCIAL
        ? List.of(EVENT_DATE)
        : List.of();
  }
}
