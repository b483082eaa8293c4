package io.crowdrank.batch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.evaluate.Evaluation;
import io.crowdrank.batch.publish.PublishJob;
import io.crowdrank.batch.train.TrainJob;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * picocli's default values are strings in annotations; the jobs' defaults are objects. Whoever
 * changes one changes both, or this fails.
 */
class DefaultsTest {
  @Test
  void jobsOptions_withNothingGiven_areTheJobsOwnDefaults() {
    Main.Jobs jobs = new Main.Jobs();
    new CommandLine(jobs).parseArgs("train");

    assertThat(
            new TrainJob.Params(
                jobs.rank,
                jobs.maxIter,
                jobs.regParam,
                jobs.alpha,
                jobs.seed,
                jobs.paymentWeight,
                jobs.socialWeight,
                jobs.decayHalfLife,
                jobs.contextWeight,
                jobs.habitShrinkage))
        .isEqualTo(TrainJob.Params.defaults());
    assertThat(jobs.gateTolerance).isEqualTo(PublishJob.DEFAULT_GATE_TOLERANCE);
    Evaluation.Options evaluation = Evaluation.defaults();
    assertThat(
            new Evaluation.Options(
                Evaluation.Split.parse(jobs.split),
                jobs.testFraction,
                jobs.seed,
                jobs.ks,
                jobs.timeZone))
        .isEqualTo(evaluation);
  }
}
