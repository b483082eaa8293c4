package io.crowdrank.ranking;

import io.crowdrank.ranking.bundle.ModelBundle;

/**
 * The filter stage: which mini-programs a request may be shown at all — active, running in the
 * requesting host app, available in the city, not excluded by the request (or by the user's recent
 * history, which the endpoint adds to the exclusions), and within the host app's own list when it
 * gave one.
 *
 * @param hostApp index in {@code HostApps.ALL}
 * @param city the bundle's city index, or -1
 * @param cityName the city asked for (or the home city), null if unknown
 */
record Filters(ModelBundle bundle, RankQuery q, int hostApp, int city, String cityName) {
  boolean eligible(int item) {
    return bundle.isActive(item)
        && bundle.runsIn(item, hostApp)
        && availableHere(item)
        && !q.exclude().contains(bundle.itemId(item))
        && (q.only().isEmpty() || q.only().contains(bundle.itemId(item)));
  }

  private boolean availableHere(int item) {
    if (city >= 0 || cityName == null) {
      return bundle.availableIn(item, city);
    }
    // A city the bundle has never seen: only mini-programs available everywhere qualify.
    return bundle.isNationwide(item);
  }
}
