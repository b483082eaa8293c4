package io.crowdrank.serving.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.serving.events.RecentHistory.Kind;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RecentHistoryTest {
  static final Instant NOW = Instant.parse("2026-11-25T04:00:00Z");

  final RecentHistory history =
      new RecentHistory(
          new RecentHistory.Settings(Duration.ofHours(24), Duration.ofMinutes(30), 3, 1000));

  @Test
  void blocked_afterAUseOrClick_untilTheUsedWindowEnds() {
    history.record("u", "coffee", Kind.USE, NOW.minus(Duration.ofHours(2)));
    history.record("u", "burger", Kind.CLICK, NOW.minus(Duration.ofHours(25)));

    assertThat(history.blocked("u", NOW)).containsExactly("coffee");
    assertThat(history.blocked("u", NOW.plus(Duration.ofHours(23)))).isEmpty();
  }

  @Test
  void blocked_afterMaxImpressionsWithinTheShownWindow_only() {
    for (int i = 0; i < 3; i++) {
      history.record("u", "travel", Kind.IMPRESSION, NOW.minus(Duration.ofMinutes(5 + i)));
    }
    history.record("u", "hotel", Kind.IMPRESSION, NOW.minus(Duration.ofMinutes(1)));
    history.record("u", "hotel", Kind.IMPRESSION, NOW.minus(Duration.ofMinutes(2)));
    history.record("u", "hotel", Kind.IMPRESSION, NOW.minus(Duration.ofMinutes(50)));

    assertThat(history.blocked("u", NOW)).containsExactly("travel");
  }

  @Test
  void blocked_isPerUser_andIgnoresEventsAfterTheRequestTime() {
    history.record("u", "coffee", Kind.USE, NOW.plus(Duration.ofMinutes(1)));

    assertThat(history.blocked("u", NOW)).isEmpty();
    assertThat(history.blocked("other", NOW.plus(Duration.ofMinutes(2)))).isEmpty();
    assertThat(history.blocked("u", NOW.plus(Duration.ofMinutes(2)))).containsExactly("coffee");
  }

  @Test
  void record_keepsTheNewestEventsPerUser() {
    history.record("u", "old", Kind.USE, NOW.minus(Duration.ofMinutes(10)));
    for (int i = 0; i < RecentHistory.EVENTS_PER_USER; i++) {
      history.record("u", "i" + i, Kind.IMPRESSION, NOW.minus(Duration.ofMinutes(5)));
    }

    assertThat(history.blocked("u", NOW)).doesNotContain("old");
  }
}
