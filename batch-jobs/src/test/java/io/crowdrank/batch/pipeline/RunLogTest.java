package io.crowdrank.batch.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The run's log file and the console's share of the log, without Spark. */
class RunLogTest {
  private static final Logger LOG = LoggerFactory.getLogger("org.apache.spark.SomeStage");

  @TempDir Path tmp;

  private final ByteArrayOutputStream console = new ByteArrayOutputStream();

  private ProgressRenderer renderer() {
    PrintStream stream = new PrintStream(console, true, StandardCharsets.UTF_8);
    return new ProgressRenderer(
        stream, stream, Clock.systemUTC(), ProgressRenderer.Mode.PLAIN, null, s -> s);
  }

  private static LoggerConfig root() {
    return ((LoggerContext) LogManager.getContext(false)).getConfiguration().getRootLogger();
  }

  @Test
  void runLog_putsEverythingInTheFile_andOnlyWarningsWithoutStackTracesOnTheConsole()
      throws Exception {
    Path file = tmp.resolve("_logs/run-1.log");
    Map<String, ?> appendersBefore = root().getAppenders();

    try (RunLog log = RunLog.start(file, false, renderer())) {
      LOG.info("stage 3 done");
      LOG.warn("disk almost full", new IllegalStateException("inner"));
      LOG.error(ProgressRenderer.SHOWN, "step ingest failed", new IllegalStateException("boom"));
      LoggerFactory.getLogger(RunLog.FILE_ONLY.get(0)).warn("no native hadoop");
      LoggerFactory.getLogger(RunLog.PER_TASK.get(0)).info("Running task 0.0 in stage 3.0");
    }
    LOG.warn("after the run");

    String written = Files.readString(file);
    assertThat(written)
        .contains("INFO  SomeStage", "stage 3 done", "disk almost full", "step ingest failed")
        .contains("java.lang.IllegalStateException: boom", "\tat ", "no native hadoop")
        .doesNotContain("after the run", "Running task");
    assertThat(console.toString(StandardCharsets.UTF_8).lines())
        .singleElement()
        .asString()
        .endsWith("WARN  SomeStage: disk almost full");
    assertThat(root().getAppenders().keySet()).isEqualTo(appendersBefore.keySet());
    assertThat(
            ((LoggerContext) LogManager.getContext(false)).getConfiguration().getLoggers().keySet())
        .doesNotContainAnyElementsOf(RunLog.PER_TASK);
  }

  @Test
  void runLog_verbose_showsTheInfoLinesAndStackTracesToo() throws Exception {
    try (RunLog log = RunLog.start(tmp.resolve("run-2.log"), true, renderer())) {
      LOG.info("stage 3 done");
      LOG.warn("disk almost full", new IllegalStateException("inner"));
    }

    assertThat(console.toString(StandardCharsets.UTF_8))
        .contains("stage 3 done", "disk almost full", "java.lang.IllegalStateException: inner");
  }

  @Test
  void fileFor_isUnderTheWarehouseOnADisk_andInTheTempFolderOnObjectStorage() {
    assertThat(RunLog.fileFor("/data/lake/", "run-1"))
        .isEqualTo(Path.of("/data/lake/_logs/run-1.log"));
    assertThat(RunLog.fileFor("file:/data/lake", "run-1"))
        .isEqualTo(Path.of("/data/lake/_logs/run-1.log"));
    assertThat(RunLog.fileFor("s3a://bucket/lake", "run-1"))
        .isEqualTo(Path.of(System.getProperty("java.io.tmpdir"), "crowdrank-logs", "run-1.log"));
  }
}
