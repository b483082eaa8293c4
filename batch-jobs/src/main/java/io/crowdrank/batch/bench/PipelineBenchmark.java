package io.crowdrank.batch.bench;

import static org.apache.spark.sql.functions.col;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.evaluate.EvaluateJob;
import io.crowdrank.batch.evaluate.Evaluation;
import io.crowdrank.batch.generate.DemoDataGenerator;
import io.crowdrank.batch.generate.DemoDataGenerator.Result;
import io.crowdrank.batch.ingest.LineParser;
import io.crowdrank.batch.ingest.RawSource;
import io.crowdrank.batch.pipeline.Pipeline;
import io.crowdrank.batch.pipeline.StepReport;
import io.crowdrank.batch.publish.PublishJob;
import io.crowdrank.batch.reports.Lookalike;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.HourOfWeek;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * Times the whole DAG at several data scales on this machine and writes a Markdown report: rows per
 * second per core for each step, peak memory, and the I/O floor — the time Spark needs just to read
 * the same raw input and write it back as Parquet — so the overhead over that floor shows. Each
 * scale runs in a fresh directory; generation is timed separately and not counted.
 */
public final class PipelineBenchmark {

  /**
   * @param steps the steps to time, in order (the DAG by default; a prefix such as ingest alone
   *     when working on one step)
   * @param reuseRaw keep the raw files a previous run generated in the same folder (the generator
   *     is seeded, so they are the same data) and start from an empty warehouse
   */
  public record Options(
      Path work,
      List<Integer> scales,
      int days,
      Path report,
      List<Pipeline.Step> steps,
      boolean reuseRaw) {}

  record StepTiming(String step, long rows, long millis) {}

  /**
   * @param floorMillis Spark reading the raw files as text and writing them as Parquet
   * @param parseMillis the same with Spark's parser for each source ({@link LineParser#parser}) and
   *     no checks: the cheapest correct parse
   * @param evaluation what the evaluate step worked on and where its time went; null if it did not
   *     run
   */
  record ScaleResult(
      int users,
      int miniPrograms,
      long rawLines,
      long rawBytes,
      long generateMillis,
      long floorMillis,
      long parseMillis,
      List<StepTiming> steps,
      Evaluation.Result evaluation,
      long peakRssMb,
      long peakHeapMb) {}

  private final SparkSession spark;
  private final Options options;

  public PipelineBenchmark(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Path execute() throws IOException {
    List<ScaleResult> results = new ArrayList<>();
    for (int users : options.scales()) {
      results.add(runScale(users));
      Files.writeString(options.report(), report(results));
    }
    return options.report();
  }

  private ScaleResult runScale(int users) throws IOException {
    Path dir = options.work().resolve("scale-" + users);
    int miniPrograms = Math.max(1_000, users / 100);
    DemoDataGenerator.Options generate =
        DemoDataGenerator.Options.defaults(dir.resolve("raw"))
            .withUsers(users)
            .withMiniPrograms(miniPrograms)
            .withDays(options.days());
    long t0 = System.nanoTime();
    var earlier =
        options.reuseRaw() ? DemoDataGenerator.existing(generate) : Optional.<Result>empty();
    Result g;
    if (earlier.isPresent()) {
      deleteRecursively(dir.resolve("warehouse"));
      g = earlier.get();
    } else {
      deleteRecursively(dir);
      g = DemoDataGenerator.generate(generate);
    }
    long generateMillis = millisSince(t0);
    long rawLines =
        g.payments().lines() + g.social().lines() + g.links().lines() + g.catalog().lines();
    long rawBytes = sizeOf(dir.resolve("raw")) - sizeOf(dir.resolve("raw/_truth"));
    String warehouse = dir.resolve("warehouse").toString();

    resetPeaks();
    List<StepTiming> steps = new ArrayList<>();
    Evaluation.Result evaluation = null;
    Pipeline.Options o =
        new Pipeline.Options(
            dir.resolve("raw").toString(),
            warehouse,
            null,
            null,
            null,
            "bench-" + users,
            "benchmark-salt",
            TrainJob.Params.defaults(),
            14,
            HourOfWeek.DEFAULT_ZONE,
            168,
            Evaluation.defaults(),
            8,
            PublishJob.DEFAULT_GATE_TOLERANCE,
            false,
            g.targeting(),
            null,
            50,
            Lookalike.DEFAULT_TOP_N,
            null);
    for (Pipeline.StepResult r : new Pipeline(spark, o).run(options.steps()).steps()) {
      steps.add(
          new StepTiming(
              r.step().id(), rowsOf(r.step(), r.result(), rawLines, warehouse), r.millis()));
      if (r.result() instanceof EvaluateJob.Result e) {
        evaluation = e.evaluation();
      }
    }
    long floor = ioFloor(dir);
    long parse = parseFloor(dir);
    return new ScaleResult(
        users,
        miniPrograms,
        rawLines,
        rawBytes,
        generateMillis,
        floor,
        parse,
        steps,
        evaluation,
        peakRssMb(),
        peakHeapMb());
  }

  /** The rows a step works through, so rows/s compares across steps and scales. */
  private long rowsOf(Pipeline.Step step, StepReport r, long rawLines, String warehouse) {
    Map<String, Long> c = r.counts();
    return switch (step) {
      case INGEST -> rawLines;
      case IDENTITY -> c.get("payment_accounts") + c.get("social_accounts");
      case PROFILES ->
          Delta.read(spark, warehouse, Tables.PAYMENTS).count()
              + Delta.read(spark, warehouse, Tables.SOCIAL).count();
      case SEGMENTS -> Delta.read(spark, warehouse, Tables.USER_PROFILES).count();
      case TRAIN -> c.get("interactions");
      case REPORTS -> Delta.read(spark, warehouse, Tables.USER_PROFILES).count();
      case PUBLISH -> c.get("items") + c.get("users");
      case EVALUATE -> c.get("train_pairs");
      case EVENTS -> c.get("read");
      case EXPERIMENTS -> c.get("rows");
      case TUNE, MAINTAIN -> 0;
    };
  }

  /** Read the same raw files as text and write them back as Parquet: the floor under ingest. */
  private long ioFloor(Path dir) {
    String[] inputs =
        Arrays.stream(RawSource.values())
            .flatMap(s -> rawFolders(dir, s).stream())
            .toArray(String[]::new);
    long t0 = System.nanoTime();
    spark.read().text(inputs).write().mode("overwrite").parquet(dir.resolve("io-floor").toString());
    return millisSince(t0);
  }

  /**
   * Each source's files through Spark's own parser for it, every field as text, written as Parquet:
   * what ingest cannot do without, with none of its checks, dedup or MERGE.
   */
  private long parseFloor(Path dir) {
    long t0 = System.nanoTime();
    for (RawSource s : RawSource.values()) {
      spark
          .read()
          .text(rawFolders(dir, s).toArray(String[]::new))
          .select(LineParser.parser(s, col("value")).as("p"))
          .select("p.*")
          .write()
          .mode("overwrite")
          .parquet(dir.resolve("parse-floor").resolve(s.sourceName()).toString());
    }
    return millisSince(t0);
  }

  /**
   * The day folders of a source, listed here: a glob would make Spark look for a streaming sink's
   * metadata under it and log a stack trace per source.
   */
  private static List<String> rawFolders(Path dir, RawSource source) {
    try (Stream<Path> days = Files.list(dir.resolve("raw").resolve(source.directory()))) {
      return days.filter(d -> d.getFileName().toString().startsWith("dt="))
          .map(Path::toString)
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the raw files of " + source.sourceName(), e);
    }
  }

  static String report(List<ScaleResult> results) {
    int cores = Runtime.getRuntime().availableProcessors();
    StringBuilder b = new StringBuilder();
    b.append("<!-- written by ./crowdrank bench pipeline on ")
        .append(Instant.now())
        .append(" -->\n\n");
    b.append(
        String.format(
            Locale.ROOT,
            "Machine: %d cores, max heap %d MB, Java %s, Spark local[*].%n%n",
            cores,
            Runtime.getRuntime().maxMemory() >> 20,
            System.getProperty("java.version")));
    b.append(
        "| users | mini-programs | raw lines | raw MB | step | rows | seconds | rows/s/core |\n");
    b.append("|---:|---:|---:|---:|---|---:|---:|---:|\n");
    for (ScaleResult r : results) {
      for (StepTiming s : r.steps()) {
        b.append(
            String.format(
                Locale.ROOT,
                "| %,d | %,d | %,d | %,d | %s | %,d | %.1f | %,.0f |%n",
                r.users(),
                r.miniPrograms(),
                r.rawLines(),
                r.rawBytes() >> 20,
                s.step(),
                s.rows(),
                s.millis() / 1000.0,
                s.rows() / Math.max(0.001, s.millis() / 1000.0) / cores));
      }
    }
    b.append(
        "\n| users | DAG seconds | I/O floor seconds | parse floor seconds | ingest / I/O floor"
            + " | ingest / parse floor | peak RSS MB | peak heap MB | generate seconds |\n");
    b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (ScaleResult r : results) {
      long total = r.steps().stream().mapToLong(StepTiming::millis).sum();
      double ingest =
          r.steps().stream()
              .filter(s -> s.step().equals(Pipeline.Step.INGEST.id()))
              .mapToDouble(StepTiming::millis)
              .findFirst()
              .orElse(Double.NaN);
      b.append(
          String.format(
              Locale.ROOT,
              "| %,d | %.1f | %.1f | %.1f | %.1f× | %.1f× | %,d | %,d | %.1f |%n",
              r.users(),
              total / 1000.0,
              r.floorMillis() / 1000.0,
              r.parseMillis() / 1000.0,
              ingest / Math.max(1, r.floorMillis()),
              ingest / Math.max(1, r.parseMillis()),
              r.peakRssMb(),
              r.peakHeapMb(),
              r.generateMillis() / 1000.0));
    }
    if (results.stream().anyMatch(r -> r.evaluation() != null)) {
      b.append(
          "\nThe evaluate step: what it scored and where its time went (seconds; fit is every ALS"
              + " fit on the training side, each protocol its scoring).\n\n");
      b.append(
          "| users | train pairs | items | test users scored (of) | sessions | served sessions |"
              + " split | fit"
              + " | user | session | served |\n");
      b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (ScaleResult r : results) {
        Evaluation.Result e = r.evaluation();
        if (e == null) {
          continue;
        }
        b.append(
            String.format(
                Locale.ROOT,
                "| %,d | %,d | %,d | %,d (%,d) | %,d | %,d |",
                r.users(),
                e.trainPairs(),
                e.items(),
                e.testUsers(),
                Math.max(e.testUsers(), e.eligibleTestUsers()),
                e.sessions(),
                e.servedSessions()));
        for (String phase :
            List.of(
                Evaluation.PHASE_SPLIT,
                Evaluation.PHASE_FIT,
                Evaluation.PHASE_USER,
                Evaluation.PHASE_SESSION,
                Evaluation.PHASE_SERVED)) {
          Long ms = e.millis().get(phase);
          b.append(ms == null ? " — |" : String.format(Locale.ROOT, " %.1f |", ms / 1000.0));
        }
        b.append('\n');
      }
    }
    return b.toString();
  }

  private static void resetPeaks() {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      pool.resetPeakUsage();
    }
    try {
      // Linux resets VmHWM to the current resident set, so a scale's peak is not an earlier one's
      // (though what the JVM kept from an earlier scale still counts).
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    } catch (IOException | RuntimeException e) {
      // not Linux, or not allowed: the peak is then the run's so far
    }
  }

  private static long peakHeapMb() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum >> 20;
  }

  /** Peak resident set of this JVM (Linux VmHWM; -1 elsewhere). Spark local runs in this JVM. */
  private static long peakRssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) >> 10;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }

  static long millisSince(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private static long sizeOf(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(PipelineBenchmark::size).sum();
    }
  }

  private static long size(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
