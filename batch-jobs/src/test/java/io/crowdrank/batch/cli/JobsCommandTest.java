package io.crowdrank.batch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.pipeline.Pipeline;
import io.crowdrank.batch.pipeline.Pipeline.Step;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The jobs commands without Spark: what each takes, what it parses to, what it refuses. */
class JobsCommandTest {
  static final Set<String> FILE_OPTIONS =
      Set.of(
          "--interactions",
          "--format",
          "--sep",
          "--no-header",
          "--user-col",
          "--item-col",
          "--weight-col",
          "--time-col");

  private static CommandLine jobs() {
    return Main.commandLine().getSubcommands().get("jobs");
  }

  /** The options of {@code jobs <command>} but help and version. */
  private static Set<String> options(String command) {
    return jobs().getSubcommands().get(command).getCommandSpec().options().stream()
        .filter(o -> !o.usageHelp() && !o.versionHelp())
        .map(OptionSpec::longestName)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static StepCommand parse(String... args) {
    return (StepCommand)
        Main.commandLine()
            .parseArgs(Stream.concat(Stream.of("jobs"), Stream.of(args)).toArray(String[]::new))
            .subcommand()
            .subcommand()
            .commandSpec()
            .userObject();
  }

  private record Run(int exitCode, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code =
        cli.execute(Stream.concat(Stream.of("jobs"), Stream.of(args)).toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void jobs_hasOneCommandPerPipelineCommand_inItsOrder() {
    assertThat(jobs().getSubcommands().keySet()).containsExactlyElementsOf(Pipeline.commands());
  }

  @Test
  void jobsHelp_listsEveryCommandWithItsDescription() {
    Run r = run("--help");

    assertThat(r.exitCode()).isZero();
    for (String command : Pipeline.commands()) {
      assertThat(r.out()).contains(command).contains(StepCommand.description(command));
    }
  }

  @Test
  void stepHelp_showsTheStepsDescriptionAndDefaults() {
    Run r = run("train", "--help");

    assertThat(r.out())
        .contains("Usage: crowdrank jobs train")
        .contains(StepCommand.description("train"))
        .contains("ALS rank (default 32)");
  }

  @Test
  void ingest_takesOnlyTheRawExportsAndDeliveryDates() {
    assertThat(options("ingest"))
        .containsExactlyInAnyOrder("--warehouse", "--raw", "--date", "--from", "--to", "--verbose");
  }

  @Test
  void maintain_takesOnlyTheRetention() {
    assertThat(options("maintain"))
        .containsExactlyInAnyOrder("--warehouse", "--retention-hours", "--verbose");
  }

  @Test
  void trainAndEvaluate_takeAFileAndTheSearch() {
    for (String command : List.of("train", "evaluate")) {
      assertThat(options(command))
          .containsAll(FILE_OPTIONS)
          .contains("--tune", "--tune-trials", "--rank", "--split", "--seed")
          .doesNotContain("--raw", "--gate-tolerance");
    }
  }

  @Test
  void all_takesEveryOptionOfTheDagsSteps_butNoFile_andWhichStepsToRun() {
    Set<String> dag = new TreeSet<>();
    Pipeline.dag(true).forEach(s -> dag.addAll(options(s.id())));
    dag.removeAll(FILE_OPTIONS);
    dag.add("--steps");

    assertThat(options(Pipeline.ALL)).isEqualTo(dag).doesNotContain("--retention-hours");
  }

  @Test
  void all_withDateYesterday_runsTheDagForThatDelivery() {
    StepCommand all = parse("all", "--raw", "r", "--warehouse", "w", "--date", "yesterday");

    Pipeline.Options o = all.options(all.steps());

    LocalDate yesterday = LocalDate.now(ZoneOffset.UTC).minusDays(1);
    assertThat(all.steps()).isEqualTo(Pipeline.DAG);
    assertThat(List.of(o.from(), o.to())).containsOnly(yesterday);
    assertThat(o.raw()).isEqualTo(Path.of("r").toAbsolutePath().toString());
    assertThat(o.warehouse()).isEqualTo(Path.of("w").toAbsolutePath().toString());
  }

  @Test
  void warehouseAndRaw_relativePathsAreMadeAbsolute_urisAreKept() {
    // Delta takes a relative table location for a table name ("is not a valid name").
    StepCommand all =
        parse("all", "--raw", "./exports/../raw", "--warehouse", "s3a://bucket/warehouse");

    Pipeline.Options o = all.options(all.steps());

    assertThat(o.raw()).isEqualTo(Path.of("").toAbsolutePath().resolve("raw").toString());
    assertThat(o.warehouse()).isEqualTo("s3a://bucket/warehouse");
    assertThat(parse("all", "--warehouse", "file:/tmp/w").options(List.of()).warehouse())
        .isEqualTo("file:/tmp/w");
  }

  @Test
  void all_withSteps_runsThoseOfTheDag_inTheDagsOrder_withoutTheRawExports() {
    StepCommand loop = parse("all", "--warehouse", "w", "--steps", "experiments,events");

    assertThat(loop.steps()).containsExactly(Step.EVENTS, Step.EXPERIMENTS);
    assertThat(loop.options(loop.steps()).warehouse())
        .isEqualTo(Path.of("w").toAbsolutePath().toString());
  }

  @Test
  void allAndTrain_withTune_searchBeforeTraining() {
    StepCommand all =
        parse(
            "all",
            "--raw",
            "r",
            "--warehouse",
            "w",
            "--tune",
            "--tune-trials",
            "3",
            "--rank",
            "16");
    StepCommand train = parse("train", "--warehouse", "w", "--tune");

    assertThat(all.steps()).isEqualTo(Pipeline.dag(true));
    assertThat(all.options(all.steps()).tuningTrials()).isEqualTo(3);
    assertThat(all.options(all.steps()).trainParams().rank()).isEqualTo(16);
    assertThat(train.steps()).containsExactly(Step.TUNE, Step.TRAIN);
  }

  @Test
  void rerun_isTheFailedStepAlone_withTheGivenOptionsItTakes_butNoSecret() {
    StepCommand all =
        parse(
            "all --raw r --warehouse w --date 2026-01-02 --rank 16 --id-salt s3cret --tune -v"
                .split(" "));

    assertThat(all.rerun("ingest"))
        .isEqualTo("./crowdrank jobs ingest --raw r --warehouse w --date 2026-01-02 --verbose");
    assertThat(all.rerun("train"))
        .isEqualTo("./crowdrank jobs train --warehouse w --rank 16 --tune --verbose");
    assertThat(all.rerun("identity"))
        .isEqualTo("./crowdrank jobs identity --warehouse w --id-salt SECRET --verbose");
    assertThat(parse("evaluate", "--warehouse", "/data/it's here").rerun("evaluate"))
        .isEqualTo("./crowdrank jobs evaluate --warehouse '/data/it'\\''s here'");
  }

  @Test
  void evaluateAndTrain_withInteractions_readTheFilesColumns() {
    StepCommand evaluate =
        parse(
            "evaluate",
            "--interactions",
            "f.csv",
            "--user-col",
            "U",
            "--item-col",
            "I",
            "--time-col",
            "T",
            "--split",
            "random",
            "--tune");
    StepCommand train =
        parse(
            "train",
            "--interactions",
            "f.tsv",
            "--no-header",
            "--user-col",
            "0",
            "--item-col",
            "1",
            "--warehouse",
            "new");

    assertThat(evaluate.file.file())
        .extracting("path", "userColumn", "itemColumn", "timeColumn", "header")
        .containsExactly("f.csv", "U", "I", "T", true);
    assertThat(evaluate.tune.tune).isTrue();
    assertThat(train.file.file())
        .extracting("path", "userColumn", "itemColumn", "header")
        .containsExactly("f.tsv", "0", "1", false);
  }

  /**
   * OPERATIONS.md lists by hand which commands take which options, one table row per group: each
   * row must name exactly the commands that take its options, and the rows every option there is.
   */
  @Test
  void operationsTable_namesTheCommandsThatTakeEachOption() throws IOException {
    Matcher row =
        Pattern.compile("(?m)^\\| (`--.*?) \\| ([a-z, ]+) \\|$")
            .matcher(Files.readString(Path.of("../docs/OPERATIONS.md")));
    Set<String> listed = new TreeSet<>();
    Set<String> every = new TreeSet<>();
    Pipeline.commands().forEach(c -> every.addAll(options(c)));
    while (row.find()) {
      List<String> takers =
          row.group(2).equals("every command")
              ? Pipeline.commands()
              : List.of(row.group(2).split(", "));
      Matcher option = Pattern.compile("--[a-z][a-z-]*").matcher(row.group(1));
      while (option.find()) {
        String name = option.group();
        listed.add(name);
        assertThat(Pipeline.commands().stream().filter(c -> options(c).contains(name)))
            .as(name)
            .containsExactlyInAnyOrderElementsOf(takers);
      }
    }
    assertThat(listed).isEqualTo(every);
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of(List.of(), "missing step: use one of events, experiments, ingest,"),
        Arguments.of(
            List.of("ingestion"),
            "unknown step 'ingestion': use one of events, experiments, ingest,"),
        Arguments.of(List.of("ingest", "--warehouse", "w"), "ingest needs --raw DIR"),
        Arguments.of(
            List.of("events", "--warehouse", "w", "--events-source", "kafka://broker:9092"),
            "--events-source 'kafka://broker:9092' is not kafka://HOST:PORT[,HOST:PORT]/TOPIC"),
        Arguments.of(List.of("ingest", "--raw", "r"), "--warehouse DIR is required"),
        Arguments.of(
            List.of("ingest", "--raw", "r", "--warehouse", "w", "--rank", "8"),
            "Unknown options: '--rank', '8'"),
        Arguments.of(
            List.of(
                "ingest",
                "--raw",
                "r",
                "--warehouse",
                "w",
                "--date",
                "2026-01-02",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-02"),
            "give --date or --from/--to, not both"),
        Arguments.of(
            List.of("ingest", "--raw", "r", "--warehouse", "w", "--from", "2026-01-01"),
            "--from and --to go together"),
        Arguments.of(
            List.of("all", "--raw", "r", "--warehouse", "w", "--tune-trials", "201"),
            "--tune-trials must be 1..200"),
        Arguments.of(
            List.of("publish", "--warehouse", "w", "--gate-tolerance", "1"),
            "--gate-tolerance must be in [0, 1)"),
        Arguments.of(
            List.of("reports", "--warehouse", "w", "--privacy-k", "1"), "--privacy-k must be >= 2"),
        Arguments.of(
            List.of("all", "--raw", "r", "--warehouse", "w", "--lookalike-top-n", "0"),
            "--lookalike-top-n must be >= 1"),
        Arguments.of(
            List.of("maintain", "--warehouse", "w", "--retention-hours", "24"),
            "--retention-hours must be at least 168"),
        Arguments.of(
            List.of("evaluate", "--warehouse", "w", "--split", "weekly"),
            "split must be time or random"),
        Arguments.of(
            List.of("evaluate", "--warehouse", "w", "--tune"),
            "evaluate --tune needs --interactions FILE"),
        Arguments.of(List.of("evaluate"), "--warehouse DIR is required (or --interactions FILE)"),
        Arguments.of(
            List.of("train", "--interactions", "f.csv"),
            "train --interactions FILE needs --warehouse DIR"),
        Arguments.of(List.of("train", "--warehouse", "w", "--rank", "0"), "rank must be 1..512"),
        Arguments.of(
            List.of("all", "--warehouse", "w", "--steps", "events,trian"),
            "unknown step 'trian' in --steps (the DAG's: events, experiments, ingest"));
  }

  @ParameterizedTest
  @MethodSource("refused")
  void badUsage_exitsWith2AndSaysWhy(List<String> args, String message) {
    Run r = run(args.toArray(String[]::new));

    assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
    // Picocli follows an unknown option with the likely ones instead of the usage text.
    assertThat(r.err())
        .contains(message)
        .containsAnyOf("Usage: crowdrank jobs", "Possible solutions");
  }
}
