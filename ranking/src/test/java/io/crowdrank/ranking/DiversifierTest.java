package io.crowdrank.ranking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.ranking.ann.TopK;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiversifierTest {
  /** Items 0..5 are category 0 (coffee), 6.. category 1. */
  static int category(int item) {
    return item < 6 ? 0 : 1;
  }

  static List<TopK.Entry> ranked(int... items) {
    return java.util.Arrays.stream(items).mapToObj(i -> new TopK.Entry(i, 100 - i)).toList();
  }

  static List<Integer> items(List<TopK.Entry> entries) {
    return entries.stream().map(TopK.Entry::item).toList();
  }

  @Test
  void topK_capsEachCategory_andLetsTheNextCategoryIn() {
    var out = new Diversifier(2).topK(ranked(0, 1, 2, 3, 6, 7), 4, DiversifierTest::category);

    assertThat(items(out)).containsExactly(0, 1, 6, 7);
  }

  @Test
  void topK_tooFewOtherCategories_fillsWithTheBestSkipped() {
    var out = new Diversifier(2).topK(ranked(0, 1, 2, 3, 6), 4, DiversifierTest::category);

    assertThat(items(out)).containsExactly(0, 1, 6, 2);
  }

  @Test
  void maxPerCategory_mustBePositive() {
    assertThatThrownBy(() -> new Diversifier(0)).hasMessageContaining(">= 1");
  }
}
