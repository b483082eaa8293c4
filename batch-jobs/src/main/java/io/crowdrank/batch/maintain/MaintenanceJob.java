package io.crowdrank.batch.maintain;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.evaluate.ServedBundle;
import io.crowdrank.batch.pipeline.RunLog;
import io.crowdrank.batch.pipeline.StepReport;
import io.delta.tables.DeltaTable;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delta upkeep: OPTIMIZE compacts the small files that daily MERGEs leave behind, Z-ordered on the
 * key each table is looked up by; VACUUM then deletes files no version within the retention needs.
 * The retention is also how far back time travel (and a bundle rollback) can go, so it never goes
 * below Delta's safe default of 7 days.
 */
public final class MaintenanceJob {
  private static final Logger LOG = LoggerFactory.getLogger(MaintenanceJob.class);

  /** Each table with the column its readers look rows up by (null: compaction only). */
  static final Map<String, String> Z_ORDER = zOrder();

  private static Map<String, String> zOrder() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(Tables.PAYMENTS, "payer_account");
    m.put(Tables.SOCIAL, "social_account");
    m.put(Tables.ACCOUNT_LINKS, "payment_account");
    m.put(Tables.CATALOG, "mini_program_id");
    m.put(Tables.QUARANTINE, null);
    m.put(Tables.IDENTITY_MAP, "account_id");
    m.put(Tables.USER_PROFILES, "user_id");
    m.put(Tables.USER_AIPL, "user_id");
    m.put(Tables.RUNS, null);
    return m;
  }

  /** Delta refuses shorter retention unless its safety check is turned off; we never do that. */
  public static final int MIN_RETENTION_HOURS = 168;

  /**
   * @param warehouse root of the Delta tables
   * @param retentionHours keep files needed by any version younger than this (&ge; 168)
   * @param tables the tables to maintain; empty for all of them
   */
  public record Options(String warehouse, int retentionHours, List<String> tables) {
    public Options {
      tables = List.copyOf(tables);
      for (String t : tables) {
        if (!Z_ORDER.containsKey(t) && !t.equals(Tables.BUNDLE)) {
          throw new IllegalArgumentException("not a crowdrank table: " + t);
        }
      }
      if (warehouse == null) {
        throw new IllegalArgumentException("warehouse is required");
      }
      if (retentionHours < MIN_RETENTION_HOURS) {
        throw new IllegalArgumentException(
            "retention must be at least "
                + MIN_RETENTION_HOURS
                + " hours (7 days), got "
                + retentionHours);
      }
    }
  }

  public record Result(Map<String, Long> outputVersions, Map<String, Long> counts)
      implements StepReport {
    @Override
    public Map<String, Long> inputVersions() {
      return Map.of();
    }

    /** Over every table: the files compaction wrote and replaced. */
    @Override
    public Map<String, Long> headline() {
      return StepReport.totals(counts, "files_added", "files_removed");
    }
  }

  private final SparkSession spark;
  private final Options options;

  public MaintenanceJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Result execute() {
    Map<String, Long> versions = new LinkedHashMap<>();
    Map<String, Long> counts = new LinkedHashMap<>();
    for (var e : Z_ORDER.entrySet()) {
      String table = e.getKey();
      String path = Tables.at(options.warehouse(), table);
      if (!selected(table) || !Delta.exists(spark, path)) {
        continue;
      }
      DeltaTable delta = DeltaTable.forPath(spark, path);
      long before = Delta.version(spark, path);
      if (e.getValue() == null) {
        delta.optimize().executeCompaction();
      } else {
        delta.optimize().executeZOrderBy(e.getValue());
      }
      // Nothing to compact commits nothing; then the last commit's metrics are not ours.
      Map<String, String> optimized =
          Delta.version(spark, path) == before ? Map.of() : Delta.lastOperationMetrics(spark, path);
      counts.put(table + ".files_added", Delta.metric(optimized, "numAddedFiles"));
      counts.put(table + ".files_removed", Delta.metric(optimized, "numRemovedFiles"));
      vacuum(path);
      versions.put(table, Delta.version(spark, path));
      LOG.info(
          "{}: optimized (files added {}, removed {}), vacuumed files older than {} h",
          table,
          optimized.getOrDefault("numAddedFiles", "0"),
          optimized.getOrDefault("numRemovedFiles", "0"),
          options.retentionHours());
    }
    // What the bundle's vacuum now deletes, and the run logs that go: older than this.
    Instant cutoff = Instant.now().minus(Duration.ofHours(options.retentionHours()));
    // The bundle is small and rewritten whole; only vacuum it, which bounds how far rollback goes.
    String bundle = Tables.at(options.warehouse(), Tables.BUNDLE);
    if (selected(Tables.BUNDLE) && Delta.exists(spark, bundle)) {
      Set<Long> pinned =
          ServedBundle.current(spark, options.warehouse())
              .map(b -> b.experiments().bundleVersions())
              .orElse(java.util.Collections.emptySortedSet());
      Set<Long> lost = pinned.isEmpty() ? Set.of() : endangered(pinned, replacedAt(bundle), cutoff);
      if (lost.isEmpty()) {
        vacuum(bundle);
      } else {
        // A vacuum would delete the files of a version a running variant ranks on: the service
        // could no longer load it, and every publish would be refused until the experiment ends.
        LOG.warn(
            "{}: not vacuumed: the served bundle's experiments rank on versions {}, whose files"
                + " are older than the retention ({} h); end those experiments (publish with"
                + " another --experiments file) and the next maintain vacuums it",
            Tables.BUNDLE,
            lost,
            options.retentionHours());
      }
      counts.put(Tables.BUNDLE + ".vacuum_skipped", lost.isEmpty() ? 0L : 1L);
      versions.put(Tables.BUNDLE, Delta.version(spark, bundle));
    }
    // Run logs (Spark's detail per run) would otherwise grow with every run; their records stay.
    try {
      counts.put("_logs.removed", (long) RunLog.prune(options.warehouse(), cutoff));
    } catch (java.io.IOException e) {
      LOG.warn("could not remove old run logs: {}", e.toString());
    }
    return new Result(versions, counts);
  }

  /** By version, when the version after it was committed (the newest has none). */
  private Map<Long, Instant> replacedAt(String bundle) {
    Map<Long, Instant> out = new HashMap<>();
    for (Row r :
        DeltaTable.forPath(spark, bundle)
            .history()
            .select("version", "timestamp")
            .collectAsList()) {
      out.put(r.getLong(0) - 1, r.getTimestamp(1).toInstant());
    }
    return out;
  }

  /**
   * The pinned versions a vacuum now would make unreadable: the bundle is overwritten whole, so a
   * version's files become removable when the next version replaced them, once that is older than
   * the retention.
   *
   * @param replacedAt by version, when the version after it was committed (the newest has none)
   * @param cutoff now minus the retention
   */
  static Set<Long> endangered(Set<Long> pinned, Map<Long, Instant> replacedAt, Instant cutoff) {
    Set<Long> out = new java.util.TreeSet<>();
    for (long v : pinned) {
      Instant replaced = replacedAt.get(v);
      if (replaced != null && replaced.isBefore(cutoff)) {
        out.add(v);
      }
    }
    return out;
  }

  private boolean selected(String table) {
    return options.tables().isEmpty() || options.tables().contains(table);
  }

  /**
   * Delta 4 takes VACUUM's retention from the table property, not from the call, so the property is
   * set (once; it is kept) before vacuuming.
   */
  private void vacuum(String path) {
    String wanted = "interval " + options.retentionHours() + " hours";
    String property = "delta.deletedFileRetentionDuration";
    DeltaTable delta = DeltaTable.forPath(spark, path);
    Object current = delta.detail().select("properties").first().getJavaMap(0).get(property);
    if (!wanted.equals(current)) {
      spark.sql(
          "ALTER TABLE delta.`"
              + path
              + "` SET TBLPROPERTIES ('"
              + property
              + "' = '"
              + wanted
              + "')");
    }
    delta.vacuum();
  }
}
