package io.crowdrank.ranking;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableSet;
import io.crowdrank.format.HostApps;
import io.crowdrank.ranking.bundle.UserStore.IdType;
import java.time.Instant;
import java.util.Set;

/**
 * A validated ranking request: who, in which host app, how many, when and where.
 *
 * @param city lower-case city id, or null if the caller does not know it
 * @param only the host app's own candidates to re-rank; empty = the whole catalog
 */
public record RankQuery(
    IdType idType,
    String userId,
    String hostApp,
    int k,
    Instant eventTime,
    String city,
    Set<String> exclude,
    Set<String> only) {
  public RankQuery {
    Preconditions.checkNotNull(idType, "idType");
    Preconditions.checkArgument(userId != null && !userId.isEmpty(), "userId is empty");
    Preconditions.checkArgument(HostApps.isValid(hostApp), "unknown host app %s", hostApp);
    Preconditions.checkArgument(k >= 1, "k must be >= 1, got %s", k);
    Preconditions.checkNotNull(eventTime, "eventTime");
    exclude = ImmutableSet.copyOf(exclude);
    only = ImmutableSet.copyOf(only);
  }

  /** A query over the whole catalog. */
  public RankQuery(
      IdType idType,
      String userId,
      String hostApp,
      int k,
      Instant eventTime,
      String city,
      Set<String> exclude) {
    this(idType, userId, hostApp, k, eventTime, city, exclude, Set.of());
  }

  /** The same query for the top {@code depth} (to page through). */
  public RankQuery deeper(int depth) {
    return new RankQuery(idType, userId, hostApp, depth, eventTime, city, exclude, only);
  }

  /** The same query with more mini-programs excluded. */
  public RankQuery excluding(Set<String> more) {
    return new RankQuery(
        idType,
        userId,
        hostApp,
        k,
        eventTime,
        city,
        ImmutableSet.<String>builder().addAll(exclude).addAll(more).build(),
        only);
  }
}
