package io.crowdrank.batch.pipeline;

import io.crowdrank.batch.common.Tables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.appender.FileAppender;
import org.apache.logging.log4j.core.config.AppenderRef;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * A run's detailed log: from {@link #start} to {@link #close}, everything at INFO and above
 * (Spark's, Delta's and ours, with stack traces) goes to a file named after the run, and the
 * console gets only warnings and errors, one line each, written above the live progress line; with
 * {@code verbose} the console gets what the file gets. Set up through the log4j2 API rather than a
 * config file, so it works under any configuration spark-submit brings, and undone on close.
 */
public final class RunLog implements AutoCloseable {
  private static final String FILE_PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5p %c{1} [%t]: %m%n";
  private static final String CONSOLE_PATTERN = "%d{HH:mm:ss} %-5p %c{1}: %m%n";

  /** Warnings every local run gets and nobody can act on: in the file, not on the console. */
  static final List<String> FILE_ONLY =
      List.of(
          // No native Hadoop library here: Hadoop uses its Java implementations.
          "org.apache.hadoop.util.NativeCodeLoader",
          // Delta's MERGE checkpoints its source locally and Spark warns when it is released.
          "org.apache.spark.rdd.MapPartitionsRDD");

  /**
   * Spark's lines per task, per cached block and per file read: 27,000 of the demo's 45,000 log
   * lines (9.5 MB), saying nothing the stage lines do not. WARN for the run, unless the
   * configuration sets them itself.
   */
  static final List<String> PER_TASK =
      List.of(
          "org.apache.spark.executor.Executor",
          "org.apache.spark.scheduler.TaskSetManager",
          "org.apache.spark.scheduler.TaskSchedulerImpl",
          "org.apache.spark.storage.BlockManager",
          "org.apache.spark.storage.memory.MemoryStore",
          "org.apache.spark.storage.ShuffleBlockFetcherIterator",
          "org.apache.spark.sql.catalyst.expressions.codegen.CodeGenerator",
          "org.apache.spark.sql.execution.datasources.FileScanRDD",
          "org.apache.parquet.filter2.compat.FilterCompat");

  private final LoggerContext context;
  private final Configuration config;
  private final LoggerConfig root;
  private final Level rootLevel;
  private final List<AppenderRef> rootRefs;
  private final Map<String, Appender> rootAppenders;
  private final FileAppender file;
  private final Appender console;
  private final List<String> quietened;

  private RunLog(Path path, boolean verbose, ProgressRenderer progress) {
    context = (LoggerContext) LogManager.getContext(false);
    config = context.getConfiguration();
    root = config.getRootLogger();
    rootLevel = root.getLevel();
    rootRefs = List.copyOf(root.getAppenderRefs());
    rootAppenders = root.getAppenders();
    file =
        FileAppender.newBuilder()
            .setName("crowdrank-run-log")
            .withFileName(path.toString())
            .setLayout(layout(config, FILE_PATTERN, true))
            .setConfiguration(config)
            .build();
    console =
        new AboveProgress(
            verbose ? layout(config, FILE_PATTERN, true) : layout(config, CONSOLE_PATTERN, false),
            verbose ? Level.INFO : Level.WARN,
            progress);
    file.start();
    console.start();
    rootAppenders.keySet().forEach(root::removeAppender);
    root.addAppender(file, null, null);
    root.addAppender(console, null, null);
    root.setLevel(Level.INFO);
    quietened = PER_TASK.stream().filter(name -> !config.getLoggers().containsKey(name)).toList();
    for (String name : quietened) {
      config.addLogger(
          name,
          LoggerConfig.newBuilder()
              .withLoggerName(name)
              .withLevel(Level.WARN)
              .withAdditivity(true)
              .withConfig(config)
              .build());
    }
    context.updateLoggers();
  }

  /**
   * Starts logging the run to {@code path} (its folder is created).
   *
   * @param progress the console, which writes log lines above its live progress line
   */
  public static RunLog start(Path path, boolean verbose, ProgressRenderer progress) {
    try {
      Files.createDirectories(path.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the log folder " + path.getParent(), e);
    }
    return new RunLog(path, verbose, progress);
  }

  /**
   * Where a run's log goes: {@code <warehouse>/_logs/<run id>.log} when the warehouse is on a local
   * disk; on object storage or HDFS the driver's temp folder ({@code crowdrank-logs}), since a log
   * is appended line by line and object stores write whole files.
   */
  public static Path fileFor(String warehouse, String runId) {
    Path dir;
    if (warehouse.startsWith("file:")) {
      dir = Path.of(URI.create(warehouse)).resolve("_logs");
    } else if (Tables.hasScheme(warehouse)) {
      dir = Path.of(System.getProperty("java.io.tmpdir"), "crowdrank-logs");
    } else {
      dir = Path.of(Tables.absolute(warehouse)).resolve("_logs");
    }
    return dir.resolve(runId + ".log");
  }

  /**
   * Removes the run logs of a warehouse last written before {@code cutoff} (the folder {@link
   * #fileFor} puts them in); their run records under {@code _run_reports} stay.
   *
   * @return how many were removed
   */
  public static int prune(String warehouse, java.time.Instant cutoff) throws IOException {
    Path dir = fileFor(warehouse, "run").getParent();
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int removed = 0;
    try (var logs = Files.list(dir)) {
      for (Path log : logs.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
        if (Files.getLastModifiedTime(log).toInstant().isBefore(cutoff)
            && Files.deleteIfExists(log)) {
          removed++;
        }
      }
    }
    return removed;
  }

  @Override
  public void close() {
    root.removeAppender(file.getName());
    root.removeAppender(console.getName());
    for (AppenderRef ref : rootRefs) {
      root.addAppender(rootAppenders.get(ref.getRef()), ref.getLevel(), ref.getFilter());
    }
    root.setLevel(rootLevel);
    quietened.forEach(config::removeLogger);
    context.updateLoggers();
    file.stop();
    console.stop();
  }

  private static PatternLayout layout(Configuration config, String pattern, boolean exceptions) {
    return PatternLayout.newBuilder()
        .withConfiguration(config)
        .withPattern(pattern)
        .withAlwaysWriteExceptions(exceptions)
        .build();
  }

  /**
   * The console's share of the log, through the progress renderer so a line never lands in the
   * middle of the live one. Leaves out what the renderer shows itself ({@link
   * ProgressRenderer#SHOWN}) and known noise ({@link #FILE_ONLY}).
   */
  private static final class AboveProgress extends AbstractAppender {
    private final Level threshold;
    private final ProgressRenderer progress;

    AboveProgress(PatternLayout layout, Level threshold, ProgressRenderer progress) {
      super("crowdrank-console", null, layout, true, Property.EMPTY_ARRAY);
      this.threshold = threshold;
      this.progress = progress;
    }

    @Override
    public void append(LogEvent event) {
      boolean shown =
          event.getMarker() != null
              && event.getMarker().isInstanceOf(ProgressRenderer.SHOWN.getName());
      if (event.getLevel().isMoreSpecificThan(threshold)
          && !shown
          && !FILE_ONLY.contains(event.getLoggerName())) {
        progress.log(getLayout().toSerializable(event).toString());
      }
    }
  }
}
