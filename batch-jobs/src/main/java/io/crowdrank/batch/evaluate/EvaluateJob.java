package io.crowdrank.batch.evaluate;

import static io.crowdrank.batch.common.Columns.DESCRIPTION;
import static io.crowdrank.batch.common.Columns.RUN_ID;
import static io.crowdrank.batch.common.Columns.SEGMENT_ID;
import static org.apache.spark.sql.functions.col;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Inputs;
import io.crowdrank.batch.common.Json;
import io.crowdrank.batch.common.Lineage;
import io.crowdrank.batch.common.StepJob;
import io.crowdrank.batch.common.StepOptions;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.identity.Events;
import io.crowdrank.batch.train.TrainJob;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Evaluates the trained model on the warehouse's own events with {@link Evaluation}: the model's
 * parameters (as {@code model/item_factors} records them) retrained on the training side of the
 * split, beside the popularity baseline and the model being served (its parameters, from the
 * published bundle's manifest, retrained on the same split: the served factors themselves have seen
 * the test period and cannot be scored on it fairly). Appends the metrics to {@code
 * model/evaluations}, keeps the gate's numbers in that commit's metadata for publish, and writes a
 * report (Markdown and HTML with charts) under {@code _reports/evaluation/<run>/}.
 */
public final class EvaluateJob extends StepJob<EvaluateJob.Options, EvaluateJob.Result> {

  /** Labels of the models in the evaluation table and report. */
  public static final String MODEL = "als";

  /** The published bundle's parameters, retrained on the same split. */
  public static final String PUBLISHED = "published";

  /** Targeting and profile tables the served protocol's bundle takes, where they exist. */
  static final List<String> SERVED_WORLD =
      List.of(
          Tables.USER_PROFILES,
          Tables.SEGMENT_MEMBERS,
          Tables.SEGMENT_STATS,
          Tables.SEGMENT_DEFINITIONS,
          Tables.CAMPAIGNS);

  /**
   * @param reportRoot where reports go; null = {@code <warehouse>/_reports}
   * @param served the served protocol's sample and ranking settings
   */
  public record Options(
      String warehouse,
      String runId,
      Evaluation.Options evaluation,
      String reportRoot,
      ServedProtocol.Options served)
      implements StepOptions {
    public Options {
      if (warehouse == null) {
        throw new IllegalArgumentException("warehouse is required");
      }
      if (served == null) {
        served = ServedProtocol.Options.defaults();
      }
    }

    public Options(
        String warehouse, String runId, Evaluation.Options evaluation, String reportRoot) {
      this(warehouse, runId, evaluation, reportRoot, null);
    }

    String reports() {
      return reportRoot != null ? reportRoot : Tables.at(warehouse, "_reports");
    }
  }

  /**
   * The quality gate's inputs: the model and the served model's score on the same split (served is
   * null when nothing is published yet).
   *
   * @param metric e.g. {@code ndcg@10}
   * @param modelVersion version of {@code model/item_factors} evaluated
   * @param servedVersion bundle version compared with, or {@link ServedBundle#NONE}
   */
  public record Gate(
      String metric, double model, Double served, long modelVersion, long servedVersion) {}

  public record Result(
      Evaluation.Result evaluation, Gate gate, String report, StepJob.Outcome outcome)
      implements StepJob.Report {
    @Override
    public Map<String, Long> counts() {
      return Map.of(
          "train_pairs", evaluation.trainPairs(),
          "test_users", evaluation.testUsers(),
          "eligible_test_users", evaluation.eligibleTestUsers(),
          "cold_test_users", evaluation.coldTestUsers(),
          "test_sessions", evaluation.sessions());
    }
  }

  static final String STEP = "evaluate";
  static final String LINEAGE_RESULT = "result";
  static final String LINEAGE_GATE = "gate";
  static final String LINEAGE_REPORT = "report";

  static final String NEW_SHARE = "new_share";

  static final StructType SCHEMA =
      new StructType()
          .add(RUN_ID, DataTypes.StringType, false)
          .add("evaluated_at", DataTypes.TimestampType, false)
          .add("split", DataTypes.StringType, false)
          .add("protocol", DataTypes.StringType, false)
          .add("model", DataTypes.StringType, false)
          .add("k", DataTypes.IntegerType, false)
          .add("ndcg", DataTypes.DoubleType, false)
          .add("recall", DataTypes.DoubleType, false)
          .add("precision", DataTypes.DoubleType, false)
          .add("map", DataTypes.DoubleType, false)
          .add("coverage", DataTypes.DoubleType, false)
          // Added with the served protocol; null in rows written before it.
          .add(NEW_SHARE, DataTypes.DoubleType, true)
          .add("test_users", DataTypes.LongType, false)
          .add("params", DataTypes.StringType, false)
          .add(
              "input_versions",
              DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType, false),
              false);

  // Per run, set by lineageInputs: the served bundle this model competes with, if any.
  private Optional<ServedBundle> served = Optional.empty();
  private Map<String, Long> lineageVersions = Map.of();

  public EvaluateJob(SparkSession spark, Options options) {
    super(spark, options, STEP, Events.SOURCES, List.of(Tables.EVALUATIONS));
  }

  @Override
  protected List<String> inputs() {
    if (!Delta.exists(spark, path(Tables.ITEM_FACTORS))) {
      throw new IllegalStateException("no trained model to evaluate: run train first");
    }
    List<String> tables = new ArrayList<>(super.inputs());
    tables.add(Tables.ITEM_FACTORS);
    SERVED_WORLD.stream().filter(t -> Delta.exists(spark, path(t))).forEach(tables::add);
    return tables;
  }

  /** The pinned tables and the served bundle, which the gate compares against. */
  @Override
  protected Map<String, Long> lineageInputs(Inputs in) {
    long modelVersion = in.versions().get(Tables.ITEM_FACTORS);
    // A bundle made from this very model is no competitor (publish re-run on the same model).
    served = ServedBundle.current(spark, warehouse).filter(s -> s.modelVersion() != modelVersion);
    Map<String, Long> versions = new LinkedHashMap<>(in.versions());
    versions.put(Tables.BUNDLE, served.map(ServedBundle::version).orElse(ServedBundle.NONE));
    lineageVersions = versions;
    return versions;
  }

  @Override
  protected Map<String, ?> params() {
    Evaluation.Options eo = options.evaluation();
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("split", eo.split().id());
    params.put("test_fraction", eo.testFraction());
    params.put("seed", eo.seed());
    params.put("ks", eo.ks());
    params.put("time_zone", eo.timeZone());
    params.put("max_test_users", eo.maxTestUsers());
    params.put("served_sessions", options.served().sessions());
    params.put("served_ranking", options.served().ranking());
    return params;
  }

  @Override
  protected Result result(Run run) {
    return new Result(
        Json.convert(run.lineage().get(LINEAGE_RESULT), Evaluation.Result.class),
        Json.convert(run.lineage().get(LINEAGE_GATE), Gate.class),
        (String) run.lineage().get(LINEAGE_REPORT),
        run.outcome());
  }

  @Override
  protected void compute(Inputs in, Commit commit) {
    long modelVersion = in.versions().get(Tables.ITEM_FACTORS);
    TrainJob.Params model = modelParams(spark, warehouse, modelVersion);
    Evaluation.Options eo = options.evaluation();
    Dataset<Row> interactions =
        TrainJob.Interactions.events(in, model).persist(StorageLevel.MEMORY_AND_DISK());
    Evaluation.Result r;
    try {
      List<Evaluation.Candidate> candidates = new ArrayList<>();
      candidates.add(new Evaluation.Candidate(MODEL, model));
      served.ifPresent(s -> candidates.add(new Evaluation.Candidate(PUBLISHED, s.params())));
      Evaluation evaluation = new Evaluation(spark, eo);
      try (Evaluation.Prepared split =
          evaluation.prepare(
              Evaluation.events(interactions), Evaluation.categories(interactions))) {
        r = evaluation.evaluate(split, candidates);
        Optional<ServedProtocol.World> world = world(in);
        if (world.isPresent()) {
          long started = System.nanoTime();
          ServedProtocol.Outcome o =
              new ServedProtocol(spark, eo, world.get(), options.served()).run(split, candidates);
          r = r.withServed(o.sessions(), o.metrics(), Evaluation.millisSince(started));
        }
      }
    } finally {
      interactions.unpersist();
    }

    int k = eo.primaryK();
    // The gate compares what host apps would receive, where the served protocol ran.
    String protocol =
        r.find(MODEL, Evaluation.PROTOCOL_SERVED, k) != null
            ? Evaluation.PROTOCOL_SERVED
            : Evaluation.PROTOCOL_USER;
    Evaluation.Metrics mine = r.find(MODEL, protocol, k);
    Evaluation.Metrics theirs = r.find(PUBLISHED, protocol, k);
    Gate gate =
        new Gate(
            protocol + " ndcg@" + k,
            mine.ndcg(),
            theirs == null ? null : theirs.ndcg(),
            modelVersion,
            lineageVersions.get(Tables.BUNDLE));
    String report =
        EvaluationReport.write(
            spark, options.reports(), options.runId(), eo, r, gate, model, served);

    Timestamp at = Timestamp.from(Instant.now());
    var versions = CollectionConverters.asScala(new LinkedHashMap<>(lineageVersions));
    String modelJson = Json.write(model.asMap());
    String servedJson = served.map(s -> Json.write(s.params().asMap())).orElse("{}");
    List<Row> rows = new ArrayList<>();
    for (Evaluation.Metrics m : r.metrics()) {
      rows.add(
          RowFactory.create(
              options.runId(),
              at,
              eo.split().id(),
              m.protocol(),
              m.model(),
              m.k(),
              m.ndcg(),
              m.recall(),
              m.precision(),
              m.map(),
              m.coverage(),
              m.newShare(),
              r.testUsers(),
              m.model().equals(PUBLISHED) ? servedJson : modelJson,
              versions));
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put(RUN_ID, options.runId());
    extra.put(LINEAGE_RESULT, r);
    extra.put(LINEAGE_GATE, gate);
    extra.put(LINEAGE_REPORT, report);
    commit.commit(
        extra, () -> Delta.append(spark.createDataFrame(rows, SCHEMA), path(Tables.EVALUATIONS)));
  }

  /**
   * The metrics of the newest run in {@code model/evaluations} (by protocol, model, K); empty when
   * nothing has been evaluated yet.
   */
  public static List<Evaluation.Metrics> latest(SparkSession spark, String warehouse) {
    if (!Delta.exists(spark, Tables.at(warehouse, Tables.EVALUATIONS))) {
      return List.of();
    }
    Dataset<Row> all = Delta.read(spark, warehouse, Tables.EVALUATIONS);
    List<Row> newest =
        all.orderBy(col("evaluated_at").desc()).select(RUN_ID).limit(1).collectAsList();
    if (newest.isEmpty()) {
      return List.of();
    }
    return all
        .filter(col(RUN_ID).equalTo(newest.get(0).getString(0)))
        .orderBy("protocol", "model", "k")
        .collectAsList()
        .stream()
        .map(
            r ->
                new Evaluation.Metrics(
                    r.getAs("model"),
                    r.getAs("protocol"),
                    r.<Integer>getAs("k"),
                    r.<Double>getAs("ndcg"),
                    r.<Double>getAs("recall"),
                    r.<Double>getAs("precision"),
                    r.<Double>getAs("map"),
                    r.<Double>getAs("coverage"),
                    r.isNullAt(r.fieldIndex(NEW_SHARE)) ? 0 : r.<Double>getAs(NEW_SHARE)))
        .toList();
  }

  /**
   * The warehouse side of the served protocol's bundle, if the profiles exist (targeting tables are
   * used where they exist).
   */
  private static Optional<ServedProtocol.World> world(Inputs in) {
    if (!in.versions().containsKey(Tables.USER_PROFILES)) {
      return Optional.empty();
    }
    boolean segments =
        in.versions().containsKey(Tables.SEGMENT_STATS)
            && in.versions().containsKey(Tables.SEGMENT_DEFINITIONS);
    return Optional.of(
        new ServedProtocol.World(
            in.read(Tables.CATALOG),
            in.read(Tables.IDENTITY_MAP),
            in.read(Tables.USER_PROFILES),
            in.versions().containsKey(Tables.SEGMENT_MEMBERS)
                ? in.read(Tables.SEGMENT_MEMBERS)
                : null,
            segments
                ? in.read(Tables.SEGMENT_STATS)
                    .join(
                        in.read(Tables.SEGMENT_DEFINITIONS).select(SEGMENT_ID, DESCRIPTION),
                        SEGMENT_ID)
                : null,
            in.versions().containsKey(Tables.CAMPAIGNS) ? in.read(Tables.CAMPAIGNS) : null));
  }

  /** The parameters the model at this version of {@code model/item_factors} was trained with. */
  static TrainJob.Params modelParams(SparkSession spark, String warehouse, long version) {
    Object p =
        Lineage.at(spark, Tables.at(warehouse, Tables.ITEM_FACTORS), version).get(Lineage.PARAMS);
    if (!(p instanceof Map<?, ?> m)) {
      throw new IllegalStateException(
          "model/item_factors version " + version + " has no training parameters: retrain it");
    }
    @SuppressWarnings("unchecked")
    Map<String, ?> typed = (Map<String, ?>) m;
    return TrainJob.Params.fromMap(typed);
  }

  /** The gate numbers of the newest evaluation, if it evaluated this model version. */
  public static Optional<Gate> gateFor(SparkSession spark, String warehouse, long modelVersion) {
    Map<String, Object> last = Lineage.of(spark, Tables.at(warehouse, Tables.EVALUATIONS));
    if (!STEP.equals(last.get(Lineage.STEP)) || last.get(LINEAGE_GATE) == null) {
      return Optional.empty();
    }
    Gate gate = Json.convert(last.get(LINEAGE_GATE), Gate.class);
    return gate.modelVersion() == modelVersion ? Optional.of(gate) : Optional.empty();
  }

  /**
   * What the newest evaluation found, for the bundle manifest, if it evaluated this model version
   * (else an empty map).
   */
  public static Map<String, Object> summaryFor(
      SparkSession spark, String warehouse, long modelVersion) {
    if (gateFor(spark, warehouse, modelVersion).isEmpty()) {
      return Map.of();
    }
    Map<String, Object> last = Lineage.of(spark, Tables.at(warehouse, Tables.EVALUATIONS));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(RUN_ID, last.get(RUN_ID));
    m.put("evaluation", Tables.EVALUATIONS);
    m.put("evaluation_version", Delta.version(spark, Tables.at(warehouse, Tables.EVALUATIONS)));
    m.put("split", last.get(Lineage.PARAMS));
    m.put(LINEAGE_RESULT, last.get(LINEAGE_RESULT));
    m.put(LINEAGE_REPORT, last.get(LINEAGE_REPORT));
    return m;
  }
}
