package io.crowdrank.format;

/**
 * How the hour of week shapes a score: defined once, for the batch evaluation that measures it and
 * the service that ranks with it.
 *
 * <p>The global lift of category c at hour h is P(h | c) / P(h): how much likelier a use of c is in
 * that hour than activity in general. A user's own habit is estimated with shrinkage towards it,
 * P̂<sub>u</sub>(h | c) = (n<sub>u</sub>(c, h) + κ·P(h | c)) / (n<sub>u</sub>(c) + κ), where n
 * counts the user's (confidence-weighted) uses: a user with no history in c gets the global lift,
 * one with much history mostly their own. Lifts are clipped to [{@value #MIN_LIFT}, {@value
 * #MAX_LIFT}] so one term can never swamp the collaborative score.
 */
public final class ContextScoring {
  private ContextScoring() {}

  public static final double MIN_LIFT = 0.1;
  public static final double MAX_LIFT = 10.0;

  /**
   * The user's lift for a category at an hour of week.
   *
   * @param globalLift P(h | c) / P(h) over everybody
   * @param hourShare P(h), share of all activity in this hour of week (0..1)
   * @param cellCount the user's uses of the category in this hour of week
   * @param categoryCount the user's uses of the category in any hour
   * @param shrinkage κ, pseudo-count of the global habit (&gt; 0)
   */
  public static double userLift(
      double globalLift,
      double hourShare,
      double cellCount,
      double categoryCount,
      double shrinkage) {
    if (categoryCount <= 0 || hourShare <= 0) {
      return clip(globalLift);
    }
    double own =
        (cellCount + shrinkage * globalLift * hourShare)
            / ((categoryCount + shrinkage) * hourShare);
    return clip(own);
  }

  /** The score with the context term: {@code base + weight · ln(lift)}. */
  public static double score(double base, double lift, double weight) {
    return base + term(lift, weight);
  }

  /** The context term alone, {@code weight · ln(lift)}: one per category and request. */
  public static double term(double lift, double weight) {
    return weight * Math.log(clip(lift));
  }

  public static double clip(double lift) {
    return Math.max(MIN_LIFT, Math.min(MAX_LIFT, lift));
  }
}
