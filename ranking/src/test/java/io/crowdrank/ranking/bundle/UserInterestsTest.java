package io.crowdrank.ranking.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class UserInterestsTest {
  // verticals 0 food, 1 travel, 2 sports: 0.3 food, 0.6 travel
  final UserInterests interests = new UserInterests(new int[] {0, 1}, new float[] {0.3f, 0.6f});

  @Test
  void share_ofAVerticalWithoutInterest_isZero() {
    assertThat(interests.share(1)).isCloseTo(0.6, within(1e-6));
    assertThat(interests.share(2)).isZero();
  }

  @Test
  void in_sumsTheSharesOfTheMiniProgramsVerticals() {
    assertThat(interests.in(new int[] {0, 1, 2})).isCloseTo(0.9, within(1e-6));
    assertThat(interests.in(new int[] {2})).isZero();
  }

  @Test
  void strongestAmong_largestShareOfTheMiniProgramsVerticals_orMinusOne() {
    assertThat(interests.strongestAmong(new int[] {0, 1})).isEqualTo(1);
    assertThat(interests.strongestAmong(new int[] {2, 0})).isEqualTo(0);
    assertThat(interests.strongestAmong(new int[] {2})).isEqualTo(-1);
    assertThat(UserInterests.NONE.strongestAmong(new int[] {0})).isEqualTo(-1);
    assertThat(
            new UserInterests(new int[] {0, 1}, new float[] {0.5f, 0.5f})
                .strongestAmong(new int[] {1, 0}))
        .as("on a tie the mini-program's first vertical")
        .isEqualTo(1);
  }

  @Test
  void new_unequalLengths_fails() {
    assertThatThrownBy(() -> new UserInterests(new int[] {0}, new float[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("1 interest verticals but 0 shares");
  }
}
