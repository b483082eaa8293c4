package io.crowdrank.ranking.ann;

import com.google.common.base.Preconditions;
import java.util.Arrays;
import java.util.function.IntPredicate;
import java.util.function.IntToDoubleFunction;

/**
 * Every item's inner product with a query, by item index, each within ± {@code bound} of the exact
 * product (0 when computed exactly), and the choice of the items that may belong to a top n.
 */
public record Scan(float[] scores, float bound) {
  public Scan {
    Preconditions.checkArgument(bound >= 0, "bound must be >= 0, got %s", bound);
  }

  /**
   * A term added to each item's product before ranking (the ranking's context term), with its
   * smallest and largest values over all items.
   */
  public record Extra(IntToDoubleFunction term, double min, double max) {
    /** Nothing added. */
    public static final Extra NONE = new Extra(i -> 0, 0, 0);

    public Extra {
      Preconditions.checkArgument(min <= max, "min %s > max %s", min, max);
    }
  }

  /** Items looked at between two {@code checkpoint} calls. */
  public static final int CHECK_EVERY = 4096;

  /**
   * The items that may be among the {@code n} best by exact product plus {@code extra}, among the
   * {@code eligible} ones: all of them, plus those whose estimate is within twice the bound of the
   * n-th (few: the bound is small next to the spread of scores). By item index, in index order.
   *
   * @param eligible asked only of items whose score could make the top n, so it may be the costly
   *     test (filters)
   * @param checkpoint called before every {@value #CHECK_EVERY} items: where a long scan may give
   *     up by throwing
   */
  public int[] contenders(int n, Extra extra, IntPredicate eligible, Runnable checkpoint) {
    Preconditions.checkArgument(n >= 1, "n must be >= 1");
    // Start from a floor that 2n items are known to reach, so that few items are looked at one by
    // one. If the filters leave fewer than n above it, try one that 16n items reach (filters
    // that reject most of a catalog), then none.
    for (int reach : new int[] {2 * n, 16 * n}) {
      double floor = floor(reach, extra);
      if (floor == Double.NEGATIVE_INFINITY) {
        break;
      }
      int[] found = select(n, floor, extra, eligible, checkpoint);
      if (found != null) {
        return found;
      }
    }
    return select(n, Double.NEGATIVE_INFINITY, extra, eligible, checkpoint);
  }

  /** Strided groups of this many items give the maxima the floor is chosen from. */
  private static final int GROUP = 16;

  /**
   * A lower bound on the total (product plus extra) of at least {@code c} distinct items; -∞ for a
   * catalog too small to bother. The items fall in strided groups (item g, g + G, g + 2G, …, for G
   * groups); a value that c group maxima reach is reached by c distinct items, one per group, and
   * in practice by few more (the best items rarely share a group). Found with vector passes: the
   * maxima, then a bisection counting the maxima over each trial value.
   */
  private double floor(int c, Extra extra) {
    int size = GROUP;
    while (size > 1 && scores.length / size < 2 * c) {
      size /= 2;
    }
    int groups = scores.length / size;
    if (groups < 2 * c) {
      return Double.NEGATIVE_INFINITY;
    }
    float[] max = Arrays.copyOf(scores, groups);
    for (int row = 1; row < size; row++) {
      Simd.maxInto(scores, row * groups, max, groups);
    }
    // All the maxima reach lo; fewer than c reach hi (or hi is the largest and c is 1).
    float lo = Float.POSITIVE_INFINITY;
    float hi = Float.NEGATIVE_INFINITY;
    for (float m : max) {
      lo = Math.min(lo, m);
      hi = Math.max(hi, m);
    }
    for (int step = 0; step < BISECTIONS; step++) {
      float mid = lo + (hi - lo) / 2;
      if (mid <= lo || mid >= hi) {
        break;
      }
      if (Simd.countAtLeast(max, groups, mid) >= c) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return lo + extra.min() - bound;
  }

  /** Room kept free for a compare pass: sixteen registers of AVX-512. */
  private static final int MIN_ROOM = 256;

  /** Halvings of the maxima's range: the floor lands within 1/65,536 of it below the c-th. */
  private static final int BISECTIONS = 16;

  /**
   * The contenders among the eligible items whose totals could reach {@code floor}; null if fewer
   * than n eligible items surely reach it (then some items below it could belong).
   */
  private int[] select(
      int n, double floor, Extra extra, IntPredicate eligible, Runnable checkpoint) {
    // First the items that could reach the floor with the largest extra: one float compare per
    // item (the cut rounded down, so no item is lost), a register of items at a time where the
    // Vector API runs.
    float cut = Math.nextDown((float) (floor - (bound + extra.max())));
    int[] kept = new int[Math.min(scores.length, 16 * n)];
    int size = 0;
    for (int from = 0; from < scores.length; from += CHECK_EVERY) {
      checkpoint.run();
      int to = Math.min(scores.length, from + CHECK_EVERY);
      // A stretch no longer than the room left, which is all an above() call may need; the array
      // grows only when that room is short of MIN_ROOM (a stretch that short would run in the
      // scalar tail). Few items pass the cut, so it rarely does: making room for a whole stretch
      // up front grew it to the catalog's size on every call.
      for (int at = from; at < to; ) {
        if (kept.length - size < Math.min(to - at, MIN_ROOM)) {
          // size <= at < scores.length here, so the array is short of the catalog and can grow;
          // at the catalog's size the room always covers the rest of the stretch.
          kept =
              Arrays.copyOf(
                  kept, Math.min(scores.length, Math.max(2 * kept.length, size + MIN_ROOM)));
        }
        int end = Math.min(to, at + kept.length - size);
        size = Simd.above(scores, at, end, cut, kept, size);
        at = end;
      }
    }
    // Their exact totals' estimates, the eligible ones that could reach the floor only, then the
    // n-th best lower bound among those: an item whose upper bound is below it cannot make the top.
    double[] totals = new double[size];
    int eligibleCount = 0;
    int sure = 0;
    for (int i = 0; i < size; i++) {
      if (i % CHECK_EVERY == CHECK_EVERY - 1) {
        checkpoint.run();
      }
      int item = kept[i];
      double s = scores[item] + extra.term().applyAsDouble(item);
      if (s + bound >= floor && eligible.test(item)) {
        kept[eligibleCount] = item;
        totals[eligibleCount++] = s;
        if (s - bound >= floor) {
          sure++;
        }
      }
    }
    if (floor > Double.NEGATIVE_INFINITY && sure < n) {
      return null;
    }
    if (eligibleCount <= n) {
      return Arrays.copyOf(kept, eligibleCount);
    }
    double bar = largest(Arrays.copyOf(totals, eligibleCount), eligibleCount, n - 1) - bound;
    int out = 0;
    for (int i = 0; i < eligibleCount; i++) {
      if (totals[i] + bound >= bar) {
        kept[out++] = kept[i];
      }
    }
    return Arrays.copyOf(kept, out);
  }

  /**
   * The k-th largest (0 for the largest) of {@code values[0, size)}, by quickselect (expected
   * linear time); reorders those values.
   */
  static double largest(double[] values, int size, int k) {
    Preconditions.checkArgument(k >= 0 && k < size, "k %s out of [0, %s)", k, size);
    int lo = 0;
    int hi = size - 1;
    while (lo < hi) {
      double pivot = medianOf(values[lo], values[(lo + hi) >>> 1], values[hi]);
      // Larger values to the left: afterwards [lo, j] >= pivot >= [i, hi], and (j, i) == pivot.
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (values[i] > pivot) {
          i++;
        }
        while (values[j] < pivot) {
          j--;
        }
        if (i <= j) {
          double t = values[i];
          values[i++] = values[j];
          values[j--] = t;
        }
      }
      if (k <= j) {
        hi = j;
      } else if (k >= i) {
        lo = i;
      } else {
        return values[k];
      }
    }
    return values[k];
  }

  private static double medianOf(double a, double b, double c) {
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
  }
}
