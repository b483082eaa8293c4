package io.crowdrank.ranking.ann;

/**
 * Item factors laid out dimension-major for scoring every item against one query: the exact index's
 * scan. Implementations may approximate, within a bound they state per query.
 */
interface VectorColumns {
  /** Every item's inner product with {@code query}, by item index, within {@link #bound}. */
  float[] scores(float[] query);

  /**
   * Each query's {@link #scores(float[])}, the same values; an implementation may compute them
   * together (one pass over the columns for several queries).
   */
  default float[][] scores(float[][] queries) {
    float[][] out = new float[queries.length][];
    for (int q = 0; q < queries.length; q++) {
      out[q] = scores(queries[q]);
    }
    return out;
  }

  /** The most any of {@link #scores}' products differs from the exact one (float rounding too). */
  float bound(float[] query);

  /**
   * Float rounding allowed, as a share of the sum of the terms' magnitudes, between a dim-term
   * product computed here and one computed in another order: each side is off by at most dim · 2⁻²⁴
   * of that sum; this is twice both.
   */
  static float rounding(int dim) {
    return dim * 0x1p-22f;
  }

  /** Largest magnitude per dimension over {@code count} items of {@code [d][j]} columns. */
  static float[] maxAbs(float[][] columns, int count) {
    float[] max = new float[columns.length];
    for (int d = 0; d < columns.length; d++) {
      for (int j = 0; j < count; j++) {
        max[d] = Math.max(max[d], Math.abs(columns[d][j]));
      }
    }
    return max;
  }
}
