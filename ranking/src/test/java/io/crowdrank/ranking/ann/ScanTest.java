package io.crowdrank.ranking.ann;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ScanTest {
  @Test
  void largest_matchesSorting_withDuplicatesAndEveryRank() {
    SplittableRandom rnd = new SplittableRandom(3);
    for (int size : new int[] {1, 2, 3, 17, 640}) {
      // Few distinct values: runs of equal pivots are the hard case for the partition.
      double[] values = rnd.ints(size, 0, 9).asDoubleStream().toArray();
      double[] sorted = values.clone();
      Arrays.sort(sorted);
      for (int k = 0; k < size; k++) {
        assertThat(Scan.largest(values.clone(), size, k))
            .as("size %d, k %d", size, k)
            .isEqualTo(sorted[size - 1 - k]);
      }
    }
  }

  @Test
  void largest_onlyLooksAtThePrefix() {
    double[] values = {1, 5, 3, 100, 200};

    assertThat(Scan.largest(values, 3, 0)).isEqualTo(5);
  }

  @Test
  void largest_kOutOfRange_isRejected() {
    assertThatThrownBy(() -> Scan.largest(new double[3], 3, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("k 3 out of [0, 3)");
  }

  @Test
  void contenders_exactScores_areTheTopNAndTheirTies() {
    // 10,000 exact scores (bound 0) where items 9,990.. hold the ten best and 42 ties the tenth.
    float[] scores = new float[10_000];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = (i * 7919 % 10_000) / 10_000f;
    }
    for (int i = 0; i < 10; i++) {
      scores[9_990 + i] = 2 + i;
    }
    scores[42] = 2;

    int[] contenders = new Scan(scores, 0).contenders(10, Scan.Extra.NONE, i -> true, () -> {});

    assertThat(contenders)
        .containsExactly(
            IntStream.concat(IntStream.of(42), IntStream.range(9_990, 10_000)).toArray());
  }

  @Test
  void contenders_everyItemTied_keepsEveryItemInIndexOrder() {
    // All 10,000 pass the cut: the kept array grows from 16n to the whole catalog.
    float[] scores = new float[10_000];
    Arrays.fill(scores, 1);

    int[] contenders = new Scan(scores, 0).contenders(5, Scan.Extra.NONE, i -> true, () -> {});

    assertThat(contenders).containsExactly(IntStream.range(0, 10_000).toArray());
  }

  @Test
  void contenders_extraLiftsAnItemFromBelowTheFloor() {
    // Item 7 scores lowest but its extra puts it first: the floor must allow for the extra's range.
    float[] scores = new float[10_000];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = 1 + (i % 1000) / 1000f;
    }
    scores[7] = 0;
    Scan.Extra extra = new Scan.Extra(i -> i == 7 ? 5 : 0, 0, 5);

    int[] contenders = new Scan(scores, 0).contenders(5, extra, i -> true, () -> {});

    assertThat(contenders).contains(7);
  }

  @Test
  void extra_minAboveMax_isRejected() {
    assertThatThrownBy(() -> new Scan.Extra(i -> 0, 1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("min 1.0 > max 0.0");
  }
}
