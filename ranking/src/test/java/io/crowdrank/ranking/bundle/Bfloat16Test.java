package io.crowdrank.ranking.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Bfloat16Test {
  @Test
  void of_keepsTheTop16Bits_roundedToNearestTiesToEven() {
    assertThat((int) Bfloat16.of(1f)).isEqualTo(0x3F80);
    assertThat(Bfloat16.value(Bfloat16.of(3f))).isEqualTo(3f);
    assertThat(Bfloat16.value(Bfloat16.of(-20f))).isEqualTo(-20f);
    assertThat(Bfloat16.value(Bfloat16.of(0f))).isZero();
    // 1/3 is 0x3EAAAAAB: the dropped half 0xAAAB is above a half, so up to 0x3EAB.
    assertThat((int) Bfloat16.of(1f / 3)).isEqualTo(0x3EAB);
    assertThat(Bfloat16.value((char) 0x3EAB)).isEqualTo(0.333984375f);
    // Ties: 1 + 2^-8 (0x3F808000) goes down to the even 0x3F80, 1 + 3 · 2^-8 up to 0x3F82.
    assertThat((int) Bfloat16.of(Float.intBitsToFloat(0x3F808000))).isEqualTo(0x3F80);
    assertThat((int) Bfloat16.of(Float.intBitsToFloat(0x3F818000))).isEqualTo(0x3F82);
    assertThat(Bfloat16.value(Bfloat16.of(Float.NaN))).isNaN();
    assertThat(Bfloat16.value(Bfloat16.of(1e30f)))
        .isCloseTo(1e30f, org.assertj.core.data.Percentage.withPercentage(0.4));
  }

  @Test
  void value_ofAnyFloat_withinTwoToTheMinusEightRelative() {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(2);
    for (int i = 0; i < 100_000; i++) {
      float f = (float) (rnd.nextDouble() * Math.pow(10, rnd.nextInt(-6, 7)));
      float back = Bfloat16.value(Bfloat16.of(f));
      assertThat(Math.abs(back - f)).as("%s", f).isLessThanOrEqualTo(Math.ulp(f) + f / 256);
    }
  }
}
