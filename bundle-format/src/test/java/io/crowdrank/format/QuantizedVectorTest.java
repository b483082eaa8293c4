package io.crowdrank.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class QuantizedVectorTest {
  @Test
  void of_everyComponentWithinHalfAStep_largestAt127() {
    SplittableRandom rnd = new SplittableRandom(5);
    float[] v = new float[64];
    for (int d = 0; d < v.length; d++) {
      v[d] = (float) (rnd.nextGaussian() * 0.4);
    }

    QuantizedVector q = QuantizedVector.of(v);

    float max = 0;
    int largest = 0;
    for (int d = 0; d < v.length; d++) {
      if (Math.abs(v[d]) > max) {
        max = Math.abs(v[d]);
        largest = d;
      }
    }
    assertThat(q.dim()).isEqualTo(64);
    assertThat(q.scale()).isEqualTo(max / 127f);
    assertThat(Math.abs(q.codes()[largest])).isEqualTo(127);
    float[] back = q.toFloats();
    for (int d = 0; d < v.length; d++) {
      assertThat(back[d]).isCloseTo(v[d], within(q.scale() / 2 + 1e-7f));
      assertThat(back[d]).isEqualTo(q.codes()[d] * q.scale());
    }
  }

  @Test
  void of_handWorkedVector() {
    // max |x| = 2, a step of 2/127: 0.5 → 31.75 → 32, -2 → -127, 1.5 → 95.25 → 95, 0 → 0.
    QuantizedVector q = QuantizedVector.of(new float[] {0.5f, -2f, 1.5f, 0f});

    assertThat(q.codes()).containsExactly(32, -127, 95, 0);
    assertThat(q.scale()).isEqualTo(2f / 127f);
  }

  @Test
  void quantize_intoAnOffset_sameCodesAsOf() {
    float[] v = {0.1f, -0.3f, 0.25f};
    byte[] store = new byte[7];

    float scale = QuantizedVector.quantize(v, store, 4);

    QuantizedVector q = QuantizedVector.of(v);
    assertThat(scale).isEqualTo(q.scale());
    assertThat(java.util.Arrays.copyOfRange(store, 4, 7)).containsExactly(q.codes());
    assertThat(java.util.Arrays.copyOfRange(store, 0, 4)).containsOnly(0);
  }

  @Test
  void of_zeroVector_zeroScaleAndCodes() {
    QuantizedVector q = QuantizedVector.of(new float[3]);

    assertThat(q.scale()).isZero();
    assertThat(q.codes()).containsOnly(0);
    assertThat(q.toFloats()).containsOnly(0f);
  }

  @Test
  void of_notFinite_refused() {
    assertThatThrownBy(() -> QuantizedVector.of(new float[] {1f, Float.NaN}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("vector component is not finite: NaN");
    assertThatThrownBy(() -> QuantizedVector.ofCodes(new byte[2], -1f))
        .hasMessage("vector scale must be finite and >= 0, got -1.0");
  }

  @Test
  void ofCodes_copiesInAndOut_theVectorNeverChanges() {
    byte[] stored = {1, -2, 3};
    QuantizedVector q = QuantizedVector.ofCodes(stored, 0.5f);

    stored[0] = 100;
    q.codes()[1] = 100;
    byte[] into = new byte[5];
    q.copyCodesInto(into, 2);

    assertThat(q.codes()).containsExactly(1, -2, 3);
    assertThat(into).containsExactly(0, 0, 1, -2, 3);
    assertThat(q.toFloats()).containsExactly(0.5f, -1f, 1.5f);
  }

  @Test
  void equals_byCodesAndScale() {
    assertThat(QuantizedVector.of(new float[] {1.5f, 2f}))
        .isEqualTo(QuantizedVector.ofCodes(new byte[] {95, 127}, 2f / 127f))
        .isNotEqualTo(QuantizedVector.ofCodes(new byte[] {95, 127}, 1f / 127f));
  }
}
