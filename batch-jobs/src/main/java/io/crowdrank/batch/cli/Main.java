package io.crowdrank.batch.cli;

import io.crowdrank.batch.common.Spark;
import io.crowdrank.batch.generate.DemoDataGenerator;
import io.crowdrank.batch.pipeline.Pipeline;
import io.crowdrank.batch.publish.PublishJob;
import io.crowdrank.batch.reports.Lookalike;
import java.nio.file.Path;
import java.time.LocalDate;
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
      Main.BenchLookalike.class,
      Main.BenchBundle.class
    })
public final class Main implements Callable<Integer> {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs without exiting, for tests. */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The whole command tree: jobs gets one subcommand per {@link Pipeline#commands()}. */
  static CommandLine commandLine() {
    CommandLine main = new CommandLine(new Main());
    CommandLine jobs = main.getSubcommands().get("jobs");
    for (String command : Pipeline.commands()) {
      jobs.addSubcommand(command, new CommandLine(StepCommand.create(command)));
    }
    // Set last: picocli passes the handler on to the subcommands there are by then.
    return main.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof PublishJob.QualityGateException) {
            // A decision, not a crash: the message says why and how to override.
            cmd.getErr().println("crowdrank: publish refused: " + e.getMessage());
            return 1;
          }
          cmd.getErr().println("crowdrank: " + cmd.getCommandName() + " failed: " + e);
          e.printStackTrace(cmd.getErr());
          return 1;
        });
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

  @Command(
      name = "jobs",
      mixinStandardHelpOptions = true,
      synopsisSubcommandLabel = "STEP",
      // Wide enough for every step's line in one line each.
      usageHelpWidth = 100,
      description = {
        "Run one batch step, the whole DAG (all) or maintenance.",
        "Each takes the options of the steps it runs: jobs STEP --help lists them."
      })
  static final class Jobs implements Callable<Integer> {
    /** Only a word that is no step lands here: picocli runs the steps as subcommands. */
    @Parameters(arity = "0..1", paramLabel = "STEP", hidden = true)
    String unknown;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          (unknown == null ? "missing step" : "unknown step '" + unknown + "'")
              + ": use one of "
              + String.join(", ", Pipeline.commands()));
    }
  }

  /**
   * What every benchmark command shares: a {@code --report} file, its own Spark session, and the
   * report printed when done.
   */
  abstract static class Benchmark implements Callable<Integer> {
    @Option(names = "--report", required = true, description = "Markdown file to write.")
    Path report;

    @Option(
        names = "--users",
        split = ",",
        description = "Scales in users, comma-separated (default ${DEFAULT-VALUE}).")
    List<Integer> users;

    private final int fewestUsers;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /**
     * @param users the scales when none are given
     * @param fewestUsers the smallest scale the benchmark takes
     */
    Benchmark(List<Integer> users, int fewestUsers) {
      this.users = users;
      this.fewestUsers = fewestUsers;
    }

    /** A usage message if the options besides the scales are wrong, else null. */
    String invalid() {
      return null;
    }

    /** Runs the benchmark and returns the report written. */
    abstract Path run(SparkSession spark) throws java.io.IOException;

    @Override
    public Integer call() throws java.io.IOException {
      String problem =
          users.stream().anyMatch(u -> u < fewestUsers)
              ? "--users values must be >= " + fewestUsers
              : invalid();
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
        names = "--days",
        defaultValue = "28",
        description = "Days of events (default ${DEFAULT-VALUE}).")
    int days;

    @Option(
        names = "--steps",
        split = ",",
        description =
            "Steps to time, in order (default: the daily DAG). Steps need the ones before them:"
                + " give a prefix of the DAG, e.g. ingest or ingest,identity,profiles.")
    List<String> steps = Pipeline.DAG.stream().map(Pipeline.Step::id).toList();

    @Option(
        names = "--reuse-raw",
        description =
            "Keep raw files an earlier run generated with the same options in --work (only the"
                + " warehouse starts afresh).")
    boolean reuseRaw;

    BenchPipeline() {
      super(List.of(100_000, 500_000), 10);
    }

    @Override
    String invalid() {
      List<String> known = Pipeline.DAG.stream().map(Pipeline.Step::id).toList();
      return steps.stream()
          .filter(s -> !known.contains(s))
          .findFirst()
          .map(s -> "unknown step '" + s + "' in --steps (one of " + known + ")")
          .orElse(null);
    }

    @Override
    Path run(SparkSession spark) throws java.io.IOException {
      return new io.crowdrank.batch.bench.PipelineBenchmark(
              spark,
              new io.crowdrank.batch.bench.PipelineBenchmark.Options(
                  work,
                  users,
                  days,
                  report,
                  steps.stream()
                      .map(s -> Pipeline.Step.valueOf(s.toUpperCase(java.util.Locale.ROOT)))
                      .toList(),
                  reuseRaw))
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

    BenchAls() {
      super(List.of(50_000, 200_000), 100);
    }

    @Override
    String invalid() {
      return perUser < 1 || rank < 1 || iterations < 2
          ? "--per-user and --rank must be >= 1, --iterations >= 2"
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
      name = "bench-lookalike",
      mixinStandardHelpOptions = true,
      description =
          "Benchmark: lookalikes on a warehouse's ALS vectors, approximate (what reports runs)"
              + " against exact, time and recall@N at each number of reachable users; writes a"
              + " Markdown report.")
  static final class BenchLookalike extends Benchmark {
    @Option(
        names = "--warehouse",
        required = true,
        description = "Warehouse with user_factors, user_profiles and user_aipl (after train).")
    String warehouse;

    @Option(
        names = "--top-n",
        defaultValue = "" + Lookalike.DEFAULT_TOP_N,
        description = "Lookalikes per merchant (default ${DEFAULT-VALUE}).")
    int topN;

    @Option(
        names = "--privacy-k",
        defaultValue = "50",
        description = "Fewest customers a merchant's seed needs (default ${DEFAULT-VALUE}).")
    long minSeed;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the sample and cells.")
    long seed;

    BenchLookalike() {
      super(List.of(10_000, 60_000), 100);
    }

    @Override
    String invalid() {
      return topN < 1 || minSeed < 1 ? "--top-n and --privacy-k must be >= 1" : null;
    }

    @Override
    Path run(SparkSession spark) throws java.io.IOException {
      return new io.crowdrank.batch.bench.LookalikeBenchmark(
              spark,
              new io.crowdrank.batch.bench.LookalikeBenchmark.Options(
                  warehouse, users, topN, minSeed, seed, report))
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

    @Option(
        names = "--habit-cells",
        defaultValue = "0",
        description =
            "Hour-of-week habit cells per user, as profiles give them (default ${DEFAULT-VALUE}).")
    int habitCells;

    @Option(
        names = "--no-prebuilt-index",
        description =
            "Do not build the item index as publish does, so that the service builds its own"
                + " (older bundles; to compare start-up times).")
    boolean noPrebuiltIndex;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      io.crowdrank.batch.bench.SyntheticBundle.Options options;
      try {
        options =
            new io.crowdrank.batch.bench.SyntheticBundle.Options(
                warehouse,
                items,
                users,
                dim,
                clusters,
                seed,
                habitCells,
                noPrebuiltIndex
                    ? Long.MAX_VALUE
                    : io.crowdrank.ranking.bundle.Catalog.ANN_MIN_ITEMS);
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
