package io.crowdrank.serving.api;

import com.google.protobuf.Timestamp;
import io.crowdrank.format.HostApps;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.UserRef;
import io.crowdrank.serving.bundle.ModelBundle.IdType;
import io.crowdrank.serving.ranking.RankQuery;
import io.grpc.Status;
import io.grpc.StatusException;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/** Validates a RankRequest at the edge and turns it into a {@link RankQuery}. */
public final class RankRequests {
  static final int MAX_ID_LENGTH = 64;
  static final int MAX_EXCLUDE = 1000;
  private static final Pattern CITY = Pattern.compile("[a-z][a-z0-9_-]{0,63}");

  /** Requests further than this from the server's clock are almost certainly a unit mistake. */
  private static final long MAX_CLOCK_SKEW_SECONDS = 366L * 24 * 3600;

  private final int defaultK;
  private final int maxK;
  private final Clock clock;

  public RankRequests(int defaultK, int maxK, Clock clock) {
    this.defaultK = defaultK;
    this.maxK = maxK;
    this.clock = clock;
  }

  public RankQuery toQuery(RankRequest r) throws StatusException {
    if (!r.hasUser()) {
      throw invalid("user is required (one of payment_account, social_account, shared_id)");
    }
    UserRef user = r.getUser();
    IdType type;
    String id;
    switch (user.getIdCase()) {
      case PAYMENT_ACCOUNT -> {
        type = IdType.PAYMENT_ACCOUNT;
        id = user.getPaymentAccount();
      }
      case SOCIAL_ACCOUNT -> {
        type = IdType.SOCIAL_ACCOUNT;
        id = user.getSocialAccount();
      }
      case SHARED_ID -> {
        type = IdType.SHARED_ID;
        id = user.getSharedId();
      }
      default -> throw invalid("user must set one of payment_account, social_account, shared_id");
    }
    String field = "user." + type.name().toLowerCase(java.util.Locale.ROOT);
    if (id.isEmpty()) {
      throw invalid(field + " is empty");
    }
    if (id.length() > MAX_ID_LENGTH) {
      throw invalid(field + " is longer than " + MAX_ID_LENGTH + " characters");
    }
    if (r.getHostApp().isEmpty()) {
      throw invalid("host_app is required, one of " + HostApps.ALL);
    }
    if (!HostApps.isValid(r.getHostApp())) {
      throw invalid("host_app '" + r.getHostApp() + "' is unknown; use one of " + HostApps.ALL);
    }
    int k = r.getK() == 0 ? defaultK : r.getK();
    if (k < 1 || k > maxK) {
      throw invalid(
          "k must be 1.." + maxK + " (0 for the default " + defaultK + "), got " + r.getK());
    }
    Instant now = clock.instant();
    Instant at = now;
    String city = null;
    if (r.hasContext()) {
      if (r.getContext().hasEventTime()) {
        at = instant(r.getContext().getEventTime(), now);
      }
      String c = r.getContext().getCity();
      if (!c.isEmpty()) {
        if (!CITY.matcher(c).matches()) {
          throw invalid(
              "context.city '" + abbreviate(c) + "' is not a lower-case city id like 'hangzhou'");
        }
        city = c;
      }
    }
    if (r.getExcludeIdsCount() > MAX_EXCLUDE) {
      throw invalid("exclude_ids has " + r.getExcludeIdsCount() + " ids; at most " + MAX_EXCLUDE);
    }
    Set<String> exclude = new HashSet<>(r.getExcludeIdsList());
    return new RankQuery(type, id, r.getHostApp(), k, at, city, exclude);
  }

  private static Instant instant(Timestamp t, Instant now) throws StatusException {
    if (t.getNanos() < 0 || t.getNanos() > 999_999_999) {
      throw invalid("context.event_time.nanos must be 0..999999999");
    }
    Instant at = Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    if (Math.abs(at.getEpochSecond() - now.getEpochSecond()) > MAX_CLOCK_SKEW_SECONDS) {
      throw invalid(
          "context.event_time "
              + at
              + " is more than a year from now ("
              + now
              + "); seconds since the epoch, UTC");
    }
    return at;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  static StatusException invalid(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asException();
  }
}
