package io.crowdrank.ranking.ann;

import java.util.ArrayList;
import java.util.List;

/** Bounded min-heap keeping the k best (item, score) pairs; ties broken by item order. */
public final class TopK {
  public record Entry(int item, double score) {}

  // A binary min-heap on two primitive arrays, worst kept entry at the root: a scan offers
  // thousands of items per request, so no object or comparator call per offer.
  private final int k;
  private final int[] items;
  private final double[] scores;
  private int size;

  public TopK(int k) {
    this.k = k;
    this.items = new int[k];
    this.scores = new double[k];
  }

  public void offer(int item, double score) {
    if (size < k) {
      int i = size++;
      // Sift up: move worse parents down until the new entry's place is found.
      while (i > 0) {
        int parent = (i - 1) >>> 1;
        if (!worse(item, score, items[parent], scores[parent])) {
          break;
        }
        items[i] = items[parent];
        scores[i] = scores[parent];
        i = parent;
      }
      items[i] = item;
      scores[i] = score;
    } else if (worse(items[0], scores[0], item, score)) {
      // Replace the root and sift down: move the worse child up while it is worse.
      int i = 0;
      while (true) {
        int child = 2 * i + 1;
        if (child >= size) {
          break;
        }
        if (child + 1 < size
            && worse(items[child + 1], scores[child + 1], items[child], scores[child])) {
          child++;
        }
        if (!worse(items[child], scores[child], item, score)) {
          break;
        }
        items[i] = items[child];
        scores[i] = scores[child];
        i = child;
      }
      items[i] = item;
      scores[i] = score;
    }
  }

  /** Lower score, or on a tie the higher item index (so lower indexes win ties). */
  private static boolean worse(int a, double sa, int b, double sb) {
    return sa < sb || (sa == sb && a > b);
  }

  public int size() {
    return size;
  }

  /** Best first. */
  public List<Entry> best() {
    List<Entry> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(new Entry(items[i], scores[i]));
    }
    out.sort(
        (a, b) ->
            worse(a.item(), a.score(), b.item(), b.score())
                ? 1
                : worse(b.item(), b.score(), a.item(), a.score()) ? -1 : 0);
    return out;
  }
}
