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
    return bundle.catalog().isActive(item)
        && bundle.catalog().runsIn(item, hostApp)
        && availableHere(item)
        && !q.exclude().contains(bundle.catalog().id(item))
        && (q.only().isEmpty() || q.only().contains(bundle.catalog().id(item)));
  }

  private boolean availableHere(int item) {
    if (city >= 0 || cityName == null) {
      return bundle.catalog().availableIn(item, city);
    }
    // A city the bundle has never seen: only mini-programs available everywhere qualify.
    return bundle.catalog().isNationwide(item);
  }
}
