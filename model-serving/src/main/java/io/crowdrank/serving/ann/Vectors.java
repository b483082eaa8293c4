package io.crowdrank.serving.ann;

/** Inner products over flattened float vectors, the innermost loop of ranking. */
public final class Vectors {
  private Vectors() {}

  /**
   * a[ao .. ao+n) · b[bo .. bo+n); the result may differ from a sequential sum in the last bits.
   *
   * <p>In registers where the Vector API runs: the vectors re-scored are scattered over the item
   * array and mostly come from memory, and at a few instructions per product the CPU has many of
   * them in flight at once (60 cold products in 7 µs instead of 16 on this machine).
   */
  public static float dot(float[] a, int ao, float[] b, int bo, int n) {
    return Simd.SUPPORTED ? Simd.dot(a, ao, b, bo, n) : scalarDot(a, ao, b, bo, n);
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
}
