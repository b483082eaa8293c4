package io.crowdrank.batch.pipeline;

import io.crowdrank.batch.evaluate.Evaluation;
import io.crowdrank.batch.publish.PublishJob;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.HourOfWeek;
import java.time.LocalDate;

/** Pipeline options for tests: small, fast ALS; everything else at its default. */
final class PipelineFixtures {
  private PipelineFixtures() {}

  /** Privacy threshold of the reports at test scale (hundreds of users, not millions). */
  static final int FIXTURE_K = 10;

  static final TrainJob.Params SMALL_ALS =
      new TrainJob.Params(8, 5, 0.05, 20, 42, 1.0, 1.0, 30, 0.15, 10);

  static Pipeline.Options options(
      String raw, String warehouse, TrainJob.Params params, String runId) {
    return dated(raw, warehouse, params, runId, null, null);
  }

  static Pipeline.Options dated(
      String raw,
      String warehouse,
      TrainJob.Params params,
      String runId,
      LocalDate from,
      LocalDate to) {
    return new Pipeline.Options(
        raw,
        warehouse,
        from,
        to,
        null,
        runId,
        "test-salt-123",
        params,
        14,
        HourOfWeek.DEFAULT_ZONE,
        168,
        Evaluation.defaults(),
        2,
        PublishJob.DEFAULT_GATE_TOLERANCE,
        false,
        targeting(raw),
        FIXTURE_K);
  }

  /** The generator's targeting file beside the raw data, if there is one. */
  static java.nio.file.Path targeting(String raw) {
    java.nio.file.Path f =
        java.nio.file.Path.of(raw)
            .resolve(io.crowdrank.batch.generate.DemoDataGenerator.TARGETING_FILE);
    return java.nio.file.Files.exists(f) ? f : null;
  }
}
