package io.crowdrank.batch.evaluate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.InteractionsFile;
import io.crowdrank.batch.common.Lineage;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.generate.DemoDataGenerator;
import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.batch.train.FileTrainJob;
import io.crowdrank.batch.train.TrainJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EvaluationTest extends SparkTestBase {
  static final TrainJob.Params ALS =
      new TrainJob.Params(4, 10, 0.05, 10, 42, 1, 1, 30, 0.15, 10, 1);

  /**
   * Two taste groups of users, each using only its own ten items, plus one item everybody uses: a
   * model that learns the groups beats popularity, which mixes them.
   */
  private Path plantedFile(String sep, boolean header) throws IOException {
    SplittableRandom rnd = new SplittableRandom(7);
    List<String> lines = new ArrayList<>();
    if (header) {
      lines.add(String.join(sep, "uid", "iid", "w", "t"));
    }
    long t0 = 1_790_000_000L;
    for (int u = 0; u < 80; u++) {
      String group = u % 2 == 0 ? "a" : "b";
      for (int e = 0; e < 14; e++) {
        String item = e % 5 == 0 ? "pop" : group + rnd.nextInt(10);
        lines.add(
            String.join(sep, "u" + u, item, "1", String.valueOf(t0 + rnd.nextInt(20 * 86_400))));
      }
    }
    Path file = tmp.resolve("interactions.csv");
    Files.write(file, lines);
    return file;
  }

  private Evaluation.Result evaluate(InteractionsFile file, Evaluation.Split split) {
    InteractionsFile.Read read = file.read(spark);
    return new Evaluation(
            spark, new Evaluation.Options(split, 0.25, 42, List.of(5, 10), "Asia/Shanghai"))
        .evaluate(read.events(), null, List.of(new Evaluation.Candidate("als", ALS)));
  }

  private static double ndcg(Evaluation.Result r, String model, int k) {
    return r.metrics().stream()
        .filter(m -> m.model().equals(model) && m.k() == k)
        .findFirst()
        .orElseThrow()
        .ndcg();
  }

  @Test
  void evaluate_timeSplit_alsBeatsThePopularityBaseline() throws IOException {
    InteractionsFile file =
        new InteractionsFile(
            plantedFile(",", true).toString(), "auto", ",", true, "uid", "iid", "w", "t");

    Evaluation.Result r = evaluate(file, Evaluation.Split.TIME);

    assertThat(r.testUsers()).isPositive();
    assertThat(r.metrics()).hasSize(4);
    assertThat(ndcg(r, "als", 5)).isGreaterThan(ndcg(r, "popularity", 5) + 0.05);
    assertThat(r.metrics()).allSatisfy(m -> assertThat(m.coverage()).isBetween(0.0, 1.0));
    assertThat(r.table()).contains("als").contains("popularity").contains("NDCG");
  }

  @Test
  void evaluate_randomSplit_isSeededAndWorksWithoutTimestamps() throws IOException {
    InteractionsFile file =
        new InteractionsFile(
            plantedFile("\t", false).toString(), "tsv", ",", false, "0", "1", null, null);

    Evaluation.Result first = evaluate(file, Evaluation.Split.RANDOM);
    Evaluation.Result again = evaluate(file, Evaluation.Split.RANDOM);

    assertThat(first.metrics()).isEqualTo(again.metrics());
    assertThat(first.testUsers()).isEqualTo(80);
    assertThat(ndcg(first, "als", 10)).isGreaterThan(ndcg(first, "popularity", 10));
  }

  /**
   * A long-tail file like the issue's: 150 users each using a random 5-60 of 300 items drawn with
   * Zipf-like weights, one row per (user, item), random times; ids spelt by {@code name}.
   */
  private static List<ReferenceMetrics.Event> zipfEvents(
      java.util.function.IntFunction<String> user, java.util.function.IntFunction<String> item) {
    SplittableRandom rnd = new SplittableRandom(11);
    double[] cumulative = new double[300];
    double total = 0;
    for (int i = 0; i < cumulative.length; i++) {
      total += 1 / Math.pow(i + 1, 0.9);
      cumulative[i] = total;
    }
    List<ReferenceMetrics.Event> events = new ArrayList<>();
    for (int u = 0; u < 150; u++) {
      int n = 5 + rnd.nextInt(56);
      java.util.Set<Integer> chosen = new java.util.LinkedHashSet<>();
      while (chosen.size() < n) {
        double x = rnd.nextDouble() * total;
        int i = 0;
        while (cumulative[i] < x) {
          i++;
        }
        chosen.add(i);
      }
      for (int i : chosen) {
        events.add(new ReferenceMetrics.Event(events.size(), user.apply(u), item.apply(i)));
      }
    }
    return events;
  }

  private Path write(List<ReferenceMetrics.Event> events, String name) throws IOException {
    SplittableRandom times = new SplittableRandom(5);
    List<String> lines = new ArrayList<>(List.of("user,item,ts"));
    for (ReferenceMetrics.Event e : events) {
      lines.add(e.user() + "," + e.item() + "," + (1_700_000_000L + times.nextInt(10_000_000)));
    }
    Path file = tmp.resolve(name);
    Files.write(file, lines);
    return file;
  }

  private static InteractionsFile file(Path path) {
    return new InteractionsFile(path.toString(), "csv", ",", true, "user", "item", null, "ts");
  }

  private static final List<Integer> ALL_KS = List.of(1, 5, 10, 20);

  private Evaluation evaluation(Evaluation.Split split) {
    return new Evaluation(spark, new Evaluation.Options(split, 0.25, 42, ALL_KS, "UTC"));
  }

  private static java.util.Set<Long> positions(Dataset<Row> side) {
    return new java.util.HashSet<>(
        side.select(Evaluation.POS).as(org.apache.spark.sql.Encoders.LONG()).collectAsList());
  }

  @ParameterizedTest
  @EnumSource(Evaluation.Split.class)
  void popularity_equalsAPlainJavaComputationOnTheSameHeldOutEvents(Evaluation.Split split)
      throws IOException {
    List<ReferenceMetrics.Event> events = zipfEvents(u -> "u" + u, i -> "i" + i);
    Dataset<Row> read = file(write(events, "zipf.csv")).read(spark).events();
    Evaluation evaluation = evaluation(split);

    ReferenceMetrics.Result expected =
        ReferenceMetrics.popularity(events, positions(evaluation.testSide(read)), ALL_KS);
    List<Evaluation.Metrics> actual;
    try (Evaluation.Prepared p = evaluation.prepare(read, null)) {
      actual = p.popularityMetrics();
    }

    assertThat(expected.testUsers()).isGreaterThan(100);
    assertThat(actual).hasSize(ALL_KS.size());
    for (Evaluation.Metrics m : actual) {
      ReferenceMetrics.AtK e = expected.byK().get(m.k());
      assertThat(m.ndcg()).as("NDCG@%d", m.k()).isCloseTo(e.ndcg(), within(1e-9));
      assertThat(m.recall()).as("recall@%d", m.k()).isCloseTo(e.recall(), within(1e-9));
      assertThat(m.precision()).as("precision@%d", m.k()).isCloseTo(e.precision(), within(1e-9));
      assertThat(m.map()).as("MAP@%d", m.k()).isCloseTo(e.map(), within(1e-9));
      assertThat(m.coverage()).as("coverage@%d", m.k()).isCloseTo(e.coverage(), within(1e-9));
    }
    // Popularity is a strong baseline on a long tail; a split that held out the same items for
    // everybody (an earlier defect) scored it near zero.
    assertThat(expected.byK().get(10).ndcg()).isGreaterThan(0.2);
  }

  @Test
  void popularity_withAMaxOfTestUsers_scoresTheSeededSampleAPlainJavaDrawChooses()
      throws Exception {
    List<ReferenceMetrics.Event> events = zipfEvents(u -> "u" + u, i -> "i" + i);
    Dataset<Row> read = file(write(events, "zipf.csv")).read(spark).events();
    int max = 40;
    long seed = 42;
    Evaluation evaluation =
        new Evaluation(
            spark, new Evaluation.Options(Evaluation.Split.RANDOM, 0.25, seed, ALL_KS, "UTC", max));
    java.util.Set<Long> heldOut = positions(evaluation.testSide(read));
    ReferenceMetrics.Result all = ReferenceMetrics.popularity(events, heldOut, ALL_KS);
    // The draw written out independently: the lowest SHA-256 hex digests of "<seed>:<user>".
    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
    java.util.Set<String> chosen =
        events.stream()
            .map(ReferenceMetrics.Event::user)
            .distinct()
            .filter(
                u ->
                    ReferenceMetrics.popularity(events, heldOut, ALL_KS, u::equals).testUsers()
                        == 1)
            .sorted(
                java.util.Comparator.comparing(
                    (String u) ->
                        java.util.HexFormat.of()
                            .formatHex(
                                sha.digest(
                                    (seed + ":" + u)
                                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)))))
            .limit(max)
            .collect(java.util.stream.Collectors.toSet());
    ReferenceMetrics.Result expected =
        ReferenceMetrics.popularity(events, heldOut, ALL_KS, chosen::contains);

    Evaluation.Result r =
        evaluation.evaluate(read, null, List.of(new Evaluation.Candidate("als", ALS)));

    assertThat(all.testUsers()).isGreaterThan(100);
    assertThat(r.testUsers()).isEqualTo(max);
    assertThat(r.eligibleTestUsers()).isEqualTo(all.testUsers());
    assertThat(r.table()).contains("test users 40, a seeded sample of " + all.testUsers());
    for (int k : ALL_KS) {
      Evaluation.Metrics m = r.find(Evaluation.POPULARITY, Evaluation.PROTOCOL_USER, k);
      ReferenceMetrics.AtK e = expected.byK().get(k);
      assertThat(m.ndcg()).as("NDCG@%d", k).isCloseTo(e.ndcg(), within(1e-9));
      assertThat(m.recall()).as("recall@%d", k).isCloseTo(e.recall(), within(1e-9));
      assertThat(m.precision()).as("precision@%d", k).isCloseTo(e.precision(), within(1e-9));
      assertThat(m.map()).as("MAP@%d", k).isCloseTo(e.map(), within(1e-9));
      assertThat(m.coverage()).as("coverage@%d", k).isCloseTo(e.coverage(), within(1e-9));
    }
    // The sample's figures are not the whole population's: the restriction is really applied.
    assertThat(expected.byK().get(10).ndcg()).isNotCloseTo(all.byK().get(10).ndcg(), within(1e-6));
  }

  @Test
  void randomSplit_holdsOutRoundedShareOfEachUsersItems_spreadOverItems() throws IOException {
    List<ReferenceMetrics.Event> events = zipfEvents(u -> "u" + u, i -> "i" + i);
    Dataset<Row> read = file(write(events, "zipf.csv")).read(spark).events();

    java.util.Set<Long> heldOut = positions(evaluation(Evaluation.Split.RANDOM).testSide(read));

    java.util.Map<String, Integer> items = new java.util.HashMap<>();
    java.util.Map<String, Integer> held = new java.util.HashMap<>();
    java.util.Map<String, int[]> byItem = new java.util.HashMap<>();
    for (ReferenceMetrics.Event e : events) {
      items.merge(e.user(), 1, Integer::sum);
      int[] c = byItem.computeIfAbsent(e.item(), i -> new int[2]);
      c[0]++;
      if (heldOut.contains(e.pos())) {
        held.merge(e.user(), 1, Integer::sum);
        c[1]++;
      }
    }
    for (var u : items.entrySet()) {
      long want = Math.max(1, Math.round(u.getValue() * 0.25));
      assertThat(held.getOrDefault(u.getKey(), 0)).as(u.getKey()).isEqualTo((int) want);
    }
    // Every item is held out for about a quarter of its users, not all or none of them.
    byItem.values().stream()
        .filter(c -> c[0] >= 40)
        .forEach(c -> assertThat(c[1] / (double) c[0]).isBetween(0.1, 0.45));
  }

  @Test
  void evaluate_randomSplit_sameResultWhenTheIdsAreRenamed() throws IOException {
    List<ReferenceMetrics.Event> plain = zipfEvents(u -> "u" + u, i -> "i" + i);
    List<ReferenceMetrics.Event> renamed =
        zipfEvents(u -> "person-" + (7919L * u % 10007), i -> "Z" + Integer.toHexString(999 - i));
    Evaluation evaluation = evaluation(Evaluation.Split.RANDOM);
    List<Evaluation.Candidate> als = List.of(new Evaluation.Candidate("als", ALS));

    Evaluation.Result a =
        evaluation.evaluate(file(write(plain, "plain.csv")).read(spark).events(), null, als);
    Evaluation.Result b =
        evaluation.evaluate(file(write(renamed, "renamed.csv")).read(spark).events(), null, als);

    assertThat(b.metrics()).isEqualTo(a.metrics());
    assertThat(b.testUsers()).isEqualTo(a.testUsers());
  }

  @Test
  void tune_neverLooksAtTheTestSide_andChoosesTheBestTrialOfEveryRung() throws IOException {
    List<ReferenceMetrics.Event> events = zipfEvents(u -> "u" + u, i -> "i" + i);
    Dataset<Row> read = file(write(events, "zipf.csv")).read(spark).events();
    Evaluation.Options options =
        new Evaluation.Options(Evaluation.Split.RANDOM, 0.25, 42, List.of(10), "UTC");
    // The same events with every held-out row pointing at an item nobody else has.
    Dataset<Row> poisoned =
        read.join(
                new Evaluation(spark, options)
                    .testSide(read)
                    .select(col(Evaluation.POS), lit(true).as("held_out")),
                new String[] {Evaluation.POS},
                "left")
            .withColumn(
                Evaluation.ITEM,
                when(col("held_out"), concat(lit("poison-"), col(Evaluation.POS)))
                    .otherwise(col(Evaluation.ITEM)))
            .drop("held_out");
    Tuning tuning =
        new Tuning(
            spark,
            new Tuning.Options(
                options, 2, new Tuning.Space(List.of(4, 8), 0.01, 1, 1, 10, List.of(2, 3, 4))));

    Tuning.Result r = tuning.run(read, null, ALS);
    Tuning.Result again = tuning.run(poisoned, null, ALS);

    // Two parameter sets at 2 iterations, the better one at 3 and 4.
    assertThat(r.trials()).extracting(t -> t.params().get("max_iter")).containsExactly(2, 2, 3, 4);
    assertThat(again.trials()).isEqualTo(r.trials());
    double top = r.trials().stream().mapToDouble(Tuning.Trial::ndcg).max().orElseThrow();
    assertThat(r.trials()).filteredOn(Tuning.Trial::chosen).hasSize(1);
    Tuning.Trial chosen = r.trials().stream().filter(Tuning.Trial::chosen).findFirst().get();
    assertThat(chosen.ndcg()).isGreaterThanOrEqualTo(top * (1 - Tuning.NEAR_BEST));
    assertThat(Tuning.alsParams(r.best())).isEqualTo(chosen.params());
    assertThat(r.table())
        .contains("rank=4 reg_param=0.05 alpha=10.0 max_iter=2")
        .contains("chosen:");
  }

  @Test
  void evaluate_demoScaleGeneratedPayments_alsBeatsPopularityAtNdcg10() {
    // The demo world (5,000 users, 1,000 mini-programs, 4 weeks), its payments file read as a
    // plain interactions file: payer, mini-program, time; the time split holds out the last week.
    DemoDataGenerator.generate(DemoDataGenerator.Options.defaults(tmp.resolve("raw")));
    InteractionsFile payments =
        new InteractionsFile(
            tmp.resolve("raw/payments/dt=*/*.csv").toString(),
            "csv",
            ",",
            true,
            "payer_account",
            "mini_program_id",
            null,
            "event_time");

    Evaluation.Result r =
        new Evaluation(spark, Evaluation.defaults())
            .evaluate(
                payments.read(spark).events(),
                null,
                List.of(new Evaluation.Candidate("als", TrainJob.Params.defaults())));

    assertThat(r.testUsers()).as(r.table()).isGreaterThan(1000);
    assertThat(ndcg(r, "als", 10)).as(r.table()).isGreaterThan(ndcg(r, "popularity", 10) * 1.2);
  }

  @Test
  void trainOnFile_writesFactorsKeyedByTheFilesIds_andRefusesThePipelinesWarehouse()
      throws IOException {
    InteractionsFile file =
        new InteractionsFile(
            plantedFile(",", true).toString(), "auto", ",", true, "uid", "iid", "w", "t");

    FileTrainJob.Result r =
        new FileTrainJob(spark, new FileTrainJob.Options(warehouse(), file, ALS)).execute();

    assertThat(r.users()).isEqualTo(80);
    assertThat(r.items()).isEqualTo(21); // a0..a9, b0..b9, pop
    Dataset<Row> users = Delta.read(spark, warehouse(), Tables.USER_FACTORS);
    assertThat(users.filter("user_id = 'u7' AND size(vector) = 4").count()).isEqualTo(1);
    assertThat(Delta.read(spark, warehouse(), Tables.ITEM_FACTORS).count()).isEqualTo(21);
    assertThat(Lineage.of(spark, Tables.at(warehouse(), Tables.ITEM_FACTORS)).get("params"))
        .asString()
        .contains("interactions_file");

    spark.range(1).write().format("delta").save(Tables.at(warehouse(), Tables.PAYMENTS));
    assertThatThrownBy(
            () ->
                new FileTrainJob(spark, new FileTrainJob.Options(warehouse(), file, ALS)).execute())
        .hasMessageContaining("give a warehouse of its own");
  }

  @Test
  void read_badRowsAreCountedAndLeftOut() throws IOException {
    Path file = tmp.resolve("bad.csv");
    Files.write(
        file, List.of("user,item,weight", "u1,i1,1", "u1,,1", "u2,i2,-3", "u3,i3,x", "u4,i4,2"));

    InteractionsFile.Read read =
        new InteractionsFile(file.toString(), "csv", ",", true, "user", "item", "weight", null)
            .read(spark);

    assertThat(read.rows()).isEqualTo(5);
    assertThat(read.rejected()).isEqualTo(3);
    assertThat(read.events().count()).isEqualTo(2);
  }

  @Test
  void read_unknownColumn_namesTheColumnsThereAre() throws IOException {
    Path file = tmp.resolve("cols.csv");
    Files.write(file, List.of("a,b", "1,2"));

    assertThatThrownBy(
            () ->
                new InteractionsFile(file.toString(), "csv", ",", true, "user", "b", null, null)
                    .read(spark))
        .hasMessageContaining("no user column 'user'")
        .hasMessageContaining("[a, b]");
  }

  @Test
  void evaluate_timeSplitWithoutTimestamps_saysToUseRandom() throws IOException {
    InteractionsFile file =
        new InteractionsFile(
            plantedFile(",", true).toString(), "csv", ",", true, "uid", "iid", null, null);

    assertThatThrownBy(() -> evaluate(file, Evaluation.Split.TIME))
        .hasMessageContaining("--split random");
  }
}
