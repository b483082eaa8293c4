package io.crowdrank.batch.cli;

import io.crowdrank.batch.cli.JobOptions.AsOfOptions;
import io.crowdrank.batch.cli.JobOptions.DeliveryOptions;
import io.crowdrank.batch.cli.JobOptions.EvaluationOptions;
import io.crowdrank.batch.cli.JobOptions.EventsSourceOptions;
import io.crowdrank.batch.cli.JobOptions.ExperimentsOptions;
import io.crowdrank.batch.cli.JobOptions.FileOptions;
import io.crowdrank.batch.cli.JobOptions.GateOptions;
import io.crowdrank.batch.cli.JobOptions.IdentityOptions;
import io.crowdrank.batch.cli.JobOptions.LookalikeOptions;
import io.crowdrank.batch.cli.JobOptions.OutputOptions;
import io.crowdrank.batch.cli.JobOptions.PrivacyOptions;
import io.crowdrank.batch.cli.JobOptions.ProfileOptions;
import io.crowdrank.batch.cli.JobOptions.RawOptions;
import io.crowdrank.batch.cli.JobOptions.RetentionOptions;
import io.crowdrank.batch.cli.JobOptions.SeedOptions;
import io.crowdrank.batch.cli.JobOptions.StepsOptions;
import io.crowdrank.batch.cli.JobOptions.TargetingOptions;
import io.crowdrank.batch.cli.JobOptions.TimeZoneOptions;
import io.crowdrank.batch.cli.JobOptions.TrainingOptions;
import io.crowdrank.batch.cli.JobOptions.TrialsOptions;
import io.crowdrank.batch.cli.JobOptions.TuneOptions;
import io.crowdrank.batch.cli.JobOptions.WarehouseOptions;
import io.crowdrank.batch.common.InteractionsFile;
import io.crowdrank.batch.common.Json;
import io.crowdrank.batch.common.Spark;
import io.crowdrank.batch.evaluate.EvaluateJob;
import io.crowdrank.batch.evaluate.FileEvaluateJob;
import io.crowdrank.batch.evaluate.TuneJob;
import io.crowdrank.batch.evaluate.Tuning;
import io.crowdrank.batch.experiments.ExperimentsJob;
import io.crowdrank.batch.pipeline.Pipeline;
import io.crowdrank.batch.pipeline.Pipeline.Step;
import io.crowdrank.batch.pipeline.ProgressRenderer;
import io.crowdrank.batch.pipeline.RunLog;
import io.crowdrank.batch.train.FileTrainJob;
import io.crowdrank.batch.train.TrainJob;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * One {@code jobs} command — a step, {@code all} (the DAG) or {@code maintain} — with the option
 * groups ({@link JobOptions}) of the steps it may run and nothing else: {@code all} those of the
 * whole DAG, train and evaluate the tune step's too ({@code --tune}) and an interactions file's.
 * The commands are {@link Pipeline#commands()}, so a new step needs only its groups ({@link
 * #groups}) and a description ({@link #description}), which the compiler asks for.
 */
@Command(mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true)
final class StepCommand implements Callable<Integer> {
  final String name;

  // Every group, each picocli's only if this command takes it; the others keep their defaults.
  final WarehouseOptions warehouse = new WarehouseOptions();
  final RawOptions raw = new RawOptions();
  final DeliveryOptions deliveries = new DeliveryOptions();
  final FileOptions file = new FileOptions();
  final AsOfOptions asOf = new AsOfOptions();
  final IdentityOptions identity = new IdentityOptions();
  final ProfileOptions profiles = new ProfileOptions();
  final TargetingOptions targeting = new TargetingOptions();
  final ExperimentsOptions experiments = new ExperimentsOptions();
  final EventsSourceOptions events = new EventsSourceOptions();
  final PrivacyOptions privacy = new PrivacyOptions();
  final LookalikeOptions lookalike = new LookalikeOptions();
  final TimeZoneOptions timeZone = new TimeZoneOptions();
  final TrainingOptions training = new TrainingOptions();
  final SeedOptions seed = new SeedOptions();
  final TuneOptions tune = new TuneOptions();
  final TrialsOptions trials = new TrialsOptions();
  final EvaluationOptions evaluation = new EvaluationOptions();
  final GateOptions gate = new GateOptions();
  final RetentionOptions retention = new RetentionOptions();
  final StepsOptions only = new StepsOptions();
  final OutputOptions output = new OutputOptions();

  @CommandLine.Spec CommandSpec spec;

  private StepCommand(String name) {
    if (!Pipeline.commands().contains(name)) {
      throw new IllegalArgumentException("not a jobs command: " + name);
    }
    this.name = name;
  }

  /** The command {@code name} (one of {@link Pipeline#commands()}), ready to add to jobs. */
  static CommandSpec create(String name) {
    StepCommand command = new StepCommand(name);
    CommandSpec spec = CommandSpec.forAnnotatedObject(command);
    List<String> description = new ArrayList<>(List.of(description(name)));
    if (command.isAll()) {
      description.add("In order: " + String.join(", ", ids(Pipeline.dag(true))) + ".");
    }
    spec.usageMessage().description(description.toArray(String[]::new));
    for (Object group : command.taken()) {
      spec.addMixin(group.getClass().getSimpleName(), CommandSpec.forAnnotatedObject(group));
    }
    return spec;
  }

  /** The one-line description of a command: its line in jobs --help, and its own help's first. */
  static String description(String name) {
    if (name.equals(Pipeline.ALL)) {
      return "The daily DAG: every step but maintain (tune only with --tune).";
    }
    return switch (step(name)) {
      case EVENTS -> "The service's logs of served lists and events to Delta.";
      case EXPERIMENTS -> "A/B results per variant and day: rates, intervals, lift, SRM.";
      case INGEST -> "Raw exports of the delivery dates to Delta, bad lines quarantined.";
      case IDENTITY -> "Pseudonymous user ids; linked accounts become one shared user.";
      case PROFILES -> "User profiles (RFM, interests, hour-of-week habits), AIPL stages.";
      case SEGMENTS -> "Store the segment and campaign definitions, evaluate the segments.";
      case TUNE -> "Search ALS and context parameters on the training side.";
      case TRAIN -> "Train implicit ALS and the context statistics, or ALS on a file.";
      case REPORTS -> "Personas, lookalikes and the merchants' segment reports.";
      case EVALUATE -> "The model against popularity and the served one, or on a file.";
      case PUBLISH -> "Write the bundle the service loads, if the quality gate passes.";
      case MAINTAIN -> "OPTIMIZE and VACUUM every table (own schedule, not in all).";
    };
  }

  private static List<String> ids(List<Step> steps) {
    return steps.stream().map(Step::id).toList();
  }

  private static Step step(String name) {
    return Arrays.stream(Step.values()).filter(s -> s.id().equals(name)).findFirst().orElseThrow();
  }

  /** The groups a step reads, beyond the warehouse every step needs. */
  private List<Object> groups(Step step) {
    return switch (step) {
      case EVENTS -> List.of(events);
      case EXPERIMENTS -> List.of();
      case INGEST -> List.of(raw, deliveries);
      case IDENTITY -> List.of(identity);
      case PROFILES -> List.of(asOf, profiles, timeZone);
      case SEGMENTS -> List.of(targeting);
      case TUNE -> List.of(training, seed, trials, evaluation, timeZone);
      case TRAIN -> List.of(asOf, training, seed, timeZone);
      case REPORTS -> List.of(privacy, lookalike, seed);
      case EVALUATE -> List.of(evaluation, seed, timeZone);
      case PUBLISH -> List.of(gate, experiments, timeZone);
      case MAINTAIN -> List.of(retention);
    };
  }

  private boolean isAll() {
    return name.equals(Pipeline.ALL);
  }

  /** train and evaluate: on the warehouse's events or on a plain interactions file. */
  private boolean takesFile() {
    return name.equals(Step.TRAIN.id()) || name.equals(Step.EVALUATE.id());
  }

  /** The steps whose options this command takes: train and evaluate may search first (--tune). */
  private List<Step> reads() {
    if (isAll()) {
      return Pipeline.dag(true);
    }
    return takesFile() ? List.of(Step.TUNE, step(name)) : List.of(step(name));
  }

  /** The groups this command takes, in the order its help lists them. */
  private List<Object> taken() {
    Set<Object> used = new HashSet<>(List.of(warehouse, output));
    reads().forEach(s -> used.addAll(groups(s)));
    if (isAll() || takesFile()) {
      used.add(tune);
    }
    if (isAll()) {
      used.add(only);
    }
    if (takesFile()) {
      used.add(file);
    }
    return Stream.of(
            warehouse,
            events,
            raw,
            deliveries,
            file,
            asOf,
            identity,
            profiles,
            targeting,
            privacy,
            lookalike,
            timeZone,
            training,
            seed,
            tune,
            trials,
            evaluation,
            gate,
            experiments,
            retention,
            only,
            output)
        .filter(used::contains)
        .toList();
  }

  @Override
  public Integer call() {
    InteractionsFile interactions = file.file();
    if (interactions != null) {
      return onFile(interactions);
    }
    List<Step> steps = steps();
    Pipeline.Options options = options(steps);
    if (steps.contains(Step.IDENTITY) && identity.salt.equals(IdentityOptions.DEMO_SALT)) {
      System.err.println("crowdrank: using the demo id salt; set CROWDRANK_ID_SALT in production");
    }
    Path logFile = RunLog.fileFor(options.warehouse(), options.runId());
    ProgressRenderer console =
        new ProgressRenderer(
            System.out,
            System.err,
            Clock.systemDefaultZone(),
            ProgressRenderer.Mode.detect(output.verbose),
            logFile.toString(),
            this::rerun);
    // Before Spark starts, so that its start-up is in the log file and not on the console.
    try (RunLog runLog = RunLog.start(logFile, output.verbose, console)) {
      SparkSession spark = Spark.forCli("crowdrank " + name);
      try {
        Pipeline.RunResult run = new Pipeline(spark, options, console).run(steps);
        print(run, options);
        console.runEnded(run);
      } catch (Throwable e) {
        if (console.reported(e)) {
          // Its block on the console said what failed and what to do; the log has the rest.
          return 1;
        }
        throw e;
      } finally {
        spark.stop();
      }
    }
    return 0;
  }

  /** The command that runs {@code step} alone, with the options given here that it takes. */
  String rerun(String step) {
    CommandSpec target = spec.parent().subcommands().get(step).getCommandSpec();
    List<String> words = new ArrayList<>(List.of("./crowdrank", "jobs", step));
    for (OptionSpec option : spec.commandLine().getParseResult().matchedOptions()) {
      if (target.findOption(option.longestName()) == null) {
        continue;
      }
      words.add(option.longestName());
      if (option.arity().max() == 0) {
        continue;
      }
      // A secret is not printed: the placeholder says what goes there.
      words.addAll(
          option.longestName().equals("--id-salt")
              ? List.of(option.paramLabel())
              : option.originalStringValues().stream().map(StepCommand::quote).toList());
    }
    return String.join(" ", words);
  }

  private static String quote(String word) {
    return word.matches("[A-Za-z0-9_./:=,@%+-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
  }

  /** What this command runs on the warehouse. */
  List<Step> steps() {
    if (isAll()) {
      List<Step> dag = Pipeline.dag(tune.tune);
      List<String> ids = ids(dag);
      for (String s : only.steps) {
        if (!ids.contains(s)) {
          throw usage(
              "unknown step '" + s + "' in --steps (the DAG's: " + String.join(", ", ids) + ")");
        }
      }
      return only.steps.isEmpty()
          ? dag
          : dag.stream().filter(s -> only.steps.contains(s.id())).toList();
    }
    Step step = step(name);
    if (!tune.tune) {
      return List.of(step);
    }
    if (step != Step.TRAIN) {
      throw usage(
          "evaluate --tune needs --interactions FILE; on the warehouse, tune with all --tune or"
              + " train --tune");
    }
    return List.of(Step.TUNE, Step.TRAIN);
  }

  /** The pipeline's options for {@code steps}, checked. */
  Pipeline.Options options(List<Step> steps) {
    try {
      JobOptions.check(
          warehouse.root != null,
          "--warehouse DIR is required"
              + (name.equals(Step.EVALUATE.id()) ? " (or --interactions FILE)" : ""));
      JobOptions.check(raw.root != null || !steps.contains(Step.INGEST), "ingest needs --raw DIR");
      long s = seed.seed;
      String zone = timeZone.zone;
      return new Pipeline.Options(
          raw.root,
          warehouse.root,
          deliveries.first(),
          deliveries.last(),
          asOf.date,
          runId(),
          identity.salt,
          training.params(s),
          profiles.interestHalfLife,
          zone,
          retention.hours(),
          evaluation.options(s, zone),
          trials.trials(),
          gate.tolerance(),
          gate.override,
          targeting.file,
          experiments.checked(),
          privacy.k(),
          lookalike.topN(),
          events.checked());
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  /** What the steps' summary lines leave out: the search's trials and the evaluation. */
  private static void print(Pipeline.RunResult run, Pipeline.Options options) {
    for (Pipeline.StepResult r : run.steps()) {
      if (r.result() instanceof TuneJob.Result t) {
        System.out.print(
            new Tuning.Result(t.best(), options.evaluation().primaryK(), t.trials()).table());
        System.out.println("tuned parameters: " + Json.write(t.best().asMap()));
      }
      if (r.result() instanceof ExperimentsJob.Result x) {
        System.out.print(x.table());
      }
      if (r.result() instanceof EvaluateJob.Result e) {
        // A whole run shows the K decisions are made at; evaluate alone, and the report, every K.
        int k = options.evaluation().primaryK();
        boolean alone = run.steps().size() == 1;
        System.out.print(alone ? e.evaluation().table() : e.evaluation().table(k));
        System.out.println("quality gate input: " + Json.write(e.gate()));
        System.out.println(
            "evaluation report" + (alone ? "" : " (every K, charts)") + ": " + e.report());
      }
    }
  }

  /**
   * evaluate or train on a plain interactions file instead of the warehouse's events; with --tune,
   * on the parameters a search on the training side chose.
   */
  private int onFile(InteractionsFile interactions) {
    if (output.verbose) {
      // No run and no run log here: verbose is Spark's INFO lines on the console.
      Configurator.setRootLevel(Level.INFO);
    }
    boolean train = name.equals(Step.TRAIN.id());
    FileEvaluateJob.Options options;
    try {
      JobOptions.check(
          warehouse.root != null || !train, "train --interactions FILE needs --warehouse DIR");
      options =
          new FileEvaluateJob.Options(
              interactions,
              evaluation.options(seed.seed, timeZone.zone),
              training.params(seed.seed),
              tune.tune ? trials.trials() : 0);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
    SparkSession spark = Spark.forCli("crowdrank " + name);
    try {
      if (train) {
        train(spark, options);
      } else {
        FileEvaluateJob.Result r = new FileEvaluateJob(spark, options).execute();
        printRows(r.rowsRead(), r.rowsRejected());
        if (r.search() != null) {
          System.out.print(r.search().table());
        }
        System.out.print(r.evaluation().table());
      }
      return 0;
    } catch (IllegalArgumentException e) {
      // The file's columns, the split without timestamps, a warehouse of the pipeline's own.
      throw usage(e.getMessage());
    } finally {
      spark.stop();
    }
  }

  private void train(SparkSession spark, FileEvaluateJob.Options options) {
    TrainJob.Params params = options.params();
    if (tune.tune) {
      FileEvaluateJob.Searched s = new FileEvaluateJob(spark, options).search();
      printRows(s.rowsRead(), s.rowsRejected());
      System.out.print(s.search().table());
      params = s.search().best();
    }
    FileTrainJob.Result r =
        new FileTrainJob(spark, new FileTrainJob.Options(warehouse.root, options.file(), params))
            .execute();
    if (!tune.tune) {
      printRows(r.rowsRead(), r.rowsRejected());
    }
    System.out.println(
        "train     "
            + Json.write(new TreeMap<>(r.counts()))
            + " -> "
            + Json.write(r.outputVersions()));
  }

  private void printRows(long rows, long rejected) {
    System.out.printf(
        "%s: %,d rows, %,d left out (no user or item, weight not > 0, or bad timestamp)%n",
        file.path, rows, rejected);
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  private static String runId() {
    return "run-"
        + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").format(LocalDateTime.now(ZoneOffset.UTC))
        + "-"
        + UUID.randomUUID().toString().substring(0, 8);
  }
}
