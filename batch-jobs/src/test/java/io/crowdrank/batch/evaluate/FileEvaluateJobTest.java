package io.crowdrank.batch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.crowdrank.batch.common.InteractionsFile;
import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.batch.train.TrainJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class FileEvaluateJobTest extends SparkTestBase {
  static final TrainJob.Params SMALL_ALS =
      new TrainJob.Params(2, 2, 0.05, 10, 42, 1, 1, 30, 0.15, 10, 1);

  /**
   * Six uses on day one, six ten days later at one instant (so a time split holding out a quarter
   * cuts exactly there, wherever its quantile falls among the late ones), and a row with no user.
   */
  private Path tinyFile() throws IOException {
    long day1 = 1_790_000_000L;
    long late = day1 + 10 * 86_400;
    Path file = tmp.resolve("tiny.csv");
    Files.write(
        file,
        List.of(
            "user,item,ts",
            "u1,a," + day1,
            "u1,b," + (day1 + 3600),
            "u2,a," + (day1 + 7200),
            "u2,c," + (day1 + 10_800),
            "u3,a," + (day1 + 14_400),
            "u3,b," + (day1 + 18_000),
            "u1,c," + late,
            "u1,d," + late,
            "u2,b," + late,
            "u2,a," + late,
            "u3,d," + late,
            "u4,a," + late,
            ",a," + late));
    return file;
  }

  @Test
  void execute_timeSplit_popularityMetricsAreTheHandComputedOnes() throws IOException {
    InteractionsFile file =
        new InteractionsFile(tinyFile().toString(), "csv", ",", true, "user", "item", null, "ts");
    Evaluation.Options split =
        new Evaluation.Options(Evaluation.Split.TIME, 0.25, 42, List.of(1), "UTC");

    FileEvaluateJob.Result r =
        new FileEvaluateJob(spark, new FileEvaluateJob.Options(file, split, SMALL_ALS, 0))
            .execute();

    // By hand: training users per item a 3, b 2, c 1. Held out and new to the user: u1 {c, d},
    // u2 {b} (a it used before), u3 {d}; u4 has no history and is not scored. The most popular
    // item each has not used: u1 c (hit), u2 b (hit), u3 c (miss).
    Evaluation.Metrics popularity =
        r.evaluation().find(Evaluation.POPULARITY, Evaluation.PROTOCOL_USER, 1);
    assertThat(r.rowsRead()).isEqualTo(13);
    assertThat(r.rowsRejected()).isEqualTo(1);
    assertThat(r.search()).isNull();
    assertThat(r.evaluation().testUsers()).isEqualTo(3);
    assertThat(popularity.ndcg()).isCloseTo((1 + 1 + 0) / 3.0, within(1e-9));
    assertThat(popularity.recall()).isCloseTo((1 / 2.0 + 1 + 0) / 3, within(1e-9));
    assertThat(popularity.precision()).isCloseTo((1 + 1 + 0) / 3.0, within(1e-9));
    assertThat(r.evaluation().find(EvaluateJob.MODEL, Evaluation.PROTOCOL_USER, 1)).isNotNull();
  }
}
