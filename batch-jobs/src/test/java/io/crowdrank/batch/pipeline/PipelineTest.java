package io.crowdrank.batch.pipeline;

import static org.apache.spark.sql.functions.max;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Lineage;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.evaluate.EvaluateJob;
import io.crowdrank.batch.evaluate.Evaluation;
import io.crowdrank.batch.evaluate.ServedBundle;
import io.crowdrank.batch.evaluate.TuneJob;
import io.crowdrank.batch.generate.DemoDataGenerator;
import io.crowdrank.batch.ingest.IngestJob;
import io.crowdrank.batch.publish.PublishJob;
import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.HourOfWeek;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The whole DAG on generated data, once for the class; each test checks one product. */
@SuppressWarnings("unchecked")
class PipelineTest extends SparkTestBase {
  static PipelineFixtures.Dag dag;
  static DemoDataGenerator.Result generated;
  static List<Pipeline.StepResult> results;

  static String wh() {
    return dag.warehousePath();
  }

  @BeforeAll
  static void runPipeline() {
    dag = PipelineFixtures.dag(spark);
    generated = dag.generated();
    results = dag.steps();
  }

  @Test
  void run_groupsEachStepsSparkJobsUnderTheStep() {
    assertThat(dag.jobsPerGroup())
        .isNotEmpty()
        .allSatisfy((step, jobs) -> assertThat(jobs).as(step).isPositive());
  }

  private static Dataset<Row> table(String t) {
    return spark.read().format("delta").load(Tables.at(wh(), t));
  }

  @Test
  void ingest_reconcilesWithWhatTheGeneratorWrote() {
    IngestJob.Result r = result(Pipeline.Step.INGEST);
    IngestJob.SourceResult payments = r.sources().get("payments");

    assertThat(payments.read()).isEqualTo(generated.payments().lines());
    assertThat(payments.quarantined()).isEqualTo(generated.payments().malformed());
    assertThat(payments.duplicates()).isEqualTo(generated.payments().duplicates());
    assertThat(r.sources().get("social").quarantined()).isEqualTo(generated.social().malformed());
  }

  @Test
  void segments_demoAudiencesHaveMembers_andTheBundleCarriesThemWithTheCampaign() {
    Map<String, Long> sizes =
        table(Tables.SEGMENT_STATS).collectAsList().stream()
            .collect(Collectors.toMap(r -> r.getAs("segment_id"), r -> r.<Long>getAs("size")));
    String customers =
        sizes.keySet().stream().filter(s -> s.endsWith("_customers")).findFirst().orElseThrow();
    String prospects = customers.replace("_customers", "_prospects");

    assertThat(sizes).hasSize(6).containsKeys("lunch_crowd", "night_owls", prospects);
    assertThat(sizes.values()).allSatisfy(n -> assertThat(n).isPositive());
    Dataset<Row> members = table(Tables.SEGMENT_MEMBERS);
    assertThat(
            members
                .filter(members.col("segment_id").equalTo(customers))
                .select("user_id")
                .intersect(
                    members.filter(members.col("segment_id").equalTo(prospects)).select("user_id"))
                .count())
        .as("prospects exclude customers")
        .isZero();
    Dataset<Row> bundle = table(Tables.BUNDLE);
    assertThat(bundle.filter("part = 'segment'").count()).isEqualTo(6);
    assertThat(bundle.filter("part = 'campaign'").select("slot").first().getInt(0)).isEqualTo(1);
    assertThat(
            bundle.filter("part = 'user' and size(segments) > 0").select("id").distinct().count())
        .isEqualTo(members.select("user_id").distinct().count());
  }

  @Test
  @SuppressWarnings("rawtypes")
  void reports_everyMerchantCrowdHasAReport_withSmallNumbersSuppressed() throws Exception {
    List<Row> reports = table(Tables.MERCHANT_REPORTS).collectAsList();
    ObjectMapper json = new ObjectMapper();
    int k = PipelineFixtures.FIXTURE_K;

    assertThat(reports).extracting(r -> r.<String>getAs("segment_id")).contains("_crowd");
    assertThat(reports)
        .extracting(r -> r.<String>getAs("segment_id"))
        .anyMatch(s -> s.endsWith("_prospects"));
    for (Row r : reports) {
      JsonNode report = json.readTree(r.<String>getAs("report_json"));
      assertThat(report.get("k").asInt()).isEqualTo(k);
      if (report.has("aipl_movement")) {
        // One profiles run so far: no previous period to move from.
        assertThat(report.get("aipl_movement")).isEmpty();
      }
      if (r.<String>getAs("segment_id").equals("_crowd") && report.has("aipl")) {
        // The crowd is everybody with a stage at the merchant.
        assertThat(report.get("aipl").get("none").asLong()).isZero();
      }
      // Every people count in the report is either suppressed (null) or at least k.
      List<JsonNode> counts = new java.util.ArrayList<>();
      report.findValues("users").forEach(counts::add);
      if (report.has("platforms")) {
        report.get("platforms").forEach(counts::add);
        report.get("aipl").forEach(counts::add);
      }
      assertThat(counts)
          .allSatisfy(n -> assertThat(n.isNull() || n.asLong() == 0 || n.asLong() >= k).isTrue());
      if (report.get("suppressed").asBoolean()) {
        assertThat(report.get("size").isNull()).isTrue();
        assertThat(report.has("cities")).isFalse();
      }
    }
    Dataset<Row> personas = table(Tables.PERSONAS);
    assertThat(personas.count()).isEqualTo(6);
    assertThat(personas.collectAsList())
        .allSatisfy(p -> assertThat(p.<String>getAs("name")).isNotBlank());
    assertThat(table(Tables.USER_PERSONAS).count()).isEqualTo(table(Tables.USER_PROFILES).count());
    // Lookalikes are reachable on the social network and not customers of the merchant yet.
    Dataset<Row> look = table(Tables.LOOKALIKES);
    Dataset<Row> customers =
        table(Tables.USER_AIPL)
            .filter("scope = 'merchant' and stage_level >= 3")
            .selectExpr("scope_id as merchant_id", "user_id");
    assertThat(look.count()).isPositive();
    assertThat(look.join(customers, new String[] {"merchant_id", "user_id"}).count()).isZero();
    assertThat(look.join(table(Tables.USER_PROFILES).filter("not has_social"), "user_id").count())
        .isZero();
  }

  @Test
  void profiles_haveOneRowPerUser_withScoresAndHistogram() {
    Dataset<Row> profiles = table(Tables.USER_PROFILES);
    long users = table(Tables.IDENTITY_MAP).select("user_id").distinct().count();

    assertThat(profiles.count()).isEqualTo(users);
    assertThat(profiles.select("user_id").distinct().count()).isEqualTo(users);
    assertThat(profiles.filter("is_shared").count()).isPositive();
    assertThat(profiles.filter("size(hour_of_week_activity) != 168").count()).isZero();
    assertThat(
            profiles
                .filter(
                    "frequency > 0 AND (r_score NOT BETWEEN 1 AND 5 OR f_score NOT BETWEEN 1 AND 5 OR m_score NOT BETWEEN 1 AND 5)")
                .count())
        .isZero();
    assertThat(profiles.filter("frequency > 0 AND home_city IS NULL").count()).isZero();
  }

  @Test
  void bundle_holdsEveryPartInOneVersion() throws Exception {
    PublishJob.Result published = result(Pipeline.Step.PUBLISH);
    Dataset<Row> bundle = table(Tables.BUNDLE);
    Map<String, Long> parts =
        bundle.groupBy("part").count().collectAsList().stream()
            .collect(Collectors.toMap(r -> r.getString(0), r -> r.getLong(1)));

    assertThat(parts.keySet()).containsExactlyInAnyOrderElementsOf(BundleFormat.PARTS);
    assertThat(parts.get(BundleFormat.PART_ITEM)).isEqualTo(table(Tables.CATALOG).count());
    assertThat(parts.get(BundleFormat.PART_MANIFEST)).isEqualTo(1);
    // A user row per distinct bucket of the user's keys (shared id and accounts).
    Dataset<Row> users = bundle.filter("part = 'user'");
    List<Row> distinct =
        users.select("id", "payment_account", "social_account").distinct().collectAsList();
    assertThat((long) distinct.size()).isEqualTo(published.users());
    long copies = 0;
    for (Row u : distinct) {
      java.util.Set<Integer> buckets = new java.util.HashSet<>();
      for (int i = 0; i < 3; i++) {
        if (!u.isNullAt(i)) {
          buckets.add(io.crowdrank.format.UserBuckets.bucket(u.getString(i)));
        }
      }
      copies += buckets.size();
    }
    assertThat(parts.get(BundleFormat.PART_USER)).isEqualTo(copies);
    assertThat(users.select("id", "bucket").distinct().count()).isEqualTo(copies);
    String manifestJson =
        bundle.filter("part = 'manifest'").select("manifest_json").first().getString(0);
    JsonNode manifest = new ObjectMapper().readTree(manifestJson);
    assertThat(manifest.get("vector_dim").asInt()).isEqualTo(8);
    assertThat(manifest.get("training").get("params").get("rank").asInt()).isEqualTo(8);
    assertThat(manifest.get("sources").get(Tables.USER_PROFILES).asLong()).isNotNegative();
    assertThat(manifest.get("gate").get("passed").asBoolean()).isTrue();
    // 3 Ks × (als, popularity per user; als, als+time, als+time+user, popularity per session;
    // als, popularity served)
    assertThat(manifest.get("metrics").get("result").get("metrics").size()).isEqualTo(24);
    assertThat(manifest.get("ranking").get("context_weight").asDouble()).isEqualTo(0.15);
    // The service reads what publish wrote as the one typed manifest.
    io.crowdrank.format.Manifest typed =
        io.crowdrank.ranking.bundle.ManifestJson.parse(manifestJson);
    assertThat(typed.contextWeight()).isEqualTo(0.15);
    assertThat(typed.vectorDim()).isEqualTo(8);
    assertThat(typed.counts().get("users")).isEqualTo(published.users());
    // users carry their interests and own hour-of-week habit for cold start and context
    assertThat(bundle.filter("part = 'user' AND size(habit_hours) > 0").count()).isPositive();
    assertThat(
            bundle.filter("part = 'user' AND vector_codes IS NULL AND size(verticals) > 0").count())
        .isPositive();
    // User vectors as the service scores them: int8 codes of the model's factors, the largest
    // component at ±127, each within half a step; no floats.
    assertThat(bundle.filter("part = 'user' AND vector IS NOT NULL").count()).isZero();
    Map<String, List<Float>> factors =
        table(Tables.USER_FACTORS).collectAsList().stream()
            .collect(Collectors.toMap(r -> r.getString(0), r -> r.getList(1)));
    List<Row> coded =
        users
            .filter("vector_codes IS NOT NULL")
            .select("id", "vector_codes", "vector_scale")
            .collectAsList();
    assertThat(coded).isNotEmpty();
    for (Row r : coded) {
      List<Float> f = factors.get(r.getString(0));
      byte[] codes = (byte[]) r.get(1);
      float scale = r.getFloat(2);
      float max = 0;
      for (float x : f) {
        max = Math.max(max, Math.abs(x));
      }
      assertThat(scale).as(r.getString(0)).isEqualTo(max / 127f);
      assertThat(codes).hasSize(8);
      int largest = 0;
      for (int d = 0; d < 8; d++) {
        assertThat(codes[d] * scale)
            .as("%s[%d]", r.getString(0), d)
            .isCloseTo(f.get(d), org.assertj.core.api.Assertions.within(scale / 2 + 1e-7f));
        largest = Math.max(largest, Math.abs(codes[d]));
      }
      assertThat(largest).isEqualTo(127);
    }
    assertThat(bundle.filter("part = 'context' AND id = '*'").count()).isEqualTo(1);
    // every user row is reachable by an account a host app sends
    assertThat(
            bundle
                .filter("part = 'user' AND payment_account IS NULL AND social_account IS NULL")
                .count())
        .isZero();
  }

  @Test
  void contextLifts_recoverThePlantedHabits() {
    Map<String, List<Float>> lifts =
        table(Tables.CONTEXT_AFFINITY).collectAsList().stream()
            .collect(Collectors.toMap(r -> r.getString(0), r -> r.getList(1)));

    // Averaged over the planted windows, so a thin hour in small test data cannot flip it.
    assertThat(mean(lifts.get("coffee_tea"), 0, 4, 7, 10)).isGreaterThan(1.5);
    assertThat(mean(lifts.get("coffee_tea"), 0, 6, 0, 5)).isLessThan(1.0);
    assertThat(mean(lifts.get("travel"), 5, 6, 8, 22)).isGreaterThan(1.5);
    assertThat(mean(lifts.get("travel"), 0, 3, 0, 24)).isLessThan(1.0);
  }

  @Test
  void evaluate_inTheDag_recordsModelPopularityAndSessionMetrics() {
    EvaluateJob.Result r = result(Pipeline.Step.EVALUATE);
    Evaluation.Result e = r.evaluation();

    // Nothing was served before this first run: the model, the baseline, and per session the
    // model without context, with everybody's hour-of-week lifts and with the user's own habit,
    // and the baseline again; then sampled sessions ranked by the service's ranker.
    assertThat(e.metrics().stream().map(m -> m.protocol() + ":" + m.model()).distinct())
        .as(e.table())
        .containsExactlyInAnyOrder(
            "user:als",
            "user:popularity",
            "session:als",
            "session:als+time",
            "session:als+time+user",
            "session:popularity",
            "served:als",
            "served:popularity");
    // The served ranking puts new mini-programs in its exploration slots; bare ALS cannot.
    assertThat(e.servedSessions()).isPositive();
    assertThat(e.find("als", Evaluation.PROTOCOL_SERVED, 10).ndcg())
        .as(e.table())
        .isGreaterThan(e.find("popularity", Evaluation.PROTOCOL_SERVED, 10).ndcg());
    assertThat(e.find("als", Evaluation.PROTOCOL_USER, 10).newShare()).isZero();
    assertThat(e.metrics()).allSatisfy(m -> assertThat(m.ndcg()).isBetween(0.0, 1.0));
    assertThat(e.find("als", Evaluation.PROTOCOL_USER, 10).coverage())
        .isGreaterThan(e.find("popularity", Evaluation.PROTOCOL_USER, 10).coverage());
    assertThat(e.sessions()).isGreaterThan(e.testUsers());
    assertThat(table(Tables.EVALUATIONS).filter("run_id = 'run-test'").count())
        .isEqualTo(e.metrics().size());
    // What notebooks read back: the newest run's metrics, as the step computed them.
    assertThat(EvaluateJob.latest(spark, wh())).containsExactlyInAnyOrderElementsOf(e.metrics());
    assertThat(r.gate().served()).isNull();
    assertThat(Path.of(java.net.URI.create(r.report()))).exists();
    assertThat(Path.of(java.net.URI.create(r.report())).resolveSibling("ndcg-by-k.png")).exists();
  }

  @Test
  void evaluate_contextAwareRanking_beatsContextFree_onPlantedTimeHabits() {
    Evaluation.Result e = ((EvaluateJob.Result) result(Pipeline.Step.EVALUATE)).evaluation();
    double free = e.find("als", Evaluation.PROTOCOL_SESSION, 10).ndcg();

    // On this small sample the margin is ~7% at the default weight; at demo scale see MODELS.md.
    assertThat(e.find("als+time", Evaluation.PROTOCOL_SESSION, 10).ndcg())
        .as(e.table())
        .isGreaterThan(free * 1.05);
    assertThat(e.find("als+time+user", Evaluation.PROTOCOL_SESSION, 10).ndcg())
        .as(e.table())
        .isGreaterThan(free * 1.03);
  }

  @Test
  void publish_refusesAModelThatIsNotEvaluatedOrWorseThanTheServedOne_unlessOverridden()
      throws Exception {
    String w = copyOfWarehouse();
    String bundle = Tables.at(w, Tables.BUNDLE);
    long served = Delta.version(spark, bundle);
    TrainJob.Params worse = new TrainJob.Params(1, 1, 100.0, 1, 42, 1, 1, 30, 0.15, 10, 1);
    new TrainJob(spark, new TrainJob.Options(w, worse, null, HourOfWeek.DEFAULT_ZONE)).execute();

    assertThatThrownBy(() -> new PublishJob(spark, PublishJob.Options.defaults(w)).execute())
        .isInstanceOf(PublishJob.QualityGateException.class)
        .hasMessageContaining("has not been evaluated");

    EvaluateJob.Result eval =
        new EvaluateJob(
                spark, new EvaluateJob.Options(w, "eval-worse", Evaluation.defaults(), null))
            .execute();
    assertThat(eval.gate().served()).as(eval.evaluation().table()).isNotNull();
    assertThat(eval.gate().model()).isLessThan(eval.gate().served());
    assertThat(eval.evaluation().find(EvaluateJob.PUBLISHED, Evaluation.PROTOCOL_USER, 10))
        .isNotNull();
    // The gate judges what host apps would receive from each model.
    assertThat(eval.gate().metric()).isEqualTo("served ndcg@10");
    assertThat(eval.gate().served())
        .isEqualTo(
            eval.evaluation().find(EvaluateJob.PUBLISHED, Evaluation.PROTOCOL_SERVED, 10).ndcg());

    assertThatThrownBy(() -> new PublishJob(spark, PublishJob.Options.defaults(w)).execute())
        .isInstanceOf(PublishJob.QualityGateException.class)
        .hasMessageContaining("worse than the served bundle v" + served)
        .hasMessageContaining("--override-gate");
    assertThat(Delta.version(spark, bundle)).isEqualTo(served);

    PublishJob.Result forced =
        new PublishJob(
                spark,
                new PublishJob.Options(
                    w, HourOfWeek.DEFAULT_ZONE, PublishJob.DEFAULT_GATE_TOLERANCE, true, null))
            .execute();
    assertThat(forced.version()).isGreaterThan(served);
    JsonNode gate =
        new ObjectMapper()
            .readTree(
                Delta.read(spark, w, Tables.BUNDLE)
                    .filter("part = 'manifest'")
                    .first()
                    .<String>getAs("manifest_json"))
            .get("gate");
    assertThat(gate.get("passed").asBoolean()).isFalse();
    assertThat(gate.get("overridden").asBoolean()).isTrue();
  }

  @Test
  void publish_withAnExperimentsFile_servesThem_andKeepsThemUntilAnotherFile() throws Exception {
    String w = copyOfWarehouse();
    java.nio.file.Path file = java.nio.file.Files.createTempFile("experiments", ".json");
    java.nio.file.Files.writeString(
        file,
        """
        {"layers": [{"id": "ranking", "experiments": [
          {"id": "context", "traffic": 0.5, "variants": [
            {"id": "control", "share": 0.5},
            {"id": "more_context", "share": 0.5, "settings": {"context_weight": 0.4}}]}]}]}
        """);
    PublishJob.Options withFile =
        new PublishJob.Options(
            w, HourOfWeek.DEFAULT_ZONE, PublishJob.DEFAULT_GATE_TOLERANCE, false, file);

    // Same inputs as the served bundle, but new experiments: a new bundle.
    PublishJob.Result published = new PublishJob(spark, withFile).execute();
    PublishJob.Result kept = new PublishJob(spark, PublishJob.Options.defaults(w)).execute();

    assertThat(published.skipped()).isFalse();
    assertThat(ServedBundle.current(spark, w).orElseThrow().experiments())
        .isEqualTo(io.crowdrank.ranking.bundle.ExperimentsJson.read(file));
    // Without a file the served bundle's experiments stay, so nothing is left to do.
    assertThat(kept.skipped()).isTrue();

    // A variant on an earlier bundle version: published if that version can be read, else refused
    // at the variant's setting.
    String onVersion =
        """
        {"layers": [{"id": "model", "experiments": [{"id": "new_model", "traffic": 1.0,
          "variants": [{"id": "current", "share": 0.5},
                       {"id": "previous", "share": 0.5, "settings": {"bundle_version": %d}}]}]}]}
        """;
    java.nio.file.Files.writeString(file, onVersion.formatted(published.version() + 5));
    assertThatThrownBy(() -> new PublishJob(spark, withFile).execute())
        .isInstanceOfSatisfying(
            io.crowdrank.format.Experiments.InvalidException.class,
            e ->
                assertThat(e.getMessage())
                    .startsWith("layers[0].experiments[0].variants[1].settings.bundle_version:")
                    .contains("bundle version " + (published.version() + 5) + " cannot be served")
                    .contains("versions up to " + published.version() + " of "));
    assertThat(Delta.version(spark, Tables.at(w, Tables.BUNDLE))).isEqualTo(published.version());
    java.nio.file.Files.writeString(file, onVersion.formatted(published.version()));
    PublishJob.Result side = new PublishJob(spark, withFile).execute();
    assertThat(ServedBundle.current(spark, w).orElseThrow().experiments().bundleVersions())
        .containsExactly(published.version());
    assertThat(side.version()).isEqualTo(published.version() + 1);
  }

  @Test
  void tune_recordsEveryTrial_andTrainUsesTheChosenParameters() throws Exception {
    String w = copyOfWarehouse();
    List<Pipeline.StepResult> steps =
        new Pipeline(
                spark,
                PipelineFixtures.options(dag.rawPath(), w, PipelineFixtures.SMALL_ALS, "run-tune"))
            .run(List.of(Pipeline.Step.TUNE, Pipeline.Step.TRAIN))
            .steps();
    TuneJob.Result tuned = (TuneJob.Result) steps.get(0).result();
    Dataset<Row> trials = Delta.read(spark, w, Tables.TUNING_TRIALS);

    // Successive halving: two parameter sets at 5 iterations, the better one at 10 and 20.
    assertThat(trials.filter("stage = 'als'").count()).isEqualTo(4);
    assertThat(trials.filter("stage = 'context'").count()).isGreaterThan(1);
    assertThat(trials.filter("chosen").groupBy("stage").count().filter("count = 1").count())
        .isEqualTo(2);
    double bestAls = trials.filter("stage = 'als'").agg(max("ndcg")).first().getDouble(0);
    // The cheapest trial within 1 % of the best (see Tuning.cheapestNearBest).
    assertThat(trials.filter("stage = 'als' AND chosen").first().<Double>getAs("ndcg"))
        .isGreaterThanOrEqualTo(bestAls * 0.99);
    Map<String, Object> trained = Lineage.of(spark, Tables.at(w, Tables.ITEM_FACTORS));
    assertThat(TrainJob.Params.fromMap((Map<String, ?>) trained.get(Lineage.PARAMS)))
        .isEqualTo(tuned.best());
  }

  private String copyOfWarehouse() {
    return dag.copy(tmp);
  }

  @SuppressWarnings("unchecked")
  private static <T extends StepReport> T result(Pipeline.Step step) {
    return (T) results.stream().filter(r -> r.step() == step).findFirst().orElseThrow().result();
  }

  /** Mean lift over days [fromDay, toDay] (0 = Monday) and hours [fromHour, toHour). */
  private static double mean(List<Float> lifts, int fromDay, int toDay, int fromHour, int toHour) {
    double sum = 0;
    int n = 0;
    for (int d = fromDay; d <= toDay; d++) {
      for (int h = fromHour; h < toHour; h++) {
        sum += lifts.get(d * 24 + h);
        n++;
      }
    }
    return sum / n;
  }
}
