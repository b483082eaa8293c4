package io.crowdrank.batch.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The console of a run, driven by a scripted sequence of events on a clock the test moves. */
class ProgressRendererTest {
  private static final Instant START = Instant.parse("2026-12-03T20:15:00Z");

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final TestClock clock = new TestClock();

  private ProgressRenderer renderer(ProgressRenderer.Mode mode) {
    return new ProgressRenderer(
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        clock,
        mode,
        "/w/_logs/run-1.log",
        step -> "./crowdrank jobs " + step + " --warehouse /w");
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void render_terminal_redrawsTheLiveLineAtMost4TimesASecond_thenSummarisesTheStep() {
    ProgressRenderer r = renderer(ProgressRenderer.Mode.TERMINAL);

    r.stepStarted("ingest", 1, 8);
    clock.advance(100);
    r.progress(5, 20, 500);
    clock.advance(200);
    r.progress(10, 20, 5_000);
    clock.advance(100);
    r.progress(15, 20, 6_000);
    clock.advance(1_600);
    r.tick();
    clock.advance(2_200);
    r.stepEnded(false, Map.of("read", 1_234_567L));

    assertThat(out())
        .isEqualTo(
            "\r[1/8] ingest   [....................]       0:00"
                + "\r[1/8] ingest   [##########..........]  50%  0:00  5.0k rows"
                + "\r[1/8] ingest   [###############.....]  75%  0:02  6.0k rows  3.0k rows/s"
                // padded over the longer live line
                + "\r[1/8] ingest    done in 4.2 s   read 1,234,567"
                + " ".repeat(26)
                + "\n");
    assertThat(err()).isEmpty();
  }

  @Test
  void render_terminal_skippedStep_saysUpToDate_andListsTheCountsInTheirOrder() {
    ProgressRenderer r = renderer(ProgressRenderer.Mode.TERMINAL);
    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("users", 5_000L);
    counts.put("aipl_rows", 12_345L);

    r.stepStarted("profiles", 3, 8);
    clock.advance(1_250);
    r.stepEnded(true, counts);

    assertThat(out())
        .endsWith(
            "\r[3/8] profiles  up to date, skipped in 1.3 s   users 5,000 · aipl_rows 12,345\n");
  }

  @Test
  void render_nonTerminal_printsAtMostOneLinePer30s() {
    ProgressRenderer r = renderer(ProgressRenderer.Mode.PLAIN);

    r.stepStarted("train", 5, 8);
    for (int s = 1; s <= 70; s++) {
      clock.advance(1_000);
      r.progress(s % 10, 10, s * 1_000L);
      r.tick();
    }
    clock.advance(500);
    r.stepEnded(false, Map.of("users", 5_000L));

    assertThat(out().lines())
        .containsExactly(
            "2026-12-03 20:15:00 [5/8] train     started",
            "2026-12-03 20:15:30 [5/8] train     running 0:30  tasks  0%  30.0k rows  1.0k rows/s",
            "2026-12-03 20:16:00 [5/8] train     running 1:00  tasks  0%  60.0k rows  1.0k rows/s",
            "2026-12-03 20:16:10 [5/8] train     done in 1 min 10 s   users 5,000");
    assertThat(out()).doesNotContain("\r");
  }

  @Test
  void render_failedStep_printsABlockWithTheStepWhatItReadTheErrorAndWhatToDo() {
    ProgressRenderer r = renderer(ProgressRenderer.Mode.PLAIN);
    RuntimeException error =
        new IllegalStateException(
            "no trained model to evaluate: run train first",
            new java.io.FileNotFoundException("/w/model/item_factors"));

    r.stepStarted("evaluate", 7, 8);
    clock.advance(3_000);
    r.stepFailed("model/item_factors in /w", error);

    assertThat(out().lines())
        .containsExactly(
            "2026-12-03 20:15:00 [7/8] evaluate  started",
            "2026-12-03 20:15:03 [7/8] evaluate  FAILED after 3.0 s");
    assertThat(err().lines())
        .containsExactly(
            "=".repeat(72),
            "crowdrank: step evaluate (7 of 8) failed",
            "  reading  model/item_factors in /w",
            "  error    IllegalStateException: no trained model to evaluate: run train first",
            "           cause: FileNotFoundException: /w/model/item_factors",
            "  details  /w/_logs/run-1.log (stack trace, Spark's log)",
            "  then     fix the cause and run the step again:",
            "           ./crowdrank jobs evaluate --warehouse /w",
            "           (or the whole command: the steps already done are skipped)",
            "=".repeat(72));
    assertThat(r.reported(error)).isTrue();
    assertThat(r.reported(new IllegalStateException())).isFalse();
  }

  @Test
  void message_leavesOutTheStackTraceSparkPutsIntoItsMessage() {
    String spark =
        "Job aborted due to stage failure: Task 0 in stage 3.0 failed 1 times, most recent"
            + " failure: Lost task 0.0 in stage 3.0 (TID 7) (127.0.0.1 executor driver):"
            + " java.lang.NumberFormatException: For input string: \"x\"\n"
            + "\tat java.base/java.lang.Long.parseLong(Long.java:711)\n"
            + "\tat io.crowdrank.batch.ingest.FieldParsers.amount(FieldParsers.java:40)\n"
            + "\nDriver stacktrace:";

    List<String> lines = ProgressRenderer.message(new RuntimeException(spark));

    assertThat(lines).hasSize(1);
    assertThat(lines.get(0))
        .startsWith("RuntimeException: Job aborted due to stage failure")
        .endsWith("…")
        .hasSize(160);
  }

  @Test
  void render_terminal_logLineDuringAStep_goesAboveTheLiveLine() {
    ByteArrayOutputStream both = new ByteArrayOutputStream();
    PrintStream stream = new PrintStream(both, true, StandardCharsets.UTF_8);
    ProgressRenderer r =
        new ProgressRenderer(
            stream, stream, clock, ProgressRenderer.Mode.TERMINAL, null, step -> step);

    r.stepStarted("publish", 8, 8);
    r.log("20:15:00 WARN  X: careful\n");

    String live = "[8/8] publish  [....................]       0:00";
    assertThat(both.toString(StandardCharsets.UTF_8))
        .isEqualTo(
            "\r"
                + live
                + "\r"
                + " ".repeat(live.length())
                + "\r20:15:00 WARN  X: careful\n\r"
                + live);
  }

  @Test
  void formats_compactNumbersAndDurations() {
    assertThat(List.of(950L, 12_345L, 4_500_000L, 123_456_789L, 2_000_000_000L))
        .extracting(ProgressRenderer::compact)
        .containsExactly("950", "12.3k", "4.5M", "123M", "2.0G");
    assertThat(ProgressRenderer.duration(4_210)).isEqualTo("4.2 s");
    assertThat(ProgressRenderer.duration(185_000)).isEqualTo("3 min 05 s");
    assertThat(ProgressRenderer.clockTime(3_725_000)).isEqualTo("1:02:05");
  }

  /** A clock the test moves by hand, in UTC. */
  private static final class TestClock extends Clock {
    private Instant now = START;

    void advance(long millis) {
      now = now.plusMillis(millis);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
