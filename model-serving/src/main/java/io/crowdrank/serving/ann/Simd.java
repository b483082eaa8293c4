package io.crowdrank.serving.ann;

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
      // One compare per register of values; the lanes are looked at only where one passed, which
      // for a cut near the top is a few registers in a hundred.
      int lanes = FLOATS.length();
      int i = from;
      for (; i + lanes <= to; i += lanes) {
        VectorMask<Float> pass =
            FloatVector.fromArray(FLOATS, values, i).compare(VectorOperators.GE, cut);
        if (pass.anyTrue()) {
          size = scalarAbove(values, i, i + lanes, cut, out, size);
        }
      }
      return scalarAbove(values, i, to, cut, out, size);
    }
  }
}
