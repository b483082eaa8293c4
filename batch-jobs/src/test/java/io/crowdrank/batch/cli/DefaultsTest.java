package io.crowdrank.batch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.evaluate.Evaluation;
import io.crowdrank.batch.evaluate.Tuning;
import io.crowdrank.batch.maintain.MaintenanceJob;
import io.crowdrank.batch.pipeline.Pipeline;
import io.crowdrank.batch.profiles.ProfilesJob;
import io.crowdrank.batch.publish.PublishJob;
import io.crowdrank.batch.reports.ReportsJob;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.HourOfWeek;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The jobs' defaults are objects; the CLI's are field values, most taken from those objects, a few
 * written out. Whoever changes one side changes both, or this fails — for every command, whichever
 * option groups it takes.
 */
class DefaultsTest {
  static List<String> commands() {
    return Pipeline.commands();
  }

  /** {@code jobs <command>} with only the directories it needs, parsed, not run. */
  private static StepCommand parse(String command) {
    List<String> args = new ArrayList<>(List.of("jobs", command, "--warehouse", "w"));
    if (command.equals(Pipeline.ALL) || command.equals(Pipeline.Step.INGEST.id())) {
      args.addAll(List.of("--raw", "r"));
    }
    return (StepCommand)
        Main.commandLine()
            .parseArgs(args.toArray(String[]::new))
            .subcommand()
            .subcommand()
            .commandSpec()
            .userObject();
  }

  @ParameterizedTest
  @MethodSource("commands")
  void withNothingGiven_everyCommandPassesTheJobsOwnDefaults(String command) {
    StepCommand parsed = parse(command);

    Pipeline.Options o = parsed.options(parsed.steps());

    assertThat(o.trainParams()).isEqualTo(TrainJob.Params.defaults());
    assertThat(o.evaluation()).isEqualTo(Evaluation.defaults());
    assertThat(o.timeZone()).isEqualTo(HourOfWeek.DEFAULT_ZONE);
    assertThat(o.tuningTrials()).isEqualTo(Tuning.DEFAULT_TRIALS);
    assertThat(o.gateTolerance()).isEqualTo(PublishJob.DEFAULT_GATE_TOLERANCE);
    assertThat(o.overrideGate()).isFalse();
    assertThat(o.retentionHours()).isEqualTo(MaintenanceJob.MIN_RETENTION_HOURS);
    assertThat(o.interestHalfLifeDays())
        .isEqualTo(ProfilesJob.Options.defaults("w").interestHalfLifeDays());
    ReportsJob.Options reports = ReportsJob.Options.defaults("w");
    assertThat(o.privacyK()).isEqualTo(reports.k());
    assertThat(o.lookalikeTopN()).isEqualTo(reports.lookalikeTopN());
    assertThat(o.trainParams().seed()).isEqualTo(reports.seed());
    assertThat(List.of(o.from() == null, o.to() == null, o.asOf() == null, o.targeting() == null))
        .containsOnly(true);
  }
}
