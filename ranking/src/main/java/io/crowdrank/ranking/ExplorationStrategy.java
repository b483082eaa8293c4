package io.crowdrank.ranking;

import io.crowdrank.format.ContextScoring;
import io.crowdrank.ranking.Reason.Kind;
import io.crowdrank.ranking.ann.TopK;
import io.crowdrank.ranking.bundle.Catalog;
import java.util.ArrayList;
import java.util.List;

/**
 * New mini-programs (no interactions when the model was trained), for the last slots of a ranking
 * so they can be discovered: scored with their category's mean vector for a user with one, else by
 * the lift at the hour of week, weighted by interest for a user with interests.
 */
final class ExplorationStrategy implements Strategy {
  @Override
  public List<Candidate> top(Request r, int slots) {
    Catalog catalog = r.catalog();
    TopK fresh = new TopK(slots);
    int[] newItems = catalog.newItems();
    for (int i = 0; i < newItems.length; i++) {
      int item = newItems[i];
      r.checkpoint(i);
      if (!r.campaigned(item) && r.eligible(item)) {
        fresh.offer(
            item,
            r.personal() && catalog.hasVector(item)
                ? r.collaborative(item)
                : withoutVector(r, item));
      }
    }
    String hostApp = r.query().hostApp();
    List<Candidate> out = new ArrayList<>();
    for (TopK.Entry e : fresh.best()) {
      List<Reason> reasons = new ArrayList<>();
      reasons.add(
          r.personal()
              ? Reason.of(Kind.NEW_LIKE_YOURS, hostApp, catalog.category(e.item()))
              : Reason.of(Kind.NEW_ARRIVAL, hostApp));
      r.matchingInterest(e.item()).ifPresent(reasons::add);
      r.popularAtThisHour(e.item()).ifPresent(reasons::add);
      out.add(new Candidate(e.item(), e.score(), reasons));
    }
    return out;
  }

  /** The clipped lift, weighted by interest for a user with interests. */
  private static double withoutVector(Request r, int item) {
    double s = ContextScoring.clip(r.lift(item));
    return r.interested()
        ? s * (InterestsStrategy.OUTSIDE_INTERESTS + r.interests().in(r.catalog().verticals(item)))
        : s;
  }
}
