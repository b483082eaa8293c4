package io.crowdrank.serving.ranking;

import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.HostApps;
import io.crowdrank.format.HourOfWeek;
import io.crowdrank.serving.bundle.ModelBundle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Ranks the mini-programs of one bundle for one query. A known user with a vector gets the
 * collaborative score (user · item factors) plus the context term; anyone else gets popularity in
 * the host app and city, shaped by the hour of week. Only active mini-programs that run in the host
 * app, are available in the city and are not excluded are eligible.
 */
public final class Ranker {
  private final RankingConfig config;

  public Ranker(RankingConfig config) {
    this.config = config;
  }

  public Ranking rank(ModelBundle bundle, RankQuery q) {
    int hostApp = HostApps.ALL.indexOf(q.hostApp());
    int user = bundle.user(q.idType(), q.userId());
    int city =
        q.city() != null ? bundle.city(q.city()) : user >= 0 ? bundle.userHomeCity(user) : -1;
    String cityName = q.city() != null ? q.city() : bundle.cityName(city);
    int hourOfWeek = HourOfWeek.of(q.eventTime(), bundle.manifest().timeZone());
    Context ctx = new Context(bundle, q, hostApp, city, cityName, hourOfWeek);
    if (user >= 0 && bundle.userHasVector(user)) {
      return new Ranking(personalized(ctx, user), Ranking.Strategy.PERSONALIZED, bundle.version());
    }
    return new Ranking(popular(ctx), Ranking.Strategy.POPULAR, bundle.version());
  }

  private record Context(
      ModelBundle bundle, RankQuery q, int hostApp, int city, String cityName, int hourOfWeek) {
    boolean eligible(int item) {
      return bundle.isActive(item)
          && bundle.runsIn(item, hostApp)
          && availableHere(item)
          && !q.exclude().contains(bundle.itemId(item));
    }

    private boolean availableHere(int item) {
      if (city >= 0 || cityName == null) {
        return bundle.availableIn(item, city);
      }
      // A city the bundle has never seen: only mini-programs available everywhere qualify.
      return bundle.isNationwide(item);
    }
  }

  private List<Ranking.Item> personalized(Context ctx, int user) {
    ModelBundle b = ctx.bundle();
    TopK top = new TopK(ctx.q().k());
    for (int item = 0; item < b.itemCount(); item++) {
      if (!b.itemHasVector(item) || !ctx.eligible(item)) {
        continue;
      }
      double score =
          b.dot(user, item) + config.contextWeight() * Math.log(b.lift(item, ctx.hourOfWeek()));
      top.offer(item, score);
    }
    List<Ranking.Item> out = new ArrayList<>();
    for (TopK.Entry e : top.best()) {
      List<String> reasons = new ArrayList<>();
      reasons.add(
          "people with tastes like yours use "
              + b.itemCategory(e.item()).replace('_', ' ')
              + " here");
      timeReason(ctx, e.item(), reasons);
      if (b.isLocalTo(e.item(), ctx.city())) {
        reasons.add("local favourite in " + ctx.cityName());
      }
      out.add(item(b, e, reasons));
    }
    return out;
  }

  private List<Ranking.Item> popular(Context ctx) {
    ModelBundle b = ctx.bundle();
    // Candidates: popular in this city of this host app, then host-app-wide at a discount, then
    // overall popularity, so a thin scope still fills k.
    Map<Integer, Double> base = new HashMap<>();
    Map<Integer, String> why = new HashMap<>();
    if (ctx.cityName() != null) {
      collect(
          b.popular(ctx.q().hostApp(), ctx.cityName()),
          1.0,
          base,
          why,
          "popular in " + ctx.cityName() + " on " + ctx.q().hostApp());
    }
    double hostWide = ctx.cityName() != null ? config.hostWideDiscount() : 1.0;
    collect(
        b.popular(ctx.q().hostApp(), BundleFormat.ALL),
        hostWide,
        base,
        why,
        "popular on " + ctx.q().hostApp());
    TopK top = new TopK(ctx.q().k());
    for (var e : base.entrySet()) {
      if (ctx.eligible(e.getKey())) {
        top.offer(e.getKey(), e.getValue() * b.lift(e.getKey(), ctx.hourOfWeek()));
      }
    }
    if (top.size() < ctx.q().k()) {
      double floor = hostWide * config.hostWideDiscount();
      for (int item = 0; item < b.itemCount(); item++) {
        if (!base.containsKey(item) && ctx.eligible(item)) {
          top.offer(item, floor * b.itemPopularity(item) * b.lift(item, ctx.hourOfWeek()));
          why.putIfAbsent(item, "popular overall");
        }
      }
    }
    List<Ranking.Item> out = new ArrayList<>();
    for (TopK.Entry e : top.best()) {
      List<String> reasons = new ArrayList<>();
      reasons.add(why.get(e.item()));
      timeReason(ctx, e.item(), reasons);
      out.add(item(b, e, reasons));
    }
    return out;
  }

  private static void collect(
      ModelBundle.Scope scope,
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

  private void timeReason(Context ctx, int item, List<String> reasons) {
    float lift = ctx.bundle().lift(item, ctx.hourOfWeek());
    if (lift >= config.timeReasonLift()) {
      reasons.add(
          ctx.bundle().itemCategory(item).replace('_', ' ')
              + " is popular at "
              + HourOfWeek.label(ctx.hourOfWeek()));
    }
  }

  private static Ranking.Item item(ModelBundle b, TopK.Entry e, List<String> reasons) {
    return new Ranking.Item(
        b.itemId(e.item()), b.itemName(e.item()), b.itemCategory(e.item()), e.score(), reasons);
  }

  /** Bounded min-heap keeping the k best (item, score) pairs; ties broken by item order. */
  static final class TopK {
    record Entry(int item, double score) {}

    private final int k;
    private final PriorityQueue<Entry> heap;

    TopK(int k) {
      this.k = k;
      this.heap =
          new PriorityQueue<>(
              k + 1,
              (a, b) ->
                  a.score() != b.score()
                      ? Double.compare(a.score(), b.score())
                      : Integer.compare(b.item(), a.item()));
    }

    void offer(int item, double score) {
      if (heap.size() < k) {
        heap.add(new Entry(item, score));
      } else {
        Entry worst = heap.peek();
        if (score > worst.score() || (score == worst.score() && item < worst.item())) {
          heap.poll();
          heap.add(new Entry(item, score));
        }
      }
    }

    int size() {
      return heap.size();
    }

    List<Entry> best() {
      List<Entry> out = new ArrayList<>(heap);
      out.sort(
          (a, b) ->
              a.score() != b.score()
                  ? Double.compare(b.score(), a.score())
                  : Integer.compare(a.item(), b.item()));
      return out;
    }
  }
}
