package io.crowdrank.ranking;

import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.ContextScoring;
import io.crowdrank.format.HostApps;
import io.crowdrank.format.HourOfWeek;
import io.crowdrank.ranking.ann.ItemIndex;
import io.crowdrank.ranking.ann.Scan;
import io.crowdrank.ranking.ann.TopK;
import io.crowdrank.ranking.bundle.ContextSignals;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.ranking.bundle.UserInterests;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;

/**
 * Ranks the mini-programs of one bundle for one query.
 *
 * <ul>
 *   <li>A user with a vector: collaborative score (user · item factors) plus the context term
 *       {@code w · ln(lift)} for the request's hour of week, the lift of the item's category shrunk
 *       from the user's own habit towards everybody's ({@link ContextScoring}).
 *   <li>A user with social interests but no vector (social-only): popularity in the host app and
 *       city, weighted by the user's interest in the mini-program's verticals and by the lift.
 *   <li>Anyone else: popularity in the host app and city, shaped by the hour of week.
 * </ul>
 *
 * A share of the last slots ({@link RankingConfig#explorationShare()}) goes to new mini-programs
 * (no interactions when the model was trained), scored like their category's peers, so they can be
 * discovered. Only active mini-programs that run in the host app, are available in the city and are
 * not excluded are eligible.
 *
 * <p>Campaigns ({@link CampaignPlan}) that target a segment of the user add their mini-program as a
 * candidate with a score boost, and a campaign with a slot puts it there; its first reason then
 * names the campaign.
 */
public final class Ranker {
  /** Items scanned between two checks of the caller's cancellation (a power of two). */
  static final int CHECK_EVERY = Scan.CHECK_EVERY;

  /** Share of a social-only user's ranking left to items outside their interests. */
  static final double OUTSIDE_INTERESTS = 0.1;

  private final RankingConfig config;
  private final Diversifier diversifier;

  public Ranker(RankingConfig config) {
    this.config = config;
    this.diversifier = new Diversifier(config.maxPerCategory());
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
    List<Integer> scanned = new ArrayList<>();
    List<float[]> vectors = new ArrayList<>();
    for (int i = 0; i < out.length; i++) {
      RankQuery q = queries.get(i);
      int user = bundle.users().find(q.idType(), q.userId());
      if (q.only().isEmpty() && user >= 0 && bundle.users().hasVector(user)) {
        scanned.add(i);
        vectors.add(bundle.users().vector(user));
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
    int hostApp = HostApps.ALL.indexOf(q.hostApp());
    int user = bundle.users().find(q.idType(), q.userId());
    int city =
        q.city() != null
            ? bundle.catalog().city(q.city())
            : user >= 0 ? bundle.users().homeCity(user) : -1;
    String cityName = q.city() != null ? q.city() : bundle.catalog().cityName(city);
    int hourOfWeek = HourOfWeek.of(q.eventTime(), bundle.manifest().zone());
    Double fromBundle = bundle.manifest().contextWeight();
    Double shrinkage = bundle.manifest().habitShrinkage();
    double[] lifts =
        bundle
            .context()
            .categoryLifts(
                user, hourOfWeek, shrinkage != null ? shrinkage : config.habitShrinkage());
    double contextWeight = fromBundle != null ? fromBundle : config.contextWeight();
    double[] terms = new double[lifts.length];
    for (int c = 0; c < lifts.length; c++) {
      terms[c] = ContextScoring.term(lifts[c], contextWeight);
    }
    Filters filters = new Filters(bundle, q, hostApp, city, cityName);
    Context ctx =
        new Context(
            bundle,
            q,
            user,
            user >= 0 && bundle.users().hasVector(user) ? bundle.users().vector(user) : null,
            bundle.users().interests(user),
            cityName,
            hourOfWeek,
            lifts,
            terms,
            filters,
            CampaignPlan.of(
                bundle,
                user,
                hostApp,
                q.eventTime(),
                filters::eligible,
                config.campaignWeight(),
                config.maxPromoted()),
            prescanned,
            cancelled);
    int explore = explorationSlots(q.k());
    Ranking.Strategy strategy;
    List<Ranking.Item> ranked;
    if (user >= 0 && bundle.users().hasVector(user)) {
      strategy = Ranking.Strategy.PERSONALIZED;
      ranked = personalized(ctx, q.k());
    } else {
      strategy =
          user >= 0 && !bundle.users().interests(user).isEmpty()
              ? Ranking.Strategy.INTERESTS
              : Ranking.Strategy.POPULAR;
      ranked = popular(ctx, q.k());
    }
    List<Ranking.Item> out = withNewItems(ctx, ranked, explore);
    if (!ctx.campaigns().isEmpty()) {
      out = ctx.campaigns().promote(campaignReasons(ctx, out), bundle, item -> promoted(ctx, item));
    }
    return new Ranking(nonIncreasing(out), strategy, bundle.version());
  }

  /** Items a campaign boosted into the list say so first. */
  private static List<Ranking.Item> campaignReasons(Context ctx, List<Ranking.Item> items) {
    List<Ranking.Item> out = new ArrayList<>(items.size());
    for (Ranking.Item i : items) {
      OptionalInt item = ctx.bundle().catalog().find(i.id());
      String reason = item.isPresent() ? ctx.campaigns().reason(item.getAsInt()) : null;
      if (reason == null) {
        out.add(i);
      } else {
        List<String> reasons = new ArrayList<>();
        reasons.add(reason);
        reasons.addAll(i.reasons());
        out.add(new Ranking.Item(i.id(), i.name(), i.category(), i.score(), reasons));
      }
    }
    return out;
  }

  /** A promoted mini-program the ranking did not reach on its own. */
  private Ranking.Item promoted(Context ctx, int item) {
    List<String> reasons = new ArrayList<>();
    reasons.add(ctx.campaigns().reason(item));
    timeReason(ctx, item, reasons);
    return item(ctx.bundle(), new TopK.Entry(item, ctx.campaigns().boost(item)), reasons);
  }

  /**
   * The list order is the answer; diversity and exploration may place an item below one with a
   * lower score, so each score is capped at the one above it and scores never rise down the list.
   */
  private static List<Ranking.Item> nonIncreasing(List<Ranking.Item> items) {
    List<Ranking.Item> out = new ArrayList<>(items.size());
    double cap = Double.POSITIVE_INFINITY;
    for (Ranking.Item i : items) {
      cap = Math.min(cap, i.score());
      out.add(
          cap == i.score()
              ? i
              : new Ranking.Item(i.id(), i.name(), i.category(), cap, i.reasons()));
    }
    return out;
  }

  /** Candidates kept for the diversity re-ranking of a top k. */
  private static int pool(int k) {
    return 4 * k;
  }

  private List<TopK.Entry> diversified(ModelBundle b, TopK top, int k) {
    return diversifier.topK(top.best(), k, b.catalog()::categoryOf);
  }

  /**
   * Nearest-neighbour candidates re-scored with the context term for a top k: enough that the
   * context can reorder the top and the filters can drop some.
   */
  public static int candidates(int k) {
    return Math.max(200, 4 * k);
  }

  /** Slots for new mini-programs in a top k: round(k · share), none when the share is 0. */
  int explorationSlots(int k) {
    return (int) Math.min(k, Math.round(k * config.explorationShare()));
  }

  private record Context(
      ModelBundle bundle,
      RankQuery q,
      int user,
      float[] userVector,
      UserInterests interests,
      String cityName,
      int hourOfWeek,
      double[] categoryLifts,
      double[] contextTerms,
      Filters filters,
      CampaignPlan campaigns,
      Scan prescanned,
      BooleanSupplier cancelled) {

    /** In a scan over every item: gives up if the caller did. */
    void checkpoint(int item) {
      if ((item & (CHECK_EVERY - 1)) == 0) {
        checkCancelled();
      }
    }

    void checkCancelled() {
      if (cancelled.getAsBoolean()) {
        throw new Cancelled();
      }
    }

    boolean eligible(int item) {
      return filters.eligible(item);
    }

    double lift(int item) {
      return categoryLifts[bundle.catalog().categoryOf(item)];
    }

    boolean personal() {
      return userVector != null;
    }

    boolean interested() {
      return !interests.isEmpty();
    }

    /** The collaborative score plus the context term (computed once per category). */
    double collaborative(int item) {
      return bundle.catalog().dot(userVector, item) + contextTerm(item);
    }

    double contextTerm(int item) {
      return contextTerms[bundle.catalog().categoryOf(item)];
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

    /** Campaign items are offered once, boosted, by {@link #offerCampaigns}. */
    boolean campaigned(int item) {
      return !campaigns.isEmpty() && campaigns.boost(item) != 0;
    }
  }

  private List<Ranking.Item> personalized(Context ctx, int k) {
    ModelBundle b = ctx.bundle();
    int pool = pool(k);
    TopK top = new TopK(pool);
    if (!ctx.q().only().isEmpty()) {
      // The host app's own list: score just those.
      for (String id : ctx.q().only()) {
        OptionalInt item = b.catalog().find(id);
        if (item.isPresent()
            && b.catalog().hasVector(item.getAsInt())
            && !b.catalog().isNew(item.getAsInt())
            && !ctx.campaigned(item.getAsInt())
            && ctx.eligible(item.getAsInt())) {
          top.offer(item.getAsInt(), ctx.collaborative(item.getAsInt()));
        }
      }
      offerCampaigns(ctx, top);
      return explained(ctx, top, k);
    }
    if (b.catalog().itemIndex().approximate()) {
      // Large catalog: the nearest items by the collaborative score, re-scored with context.
      for (ItemIndex.Neighbour n :
          b.catalog()
              .itemIndex()
              .nearest(ctx.userVector(), candidates(k), ctx.filters().hostApp())) {
        if (!ctx.campaigned(n.item()) && ctx.eligible(n.item())) {
          top.offer(n.item(), ctx.collaborative(n.item()));
        }
      }
      offerCampaigns(ctx, top);
    }
    if (top.size() < pool) {
      // Small catalog, or filters (city, exclusions) left too few: score every item (item by item
      // on an HNSW catalog, the rare fallback), run the filters only on items that could make the
      // top, re-score those exactly.
      Scan scan =
          ctx.prescanned() != null
              ? ctx.prescanned()
              : b.catalog().itemIndex().scanAll(ctx.userVector(), ctx::checkCancelled);
      top = new TopK(pool);
      for (int item :
          scan.contenders(
              pool,
              ctx.contextExtra(),
              item ->
                  b.catalog().hasVector(item)
                      && !b.catalog().isNew(item)
                      && !ctx.campaigned(item)
                      && ctx.eligible(item),
              ctx::checkCancelled)) {
        top.offer(item, ctx.collaborative(item));
      }
      offerCampaigns(ctx, top);
    }
    return explained(ctx, top, k);
  }

  /** Campaign items as candidates: collaborative score (their category's if new) plus boost. */
  private static void offerCampaigns(Context ctx, TopK top) {
    for (int item : ctx.campaigns().items()) {
      if (ctx.bundle().catalog().hasVector(item)) {
        top.offer(item, ctx.collaborative(item) + ctx.campaigns().boost(item));
      }
    }
  }

  /** The personalized top k, diversified, with reasons. */
  private List<Ranking.Item> explained(Context ctx, TopK top, int k) {
    ModelBundle b = ctx.bundle();
    List<Ranking.Item> out = new ArrayList<>();
    for (TopK.Entry e : diversified(b, top, k)) {
      List<String> reasons = new ArrayList<>();
      reasons.add(
          "people with tastes like yours use "
              + b.catalog().category(e.item()).replace('_', ' ')
              + " here");
      timeReason(ctx, e.item(), reasons);
      if (b.catalog().isLocalTo(e.item(), ctx.filters().city())) {
        reasons.add("local favourite in " + ctx.cityName());
      }
      out.add(item(b, e, reasons));
    }
    return out;
  }

  private List<Ranking.Item> popular(Context ctx, int k) {
    ModelBundle b = ctx.bundle();
    // Candidates: popular in this city of this host app, then host-app-wide at a discount, then
    // overall popularity, so a thin scope still fills k.
    Map<Integer, Double> base = new HashMap<>();
    Map<Integer, String> why = new HashMap<>();
    if (ctx.cityName() != null) {
      collect(
          b.context().popular(ctx.q().hostApp(), ctx.cityName()),
          1.0,
          base,
          why,
          "popular in " + ctx.cityName() + " on " + ctx.q().hostApp());
    }
    double hostWide = ctx.cityName() != null ? config.hostWideDiscount() : 1.0;
    collect(
        b.context().popular(ctx.q().hostApp(), BundleFormat.ALL),
        hostWide,
        base,
        why,
        "popular on " + ctx.q().hostApp());
    // Not enough in the scopes, or a social-only user whose interests reach beyond them: the most
    // popular overall and in the user's verticals; every item only if filters leave too few.
    double floor = hostWide * config.hostWideDiscount();
    if (countEligible(ctx, base) < k || ctx.interested()) {
      for (int item : b.catalog().popularOverall()) {
        addPopular(b, item, floor, base, why);
      }
      if (ctx.interested()) {
        for (int v : ctx.interests().verticals()) {
          for (int item : b.catalog().popularInVertical(v)) {
            addPopular(b, item, floor, base, why);
          }
        }
      }
    }
    if (countEligible(ctx, base) < k) {
      for (int item = 0; item < b.catalog().count(); item++) {
        ctx.checkpoint(item);
        if (!b.catalog().isNew(item)) {
          addPopular(b, item, floor, base, why);
        }
      }
    }
    for (int item : ctx.campaigns().items()) {
      if (!base.containsKey(item)) {
        base.put(item, hostWide * config.hostWideDiscount() * b.catalog().popularity(item));
        why.put(item, "popular overall");
      }
    }
    Map<Integer, Double> raw = new HashMap<>();
    for (var e : base.entrySet()) {
      if (ctx.eligible(e.getKey())) {
        raw.put(e.getKey(), e.getValue() * ContextScoring.clip(ctx.lift(e.getKey())));
      }
    }
    TopK top = new TopK(pool(k));
    Map<Integer, Double> scored = ctx.interested() ? interestMixture(ctx, raw) : raw;
    scored.forEach((item, s) -> top.offer(item, s + ctx.campaigns().boost(item)));
    List<Ranking.Item> out = new ArrayList<>();
    for (TopK.Entry e : diversified(b, top, k)) {
      List<String> reasons = new ArrayList<>();
      interestReason(ctx, e.item(), reasons);
      reasons.add(why.get(e.item()));
      timeReason(ctx, e.item(), reasons);
      out.add(item(b, e, reasons));
    }
    return out;
  }

  /** Adds an item at the floor of overall popularity, unless a scope already scored it. */
  private static void addPopular(
      ModelBundle b, int item, double floor, Map<Integer, Double> base, Map<Integer, String> why) {
    if (!base.containsKey(item)) {
      base.put(item, floor * b.catalog().popularity(item));
      why.put(item, "popular overall");
    }
  }

  private static int countEligible(Context ctx, Map<Integer, Double> base) {
    int n = 0;
    for (int item : base.keySet()) {
      if (ctx.eligible(item)) {
        n++;
      }
    }
    return n;
  }

  /**
   * For a user known only by social interests: P(item) = sum over the user's verticals v of
   * share(v) * P(item | v), with P(item | v) the item's popularity x lift among the candidates in
   * v; items in none of the user's verticals keep a small share ({@link #OUTSIDE_INTERESTS}) of
   * overall popularity. So a travel lover sees the best travel mini-programs first even though food
   * is more popular overall.
   */
  private static Map<Integer, Double> interestMixture(Context ctx, Map<Integer, Double> raw) {
    ModelBundle b = ctx.bundle();
    double total = 0;
    Map<Integer, Double> perVertical = new HashMap<>();
    for (var e : raw.entrySet()) {
      total += e.getValue();
      for (int v : b.catalog().verticals(e.getKey())) {
        perVertical.merge(v, e.getValue(), Double::sum);
      }
    }
    Map<Integer, Double> out = new HashMap<>();
    for (var e : raw.entrySet()) {
      double s = total > 0 ? OUTSIDE_INTERESTS * e.getValue() / total : 0;
      for (int v : b.catalog().verticals(e.getKey())) {
        double share = ctx.interests().share(v);
        if (share > 0 && perVertical.get(v) > 0) {
          s += share * e.getValue() / perVertical.get(v);
        }
      }
      out.put(e.getKey(), s);
    }
    return out;
  }

  /** A new mini-program for a user without a vector: lift, weighted by interest if any. */
  private static double newItemScore(Context ctx, int item) {
    double s = ContextScoring.clip(ctx.lift(item));
    return ctx.interested()
        ? s * (OUTSIDE_INTERESTS + ctx.interests().in(ctx.bundle().catalog().verticals(item)))
        : s;
  }

  /**
   * Gives the last exploration slots to the best new mini-programs for this user and hour: scored
   * with their category's mean vector for a user with one, else by interest and lift.
   */
  private List<Ranking.Item> withNewItems(Context ctx, List<Ranking.Item> ranked, int slots) {
    if (slots == 0) {
      return ranked;
    }
    ModelBundle b = ctx.bundle();
    TopK fresh = new TopK(slots);
    int[] newItems = b.catalog().newItems();
    for (int i = 0; i < newItems.length; i++) {
      int item = newItems[i];
      ctx.checkpoint(i);
      if (!ctx.campaigned(item) && ctx.eligible(item)) {
        double s =
            ctx.personal() && b.catalog().hasVector(item)
                ? ctx.collaborative(item)
                : newItemScore(ctx, item);
        fresh.offer(item, s);
      }
    }
    List<TopK.Entry> picked = fresh.best();
    if (picked.isEmpty()) {
      return ranked;
    }
    int keep = Math.min(ranked.size(), ctx.q().k() - picked.size());
    List<Ranking.Item> out = new ArrayList<>(ranked.subList(0, keep));
    for (TopK.Entry e : picked) {
      List<String> reasons = new ArrayList<>();
      reasons.add(
          "new on "
              + ctx.q().hostApp()
              + ": "
              + (ctx.personal()
                  ? "like the " + b.catalog().category(e.item()).replace('_', ' ') + " you use"
                  : "just arrived"));
      interestReason(ctx, e.item(), reasons);
      timeReason(ctx, e.item(), reasons);
      out.add(item(b, e, reasons));
    }
    return out;
  }

  private static void collect(
      ContextSignals.Scope scope,
      double factor,
      Map<Integer, Double> base,
      Map<Integer, String> why,
      String reason) {
    if (scope == null) {
      return;
    }
    for (int i = 0; i < scope.items().length; i++) {
      double s = factor * scope.scores()[i];
      int item = scope.items()[i];
      if (s > base.getOrDefault(item, -1.0)) {
        base.put(item, s);
        why.put(item, reason);
      }
    }
  }

  private static void interestReason(Context ctx, int item, List<String> reasons) {
    if (ctx.interested() && !ctx.personal()) {
      int vertical = ctx.interests().strongestAmong(ctx.bundle().catalog().verticals(item));
      if (vertical >= 0) {
        reasons.add("matches your interest in " + ctx.bundle().catalog().verticalName(vertical));
      }
    }
  }

  private void timeReason(Context ctx, int item, List<String> reasons) {
    if (ctx.lift(item) >= config.timeReasonLift()) {
      reasons.add(
          ctx.bundle().catalog().category(item).replace('_', ' ')
              + " is popular at "
              + HourOfWeek.label(ctx.hourOfWeek()));
    }
  }

  private static Ranking.Item item(ModelBundle b, TopK.Entry e, List<String> reasons) {
    return new Ranking.Item(
        b.catalog().id(e.item()),
        b.catalog().name(e.item()),
        b.catalog().category(e.item()),
        e.score(),
        reasons);
  }
}
