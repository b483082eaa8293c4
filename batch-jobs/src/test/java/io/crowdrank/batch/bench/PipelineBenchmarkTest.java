package io.crowdrank.batch.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.evaluate.Evaluation;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PipelineBenchmarkTest {

  private static PipelineBenchmark.ScaleResult scale(Evaluation.Result evaluation) {
    return new PipelineBenchmark.ScaleResult(
        100_000,
        1_000,
        2_000_000,
        300L << 20,
        7_000,
        2_000,
        10_000,
        List.of(
            new PipelineBenchmark.StepTiming("ingest", 2_000_000, 50_000),
            new PipelineBenchmark.StepTiming("train", 1_000_000, 25_000)),
        evaluation,
        4_096,
        3_000);
  }

  @Test
  void report_givesIngestOverBothFloorsAndRowsPerSecondPerCore() {
    String report = PipelineBenchmark.report(List.of(scale(null)));

    int cores = Runtime.getRuntime().availableProcessors();
    // 2,000,000 lines in 50 s; 1,000,000 pairs in 25 s: 40,000 rows/s, shared by the cores.
    String perCore = String.format(Locale.ROOT, "%,.0f", 40_000.0 / cores);
    assertThat(report)
        .contains(
            "| 100,000 | 1,000 | 2,000,000 | 300 | ingest | 2,000,000 | 50.0 | " + perCore + " |")
        .contains(
            "| 100,000 | 1,000 | 2,000,000 | 300 | train | 1,000,000 | 25.0 | " + perCore + " |")
        // DAG 75 s; ingest 50 s over a 2 s I/O floor and a 10 s parse floor
        .contains("| 100,000 | 75.0 | 2.0 | 10.0 | 25.0× | 5.0× | 4,096 | 3,000 | 7.0 |")
        .doesNotContain("The evaluate step");
  }

  @Test
  void report_withEvaluate_showsWhereItsTimeWent() {
    Evaluation.Result e =
        new Evaluation.Result(
            900_000,
            40_000,
            75_000,
            1_000,
            60_000,
            2_000,
            1_000,
            List.of(),
            Map.of(
                Evaluation.PHASE_SPLIT, 12_300L,
                Evaluation.PHASE_FIT, 40_000L,
                Evaluation.PHASE_USER, 8_040L,
                Evaluation.PHASE_SERVED, 3_000L));

    String report = PipelineBenchmark.report(List.of(scale(e)));

    // No session protocol ran: its cell says so rather than 0.
    assertThat(report)
        .contains("The evaluate step")
        .contains(
            "| 100,000 | 900,000 | 1,000 | 40,000 (75,000) | 60,000 | 2,000 | 12.3 | 40.0 | 8.0 | — | 3.0 |");
  }
}
