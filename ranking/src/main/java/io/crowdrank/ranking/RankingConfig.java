package io.crowdrank.ranking;

import com.google.common.base.Preconditions;

/**
 * Ranking weights.
 *
 * @param contextWeight weight of ln(category lift at this hour of week) added to the collaborative
 *     score (0 = ignore time), when the bundle does not carry the weight chosen with its model
 * @param habitShrinkage pseudo-count of everybody's habit against a user's own, when the bundle
 *     does not carry it (&gt; 0)
 * @param hostWideDiscount factor on host-app-wide popularity when a city is known (0..1)
 * @param timeReasonLift lift from which "popular at ..." is given as a reason (&gt; 1)
 * @param explorationShare share of the top k given to new mini-programs (0..0.5; 0 = none)
 * @param maxPerCategory most mini-programs of one category in a top k before others get a turn
 *     (&ge; 1)
 * @param campaignWeight score units added per unit of a campaign's boost (&ge; 0)
 * @param maxPromoted most promoted campaign slots in one response (&ge; 0)
 * @param annCandidates nearest items a personalised ranking asks of an HNSW item index (and the
 *     search's beam) before filters, context and diversity, at least 4 k (&ge; 1): more finds more
 *     of the exact top and costs more CPU per call (docs/BENCHMARKS.md, "How many candidates");
 *     when the filters leave fewer than 4 k of them, every item is scored instead. Catalogs scored
 *     exactly ignore it
 */
public record RankingConfig(
    double contextWeight,
    double habitShrinkage,
    double hostWideDiscount,
    double timeReasonLift,
    double explorationShare,
    int maxPerCategory,
    double campaignWeight,
    int maxPromoted,
    int annCandidates) {
  public RankingConfig {
    Preconditions.checkArgument(maxPerCategory >= 1, "maxPerCategory must be >= 1");
    Preconditions.checkArgument(habitShrinkage > 0, "habitShrinkage must be > 0");
    Preconditions.checkArgument(
        explorationShare >= 0 && explorationShare <= 0.5, "explorationShare must be 0..0.5");
    Preconditions.checkArgument(contextWeight >= 0, "contextWeight must be >= 0");
    Preconditions.checkArgument(
        hostWideDiscount >= 0 && hostWideDiscount <= 1, "hostWideDiscount must be 0..1");
    Preconditions.checkArgument(timeReasonLift > 1, "timeReasonLift must be > 1");
    Preconditions.checkArgument(campaignWeight >= 0, "campaignWeight must be >= 0");
    Preconditions.checkArgument(maxPromoted >= 0, "maxPromoted must be >= 0");
    Preconditions.checkArgument(annCandidates >= 1, "annCandidates must be >= 1");
  }

  /**
   * The default {@link #annCandidates}. On a million-item, 64-dim bundle (docs/BENCHMARKS.md, "How
   * many candidates"): 100 candidates took 430 µs a search against 632 µs for 200, at recall@20
   * 0.959 (0.971), and Rank's top 10 agreed 0.987 with a 1,000-candidate ranking (0.994).
   */
  public static final int DEFAULT_ANN_CANDIDATES = 100;

  public static RankingConfig defaults() {
    return new RankingConfig(0.15, 30, 0.5, 1.5, 0.1, 3, 0.5, 1, DEFAULT_ANN_CANDIDATES);
  }

  /** These settings with another {@link #annCandidates}. */
  public RankingConfig withAnnCandidates(int candidates) {
    return new RankingConfig(
        contextWeight,
        habitShrinkage,
        hostWideDiscount,
        timeReasonLift,
        explorationShare,
        maxPerCategory,
        campaignWeight,
        maxPromoted,
        candidates);
  }
}
