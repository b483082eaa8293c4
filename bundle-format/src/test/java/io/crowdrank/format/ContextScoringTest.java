package io.crowdrank.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ContextScoringTest {
  @Test
  void userLift_noHistoryInCategory_isTheGlobalLift() {
    assertThat(ContextScoring.userLift(2.5, 0.01, 0, 0, 10)).isEqualTo(2.5);
  }

  @Test
  void userLift_shrinksTowardsGlobal_andMovesTowardsTheUsersOwnHabit() {
    // The user used the category 20 times, all of them in this hour (own P(h|c) = 1).
    double few = ContextScoring.userLift(1.0, 0.01, 2, 2, 10);
    double many = ContextScoring.userLift(1.0, 0.01, 20, 20, 10);

    assertThat(few).isGreaterThan(1.0).isLessThan(many);
    // (20 + 10 * 1 * 0.01) / (30 * 0.01) = 67 -> clipped
    assertThat(many).isEqualTo(ContextScoring.MAX_LIFT);
    // Never used in this hour although used a lot: below the global lift.
    assertThat(ContextScoring.userLift(1.0, 0.01, 0, 20, 10)).isCloseTo(1.0 / 3, within(1e-9));
  }

  @Test
  void score_addsWeightedLogLift_clipped() {
    assertThat(ContextScoring.score(0.5, 1.0, 0.3)).isEqualTo(0.5);
    assertThat(ContextScoring.score(0.5, Math.E, 0.3)).isCloseTo(0.8, within(1e-9));
    assertThat(ContextScoring.score(0, 0.0, 1)).isEqualTo(Math.log(ContextScoring.MIN_LIFT));
  }
}
