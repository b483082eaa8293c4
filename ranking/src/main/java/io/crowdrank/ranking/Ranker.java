package io.crowdrank.ranking;

import io.crowdrank.format.ContextScoring;
import io.crowdrank.format.Experiments;
import io.crowdrank.ranking.ann.Scan;
import io.crowdrank.ranking.bundle.Catalog;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.ranking.bundle.UserStore;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Ranks the mini-programs of one bundle for one query. A query flows one way: the {@link Request}
 * gathers what the bundle says about it, a {@link Strategy} chosen by what is known of the user
 * gives its scored, filtered, diversified candidates with their reasons, exploration and campaigns
 * re-rank them, and the answer is the list.
 *
 * <ul>
 *   <li>A user with a vector ({@link PersonalisedStrategy}): collaborative score (user · item
 *       factors) plus the context term {@code w · ln(lift)} for the request's hour of week, the
 *       lift of the item's category shrunk from the user's own habit towards everybody's ({@link
 *       ContextScoring}).
 *   <li>A user with social interests but no vector ({@link InterestsStrategy}): popularity in the
 *       host app and city, weighted by the user's interest in the mini-program's verticals and by
 *       the lift.
 *   <li>Anyone else ({@link PopularStrategy}): popularity in the host app and city, shaped by the
 *       hour of week.
 * </ul>
 *
 * A share of the last slots ({@link RankingConfig#explorationShare()}) goes to new mini-programs
 * ({@link ExplorationStrategy}), so they can be discovered. Only active mini-programs that run in
 * the host app, are available in the city and are not excluded are eligible ({@link Filters}).
 *
 * <p>Campaigns ({@link CampaignPlan}) that target a segment of the user add their mini-program as a
 * candidate with a score boost, and a campaign with a slot puts it there; its first reason then
 * names the campaign.
 */
public final class Ranker {
  /** Items scanned between two checks of the caller's cancellation (a power of two). */
  static final int CHECK_EVERY = Scan.CHECK_EVERY;

  private final RankingConfig config;

  /** An experiment variant's context weight, which wins over the bundle's; null: none. */
  private final Double contextWeightOverride;

  private final PersonalisedStrategy personalised;
  private final InterestsStrategy interests;
  private final PopularStrategy popular;
  private final ExplorationStrategy exploration = new ExplorationStrategy();

  public Ranker(RankingConfig config) {
    this(config, null);
  }

  private Ranker(RankingConfig config, Double contextWeightOverride) {
    this.config = config;
    this.contextWeightOverride = contextWeightOverride;
    Diversifier diversifier = new Diversifier(config.maxPerCategory());
    this.personalised = new PersonalisedStrategy(diversifier, config.annCandidates());
    this.interests = new InterestsStrategy(diversifier, config.hostWideDiscount());
    this.popular = new PopularStrategy(diversifier, config.hostWideDiscount());
  }

  /**
   * This ranker with an experiment variant's settings: its diversity cap and exploration share
   * replace the service's, and its context weight also wins over the one chosen with the bundle's
   * model (the variant is what is being compared).
   */
  public Ranker with(Experiments.Settings s) {
    if (s.equals(Experiments.Settings.NONE)) {
      return this;
    }
    RankingConfig c =
        new RankingConfig(
            s.contextWeight() != null ? s.contextWeight() : config.contextWeight(),
            config.habitShrinkage(),
            config.hostWideDiscount(),
            config.timeReasonLift(),
            s.explorationShare() != null ? s.explorationShare() : config.explorationShare(),
            s.maxPerCategory() != null ? s.maxPerCategory() : config.maxPerCategory(),
            config.campaignWeight(),
            config.maxPromoted(),
            config.annCandidates());
    return new Ranker(c, s.contextWeight() != null ? s.contextWeight() : contextWeightOverride);
  }

  public Ranking rank(ModelBundle bundle, RankQuery q) {
    return rank(bundle, q, () -> false);
  }

  /** Thrown when the caller gave up (deadline passed, call cancelled) while ranking. */
  public static final class Cancelled extends RuntimeException {
    Cancelled() {
      super("ranking stopped: the call was cancelled or its deadline passed", null, false, false);
    }
  }

  /**
   * Ranks, checking {@code cancelled} every {@link #CHECK_EVERY} items scanned so an abandoned call
   * stops using the CPU.
   *
   * @throws Cancelled when {@code cancelled} turns true
   */
  public Ranking rank(ModelBundle bundle, RankQuery q, BooleanSupplier cancelled) {
    return rank(bundle, q, cancelled, null);
  }

  /**
   * The scans of every item that {@link #rank} needs for these queries, computed together: on a
   * catalog scored exactly, one pass over the item columns serves all of them (the way concurrent
   * requests share the memory reads). Null where a query needs none: a user without a vector, the
   * host app's own list, a catalog searched by HNSW.
   */
  public Scan[] prescan(ModelBundle bundle, List<RankQuery> queries) {
    Scan[] out = new Scan[queries.size()];
    if (bundle.catalog().itemIndex().approximate()) {
      return out;
    }
    UserStore users = bundle.users();
    List<Integer> scanned = new ArrayList<>();
    List<float[]> vectors = new ArrayList<>();
    for (int i = 0; i < out.length; i++) {
      RankQuery q = queries.get(i);
      int user = users.find(q.idType(), q.userId());
      if (q.only().isEmpty() && user >= 0 && users.hasVector(user)) {
        scanned.add(i);
        vectors.add(users.vector(user));
      }
    }
    if (!vectors.isEmpty()) {
      Scan[] scans = bundle.catalog().itemIndex().scan(vectors.toArray(new float[0][]));
      for (int s = 0; s < scans.length; s++) {
        out[scanned.get(s)] = scans[s];
      }
    }
    return out;
  }

  /**
   * As {@link #rank(ModelBundle, RankQuery, BooleanSupplier)}, with the query's scan from {@link
   * #prescan} (null: scan if needed).
   */
  public Ranking rank(ModelBundle bundle, RankQuery q, BooleanSupplier cancelled, Scan prescanned) {
    if (cancelled.getAsBoolean()) {
      throw new Cancelled();
    }
    Request r = Request.of(bundle, q, config, contextWeightOverride, cancelled, prescanned);
    Ranking.Strategy kind =
        r.personal()
            ? Ranking.Strategy.PERSONALIZED
            : r.interested() ? Ranking.Strategy.INTERESTS : Ranking.Strategy.POPULAR;
    List<Candidate> ranked = strategy(kind).top(r, q.k());
    int slots = explorationSlots(q.k());
    if (slots > 0) {
      ranked = withNewItems(ranked, exploration.top(r, slots), q.k());
    }
    if (!r.campaigns().isEmpty()) {
      ranked = r.campaigns().promote(withCampaignReasons(r, ranked), item -> promoted(r, item));
    }
    return new Ranking(items(r.catalog(), nonIncreasing(ranked)), kind, bundle.version());
  }

  private Strategy strategy(Ranking.Strategy kind) {
    return switch (kind) {
      case PERSONALIZED -> personalised;
      case INTERESTS -> interests;
      case POPULAR -> popular;
    };
  }

  /** The last slots of the k go to the new mini-programs picked, if any. */
  private static List<Candidate> withNewItems(
      List<Candidate> ranked, List<Candidate> picked, int k) {
    if (picked.isEmpty()) {
      return ranked;
    }
    List<Candidate> out =
        new ArrayList<>(ranked.subList(0, Math.min(ranked.size(), k - picked.size())));
    out.addAll(picked);
    return out;
  }

  /** Items a campaign boosted into the list say so first. */
  private static List<Candidate> withCampaignReasons(Request r, List<Candidate> ranked) {
    List<Candidate> out = new ArrayList<>(ranked.size());
    for (Candidate c : ranked) {
      out.add(r.campaigns().reason(c.item()).map(c::withReasonFirst).orElse(c));
    }
    return out;
  }

  /** A promoted mini-program the ranking did not reach on its own. */
  private static Candidate promoted(Request r, int item) {
    List<Reason> reasons = new ArrayList<>();
    r.campaigns().reason(item).ifPresent(reasons::add);
    r.popularAtThisHour(item).ifPresent(reasons::add);
    return new Candidate(item, r.campaigns().boost(item), reasons);
  }

  /**
   * The list order is the answer; diversity and exploration may place an item below one with a
   * lower score, so each score is capped at the one above it and scores never rise down the list.
   */
  private static List<Candidate> nonIncreasing(List<Candidate> ranked) {
    List<Candidate> out = new ArrayList<>(ranked.size());
    double cap = Double.POSITIVE_INFINITY;
    for (Candidate c : ranked) {
      cap = Math.min(cap, c.score());
      out.add(cap == c.score() ? c : c.withScore(cap));
    }
    return out;
  }

  private static List<Ranking.Item> items(Catalog catalog, List<Candidate> ranked) {
    return ranked.stream()
        .map(
            c ->
                new Ranking.Item(
                    catalog.id(c.item()),
                    catalog.name(c.item()),
                    catalog.category(c.item()),
                    c.score(),
                    c.reasons()))
        .toList();
  }

  /** Nearest items a personalised top k asks of an HNSW item index (the search's beam too). */
  public int candidates(int k) {
    return PersonalisedStrategy.candidates(config.annCandidates(), k);
  }

  /** Slots for new mini-programs in a top k: round(k · share), none when the share is 0. */
  int explorationSlots(int k) {
    return (int) Math.min(k, Math.round(k * config.explorationShare()));
  }
}
