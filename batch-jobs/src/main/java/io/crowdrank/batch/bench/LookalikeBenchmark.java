package io.crowdrank.batch.bench;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.reports.Lookalike;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Lookalikes on a warehouse's ALS vectors, approximate ({@link Lookalike#expand}, what the reports
 * step runs) against exact ({@link Lookalike#exact}, every user against every merchant): the time
 * of each and the recall@N of the approximate answer, for several numbers of reachable users (a
 * seeded sample of the warehouse's; customers and merchant centres stay those of the whole
 * warehouse), so how each grows with the users shows. Writes a Markdown report.
 */
public final class LookalikeBenchmark {

  /**
   * @param users scales: reachable users sampled (all of them if fewer)
   * @param minSeed smallest seed a merchant needs (the reports' privacy k)
   */
  public record Options(
      String warehouse, List<Integer> users, int topN, long minSeed, long seed, Path report) {}

  record Scale(
      long users, long merchants, long exactRows, long exactMillis, long approxMillis, long found) {
    double recall() {
      return exactRows == 0 ? 1 : found / (double) exactRows;
    }
  }

  private final SparkSession spark;
  private final Options options;

  public LookalikeBenchmark(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Path execute() throws IOException {
    Dataset<Row> factors = Delta.read(spark, options.warehouse(), Tables.USER_FACTORS).cache();
    Dataset<Row> profiles = Delta.read(spark, options.warehouse(), Tables.USER_PROFILES);
    Dataset<Row> aipl = Delta.read(spark, options.warehouse(), Tables.USER_AIPL).cache();
    // Reachable users with a vector, in a seeded random order.
    Dataset<Row> reachable =
        profiles
            .filter(col(HAS_SOCIAL))
            .select(USER_ID, HAS_SOCIAL)
            .join(factors.select(USER_ID), USER_ID)
            .orderBy(xxhash64(col(USER_ID), lit(options.seed())), col(USER_ID))
            .cache();
    Lookalike.Options o =
        new Lookalike.Options(
            options.minSeed(), Lookalike.THRESHOLDS.get(6), options.topN(), options.seed());
    List<Scale> scales = new ArrayList<>();
    try {
      for (int users : options.users()) {
        Dataset<Row> sample = reachable.limit(users).cache();
        scales.add(measure(factors, sample, aipl, o));
        sample.unpersist();
        Files.writeString(options.report(), report(scales));
      }
    } finally {
      reachable.unpersist();
      factors.unpersist();
      aipl.unpersist();
    }
    return options.report();
  }

  private static Scale measure(
      Dataset<Row> factors, Dataset<Row> profiles, Dataset<Row> aipl, Lookalike.Options o) {
    long users = profiles.count();
    long t0 = System.nanoTime();
    Dataset<Row> e =
        Lookalike.exact(factors, profiles, aipl, o).persist(StorageLevel.MEMORY_AND_DISK());
    long exactRows = e.count();
    long exactMillis = PipelineBenchmark.millisSince(t0);
    t0 = System.nanoTime();
    Dataset<Row> a =
        Lookalike.expand(factors, profiles, aipl, o).persist(StorageLevel.MEMORY_AND_DISK());
    a.count();
    long approxMillis = PipelineBenchmark.millisSince(t0);
    long found = a.join(e, new String[] {MERCHANT_ID, USER_ID}).count();
    long merchants = e.select(MERCHANT_ID).distinct().count();
    e.unpersist();
    a.unpersist();
    return new Scale(users, merchants, exactRows, exactMillis, approxMillis, found);
  }

  private String report(List<Scale> scales) {
    StringBuilder b = new StringBuilder();
    b.append("<!-- written by ./crowdrank bench-lookalike on ")
        .append(Instant.now())
        .append(" -->\n\n");
    b.append(
        String.format(
            Locale.ROOT,
            "Warehouse %s, top %d per merchant, similarity >= %.1f, seed >= %d customers, %d cores,"
                + " load average %.1f at the end.%n%n",
            options.warehouse(),
            options.topN(),
            Lookalike.THRESHOLDS.get(6),
            options.minSeed(),
            Runtime.getRuntime().availableProcessors(),
            java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage()));
    b.append(
        "| reachable users | merchants | exact lookalikes | exact s | approximate s | speed-up |"
            + " recall@N |\n");
    b.append("|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Scale s : scales) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %,d | %,d | %,d | %.1f | %.1f | %.1f× | %.3f |%n",
              s.users(),
              s.merchants(),
              s.exactRows(),
              s.exactMillis() / 1000.0,
              s.approxMillis() / 1000.0,
              s.exactMillis() / (double) Math.max(1, s.approxMillis()),
              s.recall()));
    }
    return b.toString();
  }
}
