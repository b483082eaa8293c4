package io.crowdrank.ranking.bundle;

/**
 * A float in 16 bits: its sign, its whole 8-bit exponent and the top 7 bits of its significand (the
 * "brain float" of machine learning), rounded to nearest, ties to even. Any finite float keeps its
 * range; the relative error is at most 2<sup>-8</sup>. Half the memory of a float where that is
 * precision enough (users' habit counts; Java 17 has no half-float conversions).
 */
final class Bfloat16 {
  private Bfloat16() {}

  static char of(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (char) ((bits >>> 16) | 0x40); // a quiet NaN stays a NaN
    }
    return (char) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
  }

  static float value(char c) {
    return Float.intBitsToFloat(c << 16);
  }
}
