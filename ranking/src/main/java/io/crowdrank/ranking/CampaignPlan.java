package io.crowdrank.ranking;

import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.ranking.bundle.Targeting.Campaign;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * The campaigns that apply to one request: running at the request's time, in its host app,
 * targeting a segment the user belongs to, promoting a mini-program that passes the request's
 * filters. They add candidates, a score boost and promoted slots.
 */
final class CampaignPlan {
  static final CampaignPlan NONE = new CampaignPlan(Map.of(), List.of(), 0);

  /** The best applicable campaign per promoted item. */
  private final Map<Integer, Campaign> byItem;

  /** Campaigns with a slot, one per item, best first: lower slot, then higher boost, then id. */
  private final List<Campaign> promoted;

  private final double weight;

  private CampaignPlan(Map<Integer, Campaign> byItem, List<Campaign> promoted, double weight) {
    this.byItem = byItem;
    this.promoted = promoted;
    this.weight = weight;
  }

  /**
   * @param eligible the request's filters (host app, status, city, exclusions, recent history)
   * @param weight score units per unit of a campaign's boost
   * @param maxPromoted most promoted slots in one response
   */
  static CampaignPlan of(
      ModelBundle b,
      int user,
      int hostApp,
      Instant at,
      IntPredicate eligible,
      double weight,
      int maxPromoted) {
    if (user < 0 || b.targeting().campaigns().isEmpty()) {
      return NONE;
    }
    Map<Integer, Campaign> best = new HashMap<>();
    for (Campaign c : b.targeting().campaigns()) {
      if (c.runsAt(at) && c.runsIn(hostApp) && targets(b, user, c) && eligible.test(c.item())) {
        best.merge(c.item(), c, (x, y) -> better(x, y) <= 0 ? x : y);
      }
    }
    if (best.isEmpty()) {
      return NONE;
    }
    List<Campaign> slotted =
        best.values().stream()
            .filter(c -> c.slot() > 0)
            .sorted(CampaignPlan::better)
            .limit(maxPromoted)
            .toList();
    return new CampaignPlan(Map.copyOf(best), slotted, weight);
  }

  private static boolean targets(ModelBundle b, int user, Campaign c) {
    for (int s : c.segments()) {
      if (b.targeting().inSegment(user, s)) {
        return true;
      }
    }
    return false;
  }

  /** Promoted first (lower slot first), then higher boost, then id: negative if x is better. */
  private static int better(Campaign x, Campaign y) {
    return Comparator.comparingInt((Campaign c) -> c.slot() == 0 ? Integer.MAX_VALUE : c.slot())
        .thenComparing(Comparator.comparingDouble(Campaign::boost).reversed())
        .thenComparing(Campaign::id)
        .compare(x, y);
  }

  boolean isEmpty() {
    return byItem.isEmpty();
  }

  /** Items the campaigns promote: candidates whatever the model thinks of them. */
  Iterable<Integer> items() {
    return byItem.keySet();
  }

  /** Score added to an item: weight × boost of its campaign, 0 without one. */
  double boost(int item) {
    if (byItem.isEmpty()) {
      return 0;
    }
    Campaign c = byItem.get(item);
    return c == null ? 0 : weight * c.boost();
  }

  /** "campaign: NAME" for an item with a campaign, or null. */
  String reason(int item) {
    Campaign c = byItem.get(item);
    return c == null ? null : "campaign: " + c.name();
  }

  /**
   * Puts promoted items at their slots (1-based, within the list's length): each is moved there if
   * already ranked, or inserted there (pushing the last item out), with at least the score of the
   * item it displaced.
   *
   * @param ranked the ranking so far, best first
   * @param item how to turn a promoted item that is not in the list into one
   */
  List<Ranking.Item> promote(
      List<Ranking.Item> ranked, ModelBundle b, java.util.function.IntFunction<Ranking.Item> item) {
    if (promoted.isEmpty() || ranked.isEmpty()) {
      return ranked;
    }
    int k = ranked.size();
    List<Ranking.Item> out = new ArrayList<>(ranked);
    for (Campaign c : promoted) {
      String id = b.catalog().id(c.item());
      Ranking.Item moved = null;
      for (int i = 0; i < out.size(); i++) {
        if (out.get(i).id().equals(id)) {
          moved = out.remove(i);
          break;
        }
      }
      if (moved == null) {
        moved = item.apply(c.item());
      }
      int at = Math.min(c.slot(), out.size() + 1) - 1;
      if (at < out.size() && out.get(at).score() > moved.score()) {
        // Take the displaced item's score, so the list's scores still never rise.
        moved =
            new Ranking.Item(
                moved.id(), moved.name(), moved.category(), out.get(at).score(), moved.reasons());
      }
      out.add(at, withReasonFirst(moved, reason(c.item())));
    }
    return out.size() > k ? new ArrayList<>(out.subList(0, k)) : out;
  }

  private static Ranking.Item withReasonFirst(Ranking.Item i, String reason) {
    if (!i.reasons().isEmpty() && i.reasons().get(0).equals(reason)) {
      return i;
    }
    List<String> reasons = new ArrayList<>();
    reasons.add(reason);
    i.reasons().stream().filter(r -> !r.equals(reason)).forEach(reasons::add);
    return new Ranking.Item(i.id(), i.name(), i.category(), i.score(), reasons);
  }
}
