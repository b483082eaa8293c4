package io.crowdrank.serving.api;

import io.crowdrank.format.HourOfWeek;
import io.crowdrank.ranking.Reason;

/**
 * The words users see for a ranking reason: the one place they are written. Clients, the demo and
 * the docs quote them, so a change here is a change of the API.
 */
final class ReasonText {
  private ReasonText() {}

  static String of(Reason r) {
    return switch (r.kind()) {
      case CAMPAIGN -> "campaign: " + r.arg(0);
      case SIMILAR_USERS -> "people with tastes like yours use " + category(r.arg(0)) + " here";
      case POPULAR_AT_HOUR ->
          category(r.arg(0)) + " is popular at " + HourOfWeek.label(Integer.parseInt(r.arg(1)));
      case LOCAL_FAVOURITE -> "local favourite in " + r.arg(0);
      case POPULAR_IN_CITY -> "popular in " + r.arg(0) + " on " + r.arg(1);
      case POPULAR_ON_HOST_APP -> "popular on " + r.arg(0);
      case POPULAR_OVERALL -> "popular overall";
      case MATCHES_INTEREST -> "matches your interest in " + r.arg(0);
      case NEW_LIKE_YOURS -> "new on " + r.arg(0) + ": like the " + category(r.arg(1)) + " you use";
      case NEW_ARRIVAL -> "new on " + r.arg(0) + ": just arrived";
    };
  }

  /** A category id as words: "coffee_tea" is "coffee tea". */
  private static String category(String id) {
    return id.replace('_', ' ');
  }
}
