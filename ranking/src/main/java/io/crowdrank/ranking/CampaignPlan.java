package io.crowdrank.ranking;

import io.crowdrank.ranking.Reason.Kind;
import io.crowdrank.ranking.bundle.Targeting;
import io.crowdrank.ranking.bundle.Targeting.Campaign;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;
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
      Targeting targeting,
      int user,
      int hostApp,
      Instant at,
      IntPredicate eligible,
      double weight,
      int maxPromoted) {
    if (user < 0 || targeting.campaigns().isEmpty()) {
      return NONE;
    }
    Map<Integer, Campaign> best = new HashMap<>();
    for (Campaign c : targeting.campaigns()) {
      if (c.runsAt(at)
          && c.runsIn(hostApp)
          && targets(targeting, user, c)
          && eligible.test(c.item())) {
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

  private static boolean targets(Targeting targeting, int user, Campaign c) {
    for (int s : c.segments()) {
      if (targeting.inSegment(user, s)) {
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

  /** For an item with a campaign, the campaign's reason. */
  Optional<Reason> reason(int item) {
    Campaign c = byItem.get(item);
    return c == null ? Optional.empty() : Optional.of(Reason.of(Kind.CAMPAIGN, c.name()));
  }

  /**
   * Puts promoted items at their slots (1-based, within the list's length): each is moved there if
   * already ranked, or inserted there (pushing the last item out), with at least the score of the
   * item it displaced, and its campaign as its first reason.
   *
   * @param ranked the ranking so far, best first
   * @param candidate how to turn a promoted item that is not in the list into a candidate
   */
  List<Candidate> promote(List<Candidate> ranked, IntFunction<Candidate> candidate) {
    if (promoted.isEmpty() || ranked.isEmpty()) {
      return ranked;
    }
    int k = ranked.size();
    List<Candidate> out = new ArrayList<>(ranked);
    for (Campaign c : promoted) {
      Candidate moved = null;
      for (int i = 0; i < out.size(); i++) {
        if (out.get(i).item() == c.item()) {
          moved = out.remove(i);
          break;
        }
      }
      if (moved == null) {
        moved = candidate.apply(c.item());
      }
      int at = Math.min(c.slot(), out.size() + 1) - 1;
      if (at < out.size() && out.get(at).score() > moved.score()) {
        // Take the displaced item's score, so the list's scores still never rise.
        moved = moved.withScore(out.get(at).score());
      }
      out.add(at, moved.withReasonFirst(Reason.of(Kind.CAMPAIGN, c.name())));
    }
    return out.size() > k ? new ArrayList<>(out.subList(0, k)) : out;
  }
}
