package io.crowdrank.ranking;

import java.util.List;

/**
 * For a user the bundle knows nothing useful about: popularity in the host app and city ({@link
 * PopularCandidates}), shaped by the hour of week.
 */
final class PopularStrategy implements Strategy {
  private final Diversifier diversifier;
  private final double hostWideDiscount;

  PopularStrategy(Diversifier diversifier, double hostWideDiscount) {
    this.diversifier = diversifier;
    this.hostWideDiscount = hostWideDiscount;
  }

  @Override
  public List<Candidate> top(Request r, int k) {
    PopularCandidates popular = PopularCandidates.gather(r, k, hostWideDiscount);
    return popular.top(r, popular.scores(), k, diversifier);
  }
}
