package io.crowdrank.ranking;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * For a user known only by social interests (no vector): popular candidates ({@link
 * PopularCandidates}) weighted by the user's interest in their verticals. So a travel lover sees
 * the best travel mini-programs first even though food is more popular overall.
 */
record InterestsStrategy(Diversifier diversifier, double hostWideDiscount) implements Strategy {
  /** Share of a social-only user's ranking left to items outside their interests. */
  static final double OUTSIDE_INTERESTS = 0.1;

  @Override
  public List<Candidate> top(Request r, int k) {
    PopularCandidates popular = PopularCandidates.gather(r, k, hostWideDiscount);
    return popular.top(r, mixture(r, popular.scores()), k, diversifier);
  }

  /**
   * P(item) = sum over the user's verticals v of share(v) · P(item | v), with P(item | v) the
   * item's popularity × lift among the candidates in v; items in none of the user's verticals keep
   * a small share ({@link #OUTSIDE_INTERESTS}) of overall popularity.
   */
  private static Map<Integer, Double> mixture(Request r, Map<Integer, Double> raw) {
    double total = 0;
    Map<Integer, Double> perVertical = new HashMap<>();
    for (var e : raw.entrySet()) {
      total += e.getValue();
      for (int v : r.catalog().verticals(e.getKey())) {
        perVertical.merge(v, e.getValue(), Double::sum);
      }
    }
    Map<Integer, Double> out = new HashMap<>();
    for (var e : raw.entrySet()) {
      double s = total > 0 ? OUTSIDE_INTERESTS * e.getValue() / total : 0;
      for (int v : r.catalog().verticals(e.getKey())) {
        double share = r.interests().share(v);
        if (share > 0 && perVertical.get(v) > 0) {
          s += share * e.getValue() / perVertical.get(v);
        }
      }
      out.put(e.getKey(), s);
    }
    return out;
  }
}
