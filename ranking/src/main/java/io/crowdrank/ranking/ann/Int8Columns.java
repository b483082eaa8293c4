package io.crowdrank.ranking.ann;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Item factors quantised to one signed byte per dimension (a per-dimension scale: the dimension's
 * largest magnitude maps to 127), dimension-major, scored with the Vector API.
 *
 * <p>Why: a scan of 10,000 items × 64 floats reads 2.56 MB per query, more than this machine's 2 MB
 * of L2 per core, so it runs at L3 bandwidth; the bytes are 640 KB and stay in L2. Every product is
 * off by at most {@link #bound} (rounding to the scale's grid plus float rounding), so a caller
 * keeps every item within that bound of its k-th best and re-scores those exactly: the same answer
 * as a float scan, from a quarter of the bytes.
 *
 * <p>Only where {@link Simd#SUPPORTED}; elsewhere the index keeps {@link FloatColumns}.
 */
final class Int8Columns implements VectorColumns {
  /** Floats per SIMD register: 16 with AVX-512, 8 with AVX2. */
  private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

  /** As many bytes as {@link #FLOATS} has lanes, widened to floats in one conversion. */
  private static final VectorSpecies<Byte> BYTES =
      VectorSpecies.of(byte.class, VectorShape.forBitSize(FLOATS.length() * Byte.SIZE));

  private final int count;

  /** Dimension d of item j at {@code [d][j]}: round(factor / scale[d]), in [-127, 127]. */
  private final byte[][] columns;

  private final float[] scale;

  private Int8Columns(int count, byte[][] columns, float[] scale) {
    this.count = count;
    this.columns = columns;
    this.scale = scale;
  }

  /** Quantises float columns ({@code [d][j]}, {@code count} items each). */
  static Int8Columns of(float[][] floats, int count) {
    byte[][] columns = new byte[floats.length][count];
    float[] max = VectorColumns.maxAbs(floats, count);
    float[] scale = new float[floats.length];
    for (int d = 0; d < floats.length; d++) {
      scale[d] = max[d] / 127;
      if (max[d] > 0) {
        for (int j = 0; j < count; j++) {
          // |factor / scale| <= 127, so the rounded value fits a byte and is within scale / 2.
          columns[d][j] = (byte) Math.round(floats[d][j] / scale[d]);
        }
      }
    }
    return new Int8Columns(count, columns, scale);
  }

  /** Half a grid step per dimension, weighted by the query, plus float rounding. */
  @Override
  public float bound(float[] query) {
    float sum = 0;
    for (int d = 0; d < query.length; d++) {
      sum += Math.abs(query[d] * scale[d]);
    }
    // Each term's magnitude is at most 127 · |query[d] · scale[d]|.
    return sum * (0.5f + 127 * VectorColumns.rounding(query.length));
  }

  @Override
  public float[] scores(float[] query) {
    float[] w = weights(query);
    float[] out = new float[count];
    // Four registers of items at a time, every dimension into them: the items' partial sums stay
    // in registers and each byte column is read once, sequentially.
    int lanes = FLOATS.length();
    int block = 4 * lanes;
    int j = 0;
    for (; j + block <= count; j += block) {
      FloatVector a0 = FloatVector.zero(FLOATS);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      for (int d = 0; d < w.length; d++) {
        byte[] c = columns[d];
        FloatVector wd = FloatVector.broadcast(FLOATS, w[d]);
        a0 = widen(c, j).fma(wd, a0);
        a1 = widen(c, j + lanes).fma(wd, a1);
        a2 = widen(c, j + 2 * lanes).fma(wd, a2);
        a3 = widen(c, j + 3 * lanes).fma(wd, a3);
      }
      store(out, j, a0, a1, a2, a3);
    }
    tail(w, out, j);
    return out;
  }

  /**
   * Queries scored together, four per pass over the columns: each register of bytes is widened once
   * for the four, and the columns are read once for them instead of four times. Every score is
   * computed in the same order as {@link #scores(float[])} computes it, so the two agree bit for
   * bit.
   */
  @Override
  public float[][] scores(float[][] queries) {
    float[][] out = new float[queries.length][];
    int q = 0;
    for (; queries.length - q >= 2; q += 4) {
      // Two or three left still take a pass of four: the spare lanes score a zero query into
      // scratch, which costs less than a pass each.
      float[][] w = new float[4][];
      float[][] o = new float[4][];
      for (int i = 0; i < 4; i++) {
        boolean real = q + i < queries.length;
        w[i] = real ? weights(queries[q + i]) : new float[columns.length];
        o[i] = new float[count];
        if (real) {
          out[q + i] = o[i];
        }
      }
      scoresOfFour(w, o);
    }
    if (q < queries.length) {
      out[q] = scores(queries[q]);
    }
    return out;
  }

  private void scoresOfFour(float[][] w, float[][] o) {
    float[] w0 = w[0];
    float[] w1 = w[1];
    float[] w2 = w[2];
    float[] w3 = w[3];
    // Four registers of items by four queries: sixteen sums in registers (AVX-512 has 32), each
    // widened byte register feeding four multiply-adds.
    int lanes = FLOATS.length();
    int block = 4 * lanes;
    int j = 0;
    for (; j + block <= count; j += block) {
      FloatVector z = FloatVector.zero(FLOATS);
      FloatVector a00 = z;
      FloatVector a01 = z;
      FloatVector a02 = z;
      FloatVector a03 = z;
      FloatVector a10 = z;
      FloatVector a11 = z;
      FloatVector a12 = z;
      FloatVector a13 = z;
      FloatVector a20 = z;
      FloatVector a21 = z;
      FloatVector a22 = z;
      FloatVector a23 = z;
      FloatVector a30 = z;
      FloatVector a31 = z;
      FloatVector a32 = z;
      FloatVector a33 = z;
      for (int d = 0; d < w0.length; d++) {
        byte[] c = columns[d];
        FloatVector x0 = widen(c, j);
        FloatVector x1 = widen(c, j + lanes);
        FloatVector x2 = widen(c, j + 2 * lanes);
        FloatVector x3 = widen(c, j + 3 * lanes);
        FloatVector b = FloatVector.broadcast(FLOATS, w0[d]);
        a00 = x0.fma(b, a00);
        a01 = x1.fma(b, a01);
        a02 = x2.fma(b, a02);
        a03 = x3.fma(b, a03);
        b = FloatVector.broadcast(FLOATS, w1[d]);
        a10 = x0.fma(b, a10);
        a11 = x1.fma(b, a11);
        a12 = x2.fma(b, a12);
        a13 = x3.fma(b, a13);
        b = FloatVector.broadcast(FLOATS, w2[d]);
        a20 = x0.fma(b, a20);
        a21 = x1.fma(b, a21);
        a22 = x2.fma(b, a22);
        a23 = x3.fma(b, a23);
        b = FloatVector.broadcast(FLOATS, w3[d]);
        a30 = x0.fma(b, a30);
        a31 = x1.fma(b, a31);
        a32 = x2.fma(b, a32);
        a33 = x3.fma(b, a33);
      }
      store(o[0], j, a00, a01, a02, a03);
      store(o[1], j, a10, a11, a12, a13);
      store(o[2], j, a20, a21, a22, a23);
      store(o[3], j, a30, a31, a32, a33);
    }
    for (int i = 0; i < 4; i++) {
      tail(w[i], o[i], j);
    }
  }

  /** Four registers of sums into {@code out} from item {@code j} on. */
  private static void store(
      float[] out, int j, FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
    int lanes = FLOATS.length();
    a0.intoArray(out, j);
    a1.intoArray(out, j + lanes);
    a2.intoArray(out, j + 2 * lanes);
    a3.intoArray(out, j + 3 * lanes);
  }

  /** The query's weight per dimension: the products are then sums of weight x byte. */
  private float[] weights(float[] query) {
    float[] w = new float[query.length];
    for (int d = 0; d < w.length; d++) {
      w[d] = query[d] * scale[d];
    }
    return w;
  }

  /** Items from {@code from} on, one at a time (fewer than a block's worth). */
  private void tail(float[] w, float[] out, int from) {
    for (int j = from; j < count; j++) {
      float s = 0;
      for (int d = 0; d < w.length; d++) {
        s = Math.fma(w[d], columns[d][j], s);
      }
      out[j] = s;
    }
  }

  private static FloatVector widen(byte[] column, int from) {
    return (FloatVector)
        ByteVector.fromArray(BYTES, column, from).convertShape(VectorOperators.B2F, FLOATS, 0);
  }
}
