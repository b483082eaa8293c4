package io.crowdrank.ranking;

import io.crowdrank.ranking.bundle.Catalog;

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
record Filters(Catalog catalog, RankQuery q, int hostApp, int city, String cityName) {
  boolean eligible(int item) {
    return catalog.isActive(item)
        && catalog.runsIn(item, hostApp)
        && availableHere(item)
        && !q.exclude().contains(catalog.id(item))
        && (q.only().isEmpty() || q.only().contains(catalog.id(item)));
  }

  private boolean availableHere(int item) {
    if (city >= 0 || cityName == null) {
      return catalog.availableIn(item, city);
    }
    // A city the bundle has never seen: only mini-programs available everywhere qualify.
    return catalog.isNationwide(item);
  }
}
