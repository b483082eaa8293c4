package io.crowdrank.ranking;

import io.crowdrank.format.ContextScoring;
import io.crowdrank.ranking.Reason.Kind;
import io.crowdrank.ranking.ann.TopK;
import io.crowdrank.ranking.bundle.Catalog;
import io.crowdrank.ranking.bundle.ContextSignals;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Candidates by popularity, for users without a vector: popular in the request's city of its host
 * app, then host-app-wide at a discount, then (when those are too few, or for a user with
 * interests) the most popular overall and in the user's verticals at a further discount, and every
 * item only if the filters leave too few. Each keeps the scope it scored best in, as the reason it
 * is shown.
 *
 * @param scores of the eligible candidates: popularity × the clipped lift at the hour of week
 * @param sources where each candidate was found popular
 */
record PopularCandidates(Map<Integer, Double> scores, Map<Integer, Reason> sources) {
  static PopularCandidates gather(Request r, int k, double hostWideDiscount) {
    Catalog catalog = r.catalog();
    String hostApp = r.query().hostApp();
    Map<Integer, Double> base = new HashMap<>();
    Map<Integer, Reason> why = new HashMap<>();
    if (r.cityName() != null) {
      collect(
          r.popularInCity(),
          1.0,
          base,
          why,
          Reason.of(Kind.POPULAR_IN_CITY, r.cityName(), hostApp));
    }
    double hostWide = r.cityName() != null ? hostWideDiscount : 1.0;
    collect(
        r.popularOnHostApp(), hostWide, base, why, Reason.of(Kind.POPULAR_ON_HOST_APP, hostApp));
    // Not enough in the scopes, or a social-only user whose interests reach beyond them: the most
    // popular overall and in the user's verticals; every item only if filters leave too few.
    double floor = hostWide * hostWideDiscount;
    if (countEligible(r, base) < k || r.interested()) {
      for (int item : catalog.popularOverall()) {
        addOverall(catalog, item, floor, base, why);
      }
      for (int v : r.interests().verticals()) {
        for (int item : catalog.popularInVertical(v)) {
          addOverall(catalog, item, floor, base, why);
        }
      }
    }
    if (countEligible(r, base) < k) {
      for (int item = 0; item < catalog.count(); item++) {
        r.checkpoint(item);
        if (!catalog.isNew(item)) {
          addOverall(catalog, item, floor, base, why);
        }
      }
    }
    for (int item : r.campaigns().items()) {
      addOverall(catalog, item, floor, base, why);
    }
    Map<Integer, Double> scores = new HashMap<>();
    for (var e : base.entrySet()) {
      if (r.eligible(e.getKey())) {
        scores.put(e.getKey(), e.getValue() * ContextScoring.clip(r.lift(e.getKey())));
      }
    }
    return new PopularCandidates(scores, why);
  }

  /**
   * The best k by these scores (the candidates' own, or reweighted) plus campaign boosts,
   * diversified, each with its reasons: the user's matching interest if any, where it was found
   * popular, and its category's popularity at the hour.
   */
  List<Candidate> top(Request r, Map<Integer, Double> scored, int k, Diversifier diversifier) {
    TopK top = new TopK(Strategy.pool(k));
    scored.forEach((item, s) -> top.offer(item, s + r.campaigns().boost(item)));
    List<Candidate> out = new ArrayList<>();
    for (TopK.Entry e : diversifier.topK(top.best(), k, r.catalog()::categoryOf)) {
      List<Reason> reasons = new ArrayList<>();
      r.matchingInterest(e.item()).ifPresent(reasons::add);
      reasons.add(sources.get(e.item()));
      r.popularAtThisHour(e.item()).ifPresent(reasons::add);
      out.add(new Candidate(e.item(), e.score(), reasons));
    }
    return out;
  }

  private static void collect(
      ContextSignals.Scope scope,
      double factor,
      Map<Integer, Double> base,
      Map<Integer, Reason> why,
      Reason reason) {
    if (scope == null) {
      return;
    }
    for (int i = 0; i < scope.items().length; i++) {
      double s = factor * scope.scores()[i];
      int item = scope.items()[i];
      if (s > base.getOrDefault(item, -1.0)) {
        base.put(item, s);
        why.put(item, reason);
      }
    }
  }

  /** Adds an item at the floor of overall popularity, unless a scope already scored it. */
  private static void addOverall(
      Catalog catalog,
      int item,
      double floor,
      Map<Integer, Double> base,
      Map<Integer, Reason> why) {
    if (!base.containsKey(item)) {
      base.put(item, floor * catalog.popularity(item));
      why.put(item, Reason.of(Kind.POPULAR_OVERALL));
    }
  }

  private static int countEligible(Request r, Map<Integer, Double> base) {
    int n = 0;
    for (int item : base.keySet()) {
      if (r.eligible(item)) {
        n++;
      }
    }
    return n;
  }
}
