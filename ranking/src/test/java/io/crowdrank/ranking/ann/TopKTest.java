package io.crowdrank.ranking.ann;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TopKTest {
  @Test
  void best_keepsTheHighestScores_lowerItemWinsTies_bestFirst() {
    SplittableRandom rnd = new SplittableRandom(3);
    List<TopK.Entry> all = new ArrayList<>();
    TopK top = new TopK(40);
    for (int item = 0; item < 5_000; item++) {
      // Few distinct scores, so ties are common and the tie rule is exercised.
      double score = rnd.nextInt(200);
      all.add(new TopK.Entry(item, score));
      top.offer(item, score);
    }
    List<TopK.Entry> expected =
        all.stream()
            .sorted(
                Comparator.comparingDouble(TopK.Entry::score)
                    .reversed()
                    .thenComparingInt(TopK.Entry::item))
            .limit(40)
            .toList();

    assertThat(top.best()).isEqualTo(expected);
  }

  @Test
  void offer_whenFull_aTieWithTheWorstKeepsTheLowerItem() {
    TopK top = new TopK(2);
    top.offer(7, 1.0);
    top.offer(3, 2.0);

    top.offer(9, 1.0);
    assertThat(top.best())
        .as("a tie with a higher item loses")
        .extracting(TopK.Entry::item)
        .containsExactly(3, 7);
    top.offer(5, 1.0);
    assertThat(top.best())
        .as("a tie with a lower item wins")
        .extracting(TopK.Entry::item)
        .containsExactly(3, 5);
  }
}
