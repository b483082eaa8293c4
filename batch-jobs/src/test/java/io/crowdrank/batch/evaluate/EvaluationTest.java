package io.crowdrank.batch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

class EvaluationTest extends SparkTestBase {
  static final TrainJob.Params ALS = new TrainJob.Params(4, 10, 0.05, 10, 42, 1, 1, 30, 0.15, 10);

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
