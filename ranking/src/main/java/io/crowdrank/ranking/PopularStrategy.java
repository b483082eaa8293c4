package io.crowdrank.ranking;

import java.util.List;

/**
 * For a user the bundle knows nothing useful about: popularity in the host app and city ({@link
 * PopularCandidates}), shaped by the hour of week.
 */
record PopularStrategy(Diversifier diversifier, double hostWideDiscount) implements Strategy {
  @Override
  public List<Candidate> top(Request r, int k) {
    PopularCandidates popular = PopularCandidates.gather(r, k, hostWideDiscount);
    return popular.top(r, popular.scores(), k, diversifier);
  }
}
