package io.crowdrank.batch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.train.TrainJob;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TuningTest {
  private static Tuning tuning(int trials) {
    return new Tuning(
        null,
        new Tuning.Options(
            new Evaluation.Options(Evaluation.Split.RANDOM, 0.25, 42, List.of(10), "UTC"), trials));
  }

  @Test
  void sample_startsWithTheBase_andSpansEveryRangeTheIssueNames() {
    TrainJob.Params base = TrainJob.Params.defaults();

    List<TrainJob.Params> s = tuning(16).sample(base);

    assertThat(s).hasSize(16).doesNotHaveDuplicates();
    assertThat(s.get(0)).isEqualTo(base);
    List<TrainJob.Params> drawn = s.subList(1, s.size());
    assertThat(drawn).extracting(TrainJob.Params::rank).contains(16, 32, 64, 128, 256);
    // Latin hypercube over 15 strata of 0.001..10 and 1..100 (log scale): both ends are reached.
    assertThat(drawn).anySatisfy(p -> assertThat(p.regParam()).isLessThan(0.002));
    assertThat(drawn).anySatisfy(p -> assertThat(p.regParam()).isGreaterThan(5));
    assertThat(drawn).anySatisfy(p -> assertThat(p.alpha()).isLessThan(1.4));
    assertThat(drawn).anySatisfy(p -> assertThat(p.alpha()).isGreaterThan(70));
    assertThat(drawn)
        .allSatisfy(
            p -> {
              assertThat(p.regParam()).isBetween(0.001, 10.0);
              assertThat(p.alpha()).isBetween(1.0, 100.0);
              assertThat(p.seed()).isEqualTo(base.seed());
              assertThat(p.contextWeight()).isEqualTo(base.contextWeight());
            });
    assertThat(tuning(16).sample(base)).as("seeded").isEqualTo(s);
  }

  @Test
  void survivors_keepTheBestThirdRoundedUp_bestFirst() {
    List<TrainJob.Params> rung = new ArrayList<>();
    List<double[]> scores = new ArrayList<>();
    double[] ndcg = {0.1, 0.5, 0.3, 0.2, 0.4, 0.05, 0.35};
    for (int i = 0; i < ndcg.length; i++) {
      rung.add(TrainJob.Params.defaults().withAls(8 + i, 5, 0.1, 1));
      scores.add(new double[] {ndcg[i]});
    }

    List<TrainJob.Params> kept = Tuning.survivors(rung, scores);

    assertThat(kept).containsExactly(rung.get(1), rung.get(4), rung.get(6));
    assertThat(Tuning.survivors(rung.subList(0, 1), scores.subList(0, 1)))
        .containsExactly(rung.get(0));
  }

  @Test
  void cheapestNearBest_prefersSmallerRankThenFewerIterations_withinOnePercent() {
    TrainJob.Params d = TrainJob.Params.defaults();
    List<TrainJob.Params> tried =
        List.of(
            d.withAls(256, 10, 8.4, 94), // best
            d.withAls(64, 20, 1.5, 8.4), // 0.6 % below: chosen over rank 256
            d.withAls(64, 10, 1.5, 8.4), // 0.9 % below and fewer iterations: chosen
            d.withAls(16, 5, 0.02, 7)); // 4 % below: too far
    List<double[]> scores =
        List.of(
            new double[] {0.1600},
            new double[] {0.1590},
            new double[] {0.1586},
            new double[] {0.1536});

    assertThat(Tuning.cheapestNearBest(tried, scores)).isEqualTo(tried.get(2));
    assertThat(Tuning.cheapestNearBest(tried.subList(0, 1), scores.subList(0, 1)))
        .isEqualTo(tried.get(0));
  }
}
