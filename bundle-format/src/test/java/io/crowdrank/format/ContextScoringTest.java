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
    // This hour holds 10% of all activity; the user's uses of the category all fell in it.
    double few = ContextScoring.userLift(1.0, 0.1, 2, 2, 10);
    double many = ContextScoring.userLift(1.0, 0.1, 20, 20, 10);

    // (2 + 10 * 1 * 0.1) / (12 * 0.1) = 2.5; (20 + 1) / (30 * 0.1) = 7
    assertThat(few).isCloseTo(2.5, within(1e-9));
    assertThat(many).isCloseTo(7.0, within(1e-9));
    // Never used in this hour although used a lot: below the global lift.
    assertThat(ContextScoring.userLift(1.0, 0.1, 0, 20, 10)).isCloseTo(1.0 / 3, within(1e-9));
    // A rare hour and a strong habit: clipped.
    assertThat(ContextScoring.userLift(1.0, 0.001, 20, 20, 10)).isEqualTo(ContextScoring.MAX_LIFT);
  }

  @Test
  void score_addsWeightedLogLift_clipped() {
    assertThat(ContextScoring.score(0.5, 1.0, 0.3)).isEqualTo(0.5);
    assertThat(ContextScoring.score(0.5, Math.E, 0.3)).isCloseTo(0.8, within(1e-9));
    assertThat(ContextScoring.score(0, 0.0, 1)).isEqualTo(Math.log(ContextScoring.MIN_LIFT));
  }
}
