package io.crowdrank.serving.events;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.common.base.Preconditions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Each user's recent events with mini-programs, in memory, so feedback takes effect on the next
 * ranking: a mini-program the user clicked or used within the used window, or was shown {@code
 * maxImpressions} times within the shown window, is blocked. Per server (replicas each see the
 * events sent to them), bounded in users (least recently active dropped first) and in events per
 * user; thread-safe.
 */
public final class RecentHistory {

  public enum Kind {
    IMPRESSION,
    CLICK,
    USE
  }

  /**
   * @param usedWindow how long a click or use blocks the mini-program
   * @param shownWindow the window impressions are counted in
   * @param maxImpressions impressions within the shown window that block it (&ge; 1)
   * @param maxUsers users kept (least recently active dropped first)
   */
  public record Settings(
      Duration usedWindow, Duration shownWindow, int maxImpressions, long maxUsers) {
    public Settings {
      Preconditions.checkArgument(!usedWindow.isNegative(), "usedWindow must be >= 0");
      Preconditions.checkArgument(!shownWindow.isNegative(), "shownWindow must be >= 0");
      Preconditions.checkArgument(maxImpressions >= 1, "maxImpressions must be >= 1");
      Preconditions.checkArgument(maxUsers >= 1, "maxUsers must be >= 1");
    }

    Duration longest() {
      return usedWindow.compareTo(shownWindow) >= 0 ? usedWindow : shownWindow;
    }
  }

  /** Events kept per user; older ones are dropped first. */
  static final int EVENTS_PER_USER = 256;

  private record Event(String item, Kind kind, Instant at) {}

  private final Settings settings;
  private final Cache<String, ArrayDeque<Event>> users;

  public RecentHistory(Settings settings) {
    this.settings = settings;
    this.users =
        Caffeine.newBuilder()
            .maximumSize(settings.maxUsers())
            .expireAfterAccess(settings.longest())
            .build();
  }

  public void record(String user, String item, Kind kind, Instant at) {
    ArrayDeque<Event> events = users.get(user, u -> new ArrayDeque<>());
    synchronized (events) {
      if (events.size() == EVENTS_PER_USER) {
        events.removeFirst();
      }
      events.addLast(new Event(item, kind, at));
    }
  }

  /** The mini-programs this user should not be shown at {@code now}. */
  public Set<String> blocked(String user, Instant now) {
    ArrayDeque<Event> events = users.getIfPresent(user);
    if (events == null) {
      return Set.of();
    }
    Set<String> out = new HashSet<>();
    Map<String, Integer> shown = new HashMap<>();
    Instant usedSince = now.minus(settings.usedWindow());
    Instant shownSince = now.minus(settings.shownWindow());
    synchronized (events) {
      for (Event e : events) {
        if (e.at().isAfter(now)) {
          continue; // not yet, from this request's point of view
        }
        if (e.kind() != Kind.IMPRESSION && !e.at().isBefore(usedSince)) {
          out.add(e.item());
        } else if (e.kind() == Kind.IMPRESSION
            && !e.at().isBefore(shownSince)
            && shown.merge(e.item(), 1, Integer::sum) >= settings.maxImpressions()) {
          out.add(e.item());
        }
      }
    }
    return out;
  }
}
