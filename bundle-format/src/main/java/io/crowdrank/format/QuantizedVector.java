package io.crowdrank.format;

import java.util.Arrays;

/**
 * A user's factor vector as the bundle stores it and the service scores it: int8 codes, symmetric
 * around 0 with the largest magnitude at ±127, and the scale of one step, so that component {@code
 * d} is {@code codes[d] * scale}, within half a step of the float it came from. Publish quantises
 * (formats 5 and later store {@link BundleFormat#VECTOR_CODES} and {@link
 * BundleFormat#VECTOR_SCALE}); the service quantises older bundles' float vectors itself; both call
 * {@link #of}, so a vector is the same codes whichever side made them.
 *
 * <p>Immutable: the codes are copied in and out.
 */
public final class QuantizedVector {
  private final byte[] codes;
  private final float scale;

  private QuantizedVector(byte[] codes, float scale) {
    if (!Float.isFinite(scale) || scale < 0) {
      throw new IllegalArgumentException("vector scale must be finite and >= 0, got " + scale);
    }
    this.codes = codes;
    this.scale = scale;
  }

  /**
   * A vector as stored: {@code dim} codes, each in [-128, 127], and the step, finite and ≥ 0 (0
   * only for the zero vector).
   */
  public static QuantizedVector ofCodes(byte[] codes, float scale) {
    if (codes == null) {
      throw new IllegalArgumentException("no codes");
    }
    return new QuantizedVector(codes.clone(), scale);
  }

  /** Quantises {@code v}: 1 byte a component instead of 4. */
  public static QuantizedVector of(float[] v) {
    byte[] codes = new byte[v.length];
    float scale = quantize(v, codes, 0);
    return new QuantizedVector(codes, scale);
  }

  /**
   * Writes {@code v}'s codes into {@code into} at {@code offset} and returns the scale.
   *
   * @throws IllegalArgumentException if a component is not finite
   */
  static float quantize(float[] v, byte[] into, int offset) {
    float max = 0;
    for (float x : v) {
      if (!Float.isFinite(x)) {
        throw new IllegalArgumentException("vector component is not finite: " + x);
      }
      max = Math.max(max, Math.abs(x));
    }
    float scale = max / 127f;
    for (int d = 0; d < v.length; d++) {
      into[offset + d] = scale == 0 ? 0 : (byte) Math.round(v[d] / scale);
    }
    return scale;
  }

  public int dim() {
    return codes.length;
  }

  /** A copy of the codes. */
  public byte[] codes() {
    return codes.clone();
  }

  /** The step: component = code × scale. */
  public float scale() {
    return scale;
  }

  /** Writes the codes into {@code into} at {@code offset}, for stores of many vectors. */
  public void copyCodesInto(byte[] into, int offset) {
    System.arraycopy(codes, 0, into, offset, codes.length);
  }

  /** The components the codes stand for. */
  public float[] toFloats() {
    float[] v = new float[codes.length];
    for (int d = 0; d < v.length; d++) {
      v[d] = codes[d] * scale;
    }
    return v;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof QuantizedVector q
        && Float.compare(scale, q.scale) == 0
        && Arrays.equals(codes, q.codes);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(codes) + Float.hashCode(scale);
  }

  @Override
  public String toString() {
    return "QuantizedVector" + Arrays.toString(codes) + "×" + scale;
  }
}
