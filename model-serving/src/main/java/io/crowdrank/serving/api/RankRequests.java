package io.crowdrank.serving.api;

import com.google.protobuf.Timestamp;
import io.crowdrank.format.HostApps;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.UserRef;
import io.crowdrank.ranking.RankQuery;
import io.crowdrank.ranking.bundle.UserStore.IdType;
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
  static final int MAX_REQUEST_ID = 128;
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

  /** A validated user reference. */
  record User(IdType type, String id) {}

  public RankQuery toQuery(RankRequest r) throws StatusException {
    if (!r.hasUser()) {
      throw invalid("user is required (one of payment_account, social_account, shared_id)");
    }
    User user = user(r.getUser(), "user");
    String hostApp = hostApp(r.getHostApp());
    int k = r.getK() == 0 ? defaultK : r.getK();
    if (k < 1 || k > maxK) {
      throw invalid(
          "k must be 1.." + maxK + " (0 for the default " + defaultK + "), got " + r.getK());
    }
    if (r.getRequestId().length() > MAX_REQUEST_ID) {
      throw invalid("request_id is longer than " + MAX_REQUEST_ID + " characters");
    }
    Instant now = clock.instant();
    Instant at = now;
    String city = null;
    if (r.hasContext()) {
      if (r.getContext().hasEventTime()) {
        at = instant(r.getContext().getEventTime(), now, "context.event_time");
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
    if (r.getCandidateIdsCount() > MAX_EXCLUDE) {
      throw invalid(
          "candidate_ids has " + r.getCandidateIdsCount() + " ids; at most " + MAX_EXCLUDE);
    }
    Set<String> only = new HashSet<>(r.getCandidateIdsList());
    return new RankQuery(user.type(), user.id(), hostApp, k, at, city, exclude, only);
  }

  /** Where a page starts: the bundle version its ranking came from and the offset in it. */
  record Page(long version, int offset) {
    static final Page FIRST = new Page(-1, 0);
    private static final String PREFIX = "crowdrank-page:";

    String token() {
      return java.util.Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(
              (PREFIX + version + ":" + offset).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /** Pages reach at most this deep into a ranking. */
  static final int MAX_DEPTH = 500;

  static Page page(String token) throws StatusException {
    if (token.isEmpty()) {
      return Page.FIRST;
    }
    try {
      String s =
          new String(
              java.util.Base64.getUrlDecoder().decode(token),
              java.nio.charset.StandardCharsets.UTF_8);
      if (s.startsWith(Page.PREFIX)) {
        String[] parts = s.substring(Page.PREFIX.length()).split(":");
        if (parts.length == 2) {
          long version = Long.parseLong(parts[0]);
          int offset = Integer.parseInt(parts[1]);
          if (version >= 0 && offset > 0 && offset < MAX_DEPTH) {
            return new Page(version, offset);
          }
        }
      }
    } catch (IllegalArgumentException e) {
      // not ours: same answer as below
    }
    throw invalid("page_token is not one this service issued; omit it for the first page");
  }

  /** The one id of a user reference, checked; {@code field} names it in errors. */
  static User user(UserRef user, String field) throws StatusException {
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
      default ->
          throw invalid(field + " must set one of payment_account, social_account, shared_id");
    }
    String name = field + "." + type.name().toLowerCase(java.util.Locale.ROOT);
    if (id.isEmpty()) {
      throw invalid(name + " is empty");
    }
    if (id.length() > MAX_ID_LENGTH) {
      throw invalid(name + " is longer than " + MAX_ID_LENGTH + " characters");
    }
    return new User(type, id);
  }

  static String hostApp(String hostApp) throws StatusException {
    if (hostApp.isEmpty()) {
      throw invalid("host_app is required, one of " + HostApps.ALL);
    }
    if (!HostApps.isValid(hostApp)) {
      throw invalid(
          "host_app '" + abbreviate(hostApp) + "' is unknown; use one of " + HostApps.ALL);
    }
    return hostApp;
  }

  static Instant instant(Timestamp t, Instant now, String field) throws StatusException {
    if (t.getNanos() < 0 || t.getNanos() > 999_999_999) {
      throw invalid(field + ".nanos must be 0..999999999");
    }
    Instant at = Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    if (Math.abs(at.getEpochSecond() - now.getEpochSecond()) > MAX_CLOCK_SKEW_SECONDS) {
      throw invalid(
          field
              + " "
              + at
              + " is more than a year from now ("
              + now
              + "); seconds since the epoch, UTC");
    }
    return at;
  }

  static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  static StatusException invalid(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asException();
  }
}
