package io.crowdrank.serving.ranking;

import com.google.common.base.Preconditions;

/**
 * Ranking weights.
 *
 * @param contextWeight weight of ln(category lift at this hour of week) added to the collaborative
 *     score (0 = ignore time)
 * @param hostWideDiscount factor on host-app-wide popularity when a city is known (0..1)
 * @param timeReasonLift lift from which "popular at ..." is given as a reason (&gt; 1)
 */
public record RankingConfig(double contextWeight, double hostWideDiscount, double timeReasonLift) {
  public RankingConfig {
    Preconditions.checkArgument(contextWeight >= 0, "contextWeight must be >= 0");
    Preconditions.checkArgument(
        hostWideDiscount >= 0 && hostWideDiscount <= 1, "hostWideDiscount must be 0..1");
    Preconditions.checkArgument(timeReasonLift > 1, "timeReasonLift must be > 1");
  }

  public static RankingConfig defaults() {
    return new RankingConfig(0.15, 0.5, 1.5);
  }
}
