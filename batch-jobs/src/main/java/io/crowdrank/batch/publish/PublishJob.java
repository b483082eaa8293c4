package io.crowdrank.batch.publish;

import static io.crowdrank.batch.common.Columns.*;
import static io.crowdrank.format.BundleFormat.FORMAT_VERSION;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Inputs;
import io.crowdrank.batch.common.Lineage;
import io.crowdrank.batch.common.StepJob;
import io.crowdrank.batch.common.StepOptions;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.evaluate.EvaluateJob;
import io.crowdrank.batch.evaluate.ServedBundle;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.AccountKey;
import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.Experiments;
import io.crowdrank.format.HourOfWeek;
import io.crowdrank.format.Manifest;
import io.crowdrank.ranking.bundle.Catalog;
import io.crowdrank.ranking.bundle.ExperimentsJson;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the model bundle the service loads: items (catalog fields + factors), users (factors
 * and home city, keyed by every account id a host app may send), popularity, context lifts and a
 * manifest, as one overwrite of one Delta table, so a publish is a single atomic commit and its
 * Delta version is the bundle version (see {@link BundleFormat}).
 */
public final class PublishJob extends StepJob<PublishJob.Options, PublishJob.Result> {
  private static final Logger LOG = LoggerFactory.getLogger(PublishJob.class);

  /**
   * @param warehouse root of the Delta tables
   * @param timeZone zone the serving side uses for hour-of-week context
   */
  /**
   * @param experiments the A/B experiments file to publish with the bundle, or null to keep those
   *     of the bundle served now
   */
  public record Options(
      String warehouse,
      String timeZone,
      double gateTolerance,
      boolean overrideGate,
      java.nio.file.Path experiments)
      implements StepOptions {
    public Options {
      if (warehouse == null) {
        throw new IllegalArgumentException("warehouse is required");
      }
      java.time.ZoneId.of(timeZone);
      if (!(gateTolerance >= 0 && gateTolerance < 1)) {
        throw new IllegalArgumentException(
            "gate tolerance must be in [0, 1), got " + gateTolerance);
      }
    }

    public static Options defaults(String warehouse) {
      return new Options(warehouse, HourOfWeek.DEFAULT_ZONE, DEFAULT_GATE_TOLERANCE, false, null);
    }
  }

  /** Relative shortfall against the served model that still passes (noise of a retrain). */
  public static final double DEFAULT_GATE_TOLERANCE = 0.01;

  /** Publish refused by the quality gate; nothing was written. */
  public static final class QualityGateException extends IllegalStateException {
    QualityGateException(String message) {
      super(message);
    }
  }

  public record Result(long items, long users, Instant createdTime, StepJob.Outcome outcome)
      implements StepJob.Report {
    /** The bundle's Delta version, which the service reports as model version. */
    public long version() {
      return outputVersions().get(Tables.BUNDLE);
    }

    @Override
    public Map<String, Long> counts() {
      return Map.of("items", items, "users", users);
    }
  }

  /** The tables read. */
  static final List<String> INPUTS =
      List.of(
          Tables.CATALOG,
          Tables.IDENTITY_MAP,
          Tables.USER_PROFILES,
          Tables.USER_FACTORS,
          Tables.ITEM_FACTORS,
          Tables.POPULARITY,
          Tables.CONTEXT_AFFINITY,
          Tables.USER_HABITS,
          Tables.SEGMENT_MEMBERS,
          Tables.SEGMENT_STATS,
          Tables.SEGMENT_DEFINITIONS,
          Tables.CAMPAIGNS);

  /** The tables written, in commit order. */
  static final List<String> OUTPUTS = List.of(Tables.BUNDLE);

  static final String STEP = "publish";

  public PublishJob(SparkSession spark, Options options) {
    super(spark, options, STEP, INPUTS, OUTPUTS);
  }

  @Override
  protected Map<String, ?> params() {
    // A new experiments file is a new bundle, even on the same inputs.
    return Map.of(
        "time_zone",
        options.timeZone(),
        "format_version",
        FORMAT_VERSION,
        "experiments",
        experiments().toMap());
  }

  private Experiments experiments;

  /**
   * The experiments to publish: the file's, or the served bundle's; every bundle version a variant
   * ranks on must still be readable, or the service would refuse to serve the new bundle.
   */
  private Experiments experiments() {
    if (experiments == null) {
      Experiments read =
          options.experiments() != null
              ? ExperimentsJson.read(options.experiments())
              : ServedBundle.current(spark, warehouse)
                  .map(ServedBundle::experiments)
                  .orElse(Experiments.NONE);
      if (!read.bundleVersions().isEmpty()) {
        String bundle = path(Tables.BUNDLE);
        long latest = Delta.version(spark, bundle);
        read.checkBundleVersions(
            v -> Delta.readable(spark, bundle, v),
            (latest < 0 ? "no bundle is published at " : "versions up to " + latest + " of ")
                + bundle
                + " are published, and a version's files must not have been vacuumed"
                + (options.experiments() != null ? " (in " + options.experiments() + ")" : ""));
      }
      experiments = read;
    }
    return experiments;
  }

  @Override
  protected void compute(Inputs in, Commit commit) {
    Map<String, Long> sources = in.versions();
    long modelVersion = sources.get(Tables.ITEM_FACTORS);
    Map<String, Object> training = Lineage.at(spark, path(Tables.ITEM_FACTORS), modelVersion);
    Map<String, Object> gate = gate(modelVersion);
    @SuppressWarnings("unchecked")
    TrainJob.Params model =
        TrainJob.Params.fromMap((Map<String, ?>) training.getOrDefault(Lineage.PARAMS, Map.of()));

    Dataset<Row> itemFactors = in.read(Tables.ITEM_FACTORS);
    BundleParts parts =
        new BundleParts(
            in.read(Tables.CATALOG),
            itemFactors,
            in.read(Tables.POPULARITY),
            in.read(Tables.CONTEXT_AFFINITY),
            in.read(Tables.IDENTITY_MAP),
            in.read(Tables.USER_PROFILES),
            in.read(Tables.USER_FACTORS),
            in.read(Tables.USER_HABITS),
            in.read(Tables.SEGMENT_MEMBERS),
            in.read(Tables.SEGMENT_STATS)
                .join(
                    in.read(Tables.SEGMENT_DEFINITIONS).select(SEGMENT_ID, DESCRIPTION),
                    SEGMENT_ID),
            in.read(Tables.CAMPAIGNS));
    Dataset<Row> items = parts.items();
    Dataset<Row> users = parts.users();

    // The service finds users by 64-bit keys of their accounts: two accounts with one key would be
    // one user to it.
    List<String> collisions = BundleParts.keyCollisions(users, AccountKey::of);
    if (!collisions.isEmpty()) {
      throw new IllegalStateException(
          "accounts the service could not tell apart; nothing published: "
              + String.join("; ", collisions));
    }
    long itemCount = items.count();
    long userCount = users.count();
    int dim = BundleParts.vectorDim(itemFactors);
    Instant created = Instant.now().truncatedTo(ChronoUnit.MILLIS);

    Manifest manifest =
        Manifest.of(
            created,
            options.timeZone(),
            dim,
            new LinkedHashMap<>(sources),
            training,
            EvaluateJob.summaryFor(spark, warehouse, modelVersion),
            BundleParts.rankingSettings(model),
            gate,
            Map.of("items", itemCount, "users", userCount));
    // Built before the commit, so the version that names it in its manifest always has it.
    manifest =
        BundleIndex.write(spark, items, path(Tables.BUNDLE), created, dim, Catalog.ANN_MIN_ITEMS)
            .map(manifest::withIndex)
            .orElse(manifest)
            .withExperiments(experiments());
    Dataset<Row> bundle = parts.all(BundleParts.manifest(spark, manifest));
    commit.commit(
        Map.of("created_time", created.toString(), "items", itemCount, "users", userCount),
        () -> BundleParts.write(bundle, path(Tables.BUNDLE), userCount));
  }

  /**
   * The quality gate: the model may replace the served one only if its evaluation on the same split
   * is no worse (within the tolerance). Returns the decision for the manifest; throws {@link
   * QualityGateException} on refusal unless the override is set, which is logged.
   */
  private Map<String, Object> gate(long modelVersion) {
    Optional<ServedBundle> served = ServedBundle.current(spark, warehouse);
    Map<String, Object> decision = new LinkedHashMap<>();
    decision.put("model_version", modelVersion);
    decision.put("served_bundle", served.map(ServedBundle::version).orElse(null));
    if (served.isPresent() && served.get().modelVersion() == modelVersion) {
      decision.put("passed", true);
      decision.put("reason", "same model as the served bundle");
      return decision;
    }
    Optional<EvaluateJob.Gate> evaluated = EvaluateJob.gateFor(spark, warehouse, modelVersion);
    long servedVersion = served.map(ServedBundle::version).orElse(ServedBundle.NONE);
    String refusal = null;
    if (evaluated.isEmpty()) {
      refusal =
          "model/item_factors v"
              + modelVersion
              + " has not been evaluated: run the evaluate step first";
    } else {
      EvaluateJob.Gate g = evaluated.get();
      decision.put("metric", g.metric());
      decision.put("model", g.model());
      decision.put("served", g.served());
      if (g.servedVersion() != servedVersion) {
        refusal =
            "the evaluation compared with bundle v"
                + g.servedVersion()
                + " but v"
                + servedVersion
                + " is served now: run the evaluate step again";
      } else if (g.served() != null && g.model() < g.served() * (1 - options.gateTolerance())) {
        refusal =
            String.format(
                java.util.Locale.ROOT,
                "quality gate: the new model's %s %.4f is worse than the served bundle v%d's %.4f"
                    + " on the same split (tolerance %.1f%%)",
                g.metric(),
                g.model(),
                servedVersion,
                g.served(),
                options.gateTolerance() * 100);
      }
    }
    decision.put("passed", refusal == null);
    if (refusal == null) {
      LOG.info("quality gate passed: {}", decision);
      return decision;
    }
    decision.put("reason", refusal);
    if (!options.overrideGate()) {
      throw new QualityGateException(
          refusal + "; nothing published (override with --override-gate)");
    }
    decision.put("overridden", true);
    LOG.warn("QUALITY GATE OVERRIDDEN by --override-gate: {}", refusal);
    return decision;
  }

  @Override
  protected Result result(Run run) {
    return new Result(
        run.fact("items"),
        run.fact("users"),
        Instant.parse((String) run.lineage().get("created_time")),
        run.outcome());
  }
}
