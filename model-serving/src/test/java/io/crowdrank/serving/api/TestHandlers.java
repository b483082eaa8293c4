package io.crowdrank.serving.api;

import io.crowdrank.ranking.Ranker;
import io.crowdrank.ranking.RankingConfig;
import io.crowdrank.serving.bundle.ServedBundles;
import io.crowdrank.serving.events.EventSink;
import io.crowdrank.serving.events.RecentHistory;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** The Rank handler as tests build it: default ranking, k 10 (at most 100), a day's history. */
public final class TestHandlers {
  private TestHandlers() {}

  public static RankingHandler ranking(
      Supplier<Optional<ServedBundles>> served, EventSink log, Duration ackTimeout) {
    return new RankingHandler(
        served,
        new RankRequests(10, 100, Clock.systemUTC()),
        new EventRequests(Clock.systemUTC()),
        new RecentHistory(
            new RecentHistory.Settings(Duration.ofHours(24), Duration.ofMinutes(30), 3, 1000)),
        new Ranker(RankingConfig.defaults()),
        log,
        ackTimeout);
  }
}
