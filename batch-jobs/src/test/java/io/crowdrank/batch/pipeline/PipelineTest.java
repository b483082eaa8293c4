package io.crowdrank.batch.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.evaluate.EvaluateJob;
import io.crowdrank.batch.evaluate.Evaluation;
import io.crowdrank.batch.generate.DemoDataGenerator;
import io.crowdrank.batch.ingest.IngestJob;
import io.crowdrank.batch.publish.PublishJob;
import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.BundleFormat;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole DAG on generated data, once for the class; each test checks one product. */
class PipelineTest extends SparkTestBase {
  @TempDir static Path shared;
  static DemoDataGenerator.Result generated;
  static List<Pipeline.StepResult> results;

  static String wh() {
    return shared.resolve("warehouse").toString();
  }

  @BeforeAll
  static void runPipeline() {
    generated =
        DemoDataGenerator.generate(
            DemoDataGenerator.Options.defaults(shared.resolve("raw"))
                .withUsers(600)
                .withMiniPrograms(150)
                .withDays(14));
    TrainJob.Params params = PipelineFixtures.SMALL_ALS;
    results =
        new Pipeline(
                spark,
                PipelineFixtures.options(
                    shared.resolve("raw").toString(), wh(), params, "run-test"))
            .run(Pipeline.DAG)
            .steps();
  }

  private static Dataset<Row> table(String t) {
    return spark.read().format("delta").load(Tables.at(wh(), t));
  }

  @Test
  void ingest_reconcilesWithWhatTheGeneratorWrote() {
    IngestJob.Result r = (IngestJob.Result) results.get(0).result();
    IngestJob.SourceResult payments = r.sources().get("payments");

    assertThat(payments.read()).isEqualTo(generated.payments().lines());
    assertThat(payments.quarantined()).isEqualTo(generated.payments().malformed());
    assertThat(payments.duplicates()).isEqualTo(generated.payments().duplicates());
    assertThat(r.sources().get("social").quarantined()).isEqualTo(generated.social().malformed());
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
    PublishJob.Result published = (PublishJob.Result) results.get(4).result();
    Dataset<Row> bundle = table(Tables.BUNDLE);
    Map<String, Long> parts =
        bundle.groupBy("part").count().collectAsList().stream()
            .collect(Collectors.toMap(r -> r.getString(0), r -> r.getLong(1)));

    assertThat(parts.keySet()).containsExactlyInAnyOrderElementsOf(BundleFormat.PARTS);
    assertThat(parts.get(BundleFormat.PART_ITEM)).isEqualTo(table(Tables.CATALOG).count());
    assertThat(parts.get(BundleFormat.PART_MANIFEST)).isEqualTo(1);
    assertThat(parts.get(BundleFormat.PART_USER)).isEqualTo(published.users());
    String manifestJson =
        bundle.filter("part = 'manifest'").select("manifest_json").first().getString(0);
    JsonNode manifest = new ObjectMapper().readTree(manifestJson);
    assertThat(manifest.get("vector_dim").asInt()).isEqualTo(8);
    assertThat(manifest.get("training").get("params").get("rank").asInt()).isEqualTo(8);
    assertThat(manifest.get("sources").get(Tables.USER_PROFILES).asLong()).isNotNegative();
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
  void evaluate_onGeneratedData_recordsMetricsForBothModels() {
    EvaluateJob.Result r =
        new EvaluateJob(
                spark,
                new EvaluateJob.Options(
                    wh(), "eval-test", Evaluation.defaults(PipelineFixtures.SMALL_ALS)))
            .execute();

    // On this small, Zipf-skewed sample popularity is a strong baseline; the comparison that
    // matters is made at demo scale (docs/MODELS.md). Here: both measured, sane, recorded.
    assertThat(r.evaluation().metrics())
        .as(r.evaluation().table())
        .hasSize(6)
        .allSatisfy(m -> assertThat(m.ndcg()).isBetween(0.0, 1.0));
    assertThat(ndcgAt10(r, "als")).isPositive();
    assertThat(coverageAt10(r, "als")).isGreaterThan(coverageAt10(r, "popularity"));
    assertThat(r.evaluation().testUsers()).isPositive();
    assertThat(table(Tables.EVALUATIONS).filter("run_id = 'eval-test'").count()).isEqualTo(6);
    assertThat(r.inputVersions()).containsKeys(Tables.PAYMENTS, Tables.IDENTITY_MAP);
  }

  private static double ndcgAt10(EvaluateJob.Result r, String model) {
    return at10(r, model).ndcg();
  }

  private static double coverageAt10(EvaluateJob.Result r, String model) {
    return at10(r, model).coverage();
  }

  private static Evaluation.Metrics at10(EvaluateJob.Result r, String model) {
    return r.evaluation().metrics().stream()
        .filter(m -> m.model().equals(model) && m.k() == 10)
        .findFirst()
        .orElseThrow();
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
