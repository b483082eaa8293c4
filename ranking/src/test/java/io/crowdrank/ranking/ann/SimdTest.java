package io.crowdrank.ranking.ann;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SimdTest {
  @Test
  void above_anyRangeAndCut_appendsTheIndexesAtOrAboveTheCut_inOrder() {
    float[] values = gaussian(1_000, 3);
    values[500] = 2.5f; // a value equal to a cut below
    // Ranges that start and end mid-register, so the vector loop and its tails both run.
    for (int[] range : new int[][] {{0, 1_000}, {3, 997}, {5, 12}, {0, 0}, {999, 1_000}}) {
      for (float cut :
          new float[] {Float.NEGATIVE_INFINITY, -1f, 0f, 2.5f, Float.POSITIVE_INFINITY}) {
        int[] out = new int[2 + range[1] - range[0]];
        out[0] = -7; // already there: kept, appended after
        int size = Simd.above(values, range[0], range[1], cut, out, 1);

        int[] expected =
            IntStream.range(range[0], range[1]).filter(i -> values[i] >= cut).toArray();
        assertThat(out[0]).isEqualTo(-7);
        assertThat(Arrays.copyOfRange(out, 1, size))
            .as("range %s, cut %s", Arrays.toString(range), cut)
            .containsExactly(expected);
      }
    }
  }

  @Test
  void maxInto_anyLength_takesTheLargerOfEachPair() {
    float[] values = gaussian(1_000, 4);
    // Lengths that end mid-register, read from an offset: the vector loop and its tail both run.
    for (int len : new int[] {0, 5, 37, 400}) {
      float[] acc = gaussian(len, len);
      float[] expected = new float[len];
      for (int i = 0; i < len; i++) {
        expected[i] = Math.max(acc[i], values[300 + i]);
      }

      Simd.maxInto(values, 300, acc, len);

      assertThat(acc).as("length %d", len).containsExactly(expected);
    }
  }

  @Test
  void countAtLeast_anyLengthAndCut_countsTheValuesAtOrAboveTheCut() {
    float[] values = gaussian(1_000, 5);
    values[10] = 1.5f;
    for (int len : new int[] {0, 11, 37, 1_000}) {
      for (float cut :
          new float[] {Float.NEGATIVE_INFINITY, -0.5f, 1.5f, Float.POSITIVE_INFINITY}) {
        long expected = IntStream.range(0, len).filter(i -> values[i] >= cut).count();

        assertThat(Simd.countAtLeast(values, len, cut))
            .as("length %d, cut %s", len, cut)
            .isEqualTo(expected);
      }
    }
  }

  @Test
  void dot_anyLengthAndOffsets_matchesTheProductInDoubles() {
    float[] a = gaussian(200, 6);
    float[] b = gaussian(200, 7);
    // Lengths that end mid-register, from offsets: the vector loop and its tail both run.
    for (int n : new int[] {0, 3, 16, 37, 64, 100}) {
      double expected = 0;
      double magnitude = 0;
      for (int d = 0; d < n; d++) {
        expected += (double) a[5 + d] * b[90 + d];
        magnitude += Math.abs((double) a[5 + d] * b[90 + d]);
      }

      assertThat((double) Simd.dot(a, 5, b, 90, n))
          .as("length %d", n)
          .isCloseTo(expected, within(magnitude * n * 0x1p-23 + 1e-30));
      assertThat((double) Simd.scalarDot(a, 5, b, 90, n))
          .as("plain loop, length %d", n)
          .isCloseTo(expected, within(magnitude * n * 0x1p-23 + 1e-30));
    }
  }

  @Test
  void supported_inTheTestJvm_becauseSurefirePassesTheModule() {
    // Surefire's argLine has --add-modules=jdk.incubator.vector and this machine has AVX-512; if
    // this fails, the vector paths above went untested.
    assertThat(Simd.SUPPORTED).isTrue();
  }

  private static float[] gaussian(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) rnd.nextGaussian();
    }
    return values;
  }
}
