package io.crowdrank.ranking;

import java.util.List;

/**
 * One way of choosing a request's mini-programs: where its candidates come from, how they are
 * scored, and why each is shown. Candidates have passed the request's filters.
 */
sealed interface Strategy
    permits PersonalisedStrategy, InterestsStrategy, PopularStrategy, ExplorationStrategy {
  /** The best k (or fewer) candidates for the request, best first. */
  List<Candidate> top(Request r, int k);

  /** Candidates kept for the diversity re-ranking of a top k. */
  static int pool(int k) {
    return 4 * k;
  }
}
