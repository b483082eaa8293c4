package io.crowdrank.ranking.ann;

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
    return Simd.dot(a, ao, b, bo, n);
  }
}
