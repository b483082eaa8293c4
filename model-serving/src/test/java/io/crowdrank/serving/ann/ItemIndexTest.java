package io.crowdrank.serving.ann;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ItemIndexTest {
  static final int DIM = 16;

  /** Random factors; every third item runs only in host app 1, the rest in 0 and 1. */
  record RandomItems(float[][] vectors) implements ItemIndex.Items {
    static RandomItems of(int n, long seed) {
      return of(n, DIM, seed);
    }

    static RandomItems of(int n, int dim, long seed) {
      SplittableRandom rnd = new SplittableRandom(seed);
      float[][] v = new float[n][dim];
      for (float[] row : v) {
        for (int d = 0; d < dim; d++) {
          row[d] = (float) rnd.nextGaussian();
        }
      }
      return new RandomItems(v);
    }

    @Override
    public int count() {
      return vectors.length;
    }

    @Override
    public int dim() {
      return vectors[0].length;
    }

    @Override
    public boolean hasVector(int item) {
      return item % 50 != 49; // a few new items without vectors
    }

    @Override
    public void vector(int item, float[] into) {
      System.arraycopy(vectors[item], 0, into, 0, dim());
    }

    @Override
    public List<Integer> hostApps(int item) {
      return item % 3 == 0 ? List.of(1) : List.of(0, 1);
    }

    @Override
    public boolean runsIn(int item, int hostApp) {
      return hostApps(item).contains(hostApp);
    }
  }

  ItemIndex index;

  @AfterEach
  void close() {
    if (index != null) {
      index.close();
    }
  }

  private static float[] query(SplittableRandom rnd) {
    float[] q = new float[DIM];
    for (int d = 0; d < DIM; d++) {
      q[d] = (float) rnd.nextGaussian();
    }
    return q;
  }

  @Test
  void nearest_hnsw_recallsAtLeast95PercentOfTheExactTop20() {
    index = ItemIndex.build(RandomItems.of(20_000, 1), 1_000);
    SplittableRandom rnd = new SplittableRandom(2);
    int hits = 0;
    int total = 0;
    for (int q = 0; q < 50; q++) {
      float[] query = query(rnd);
      Set<Integer> exact = new HashSet<>();
      index.exact(query, 20, -1).forEach(n -> exact.add(n.item()));
      for (ItemIndex.Neighbour n : index.nearest(query, 20, -1)) {
        hits += exact.contains(n.item()) ? 1 : 0;
      }
      total += 20;
    }

    assertThat(index.approximate()).isTrue();
    assertThat(hits / (double) total).isGreaterThanOrEqualTo(0.95);
  }

  @Test
  void nearest_withHostApp_returnsOnlyItemsRunningThere_bestFirst_neverNewItems() {
    index = ItemIndex.build(RandomItems.of(5_000, 3), 1_000);

    List<ItemIndex.Neighbour> top = index.nearest(query(new SplittableRandom(4)), 30, 0);

    assertThat(top).hasSize(30);
    assertThat(top).allSatisfy(n -> assertThat(n.item() % 3).isNotZero());
    assertThat(top).allSatisfy(n -> assertThat(n.item() % 50).isNotEqualTo(49));
    assertThat(top.stream().map(ItemIndex.Neighbour::score).toList())
        .isSortedAccordingTo(java.util.Comparator.reverseOrder());
  }

  @Test
  void nearest_hostAppEveryItemRunsIn_needsNoFilter_andMatchesTheUnfilteredSearch() {
    index = ItemIndex.build(RandomItems.of(5_000, 3), 1_000);
    float[] q = query(new SplittableRandom(8));

    assertThat(index.nearest(q, 20, 1)).isEqualTo(index.nearest(q, 20, -1));
  }

  @Test
  void nearest_smallCatalog_isExact() {
    index = ItemIndex.build(RandomItems.of(300, 5), 1_000);
    float[] q = query(new SplittableRandom(6));

    assertThat(index.approximate()).isFalse();
    assertThat(index.nearest(q, 10, 1)).isEqualTo(index.exact(q, 10, 1));
  }

  @Test
  void scores_exactIndex_givesEveryItemsInnerProduct_zeroWithoutAVector() {
    // 7 dimensions: the scoring takes four per pass, so three go the remainder's way.
    int dim = 7;
    RandomItems items = RandomItems.of(3_000, dim, 9);
    index = ItemIndex.build(items, 10_000);
    SplittableRandom rnd = new SplittableRandom(10);
    float[] q = new float[dim];
    for (int d = 0; d < dim; d++) {
      q[d] = (float) rnd.nextGaussian();
    }

    float[] scores = index.scores(q);

    assertThat(scores).hasSize(items.count());
    for (int i = 0; i < scores.length; i++) {
      float expected = items.hasVector(i) ? ItemIndex.dot(q, items.vectors()[i]) : 0f;
      assertThat(scores[i]).as("item %d", i).isCloseTo(expected, within(1e-4f));
    }
  }

  @Test
  void scores_hnswIndex_isRefused() {
    index = ItemIndex.build(RandomItems.of(2_000, 11), 1_000);

    assertThatThrownBy(() -> index.scores(new float[DIM]))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("HNSW");
  }
}
