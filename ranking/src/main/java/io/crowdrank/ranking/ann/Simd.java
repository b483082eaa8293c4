package io.crowdrank.ranking.ann;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Whether this JVM runs the Vector API with SIMD intrinsics, and the scan loops that use it.
 *
 * <p>The API is the incubating {@code jdk.incubator.vector} module on Java 17 ({@code
 * --add-modules}); without the module, or with registers under 256 bits, it would be missing or
 * emulated (far slower than a plain loop), so callers fall back to plain Java. No Vector API class
 * is loaded unless {@link #SUPPORTED}: the vector code lives in a nested class.
 */
final class Simd {
  private Simd() {}

  /** Module present and registers of at least 256 bits (AVX2, AVX-512). */
  static final boolean SUPPORTED =
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && Vectorised.wide();

  /**
   * Appends to {@code out}, from {@code size} on, the indexes in [from, to) whose value is at least
   * {@code cut}, in order; returns the new size. {@code out} must have room for {@code to - from}
   * more.
   */
  static int above(float[] values, int from, int to, float cut, int[] out, int size) {
    return SUPPORTED
        ? Vectorised.above(values, from, to, cut, out, size)
        : scalarAbove(values, from, to, cut, out, size);
  }

  /** {@code acc[i] = max(acc[i], values[from + i])} for i in [0, len). No NaN expected. */
  static void maxInto(float[] values, int from, float[] acc, int len) {
    if (SUPPORTED) {
      Vectorised.maxInto(values, from, acc, len);
    } else {
      scalarMaxInto(values, from, acc, 0, len);
    }
  }

  /** How many of {@code values[0, len)} are at least {@code cut}. */
  static int countAtLeast(float[] values, int len, float cut) {
    return SUPPORTED
        ? Vectorised.countAtLeast(values, len, cut)
        : scalarCountAtLeast(values, 0, len, cut);
  }

  /** a[ao .. ao+n) · b[bo .. bo+n), a register of terms per multiply-add where supported. */
  static float dot(float[] a, int ao, float[] b, int bo, int n) {
    return SUPPORTED ? Vectorised.dot(a, ao, b, bo, n) : scalarDot(a, ao, b, bo, n);
  }

  /**
   * The plain loop. Four independent sums let the CPU overlap the multiply-adds (one running sum
   * makes each wait for the last).
   */
  static float scalarDot(float[] a, int ao, float[] b, int bo, int n) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    int d = 0;
    for (; d + 3 < n; d += 4) {
      s0 += a[ao + d] * b[bo + d];
      s1 += a[ao + d + 1] * b[bo + d + 1];
      s2 += a[ao + d + 2] * b[bo + d + 2];
      s3 += a[ao + d + 3] * b[bo + d + 3];
    }
    for (; d < n; d++) {
      s0 += a[ao + d] * b[bo + d];
    }
    return (s0 + s1) + (s2 + s3);
  }

  private static void scalarMaxInto(float[] values, int from, float[] acc, int start, int len) {
    for (int i = start; i < len; i++) {
      if (values[from + i] > acc[i]) {
        acc[i] = values[from + i];
      }
    }
  }

  private static int scalarCountAtLeast(float[] values, int start, int len, float cut) {
    int count = 0;
    for (int i = start; i < len; i++) {
      count += values[i] >= cut ? 1 : 0;
    }
    return count;
  }

  private static int scalarAbove(float[] values, int from, int to, float cut, int[] out, int size) {
    for (int i = from; i < to; i++) {
      if (values[i] >= cut) {
        out[size++] = i;
      }
    }
    return size;
  }

  private static final class Vectorised {
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

    static boolean wide() {
      return FLOATS.vectorBitSize() >= 256;
    }

    static int above(float[] values, int from, int to, float cut, int[] out, int size) {
      // One compare per register of values. For a cut near the top few registers pass any, and
      // those mostly one lane, taken from the mask; only the rest are walked lane by lane.
      int lanes = FLOATS.length();
      int i = from;
      for (; i + lanes <= to; i += lanes) {
        VectorMask<Float> pass =
            FloatVector.fromArray(FLOATS, values, i).compare(VectorOperators.GE, cut);
        if (pass.anyTrue()) {
          if (pass.trueCount() == 1) {
            out[size++] = i + pass.firstTrue();
          } else {
            size = scalarAbove(values, i, i + lanes, cut, out, size);
          }
        }
      }
      return scalarAbove(values, i, to, cut, out, size);
    }

    static void maxInto(float[] values, int from, float[] acc, int len) {
      int lanes = FLOATS.length();
      int i = 0;
      for (; i + lanes <= len; i += lanes) {
        FloatVector.fromArray(FLOATS, acc, i)
            .max(FloatVector.fromArray(FLOATS, values, from + i))
            .intoArray(acc, i);
      }
      scalarMaxInto(values, from, acc, i, len);
    }

    static float dot(float[] a, int ao, float[] b, int bo, int n) {
      int lanes = FLOATS.length();
      FloatVector acc = FloatVector.zero(FLOATS);
      int d = 0;
      for (; d + lanes <= n; d += lanes) {
        acc =
            FloatVector.fromArray(FLOATS, a, ao + d)
                .fma(FloatVector.fromArray(FLOATS, b, bo + d), acc);
      }
      float s = acc.reduceLanes(VectorOperators.ADD);
      for (; d < n; d++) {
        s = Math.fma(a[ao + d], b[bo + d], s);
      }
      return s;
    }

    static int countAtLeast(float[] values, int len, float cut) {
      int lanes = FLOATS.length();
      int count = 0;
      int i = 0;
      for (; i + lanes <= len; i += lanes) {
        count +=
            FloatVector.fromArray(FLOATS, values, i).compare(VectorOperators.GE, cut).trueCount();
      }
      return count + scalarCountAtLeast(values, i, len, cut);
    }
  }
}
