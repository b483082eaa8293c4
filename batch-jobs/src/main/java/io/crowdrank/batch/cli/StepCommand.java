package io.crowdrank.batch.cli;

import io.crowdrank.batch.cli.JobOptions.AsOfOptions;
import io.crowdrank.batch.cli.JobOptions.DeliveryOptions;
import io.crowdrank.batch.cli.JobOptions.EvaluationOptions;
import io.crowdrank.batch.cli.JobOptions.FileOptions;
import io.crowdrank.batch.cli.JobOptions.GateOptions;
import io.crowdrank.batch.cli.JobOptions.IdentityOptions;
import io.crowdrank.batch.cli.JobOptions.LookalikeOptions;
import io.crowdrank.batch.cli.JobOptions.PrivacyOptions;
import io.crowdrank.batch.cli.JobOptions.ProfileOptions;
import io.crowdrank.batch.cli.JobOptions.RawOptions;
import io.crowdrank.batch.cli.JobOptions.RetentionOptions;
import io.crowdrank.batch.cli.JobOptions.SeedOptions;
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
import io.crowdrank.batch.pipeline.Pipeline;
import io.crowdrank.batch.pipeline.Pipeline.Step;
import io.crowdrank.batch.train.FileTrainJob;
import io.crowdrank.batch.train.TrainJob;
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
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

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
      case INGEST -> List.of(raw, deliveries);
      case IDENTITY -> List.of(identity);
      case PROFILES -> List.of(asOf, profiles, timeZone);
      case SEGMENTS -> List.of(targeting);
      case TUNE -> List.of(training, seed, trials, evaluation, timeZone);
      case TRAIN -> List.of(asOf, training, seed, timeZone);
      case REPORTS -> List.of(privacy, lookalike, seed);
      case EVALUATE -> List.of(evaluation, seed, timeZone);
      case PUBLISH -> List.of(gate, timeZone);
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
    Set<Object> used = new HashSet<>(List.of(warehouse));
    reads().forEach(s -> used.addAll(groups(s)));
    if (isAll() || takesFile()) {
      used.add(tune);
    }
    if (takesFile()) {
      used.add(file);
    }
    return Stream.of(
            warehouse,
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
            retention)
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
    SparkSession spark = Spark.forCli("crowdrank " + name);
    try {
      print(new Pipeline(spark, options).run(steps), options);
    } finally {
      spark.stop();
    }
    return 0;
  }

  /** What this command runs on the warehouse. */
  List<Step> steps() {
    if (isAll()) {
      return Pipeline.dag(tune.tune);
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
          privacy.k(),
          lookalike.topN());
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  private static void print(Pipeline.RunResult run, Pipeline.Options options) {
    for (Pipeline.StepResult r : run.steps()) {
      System.out.printf(
          "%-9s %6d ms  %s%s%n",
          r.step().id(),
          r.millis(),
          r.result().skipped() ? "(up to date) " : "",
          Json.write(new TreeMap<>(r.result().counts())));
    }
    System.out.println("run record: " + run.report());
    for (Pipeline.StepResult r : run.steps()) {
      if (r.result() instanceof TuneJob.Result t) {
        System.out.print(
            new Tuning.Result(t.best(), options.evaluation().primaryK(), t.trials()).table());
        System.out.println("tuned parameters: " + Json.write(t.best().asMap()));
      }
      if (r.result() instanceof EvaluateJob.Result e) {
        System.out.print(e.evaluation().table());
        System.out.println("quality gate input: " + Json.write(e.gate()));
        System.out.println("evaluation report: " + e.report());
      }
    }
  }

  /**
   * evaluate or train on a plain interactions file instead of the warehouse's events; with --tune,
   * on the parameters a search on the training side chose.
   */
  private int onFile(InteractionsFile interactions) {
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
