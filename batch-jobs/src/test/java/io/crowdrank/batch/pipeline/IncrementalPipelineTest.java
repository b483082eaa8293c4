package io.crowdrank.batch.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Json;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.generate.DemoDataGenerator;
import io.crowdrank.batch.ingest.RawSource;
import io.crowdrank.batch.testing.RawFiles;
import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.batch.testing.TableAssertions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scheduling properties of the DAG on one generated data set: re-running commits nothing, dates
 * ingested in any order give the same tables, a consent withdrawal propagates, every run is on
 * record.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IncrementalPipelineTest extends SparkTestBase {
  static final LocalDate START = DemoDataGenerator.Options.defaults(Path.of("unused")).start();
  static final int DAYS = PipelineFixtures.Dag.DAYS;
  static final List<String> COMPARED =
      List.of(
          Tables.PAYMENTS, Tables.SOCIAL, Tables.ACCOUNT_LINKS, Tables.CATALOG, Tables.QUARANTINE);

  @TempDir static Path shared;
  static PipelineFixtures.Dag dag;
  static String inOrder;
  static Map<String, Long> firstRunVersions;

  static Pipeline.RunResult run(
      String raw,
      String warehouse,
      String runId,
      LocalDate from,
      LocalDate to,
      List<Pipeline.Step> steps) {
    return new Pipeline(
            spark,
            PipelineFixtures.dated(raw, warehouse, PipelineFixtures.SMALL_ALS, runId, from, to))
        .run(steps);
  }

  /** The shared DAG's warehouse, copied: these tests write to it. Its raw data stays shared. */
  @BeforeAll
  static void copyTheSharedRun() {
    dag = PipelineFixtures.dag(spark);
    inOrder = dag.copy(shared);
    firstRunVersions = versions(inOrder);
  }

  static Map<String, Long> versions(String warehouse) {
    return Delta.versions(
        spark,
        warehouse,
        List.of(
            Tables.PAYMENTS,
            Tables.SOCIAL,
            Tables.ACCOUNT_LINKS,
            Tables.CATALOG,
            Tables.QUARANTINE,
            Tables.IDENTITY_MAP,
            Tables.USER_PROFILES,
            Tables.USER_AIPL,
            Tables.SEGMENT_DEFINITIONS,
            Tables.SEGMENT_MEMBERS,
            Tables.SEGMENT_STATS,
            Tables.CAMPAIGNS,
            Tables.USER_FACTORS,
            Tables.ITEM_FACTORS,
            Tables.POPULARITY,
            Tables.CONTEXT_AFFINITY,
            Tables.USER_HABITS,
            Tables.EVALUATIONS,
            Tables.BUNDLE));
  }

  static StepReport step(Pipeline.RunResult run, Pipeline.Step step) {
    return run.steps().stream().filter(s -> s.step() == step).findFirst().orElseThrow().result();
  }

  static void assertSameRows(String a, String b, String table) {
    TableAssertions.assertSameRows(spark, a, b, table);
  }

  @Test
  @Order(1)
  void rerun_ofTheWholeDag_commitsNothing() {
    Pipeline.RunResult again = run(dag.rawPath(), inOrder, "run-again", null, null, Pipeline.DAG);

    assertThat(versions(inOrder)).isEqualTo(firstRunVersions);
    // Ingest reads its raw files again (and inserts nothing); the rest is up to date.
    assertThat(
            again.steps().stream()
                .filter(s -> s.step() != Pipeline.Step.INGEST)
                .map(s -> s.step() + " skipped " + s.result().skipped()))
        .allMatch(s -> s.endsWith("true"));
    assertThat(step(again, Pipeline.Step.INGEST).counts())
        .containsEntry("payments.inserted", 0L)
        .containsEntry("social.inserted", 0L);
  }

  @Test
  @Order(2)
  void ingestByDate_outOfOrder_givesTheSameTablesAsAllAtOnce() {
    String shuffled = shared.resolve("out-of-order").toString();
    LocalDate end = START.plusDays(DAYS - 1);
    String raw = dag.rawPath();
    run(raw, shuffled, "run-late", START.plusDays(6), end, List.of(Pipeline.Step.INGEST));
    run(raw, shuffled, "run-early", START, START.plusDays(2), List.of(Pipeline.Step.INGEST));
    run(
        raw,
        shuffled,
        "run-middle",
        START.plusDays(3),
        START.plusDays(5),
        List.of(Pipeline.Step.INGEST));
    // and one date again: no change
    run(
        raw,
        shuffled,
        "run-repeat",
        START.plusDays(4),
        START.plusDays(4),
        List.of(Pipeline.Step.INGEST));
    run(
        raw,
        shuffled,
        "run-rest",
        null,
        null,
        List.of(Pipeline.Step.IDENTITY, Pipeline.Step.PROFILES));

    for (String table : COMPARED) {
      assertSameRows(inOrder, shuffled, table);
    }
    assertSameRows(inOrder, shuffled, Tables.IDENTITY_MAP);
    assertSameRows(inOrder, shuffled, Tables.USER_PROFILES);
    assertSameRows(inOrder, shuffled, Tables.USER_AIPL);
  }

  @Test
  @Order(3)
  void runRecord_listsEveryStepWithVersionsAndCounts() throws Exception {
    List<Row> steps =
        Delta.read(spark, inOrder, Tables.RUNS)
            .filter("run_id = '" + PipelineFixtures.Dag.RUN_ID + "'")
            .orderBy("started_at")
            .collectAsList();

    // The test DAG has no serving log yet: events had nothing to land.
    assertThat(steps)
        .extracting(r -> r.getString(1) + " " + r.getString(2))
        .containsExactlyElementsOf(
            Pipeline.DAG.stream()
                .map(step -> step.id() + (step == Pipeline.Step.EVENTS ? " skipped" : " succeeded"))
                .toList());
    Row profiles = steps.get(Pipeline.DAG.indexOf(Pipeline.Step.PROFILES));
    assertThat(profiles.<String, Long>getJavaMap(5))
        .containsKeys(Tables.PAYMENTS, Tables.IDENTITY_MAP);
    assertThat(profiles.<String, Long>getJavaMap(6))
        .containsKeys(Tables.USER_PROFILES, Tables.USER_AIPL);
    assertThat(steps.get(Pipeline.DAG.indexOf(Pipeline.Step.INGEST)).<String, Long>getJavaMap(7))
        .containsKeys("payments.read", "payments.quarantined");
    Map<String, Object> report =
        Json.readObject(
            Files.readString(
                Path.of(inOrder, "_run_reports", PipelineFixtures.Dag.RUN_ID + ".json")));
    assertThat(report).containsEntry("outcome", "succeeded").containsKey("steps");
  }

  @Test
  @Order(4)
  void consentWithdrawal_takesThePersonOutOfSharedProfilesAndTheBundle() {
    Row link =
        Delta.read(spark, inOrder, Tables.IDENTITY_MAP)
            .filter("account_type = 'social' AND is_shared")
            .orderBy("account_id")
            .first();
    String social = link.getString(1);
    String sharedId = link.getString(2);
    String payment =
        Delta.read(spark, inOrder, Tables.IDENTITY_MAP)
            .filter("account_type = 'payment' AND user_id = '" + sharedId + "'")
            .first()
            .getString(1);
    LocalDate day = START.plusDays(DAYS);
    // A delivery of its own: the shared raw data stays as the other classes expect it.
    Path delivery = shared.resolve("withdrawal-raw");
    RawFiles.write(
        delivery,
        RawSource.ACCOUNT_LINKS.directory(),
        day.toString(),
        "withdrawal.csv",
        List.of(
            RawSource.ACCOUNT_LINKS.csvHeader(),
            payment + "," + social + ",linked,false," + day + "T09:00:00Z"));

    // The model is not retrained: publish pairs the unchanged factors with the new identities.
    run(
        delivery.toString(),
        inOrder,
        "run-withdrawal",
        day,
        day,
        List.of(
            Pipeline.Step.INGEST,
            Pipeline.Step.IDENTITY,
            Pipeline.Step.PROFILES,
            Pipeline.Step.SEGMENTS,
            Pipeline.Step.PUBLISH));

    Dataset<Row> ids = Delta.read(spark, inOrder, Tables.IDENTITY_MAP);
    Row socialNow = ids.filter("account_type = 'social' AND account_id = '" + social + "'").first();
    assertThat(socialNow.getString(2)).isNotEqualTo(sharedId);
    assertThat(socialNow.getBoolean(3)).isFalse();
    Dataset<Row> profiles = Delta.read(spark, inOrder, Tables.USER_PROFILES);
    assertThat(
            profiles
                .filter("user_id = '" + sharedId + "'")
                .first()
                .getAs("is_shared")
                .equals(false))
        .isTrue();
    Dataset<Row> bundleUsers = Delta.read(spark, inOrder, Tables.BUNDLE).filter("part = 'user'");
    assertThat(bundleUsers.filter("id = '" + sharedId + "' AND social_account IS NOT NULL").count())
        .isZero();
    assertThat(versions(inOrder).get(Tables.BUNDLE))
        .isGreaterThan(firstRunVersions.get(Tables.BUNDLE));
  }

  /**
   * The loop closed on the DAG's warehouse: a list the service served to a known payment account,
   * with a click, landed by the events step, makes the profiles step run again (the log is now
   * pinned), gives the user interest in the clicked mini-program and awareness of the one only
   * shown, and records both in the exposure table.
   */
  @Test
  @Order(5)
  void servedListAndClick_landedByEvents_reachAiplAndExposure() throws Exception {
    Row account =
        Delta.read(spark, inOrder, Tables.IDENTITY_MAP)
            .filter("account_type = 'payment'")
            .orderBy("account_id")
            .first();
    String user = account.getString(2);
    // Two mini-programs the user has no stage at yet.
    List<String> fresh =
        Delta.read(spark, inOrder, Tables.CATALOG)
            .select("mini_program_id")
            .except(
                Delta.read(spark, inOrder, Tables.USER_AIPL)
                    .filter("scope = 'mini_program' AND user_id = '" + user + "'")
                    .select(org.apache.spark.sql.functions.col("scope_id").as("mini_program_id")))
            .orderBy("mini_program_id")
            .limit(2)
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList();
    String at = START.plusDays(DAYS - 1) + "T10:00:00Z";
    List<String> log =
        List.of(
            ("{\"type\":\"served\",\"event_id\":\"r9.1.1\",\"replica\":\"r9\","
                    + "\"logged_at\":\"%s\",\"user_type\":\"payment\",\"user_id\":\"%s\","
                    + "\"host_app\":\"alipay\",\"event_time\":\"%s\",\"experiments\":[],"
                    + "\"forced\":false,\"items\":[{\"mini_program_id\":\"%s\",\"position\":1,"
                    + "\"score\":0.9},{\"mini_program_id\":\"%s\",\"position\":2,\"score\":0.8}]}")
                .formatted(at, account.getString(1), at, fresh.get(0), fresh.get(1)),
            ("{\"type\":\"event\",\"event_id\":\"r9.1.2\",\"replica\":\"r9\","
                    + "\"logged_at\":\"%s\",\"user_type\":\"payment\",\"user_id\":\"%s\","
                    + "\"host_app\":\"alipay\",\"mini_program_id\":\"%s\",\"kind\":\"click\","
                    + "\"event_time\":\"%s\",\"attribution_token\":\"r9.1.1\"}")
                .formatted(at, account.getString(1), fresh.get(0), at));
    Path dir =
        java.nio.file.Files.createDirectories(
            Path.of(inOrder, io.crowdrank.format.ServingLogFormat.DIRECTORY, "r9"));
    java.nio.file.Files.write(
        dir.resolve(new io.crowdrank.format.ServingLogFormat.Segment(1, 0, true).fileName()), log);

    Pipeline.RunResult r =
        run(
            dag.rawPath(),
            inOrder,
            "run-feedback",
            null,
            null,
            List.of(Pipeline.Step.EVENTS, Pipeline.Step.PROFILES));

    assertThat(step(r, Pipeline.Step.PROFILES).skipped()).isFalse();
    Map<String, String> stages = new java.util.HashMap<>();
    Delta.read(spark, inOrder, Tables.USER_AIPL)
        .filter("scope = 'mini_program' AND user_id = '" + user + "'")
        .collectAsList()
        .forEach(x -> stages.put(x.getAs("scope_id"), x.getAs("stage")));
    assertThat(stages)
        .containsEntry(fresh.get(0), "interest")
        .containsEntry(fresh.get(1), "awareness");
    List<Row> exposure =
        Delta.read(spark, inOrder, Tables.USER_EXPOSURE).orderBy("mini_program_id").collectAsList();
    assertThat(exposure).hasSize(2);
    assertThat(exposure.get(0).<String>getAs("user_id")).isEqualTo(user);
    assertThat(exposure.get(0).<Long>getAs("served")).isEqualTo(1L);
    assertThat(exposure.get(0).<Long>getAs("clicks")).isEqualTo(1L);
    assertThat(exposure.get(1).<Long>getAs("clicks")).isZero();
  }
}
