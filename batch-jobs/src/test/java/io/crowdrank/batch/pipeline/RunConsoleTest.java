package io.crowdrank.batch.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.testing.SparkTestBase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** What a person sees of a run that fails, and what its record says. */
class RunConsoleTest extends SparkTestBase {
  @Test
  void run_failedStep_showsItsBlock_recordsTheLogFile_andRethrowsTheError() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ProgressRenderer console =
        new ProgressRenderer(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Clock.systemUTC(),
            ProgressRenderer.Mode.PLAIN,
            "/logs/run-fail.log",
            step -> "./crowdrank jobs " + step + " --warehouse W");
    Pipeline pipeline =
        new Pipeline(
            spark,
            PipelineFixtures.options(
                tmp.resolve("raw").toString(), warehouse(), PipelineFixtures.SMALL_ALS, "run-fail"),
            console);

    // Nothing to maintain in an empty warehouse; nothing trained to evaluate.
    Throwable thrown =
        catchThrowable(() -> pipeline.run(List.of(Pipeline.Step.MAINTAIN, Pipeline.Step.EVALUATE)));

    assertThat(thrown)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no trained model to evaluate");
    assertThat(console.reported(thrown)).isTrue();
    assertThat(out.toString(StandardCharsets.UTF_8).lines())
        .hasSize(4)
        .satisfies(l -> assertThat(l.get(1)).contains("[1/2] maintain  done in"))
        .satisfies(l -> assertThat(l.get(3)).contains("[2/2] evaluate  FAILED after"));
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("crowdrank: step evaluate (2 of 2) failed")
        .contains("  reading  bronze/payments, bronze/social_interactions")
        .contains(" in " + warehouse())
        .contains("IllegalStateException: no trained model to evaluate: run train first")
        .contains("  details  /logs/run-fail.log")
        .contains("./crowdrank jobs evaluate --warehouse W");
    List<Row> runs =
        Delta.read(spark, warehouse(), Tables.RUNS)
            .select("step", "outcome", "log_file")
            .orderBy("started_at")
            .collectAsList();
    assertThat(runs)
        .extracting(Row::toString)
        .containsExactly(
            "[maintain,succeeded,/logs/run-fail.log]", "[evaluate,failed,/logs/run-fail.log]");
    assertThat(
            Files.readString(
                Path.of(warehouse(), RunRecorder.REPORTS, "run-fail.json"), StandardCharsets.UTF_8))
        .contains("\"log_file\":\"/logs/run-fail.log\"")
        .contains("\"outcome\":\"failed\"");
  }
}
