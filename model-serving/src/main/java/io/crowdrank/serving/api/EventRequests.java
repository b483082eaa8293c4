package io.crowdrank.serving.api;

import io.crowdrank.proto.v1.UserEvent;
import io.crowdrank.serving.events.RecentHistory;
import io.grpc.StatusException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** Validates a streamed {@link UserEvent} at the edge. */
public final class EventRequests {
  /** Events may be stamped a little ahead of the server's clock, not more. */
  static final Duration MAX_FUTURE = Duration.ofDays(1);

  /** Longest attribution token or event id accepted. */
  static final int MAX_TOKEN_LENGTH = 128;

  /**
   * A validated event.
   *
   * @param token the attribution token it carries (empty: none)
   * @param clientEventId the host app's id of it (empty: none)
   */
  public record Event(
      RankRequests.User user,
      String hostApp,
      String item,
      RecentHistory.Kind kind,
      Instant at,
      String token,
      String clientEventId) {}

  private final Clock clock;

  public EventRequests(Clock clock) {
    this.clock = clock;
  }

  public Event toEvent(UserEvent e) throws StatusException {
    if (!e.hasUser()) {
      throw RankRequests.invalid(
          "user is required (one of payment_account, social_account, shared_id)");
    }
    RankRequests.User user = RankRequests.user(e.getUser(), "user");
    String hostApp = RankRequests.hostApp(e.getHostApp());
    String item = e.getMiniProgramId();
    if (item.isEmpty()) {
      throw RankRequests.invalid("mini_program_id is empty");
    }
    if (item.length() > RankRequests.MAX_ID_LENGTH) {
      throw RankRequests.invalid(
          "mini_program_id is longer than " + RankRequests.MAX_ID_LENGTH + " characters");
    }
    RecentHistory.Kind kind =
        switch (e.getKind()) {
          case IMPRESSION -> RecentHistory.Kind.IMPRESSION;
          case CLICK -> RecentHistory.Kind.CLICK;
          case USE -> RecentHistory.Kind.USE;
          default -> throw RankRequests.invalid("kind must be IMPRESSION, CLICK or USE");
        };
    Instant now = clock.instant();
    Instant at = e.hasEventTime() ? RankRequests.instant(e.getEventTime(), now, "event_time") : now;
    if (at.isAfter(now.plus(MAX_FUTURE))) {
      throw RankRequests.invalid("event_time " + at + " is more than a day ahead of " + now);
    }
    if (e.getAttributionToken().length() > MAX_TOKEN_LENGTH) {
      throw RankRequests.invalid(
          "attribution_token is longer than " + MAX_TOKEN_LENGTH + " characters");
    }
    if (e.getEventId().length() > MAX_TOKEN_LENGTH) {
      throw RankRequests.invalid("event_id is longer than " + MAX_TOKEN_LENGTH + " characters");
    }
    return new Event(user, hostApp, item, kind, at, e.getAttributionToken(), e.getEventId());
  }
}
