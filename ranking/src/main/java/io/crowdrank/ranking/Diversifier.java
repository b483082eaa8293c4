package io.crowdrank.ranking;

import io.crowdrank.ranking.ann.TopK;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;

/**
 * Re-ranking for variety: walks candidates best first and takes at most {@code maxPerCategory} of
 * any one category into the top k; if that leaves slots empty, the best of the skipped candidates
 * fill them, in order. So a coffee lover still sees coffee first, but not ten coffee shops.
 */
final class Diversifier {
  private final int maxPerCategory;

  /**
   * @param maxPerCategory cap per category in a top k (&ge; 1; {@link Integer#MAX_VALUE} = off)
   */
  Diversifier(int maxPerCategory) {
    if (maxPerCategory < 1) {
      throw new IllegalArgumentException("maxPerCategory must be >= 1, got " + maxPerCategory);
    }
    this.maxPerCategory = maxPerCategory;
  }

  /**
   * @param ranked candidates, best first
   * @param categoryOf an item's category index
   * @return at most k of them, capped per category, in their original order of preference
   */
  List<TopK.Entry> topK(List<TopK.Entry> ranked, int k, IntUnaryOperator categoryOf) {
    List<TopK.Entry> out = new ArrayList<>(k);
    List<TopK.Entry> skipped = new ArrayList<>();
    Map<Integer, Integer> taken = new HashMap<>();
    for (TopK.Entry e : ranked) {
      if (out.size() == k) {
        break;
      }
      int c = categoryOf.applyAsInt(e.item());
      if (taken.getOrDefault(c, 0) < maxPerCategory) {
        taken.merge(c, 1, Integer::sum);
        out.add(e);
      } else {
        skipped.add(e);
      }
    }
    for (int i = 0; out.size() < k && i < skipped.size(); i++) {
      out.add(skipped.get(i));
    }
    return out;
  }
}
