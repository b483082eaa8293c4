package io.crowdrank.batch.cli;

import io.crowdrank.batch.common.InteractionsFile;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.evaluate.Evaluation;
import io.crowdrank.batch.evaluate.Tuning;
import io.crowdrank.batch.maintain.MaintenanceJob;
import io.crowdrank.batch.publish.PublishJob;
import io.crowdrank.batch.reports.Lookalike;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.HourOfWeek;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options of the {@code jobs} commands in groups, each a picocli mixin: a command takes the
 * groups its steps read (see {@link StepCommand}), so its help shows only those. Defaults are the
 * field values, taken from the jobs' own defaults where they have them ({@code DefaultsTest} checks
 * the rest); a group a command does not take keeps them. The accessors check what picocli cannot
 * and throw {@link IllegalArgumentException} with the message a user sees.
 */
final class JobOptions {
  private JobOptions() {}

  /** Throws the usage message unless {@code ok}. */
  static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  static final class WarehouseOptions {
    @Option(
        names = "--warehouse",
        paramLabel = "DIR",
        converter = Location.class,
        description = "Delta warehouse root (local path or URI).")
    String root;
  }

  /** A part of the DAG, in one Spark session (all only). */
  static final class StepsOptions {
    @Option(
        names = "--steps",
        split = ",",
        paramLabel = "STEP",
        description =
            "Run only these steps of the DAG, in the DAG's order (e.g. events,experiments for the"
                + " loop between nightly runs; default: all of them).")
    List<String> steps = List.of();
  }

  /** How much of a run the console shows. */
  static final class OutputOptions {
    @Option(
        names = {"-v", "--verbose"},
        description =
            "Also print the run's detailed log (Spark's stages, INFO lines, stack traces) here;"
                + " it always goes to <warehouse>/_logs/<run id>.log.")
    boolean verbose;
  }

  static final class RawOptions {
    @Option(
        names = "--raw",
        paramLabel = "DIR",
        converter = Location.class,
        description = "Raw data root: the exports, one folder per source and delivery date.")
    String root;
  }

  /** Which deliveries ingest reads: one date, a range, or (neither) every date there is. */
  static final class DeliveryOptions {
    @Option(
        names = "--date",
        paramLabel = "D",
        converter = RunDate.class,
        description = "One delivery date: YYYY-MM-DD, today or yesterday (UTC).")
    LocalDate date;

    @Option(
        names = "--from",
        paramLabel = "D",
        description = "First delivery date of a range (with --to).")
    LocalDate from;

    @Option(
        names = "--to",
        paramLabel = "D",
        description = "Last delivery date of a range (with --from).")
    LocalDate to;

    /** The first delivery date, or null for every date. */
    LocalDate first() {
      validate();
      return date != null ? date : from;
    }

    /** The last delivery date, or null for every date. */
    LocalDate last() {
      validate();
      return date != null ? date : to;
    }

    private void validate() {
      check(date == null || (from == null && to == null), "give --date or --from/--to, not both");
      check((from == null) == (to == null), "--from and --to go together");
    }
  }

  /** A folder given as a local path (made absolute) or as a URI, kept ({@link Tables#absolute}). */
  static final class Location implements CommandLine.ITypeConverter<String> {
    @Override
    public String convert(String value) {
      return Tables.absolute(value);
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

  static final class AsOfOptions {
    @Option(
        names = "--as-of",
        paramLabel = "D",
        description = "Reference date of profiles and decay (default: the newest event date).")
    LocalDate date;
  }

  static final class IdentityOptions {
    static final String DEMO_SALT = "crowdrank-demo-salt";

    @Option(
        names = "--id-salt",
        paramLabel = "SECRET",
        defaultValue = "${env:CROWDRANK_ID_SALT:-" + DEMO_SALT + "}",
        description = "Secret for pseudonymous user ids (env CROWDRANK_ID_SALT). Keep it stable.")
    String salt;
  }

  static final class ProfileOptions {
    @Option(
        names = "--interest-half-life-days",
        paramLabel = "DAYS",
        description = "Social interest decay half-life (default ${DEFAULT-VALUE}).")
    double interestHalfLife = 14;
  }

  static final class TimeZoneOptions {
    @Option(
        names = "--time-zone",
        paramLabel = "ZONE",
        description = "Zone of hour-of-week habits (default ${DEFAULT-VALUE}).")
    String zone = HourOfWeek.DEFAULT_ZONE;
  }

  /**
   * One seed for everything drawn at random: ALS, the random split, the personas, the lookalikes'
   * cells.
   */
  static final class SeedOptions {
    @Option(
        names = "--seed",
        paramLabel = "N",
        description =
            "Seed of ALS, the random split and the personas' and lookalikes' clustering (default"
                + " ${DEFAULT-VALUE}).")
    long seed = TrainJob.Params.defaults().seed();
  }

  /** The model's parameters but the seed ({@link SeedOptions}). */
  static final class TrainingOptions {
    private static final TrainJob.Params DEFAULTS = TrainJob.Params.defaults();

    @Option(
        names = "--rank",
        paramLabel = "N",
        description = "ALS rank (default ${DEFAULT-VALUE}).")
    int rank = DEFAULTS.rank();

    @Option(
        names = "--max-iter",
        paramLabel = "N",
        description = "ALS iterations (default ${DEFAULT-VALUE}).")
    int maxIter = DEFAULTS.maxIter();

    @Option(
        names = "--reg-param",
        paramLabel = "X",
        description = "ALS regularisation (default ${DEFAULT-VALUE}).")
    double regParam = DEFAULTS.regParam();

    @Option(
        names = "--alpha",
        paramLabel = "X",
        description = "ALS implicit confidence scale (default ${DEFAULT-VALUE}).")
    double alpha = DEFAULTS.alpha();

    @Option(
        names = "--payment-weight",
        paramLabel = "X",
        description = "Confidence per successful payment (default ${DEFAULT-VALUE}).")
    double payment = DEFAULTS.paymentWeight();

    @Option(
        names = "--social-weight",
        paramLabel = "X",
        description = "Multiplier on social card-engagement confidence (default ${DEFAULT-VALUE}).")
    double social = DEFAULTS.socialWeight();

    @Option(
        names = "--decay-half-life-days",
        paramLabel = "DAYS",
        description = "Half-life of confidence and popularity decay (default ${DEFAULT-VALUE}).")
    double halfLife = DEFAULTS.halfLifeDays();

    @Option(
        names = "--context-weight",
        paramLabel = "X",
        description =
            "Weight of ln(hour-of-week lift) beside the collaborative score (default ${DEFAULT-VALUE}).")
    double context = DEFAULTS.contextWeight();

    @Option(
        names = "--habit-shrinkage",
        paramLabel = "X",
        description =
            "Pseudo-count pulling a user's own hour-of-week habit to everybody's (default ${DEFAULT-VALUE}).")
    double shrinkage = DEFAULTS.habitShrinkage();

    @Option(
        names = "--feedback-weight",
        paramLabel = "X",
        description =
            "Multiplier on the confidence of clicks (0.5) and uses (1) of ranked mini-programs"
                + " (default ${DEFAULT-VALUE}).")
    double feedback = DEFAULTS.feedbackWeight();

    TrainJob.Params params(long seed) {
      return new TrainJob.Params(
          rank, maxIter, regParam, alpha, seed, payment, social, halfLife, context, shrinkage,
          feedback);
    }
  }

  /** How an evaluation holds out and scores (the seed and zone are groups of their own). */
  static final class EvaluationOptions {
    private static final Evaluation.Options DEFAULTS = Evaluation.defaults();

    @Option(
        names = "--split",
        paramLabel = "time|random",
        description = "time, or random per user (seeded) (default ${DEFAULT-VALUE}).")
    String split = DEFAULTS.split().id();

    @Option(
        names = "--test-fraction",
        paramLabel = "X",
        description = "Share held out (default ${DEFAULT-VALUE}).")
    double testFraction = DEFAULTS.testFraction();

    @Option(
        names = "--k",
        paramLabel = "K",
        split = ",",
        description = "Cut-offs, comma-separated (default ${DEFAULT-VALUE}).")
    List<Integer> ks = DEFAULTS.ks();

    @Option(
        names = "--max-test-users",
        paramLabel = "N",
        description =
            "Test users scored at most, 0 for all; beyond it a seeded sample by a hash of the user"
                + " id (default ${DEFAULT-VALUE}).")
    int maxTestUsers = DEFAULTS.maxTestUsers();

    Evaluation.Options options(long seed, String timeZone) {
      return new Evaluation.Options(
          Evaluation.Split.parse(split), testFraction, seed, ks, timeZone, maxTestUsers);
    }
  }

  static final class TuneOptions {
    @Option(
        names = "--tune",
        description =
            "First search ALS (and context) parameters on a validation split carved from the"
                + " training side (evaluate: only with --interactions).")
    boolean tune;
  }

  static final class TrialsOptions {
    @Option(
        names = "--tune-trials",
        paramLabel = "N",
        description =
            "Parameter sets in the search's first successive-halving rung, the given ones included"
                + " (default ${DEFAULT-VALUE}).")
    int trials = Tuning.DEFAULT_TRIALS;

    int trials() {
      check(trials >= 1 && trials <= 200, "--tune-trials must be 1..200");
      return trials;
    }
  }

  static final class GateOptions {
    @Option(
        names = "--gate-tolerance",
        paramLabel = "X",
        description =
            "Relative shortfall against the served model still accepted (default ${DEFAULT-VALUE}).")
    double tolerance = PublishJob.DEFAULT_GATE_TOLERANCE;

    @Option(
        names = "--override-gate",
        description = "Publish even if the quality gate refuses (logged in the manifest).")
    boolean override;

    double tolerance() {
      check(tolerance >= 0 && tolerance < 1, "--gate-tolerance must be in [0, 1)");
      return tolerance;
    }
  }

  /** Where the events step finds what the service's replicas logged. */
  static final class EventsSourceOptions {
    @Option(
        names = "--events-source",
        paramLabel = "SOURCE",
        converter = Location.class,
        description =
            "Where the service's replicas log: their folders (default: <warehouse>/_serving_log,"
                + " one sub-folder per replica) or kafka://HOST:PORT[,HOST:PORT]/TOPIC when they"
                + " send to Kafka (see docs/EXPERIMENTS.md).")
    String source;

    String checked() {
      return source == null ? null : io.crowdrank.batch.events.EventsJob.checked(source);
    }
  }

  static final class ExperimentsOptions {
    @Option(
        names = "--experiments",
        paramLabel = "FILE",
        description =
            "A JSON file of A/B experiments to publish with the bundle (default: those of the"
                + " bundle served now; see docs/EXPERIMENTS.md).")
    Path file;

    /** The file, checked now rather than when publish reaches it at the end of the DAG. */
    Path checked() {
      if (file != null) {
        io.crowdrank.ranking.bundle.ExperimentsJson.read(file);
      }
      return file;
    }
  }

  static final class TargetingOptions {
    @Option(
        names = "--targeting",
        paramLabel = "FILE",
        description =
            "A JSON file of segment and campaign definitions to store and evaluate (default: the"
                + " stored ones; see docs/SEGMENTS.md).")
    Path file;
  }

  static final class PrivacyOptions {
    @Option(
        names = "--privacy-k",
        paramLabel = "N",
        description =
            "Fewest people a number in a merchant report may describe; smaller ones are suppressed"
                + " (default ${DEFAULT-VALUE}).")
    int k = 50;

    int k() {
      check(k >= 2, "--privacy-k must be >= 2");
      return k;
    }
  }

  static final class LookalikeOptions {
    @Option(
        names = "--lookalike-top-n",
        paramLabel = "N",
        description =
            "Most lookalikes kept per merchant, the most similar to its customers (default"
                + " ${DEFAULT-VALUE}).")
    int topN = Lookalike.DEFAULT_TOP_N;

    int topN() {
      check(topN >= 1, "--lookalike-top-n must be >= 1");
      return topN;
    }
  }

  static final class RetentionOptions {
    @Option(
        names = "--retention-hours",
        paramLabel = "HOURS",
        description = "VACUUM retention, >= its default ${DEFAULT-VALUE} (7 days).")
    int hours = MaintenanceJob.MIN_RETENTION_HOURS;

    int hours() {
      check(
          hours >= MaintenanceJob.MIN_RETENTION_HOURS,
          "--retention-hours must be at least " + MaintenanceJob.MIN_RETENTION_HOURS);
      return hours;
    }
  }

  /** A plain interactions file to evaluate or train on instead of the warehouse's events. */
  static final class FileOptions {
    @Option(
        names = "--interactions",
        paramLabel = "FILE",
        description =
            "A plain interactions file (CSV, TSV or Parquet) instead of the warehouse's events:"
                + " evaluate needs no --warehouse, train writes to a new one.")
    String path;

    @Option(
        names = "--format",
        paramLabel = "FORMAT",
        description = "csv, tsv, parquet or auto: from the file name (default ${DEFAULT-VALUE}).")
    String format = "auto";

    @Option(
        names = "--sep",
        paramLabel = "C",
        description = "CSV separator (default ${DEFAULT-VALUE}).")
    String separator = ",";

    @Option(
        names = "--no-header",
        description = "The text file has no header (columns are 0, 1, 2, ...).")
    boolean noHeader;

    @Option(
        names = "--user-col",
        paramLabel = "COL",
        description = "User column (default ${DEFAULT-VALUE}).")
    String user = "user";

    @Option(
        names = "--item-col",
        paramLabel = "COL",
        description = "Item column (default ${DEFAULT-VALUE}).")
    String item = "item";

    @Option(
        names = "--weight-col",
        paramLabel = "COL",
        description = "Weight column (default: every row weighs 1).")
    String weight;

    @Option(
        names = "--time-col",
        paramLabel = "COL",
        description = "Timestamp column (epoch s, epoch ms or ISO-8601).")
    String time;

    /** The file, or null if none was given. */
    InteractionsFile file() {
      return path == null
          ? null
          : new InteractionsFile(path, format, separator, !noHeader, user, item, weight, time);
    }
  }
}
