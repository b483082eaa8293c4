package io.crowdrank.ranking.bundle;

import com.google.common.collect.ImmutableList;
import io.crowdrank.format.HostApps;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Who a bundle's merchants target: audience segments, the users in each, and the campaigns that
 * promote a mini-program to some segments, resolved against the catalog and the users.
 */
public final class Targeting {
  /**
   * An audience segment.
   *
   * @param merchantId the merchant that owns it, or null for a platform segment
   * @param size members when it was published
   */
  public record Segment(String id, String name, String merchantId, String description, long size) {}

  /**
   * A campaign, resolved against this bundle's items and segments.
   *
   * @param item the promoted mini-program
   * @param segments the targeted segments (sorted indexes)
   * @param hostApps bit mask of host apps ({@link HostApps#ALL} order); 0 = wherever the item runs
   * @param boost added to the score, times the service's campaign weight, in (0, 1]
   * @param slot position promoted to (1 = top), 0 for a boost only
   */
  public record Campaign(
      String id,
      String name,
      int item,
      int[] segments,
      int hostApps,
      Instant start,
      Instant end,
      double boost,
      int slot) {
    public boolean runsAt(Instant t) {
      return !t.isBefore(start) && t.isBefore(end);
    }

    public boolean runsIn(int hostApp) {
      return hostApps == 0 || (hostApp >= 0 && (hostApps & (1 << hostApp)) != 0);
    }
  }

  private final List<Segment> segments;
  private final int[][] userSegments;
  private final List<Campaign> campaigns;

  private Targeting(List<Segment> segments, int[][] userSegments, List<Campaign> campaigns) {
    this.segments = segments;
    this.userSegments = userSegments;
    this.campaigns = campaigns;
  }

  /**
   * @param memberships segment ids per user shared id; users and segments the bundle lacks are left
   *     out
   * @param campaigns campaigns whose mini-program left the catalog, or whose segments are all gone,
   *     are left out
   */
  static Targeting of(
      List<Segment> segments,
      Map<String, List<String>> memberships,
      List<ModelBundle.CampaignRow> campaigns,
      Catalog catalog,
      UserStore users) {
    List<Segment> sorted = ImmutableList.sortedCopyOf(Comparator.comparing(Segment::id), segments);
    Map<String, Integer> segmentIds = new HashMap<>();
    for (int s = 0; s < sorted.size(); s++) {
      segmentIds.put(sorted.get(s).id(), s);
    }
    int[][] userSegments = new int[users.count()][];
    java.util.Arrays.fill(userSegments, new int[0]);
    memberships.forEach(
        (id, ids) -> {
          int u = users.find(UserStore.IdType.SHARED_ID, id);
          if (u >= 0) {
            userSegments[u] = indexes(segmentIds, ids);
          }
        });
    List<Campaign> resolved = new ArrayList<>();
    for (ModelBundle.CampaignRow c : campaigns) {
      OptionalInt item = catalog.find(c.itemId());
      int[] targets = indexes(segmentIds, c.segments());
      if (item.isEmpty() || targets.length == 0) {
        continue; // its mini-program left the catalog, or its audiences are gone
      }
      resolved.add(
          new Campaign(
              c.id(),
              c.name(),
              item.getAsInt(),
              targets,
              Catalog.hostAppMask(c.hostApps()),
              c.start(),
              c.end(),
              c.boost(),
              c.slot()));
    }
    return new Targeting(sorted, userSegments, ImmutableList.copyOf(resolved));
  }

  /** Sorted indexes of the known segments among the ids. */
  private static int[] indexes(Map<String, Integer> segmentIds, List<String> ids) {
    return ids.stream()
        .map(segmentIds::get)
        .filter(Objects::nonNull)
        .mapToInt(Integer::intValue)
        .sorted()
        .distinct()
        .toArray();
  }

  /** Every segment, in id order. */
  public List<Segment> segments() {
    return segments;
  }

  /** Indexes into {@link #segments()} of the segments the user belongs to, ascending; a copy. */
  public int[] userSegments(int user) {
    return userSegments[user].clone();
  }

  /** Whether the user (-1: unknown, in none) belongs to the segment. */
  public boolean inSegment(int user, int segment) {
    return user >= 0 && Arrays.binarySearch(userSegments[user], segment) >= 0;
  }

  /** Every campaign whose mini-program and audiences are in this bundle. */
  public List<Campaign> campaigns() {
    return campaigns;
  }
}
