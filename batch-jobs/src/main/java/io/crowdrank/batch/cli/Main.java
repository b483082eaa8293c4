package io.crowdrank.batch.cli;

import io.crowdrank.batch.common.InteractionsFile;
import io.crowdrank.batch.common.Json;
import io.crowdrank.batch.common.Spark;
import io.crowdrank.batch.evaluate.EvaluateJob;
import io.crowdrank.batch.evaluate.Evaluation;
import io.crowdrank.batch.evaluate.TuneJob;
import io.crowdrank.batch.evaluate.Tuning;
import io.crowdrank.batch.generate.DemoDataGenerator;
import io.crowdrank.batch.maintain.MaintenanceJob;
import io.crowdrank.batch.pipeline.Pipeline;
import io.crowdrank.batch.pipeline.Pipeline.Step;
import io.crowdrank.batch.publish.PublishJob;
import io.crowdrank.batch.train.FileTrainJob;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.HourOfWeek;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Entry point of the batch jar, locally ({@code ./crowdrank generate|jobs}) and under spark-submit.
 * Exit codes: 0 done, 1 a step failed, 2 bad usage.
 */
@Command(
    name = "crowdrank",
    mixinStandardHelpOptions = true,
    version = "crowdrank batch 0.1.0",
    description = "crowdrank batch: demo data generator and the Spark jobs.",
    subcommands = {
      Main.Generate.class,
      Main.Jobs.class,
      Main.BenchPipeline.class,
      Main.BenchAls.class,
      Main.BenchBundle.class
    })
public final class Main implements Callable<Integer> {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs without exiting, for tests. */
  public static int run(String... args) {
    return new CommandLine(new Main())
        .setExecutionExceptionHandler(
            (e, cmd, parsed) -> {
              if (e instanceof PublishJob.QualityGateException) {
                // A decision, not a crash: the message says why and how to override.
                cmd.getErr().println("crowdrank: publish refused: " + e.getMessage());
                return 1;
              }
              cmd.getErr().println("crowdrank: " + cmd.getCommandName() + " failed: " + e);
              e.printStackTrace(cmd.getErr());
              return 1;
            })
        .execute(args);
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing command: generate or jobs");
  }

  @Command(
      name = "generate",
      mixinStandardHelpOptions = true,
      description = "Write demo raw data (payments, social, account links, catalog) to a folder.")
  static final class Generate implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Option(
        names = "--users",
        defaultValue = "5000",
        description = "Users (default ${DEFAULT-VALUE}).")
    int users;

    @Option(
        names = "--mini-programs",
        defaultValue = "1000",
        description = "Mini-programs (default ${DEFAULT-VALUE}).")
    int miniPrograms;

    @Option(
        names = "--days",
        defaultValue = "28",
        description = "Days of events, 7..366 (default ${DEFAULT-VALUE}).")
    int days;

    @Option(
        names = "--seed",
        defaultValue = "42",
        description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(
        names = "--start",
        defaultValue = "2026-10-05",
        description = "First day, YYYY-MM-DD (default ${DEFAULT-VALUE}).")
    LocalDate start;

    @Option(
        names = "--malformed-share",
        defaultValue = "0.005",
        description = "Share of malformed lines, 0..0.5 (default ${DEFAULT-VALUE}).")
    double malformedShare;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      DemoDataGenerator.Options options;
      try {
        options =
            new DemoDataGenerator.Options(
                out, users, miniPrograms, days, seed, start, malformedShare);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      long started = System.nanoTime();
      DemoDataGenerator.Result r = DemoDataGenerator.generate(options);
      System.out.printf(
          "generated %d users, %d mini-programs into %s in %d ms%n"
              + "  payments %,d lines (%d malformed, %d duplicate deliveries)%n"
              + "  social   %,d lines (%d malformed, %d duplicate deliveries)%n"
              + "  links    %,d lines%n  catalog  %,d lines (%d malformed)%n",
          r.users(),
          r.miniPrograms(),
          r.out(),
          (System.nanoTime() - started) / 1_000_000,
          r.payments().lines(),
          r.payments().malformed(),
          r.payments().duplicates(),
          r.social().lines(),
          r.social().malformed(),
          r.social().duplicates(),
          r.links().lines(),
          r.catalog().lines(),
          r.catalog().malformed());
      return 0;
    }
  }

  /** Delivery dates: ISO dates, or today/yesterday in UTC for schedulers without templating. */
  static final class RunDate implements CommandLine.ITypeConverter<LocalDate> {
    @Override
    public LocalDate convert(String value) {
      LocalDate today = LocalDate.now(ZoneOffset.UTC);
      return switch (value) {
        case "today" -> today;
        case "yesterday" -> today.minusDays(1);
        default -> LocalDate.parse(value);
      };
    }
  }

  @Command(
      name = "jobs",
      mixinStandardHelpOptions = true,
      description = "Run one batch step, the whole DAG (all) or maintenance.")
  static final class Jobs implements Callable<Integer> {
    @Parameters(
        index = "0",
        paramLabel = "STEP",
        completionCandidates = Pipeline.Commands.class,
        description = "One of: ${COMPLETION-CANDIDATES}.")
    String step;

    @Option(names = "--raw", description = "Raw data root (needed by ingest).")
    String raw;

    @Option(
        names = "--warehouse",
        description =
            "Delta warehouse root (local path or URI); every step but evaluate --interactions needs it.")
    String warehouse;

    @Option(
        names = "--interactions",
        description =
            "evaluate or train: a plain interactions file (CSV, TSV or Parquet) instead of the"
                + " warehouse's events; train writes its factors to --warehouse (a new one).")
    String interactions;

    @Option(
        names = "--format",
        defaultValue = "auto",
        description = "--interactions: csv, tsv, parquet or auto (default).")
    String format;

    @Option(
        names = "--sep",
        defaultValue = ",",
        description = "--interactions: CSV separator (default ${DEFAULT-VALUE}).")
    String separator;

    @Option(
        names = "--no-header",
        description = "--interactions: the text file has no header (columns are 0, 1, 2, ...).")
    boolean noHeader;

    @Option(
        names = "--user-col",
        defaultValue = "user",
        description = "--interactions: user column (default ${DEFAULT-VALUE}).")
    String userCol;

    @Option(
        names = "--item-col",
        defaultValue = "item",
        description = "--interactions: item column (default ${DEFAULT-VALUE}).")
    String itemCol;

    @Option(
        names = "--weight-col",
        description = "--interactions: weight column (default: every row weighs 1).")
    String weightCol;

    @Option(
        names = "--time-col",
        description = "--interactions: timestamp column (epoch s, epoch ms or ISO-8601).")
    String timeCol;

    @Option(
        names = "--split",
        defaultValue = "time",
        description = "evaluate: time or random (per user, seeded) (default ${DEFAULT-VALUE}).")
    String split;

    @Option(
        names = "--test-fraction",
        defaultValue = "0.25",
        description = "evaluate: share held out (default ${DEFAULT-VALUE}).")
    double testFraction;

    @Option(
        names = "--k",
        split = ",",
        defaultValue = "5,10,20",
        description = "evaluate: cut-offs (default ${DEFAULT-VALUE}).")
    List<Integer> ks;

    @Option(
        names = "--date",
        converter = RunDate.class,
        description = "Run for one delivery date: YYYY-MM-DD, today or yesterday (UTC).")
    LocalDate date;

    @Option(names = "--from", description = "First delivery date of a range (with --to).")
    LocalDate from;

    @Option(names = "--to", description = "Last delivery date of a range (with --from).")
    LocalDate to;

    @Option(
        names = "--id-salt",
        defaultValue = "${env:CROWDRANK_ID_SALT:-crowdrank-demo-salt}",
        description = "Secret for pseudonymous user ids (env CROWDRANK_ID_SALT). Keep it stable.")
    String idSalt;

    @Option(
        names = "--time-zone",
        defaultValue = HourOfWeek.DEFAULT_ZONE,
        description = "Zone of hour-of-week habits (default ${DEFAULT-VALUE}).")
    String timeZone;

    @Option(
        names = "--interest-half-life-days",
        defaultValue = "14",
        description = "Social interest decay half-life (default ${DEFAULT-VALUE}).")
    double interestHalfLife;

    @Option(
        names = "--rank",
        defaultValue = "32",
        description = "ALS rank (default ${DEFAULT-VALUE}).")
    int rank;

    @Option(
        names = "--max-iter",
        defaultValue = "10",
        description = "ALS iterations (default ${DEFAULT-VALUE}).")
    int maxIter;

    @Option(
        names = "--reg-param",
        defaultValue = "0.05",
        description = "ALS regularisation (default ${DEFAULT-VALUE}).")
    double regParam;

    @Option(
        names = "--alpha",
        defaultValue = "20",
        description = "ALS implicit confidence scale (default ${DEFAULT-VALUE}).")
    double alpha;

    @Option(
        names = "--seed",
        defaultValue = "42",
        description = "ALS seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(
        names = "--payment-weight",
        defaultValue = "1.0",
        description = "Confidence per successful payment (default ${DEFAULT-VALUE}).")
    double paymentWeight;

    @Option(
        names = "--social-weight",
        defaultValue = "1.0",
        description = "Multiplier on social card-engagement confidence (default ${DEFAULT-VALUE}).")
    double socialWeight;

    @Option(
        names = "--decay-half-life-days",
        defaultValue = "30",
        description = "Half-life of confidence and popularity decay (default ${DEFAULT-VALUE}).")
    double decayHalfLife;

    @Option(
        names = "--context-weight",
        defaultValue = "0.15",
        description =
            "Weight of ln(hour-of-week lift) beside the collaborative score (default ${DEFAULT-VALUE}).")
    double contextWeight;

    @Option(
        names = "--habit-shrinkage",
        defaultValue = "30",
        description =
            "Pseudo-count pulling a user's own hour-of-week habit to everybody's (default ${DEFAULT-VALUE}).")
    double habitShrinkage;

    @Option(
        names = "--tune",
        description =
            "Search ALS (and context) parameters on a validation split carved from the training"
                + " side before train (all, train; evaluate and train with --interactions).")
    boolean tune;

    @Option(
        names = "--tune-trials",
        defaultValue = "" + Tuning.DEFAULT_TRIALS,
        description =
            "tune: parameter sets in the first successive-halving rung, the given ones included"
                + " (default ${DEFAULT-VALUE}).")
    int tuneTrials;

    @Option(
        names = "--gate-tolerance",
        defaultValue = "0.01",
        description =
            "publish: relative shortfall against the served model still accepted (default ${DEFAULT-VALUE}).")
    double gateTolerance;

    @Option(
        names = "--override-gate",
        description = "publish: publish even if the quality gate refuses (logged in the manifest).")
    boolean overrideGate;

    @Option(
        names = "--targeting",
        description =
            "segments: a JSON file of segment and campaign definitions to store and evaluate"
                + " (default: the stored ones; see docs/SEGMENTS.md).")
    java.nio.file.Path targeting;

    @Option(
        names = "--privacy-k",
        defaultValue = "50",
        description =
            "reports: fewest people a number in a merchant report may describe; smaller ones are"
                + " suppressed (default ${DEFAULT-VALUE}).")
    int privacyK;

    @Option(
        names = "--as-of",
        description = "Reference date of profiles and decay (default: the newest event date).")
    LocalDate asOf;

    @Option(
        names = "--retention-hours",
        defaultValue = "168",
        description = "maintain: VACUUM retention, >= 168 (default ${DEFAULT-VALUE}).")
    int retentionHours;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      List<Step> steps = parseSteps();
      if (date != null && (from != null || to != null)) {
        throw usage("give --date or --from/--to, not both");
      }
      if ((from == null) != (to == null)) {
        throw usage("--from and --to go together");
      }
      LocalDate first = date != null ? date : from;
      LocalDate last = date != null ? date : to;
      if (steps.contains(Step.INGEST) && raw == null) {
        throw usage("ingest needs --raw DIR");
      }
      if (warehouse == null && !(steps.equals(List.of(Step.EVALUATE)) && interactions != null)) {
        throw usage("--warehouse is required (only evaluate --interactions FILE works without it)");
      }
      TrainJob.Params params;
      Pipeline.Options options;
      Evaluation.Options evaluation;
      try {
        params =
            new TrainJob.Params(
                rank,
                maxIter,
                regParam,
                alpha,
                seed,
                paymentWeight,
                socialWeight,
                decayHalfLife,
                contextWeight,
                habitShrinkage);
        evaluation =
            new Evaluation.Options(Evaluation.Split.parse(split), testFraction, seed, ks, timeZone);
        if (privacyK < 2) {
          throw usage("--privacy-k must be >= 2");
        }
        if (tuneTrials < 1 || tuneTrials > 200) {
          throw usage("--tune-trials must be 1..200");
        }
        if (!(gateTolerance >= 0 && gateTolerance < 1)) {
          throw usage("--gate-tolerance must be in [0, 1)");
        }
        if (retentionHours < MaintenanceJob.MIN_RETENTION_HOURS) {
          throw usage("--retention-hours must be at least " + MaintenanceJob.MIN_RETENTION_HOURS);
        }
        options =
            new Pipeline.Options(
                raw,
                warehouse,
                first,
                last,
                asOf,
                runId(),
                idSalt,
                params,
                interestHalfLife,
                timeZone,
                retentionHours,
                evaluation,
                tuneTrials,
                gateTolerance,
                overrideGate,
                targeting,
                privacyK);
      } catch (RuntimeException e) {
        throw usage(e.getMessage());
      }
      if (idSalt.equals("crowdrank-demo-salt")) {
        System.err.println(
            "crowdrank: using the demo id salt; set CROWDRANK_ID_SALT in production");
      }
      SparkSession spark = Spark.forCli("crowdrank " + step);
      try {
        if (interactions != null) {
          return onFile(spark, evaluation, params);
        }
        Pipeline.RunResult run = new Pipeline(spark, options).run(steps);
        for (Pipeline.StepResult r : run.steps()) {
          System.out.printf(
              "%-9s %6d ms  %s%s%n",
              r.step().id(),
              r.millis(),
              r.result().skipped() ? "(up to date) " : "",
              Json.write(new java.util.TreeMap<>(r.result().counts())));
        }
        System.out.println("run record: " + run.report());
        for (Pipeline.StepResult r : run.steps()) {
          if (r.result() instanceof TuneJob.Result t) {
            System.out.print(
                new Tuning.Result(t.best(), evaluation.primaryK(), t.trials()).table());
            System.out.println("tuned parameters: " + Json.write(t.best().asMap()));
          }
          if (r.result() instanceof EvaluateJob.Result e) {
            System.out.print(e.evaluation().table());
            System.out.println("quality gate input: " + Json.write(e.gate()));
            System.out.println("evaluation report: " + e.report());
          }
        }
      } finally {
        spark.stop();
      }
      return 0;
    }

    /**
     * evaluate or train on a plain interactions file instead of the warehouse's events; with
     * --tune, on the parameters a search on the training side chose.
     */
    private int onFile(SparkSession spark, Evaluation.Options evaluation, TrainJob.Params params) {
      boolean train = step.equals(Step.TRAIN.id());
      if (!step.equals(Step.EVALUATE.id()) && !train) {
        throw usage("--interactions goes with the evaluate or train step");
      }
      InteractionsFile file =
          new InteractionsFile(
              interactions, format, separator, !noHeader, userCol, itemCol, weightCol, timeCol);
      try {
        // Plain train reads the file itself (FileTrainJob); read it here only to tune or score.
        InteractionsFile.Read read = train && !tune ? null : readAndReport(spark, file);
        TrainJob.Params chosen = params;
        if (tune) {
          Tuning.Result tuned =
              new Tuning(spark, new Tuning.Options(evaluation, tuneTrials))
                  .run(read.events(), null, params);
          System.out.print(tuned.table());
          chosen = tuned.best();
        }
        if (train) {
          FileTrainJob.Result r =
              new FileTrainJob(spark, new FileTrainJob.Options(warehouse, file, chosen)).execute();
          if (read == null) {
            reportRows(r.rowsRead(), r.rowsRejected());
          }
          System.out.println(
              "train     "
                  + Json.write(new java.util.TreeMap<>(r.counts()))
                  + " -> "
                  + Json.write(r.outputVersions()));
          return 0;
        }
        System.out.print(
            new Evaluation(spark, evaluation)
                .evaluate(
                    read.events(),
                    null,
                    List.of(new Evaluation.Candidate(EvaluateJob.MODEL, chosen)))
                .table());
        return 0;
      } catch (IllegalArgumentException e) {
        throw usage(e.getMessage());
      }
    }

    private InteractionsFile.Read readAndReport(SparkSession spark, InteractionsFile file) {
      InteractionsFile.Read read = file.read(spark);
      reportRows(read.rows(), read.rejected());
      return read;
    }

    private void reportRows(long rows, long rejected) {
      System.out.printf(
          "%s: %,d rows, %,d left out (no user or item, weight not > 0, or bad timestamp)%n",
          interactions, rows, rejected);
    }

    private List<Step> parseSteps() {
      if (step.equals(Pipeline.ALL)) {
        return Pipeline.dag(tune);
      }
      // On a file, tuning is part of the evaluate or train command itself (see onFile).
      boolean tuneStep = tune && interactions == null;
      if (tuneStep && !step.equals(Step.TRAIN.id())) {
        throw usage("--tune goes with the all or train step (or evaluate --interactions FILE)");
      }
      if (tuneStep) {
        return List.of(Step.TUNE, Step.TRAIN);
      }
      return Arrays.stream(Step.values())
          .filter(s -> s.id().equals(step))
          .findFirst()
          .map(List::of)
          .orElseThrow(
              () ->
                  usage(
                      "unknown step '"
                          + step
                          + "': use one of "
                          + String.join(", ", Pipeline.commands())));
    }

    private CommandLine.ParameterException usage(String message) {
      return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private static String runId() {
      return "run-"
          + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")
              .format(LocalDateTime.now(ZoneOffset.UTC))
          + "-"
          + java.util.UUID.randomUUID().toString().substring(0, 8);
    }
  }

  /**
   * What every benchmark command shares: a {@code --report} file, its own Spark session, and the
   * report printed when done.
   */
  abstract static class Benchmark implements Callable<Integer> {
    @Option(names = "--report", required = true, description = "Markdown file to write.")
    Path report;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** A usage message if the options are wrong, else null. */
    abstract String invalid();

    /** Runs the benchmark and returns the report written. */
    abstract Path run(SparkSession spark) throws java.io.IOException;

    @Override
    public Integer call() throws java.io.IOException {
      String problem = invalid();
      if (problem != null) {
        throw new CommandLine.ParameterException(spec.commandLine(), problem);
      }
      SparkSession spark = Spark.forCli("crowdrank " + spec.name());
      try {
        Path written = run(spark);
        System.out.println("report: " + written);
        System.out.print(java.nio.file.Files.readString(written));
      } finally {
        spark.stop();
      }
      return 0;
    }
  }

  @Command(
      name = "bench-pipeline",
      mixinStandardHelpOptions = true,
      description =
          "Benchmark: generate data at each scale, time every step and the I/O floor, write a"
              + " Markdown report.")
  static final class BenchPipeline extends Benchmark {
    @Option(
        names = "--work",
        required = true,
        description = "Scratch folder (one sub-folder per scale).")
    Path work;

    @Option(
        names = "--users",
        split = ",",
        defaultValue = "100000,500000",
        description = "Scales in users, comma-separated (default ${DEFAULT-VALUE}).")
    List<Integer> users;

    @Option(
        names = "--days",
        defaultValue = "28",
        description = "Days of events (default ${DEFAULT-VALUE}).")
    int days;

    @Override
    String invalid() {
      return users.stream().anyMatch(u -> u < 10) ? "--users values must be >= 10" : null;
    }

    @Override
    Path run(SparkSession spark) throws java.io.IOException {
      return new io.crowdrank.batch.bench.PipelineBenchmark(
              spark,
              new io.crowdrank.batch.bench.PipelineBenchmark.Options(work, users, days, report))
          .execute();
    }
  }

  @Command(
      name = "bench-als",
      mixinStandardHelpOptions = true,
      description =
          "Benchmark: implicit ALS time per iteration, interactions/s/core and top-10 generation"
              + " at each scale; writes a Markdown report.")
  static final class BenchAls extends Benchmark {
    @Option(
        names = "--users",
        split = ",",
        defaultValue = "50000,200000",
        description = "Scales in users, comma-separated (default ${DEFAULT-VALUE}).")
    List<Integer> users;

    @Option(
        names = "--per-user",
        defaultValue = "20",
        description = "Mean distinct items per user (default ${DEFAULT-VALUE}).")
    int perUser;

    @Option(
        names = "--rank",
        defaultValue = "32",
        description = "ALS rank (default ${DEFAULT-VALUE}).")
    int rank;

    @Option(
        names = "--iterations",
        defaultValue = "10",
        description = "Iterations of the long fit, >= 2 (default ${DEFAULT-VALUE}).")
    int iterations;

    @Override
    String invalid() {
      return users.stream().anyMatch(u -> u < 100) || perUser < 1 || rank < 1 || iterations < 2
          ? "--users values must be >= 100, --per-user and --rank >= 1, --iterations >= 2"
          : null;
    }

    @Override
    Path run(SparkSession spark) throws java.io.IOException {
      return new io.crowdrank.batch.bench.AlsBenchmark(
              spark,
              new io.crowdrank.batch.bench.AlsBenchmark.Options(
                  users, perUser, rank, iterations, report))
          .execute();
    }
  }

  @Command(
      name = "bench-bundle",
      mixinStandardHelpOptions = true,
      description =
          "Write a synthetic model bundle (clustered vectors) of any size under a warehouse, for"
              + " the serving benchmarks.")
  static final class BenchBundle implements Callable<Integer> {
    @Option(names = "--warehouse", required = true, description = "Warehouse to write into.")
    String warehouse;

    @Option(
        names = "--items",
        defaultValue = "1000000",
        description = "Mini-programs (default ${DEFAULT-VALUE}).")
    long items;

    @Option(
        names = "--users",
        defaultValue = "100000",
        description = "Users with a vector (default ${DEFAULT-VALUE}).")
    long users;

    @Option(
        names = "--dim",
        defaultValue = "64",
        description = "Vector size (default ${DEFAULT-VALUE}).")
    int dim;

    @Option(
        names = "--clusters",
        defaultValue = "1000",
        description = "Vector clusters (default ${DEFAULT-VALUE}).")
    int clusters;

    @Option(names = "--seed", defaultValue = "7", description = "Random seed.")
    long seed;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      io.crowdrank.batch.bench.SyntheticBundle.Options options;
      try {
        options =
            new io.crowdrank.batch.bench.SyntheticBundle.Options(
                warehouse, items, users, dim, clusters, seed);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      SparkSession spark = Spark.forCli("crowdrank bench-bundle");
      try {
        var r = new io.crowdrank.batch.bench.SyntheticBundle(spark, options).execute();
        System.out.printf(
            "wrote %s: %d items, %d users, %d-dim vectors in %d ms%n",
            r.table(), r.items(), r.users(), r.dim(), r.millis());
      } finally {
        spark.stop();
      }
      return 0;
    }
  }
}
