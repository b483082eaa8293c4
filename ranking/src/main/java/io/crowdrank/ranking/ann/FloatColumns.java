package io.crowdrank.ranking.ann;

/**
 * The exact scan on float columns, in plain Java: where {@link Int8Columns} cannot run. Scoring
 * every item is {@code dim} passes of {@code scores[j] += q[d] * column[j]}: a loop without a
 * reduction, which the JIT compiles to SIMD instructions on Java 17 (a per-item dot product is a
 * float reduction it must keep sequential).
 */
final class FloatColumns implements VectorColumns {
  private final int count;

  /** Factor d of item j at {@code [d][j]}, zero for items without a vector. */
  private final float[][] columns;

  private final float[] maxAbs;

  FloatColumns(float[][] columns, int count) {
    this.count = count;
    this.columns = columns;
    this.maxAbs = VectorColumns.maxAbs(columns, count);
  }

  @Override
  public float bound(float[] query) {
    float sum = 0;
    for (int d = 0; d < query.length; d++) {
      sum += Math.abs(query[d]) * maxAbs[d];
    }
    return sum * VectorColumns.rounding(query.length);
  }

  @Override
  public float[] scores(float[] query) {
    // Four dimensions per pass over the items: a quarter of the loads and stores of the scores
    // (eight measured slower: the JIT vectorised it less well). One array per dimension, not one
    // flat array: the JIT vectorises [j] but not [d * n + j].
    float[] out = new float[count];
    int d = 0;
    for (; d + 3 < query.length; d += 4) {
      float w0 = query[d];
      float w1 = query[d + 1];
      float w2 = query[d + 2];
      float w3 = query[d + 3];
      float[] c0 = columns[d];
      float[] c1 = columns[d + 1];
      float[] c2 = columns[d + 2];
      float[] c3 = columns[d + 3];
      for (int j = 0; j < count; j++) {
        out[j] += (w0 * c0[j] + w1 * c1[j]) + (w2 * c2[j] + w3 * c3[j]);
      }
    }
    for (; d < query.length; d++) {
      float w = query[d];
      float[] c = columns[d];
      for (int j = 0; j < count; j++) {
        out[j] += w * c[j];
      }
    }
    return out;
  }
}
