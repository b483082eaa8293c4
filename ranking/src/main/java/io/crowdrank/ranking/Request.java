package io.crowdrank.ranking;

import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.ContextScoring;
import io.crowdrank.format.HostApps;
import io.crowdrank.format.HourOfWeek;
import io.crowdrank.ranking.Reason.Kind;
import io.crowdrank.ranking.ann.Scan;
import io.crowdrank.ranking.bundle.Catalog;
import io.crowdrank.ranking.bundle.ContextSignals;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.ranking.bundle.UserInterests;
import io.crowdrank.ranking.bundle.UserStore;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * What ranking one query needs from the bundle, gathered once before any candidate is scored: who
 * asks (user, vector, interests), where (host app, city), when (the hour of week and each
 * category's lift then), which mini-programs may be shown, the campaigns that apply, and whether
 * the caller has given up. From here on only the catalog is read, item by item.
 *
 * @param userVector the user's factors, null without
 * @param categoryLifts each category's lift at the hour of week for this user
 * @param contextTerms each category's context term, {@code w · ln(lift)}
 * @param popularInCity the popular mini-programs of the city on the host app, null if none known
 * @param popularOnHostApp the popular mini-programs of the host app in every city, null if none
 * @param prescanned the query's scan of every item, computed with others' (null: scan if needed)
 */
record Request(
    Catalog catalog,
    RankQuery query,
    float[] userVector,
    UserInterests interests,
    int hourOfWeek,
    double[] categoryLifts,
    double[] contextTerms,
    double timeReasonLift,
    ContextSignals.Scope popularInCity,
    ContextSignals.Scope popularOnHostApp,
    Filters filters,
    CampaignPlan campaigns,
    Scan prescanned,
    BooleanSupplier cancelled) {

  static Request of(
      ModelBundle bundle,
      RankQuery q,
      RankingConfig config,
      Double contextWeightOverride,
      BooleanSupplier cancelled,
      Scan prescanned) {
    Catalog catalog = bundle.catalog();
    UserStore users = bundle.users();
    int hostApp = HostApps.ALL.indexOf(q.hostApp());
    int user = users.find(q.idType(), q.userId());
    int city = q.city() != null ? catalog.city(q.city()) : user >= 0 ? users.homeCity(user) : -1;
    String cityName = q.city() != null ? q.city() : catalog.cityName(city);
    int hourOfWeek = HourOfWeek.of(q.eventTime(), bundle.manifest().zone());
    // The ranking settings chosen with the model win over the service's.
    Double shrinkage = bundle.manifest().habitShrinkage();
    Double weight = bundle.manifest().contextWeight();
    double[] lifts =
        bundle
            .context()
            .categoryLifts(
                user, hourOfWeek, shrinkage != null ? shrinkage : config.habitShrinkage());
    double contextWeight =
        contextWeightOverride != null
            ? contextWeightOverride
            : weight != null ? weight : config.contextWeight();
    double[] terms = new double[lifts.length];
    for (int c = 0; c < lifts.length; c++) {
      terms[c] = ContextScoring.term(lifts[c], contextWeight);
    }
    Filters filters = new Filters(catalog, q, hostApp, city, cityName);
    return new Request(
        catalog,
        q,
        user >= 0 && users.hasVector(user) ? users.vector(user) : null,
        users.interests(user),
        hourOfWeek,
        lifts,
        terms,
        config.timeReasonLift(),
        cityName == null ? null : bundle.context().popular(q.hostApp(), cityName),
        bundle.context().popular(q.hostApp(), BundleFormat.ALL),
        filters,
        CampaignPlan.of(
            bundle.targeting(),
            user,
            hostApp,
            q.eventTime(),
            filters::eligible,
            config.campaignWeight(),
            config.maxPromoted()),
        prescanned,
        cancelled);
  }

  /** The city asked for (or the home city), null if unknown. */
  String cityName() {
    return filters.cityName();
  }

  /** A user with a vector: ranked by the collaborative score. */
  boolean personal() {
    return userVector != null;
  }

  /** A user with social interests. */
  boolean interested() {
    return !interests.isEmpty();
  }

  /** In a scan over every item: gives up if the caller did. */
  void checkpoint(int item) {
    if ((item & (Ranker.CHECK_EVERY - 1)) == 0) {
      checkCancelled();
    }
  }

  void checkCancelled() {
    if (cancelled.getAsBoolean()) {
      throw new Ranker.Cancelled();
    }
  }

  boolean eligible(int item) {
    return filters.eligible(item);
  }

  double lift(int item) {
    return categoryLifts[catalog.categoryOf(item)];
  }

  /** The collaborative score plus the context term (computed once per category). */
  double collaborative(int item) {
    return catalog.dot(userVector, item) + contextTerm(item);
  }

  double contextTerm(int item) {
    return contextTerms[catalog.categoryOf(item)];
  }

  /** The context term as the scan's extra, with its range over the categories. */
  Scan.Extra contextExtra() {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (double t : contextTerms) {
      min = Math.min(min, t);
      max = Math.max(max, t);
    }
    return new Scan.Extra(this::contextTerm, min, max);
  }

  /** Campaign items are offered once, boosted, apart from the strategy's own candidates. */
  boolean campaigned(int item) {
    return !campaigns.isEmpty() && campaigns.boost(item) != 0;
  }

  /** "Its category is popular at this hour", when its lift reaches the configured one. */
  Optional<Reason> popularAtThisHour(int item) {
    return lift(item) >= timeReasonLift
        ? Optional.of(
            Reason.of(Kind.POPULAR_AT_HOUR, catalog.category(item), Integer.toString(hourOfWeek)))
        : Optional.empty();
  }

  /** The user's strongest interest among the item's verticals, for a user known by interests. */
  Optional<Reason> matchingInterest(int item) {
    if (!interested() || personal()) {
      return Optional.empty();
    }
    int vertical = interests.strongestAmong(catalog.verticals(item));
    return vertical < 0
        ? Optional.empty()
        : Optional.of(Reason.of(Kind.MATCHES_INTEREST, catalog.verticalName(vertical)));
  }
}
