package io.crowdrank.ranking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.crowdrank.ranking.Reason.Kind;
import io.crowdrank.ranking.ann.ItemIndex;
import io.crowdrank.ranking.ann.Scan;
import io.crowdrank.ranking.bundle.Catalog;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.ranking.bundle.TestBundles;
import io.crowdrank.ranking.bundle.UserStore.IdType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RankerTest {
  static final List<String> ALIPAY = List.of("alipay");
  static final List<String> BOTH = List.of("alipay", "weibo");
  static final List<String> EVERYWHERE = List.of();
  // 2026-11-25 is a Wednesday; 00:00Z = 08:00 in Shanghai, 15:00Z = 23:00.
  static final Instant BREAKFAST = Instant.parse("2026-11-25T00:00:00Z");
  static final Instant LATE_NIGHT = Instant.parse("2026-11-25T15:00:00Z");

  final Ranker ranker = new Ranker(RankingConfig.defaults());

  static final String ACTIVE = "active";
  // Wednesday 08:00 and 23:00 in Shanghai.
  static final int WEDNESDAY_8AM = 2 * 24 + 8;
  static final int WEDNESDAY_11PM = 2 * 24 + 23;

  static ModelBundle bundle() {
    return items(TestBundles.version(3, 2)).build();
  }

  static TestBundles items(TestBundles b) {
    return b.item(
            "coffee", "coffee_tea", List.of("food", "lifestyle"), BOTH, EVERYWHERE, ACTIVE, 1f, 0f)
        .item("burger", "fast_food", List.of("food"), BOTH, EVERYWHERE, ACTIVE, 0.8f, 0.2f)
        .item("noodles", "fast_food", ALIPAY, List.of("hangzhou"), 0.9f, 0f)
        .item("closed", "coffee_tea", BOTH, EVERYWHERE, "suspended", 2f, 0f)
        .item("travel", "travel", List.of("travel"), BOTH, EVERYWHERE, ACTIVE, 0f, 1f)
        .item("fresh", "coffee_tea", BOTH, EVERYWHERE) // new: no vector yet
        .user("u1", "2088001", "5001", "hangzhou", 1f, 0f)
        .user("u2", null, "5002", null, 0f, 1f)
        .user("u3", "2088003", null, "shanghai") // profile only, no vector
        .popular("burger", "alipay", "*", 1.0)
        .popular("coffee", "alipay", "*", 0.6)
        .popular("travel", "alipay", "*", 0.3)
        .popular("noodles", "alipay", "hangzhou", 1.0)
        .popular("coffee", "weibo", "*", 1.0)
        .lift("coffee_tea", 7, 10, 4f)
        .lift("fast_food", 22, 24, 4f);
  }

  static RankQuery query(
      IdType type, String id, String hostApp, Instant at, String city, String... exclude) {
    return new RankQuery(type, id, hostApp, 3, at, city, Set.of(exclude));
  }

  private static List<String> ids(Ranking r) {
    return r.items().stream().map(Ranking.Item::id).toList();
  }

  @Test
  void rank_knownUser_ordersByFactorsAndSkipsIneligible() {
    Ranking r =
        ranker.rank(bundle(), query(IdType.PAYMENT_ACCOUNT, "2088001", "alipay", BREAKFAST, null));

    assertThat(r.strategy()).isEqualTo(Ranking.Strategy.PERSONALIZED);
    assertThat(r.modelVersion()).isEqualTo(3);
    // "closed" scores highest but is suspended; "fresh" has no vector; travel is orthogonal.
    assertThat(ids(r)).containsExactly("coffee", "noodles", "burger");
    assertThat(r.items().get(0).reasons())
        .contains(Reason.of(Kind.POPULAR_AT_HOUR, "coffee_tea", Integer.toString(WEDNESDAY_8AM)));
  }

  @Test
  void rank_sameUserLateAtNight_movesFastFoodUp() {
    Ranking r =
        ranker.rank(bundle(), query(IdType.PAYMENT_ACCOUNT, "2088001", "alipay", LATE_NIGHT, null));

    assertThat(ids(r)).containsExactly("noodles", "burger", "coffee");
  }

  @Test
  void rank_otherHostApp_onlyItsMiniPrograms() {
    Ranking r =
        ranker.rank(bundle(), query(IdType.PAYMENT_ACCOUNT, "2088001", "weibo", BREAKFAST, null));

    assertThat(ids(r)).doesNotContain("noodles").containsExactly("coffee", "burger", "travel");
  }

  @Test
  void rank_cityWhereItIsNotAvailable_filtersLocalMiniPrograms() {
    Ranking r =
        ranker.rank(
            bundle(), query(IdType.PAYMENT_ACCOUNT, "2088001", "alipay", BREAKFAST, "shanghai"));

    assertThat(ids(r)).containsExactly("coffee", "burger", "travel");
  }

  @Test
  void rank_cityTheBundleNeverSaw_keepsOnlyNationwide() {
    Ranking r =
        ranker.rank(
            bundle(), query(IdType.PAYMENT_ACCOUNT, "2088001", "alipay", BREAKFAST, "lhasa"));

    assertThat(ids(r)).doesNotContain("noodles");
  }

  @Test
  void rank_excludedIds_neverReturned() {
    Ranking r =
        ranker.rank(
            bundle(),
            query(IdType.PAYMENT_ACCOUNT, "2088001", "alipay", BREAKFAST, null, "coffee"));

    assertThat(ids(r)).doesNotContain("coffee").hasSize(3);
  }

  @Test
  void rank_bySocialAccountAndSharedId_findsTheSameUsers() {
    Ranking social =
        ranker.rank(bundle(), query(IdType.SOCIAL_ACCOUNT, "5002", "alipay", BREAKFAST, null));
    Ranking shared =
        ranker.rank(bundle(), query(IdType.SHARED_ID, "u1", "alipay", BREAKFAST, null));

    assertThat(social.strategy()).isEqualTo(Ranking.Strategy.PERSONALIZED);
    assertThat(ids(social).get(0)).isEqualTo("travel");
    assertThat(ids(shared).get(0)).isEqualTo("coffee");
  }

  @Test
  void rank_unknownUser_fallsBackToPopular() {
    Ranking r =
        ranker.rank(bundle(), query(IdType.PAYMENT_ACCOUNT, "2099", "alipay", LATE_NIGHT, null));

    assertThat(r.strategy()).isEqualTo(Ranking.Strategy.POPULAR);
    assertThat(ids(r)).containsExactly("burger", "coffee", "travel");
    assertThat(r.items().get(0).reasons())
        .containsExactly(
            Reason.of(Kind.POPULAR_ON_HOST_APP, "alipay"),
            Reason.of(Kind.POPULAR_AT_HOUR, "fast_food", Integer.toString(WEDNESDAY_11PM)));
  }

  @Test
  void rank_unknownUserAtBreakfast_popularityShapedByHour() {
    Ranking r =
        ranker.rank(bundle(), query(IdType.PAYMENT_ACCOUNT, "2099", "alipay", BREAKFAST, null));

    assertThat(ids(r).get(0)).isEqualTo("coffee");
  }

  @Test
  void rank_userWithoutVector_getsPopularInHomeCity() {
    Ranking r =
        ranker.rank(
            bundle(), query(IdType.PAYMENT_ACCOUNT, "2088003", "alipay", LATE_NIGHT, "hangzhou"));

    assertThat(r.strategy()).isEqualTo(Ranking.Strategy.POPULAR);
    assertThat(ids(r).get(0)).isEqualTo("noodles");
    assertThat(r.items().get(0).reasons().get(0))
        .isEqualTo(Reason.of(Kind.POPULAR_IN_CITY, "hangzhou", "alipay"));
  }

  @Test
  void rank_thinScope_fillsFromOverallPopularity() {
    Ranking r =
        ranker.rank(
            bundle(),
            new RankQuery(IdType.PAYMENT_ACCOUNT, "2099", "weibo", 5, BREAKFAST, null, Set.of()));

    // weibo has one popular item; the rest come from overall popularity, never inactive ones;
    // the exploration slot (1 of 5) goes to the new mini-program.
    assertThat(ids(r)).startsWith("coffee").doesNotContain("closed", "noodles").hasSize(4);
    assertThat(ids(r)).endsWith("fresh");
  }

  @Test
  void rank_socialOnlyUser_ranksByInterestInTheVerticals() {
    ModelBundle b =
        items(TestBundles.version(3, 2))
            .user("u4", null, "5004", null, Map.of("travel", 0.9f, "food", 0.1f), List.of())
            .build();

    Ranking r = ranker.rank(b, query(IdType.SOCIAL_ACCOUNT, "5004", "alipay", BREAKFAST, null));

    assertThat(r.strategy()).isEqualTo(Ranking.Strategy.INTERESTS);
    assertThat(ids(r).get(0)).isEqualTo("travel");
    assertThat(r.items().get(0).reasons()).contains(Reason.of(Kind.MATCHES_INTEREST, "travel"));
    // without interests the same request is plain popularity, led by coffee at breakfast
    assertThat(ids(ranker.rank(b, query(IdType.SOCIAL_ACCOUNT, "0000", "alipay", BREAKFAST, null))))
        .startsWith("coffee");
  }

  @Test
  void rank_newMiniProgram_takesTheExplorationSlot_scoredLikeItsCategory() {
    RankQuery ten =
        new RankQuery(IdType.PAYMENT_ACCOUNT, "2088001", "alipay", 10, BREAKFAST, null, Set.of());

    Ranking r = ranker.rank(bundle(), ten);
    Ranking none = new Ranker(withExploration(0)).rank(bundle(), ten);

    assertThat(ids(r)).endsWith("fresh");
    assertThat(r.items().stream().map(Ranking.Item::score).toList())
        .isSortedAccordingTo(java.util.Comparator.reverseOrder());
    assertThat(r.items().get(r.items().size() - 1).reasons().get(0))
        .isEqualTo(Reason.of(Kind.NEW_LIKE_YOURS, "alipay", "coffee_tea"));
    assertThat(ids(none)).doesNotContain("fresh");
  }

  @Test
  void rank_userWithOwnHabit_overridesEverybodysLiftAtThatHour() {
    ModelBundle b =
        items(TestBundles.version(3, 2, 0.5, 1.0))
            .user(
                "u5",
                "2088005",
                null,
                "hangzhou",
                Map.of(),
                List.of(new TestBundles.Habit("fast_food", WEDNESDAY_8AM, 20)),
                1f,
                0f)
            .build();

    // Everybody drinks coffee at breakfast; this user has fast food at 8 on Wednesdays.
    assertThat(
            ids(
                ranker.rank(
                    b, query(IdType.PAYMENT_ACCOUNT, "2088001", "alipay", BREAKFAST, null))))
        .startsWith("coffee");
    assertThat(
            ids(
                ranker.rank(
                    b, query(IdType.PAYMENT_ACCOUNT, "2088005", "alipay", BREAKFAST, null))))
        .startsWith("noodles", "burger");
  }

  @Test
  void rank_contextWeightFromTheBundle_overridesTheConfiguredOne() {
    ModelBundle noContext = items(TestBundles.version(3, 2, 0.0, 10)).build();

    // Late at night fast food leads with context (see above); without it the factors decide.
    assertThat(
            ids(
                ranker.rank(
                    noContext,
                    query(IdType.PAYMENT_ACCOUNT, "2088001", "alipay", LATE_NIGHT, null))))
        .startsWith("coffee");
  }

  @Test
  void rank_largeCatalog_candidatesFromTheHnswIndex_matchTheExactTop10() {
    // As many dimensions as a served model has (rank 32): at 8 the 7-bit graph's recall@10 was
    // only 0.86-0.92, which says more about 8 dimensions than about the ranking.
    int dims = 32;
    SplittableRandom rnd = new SplittableRandom(9);
    TestBundles big = TestBundles.version(4, dims);
    float[][] vectors = new float[Catalog.ANN_MIN_ITEMS + 2_000][dims];
    for (int i = 0; i < vectors.length; i++) {
      for (int d = 0; d < dims; d++) {
        vectors[i][d] = (float) rnd.nextGaussian();
      }
      big.item("mp" + i, "fast_food", BOTH, EVERYWHERE, vectors[i]);
    }
    int users = 40;
    float[][] userVectors = new float[users][dims];
    for (int u = 0; u < users; u++) {
      for (int d = 0; d < dims; d++) {
        userVectors[u][d] = (float) rnd.nextGaussian();
      }
      big.user("u" + u, "2088" + u, null, null, userVectors[u]);
    }
    ModelBundle b = big.build();
    Ranker ranker = new Ranker(withExploration(0));

    // Recall over many users: the parallel HNSW build is not the same graph twice, and one
    // query's top 10 may miss a few neighbours on a given graph (it did, 4-5 of 10, about one run
    // in ten with a single user), while a graph that lost its way would miss for everybody.
    int found = 0;
    for (int u = 0; u < users; u++) {
      float[] user = userVectors[u];
      List<String> exact =
          java.util.stream.IntStream.range(0, vectors.length)
              .boxed()
              .sorted(java.util.Comparator.comparingDouble(i -> -dot(user, vectors[i])))
              .limit(10)
              .map(i -> "mp" + i)
              .toList();
      Ranking r =
          ranker.rank(
              b,
              new RankQuery(
                  IdType.PAYMENT_ACCOUNT, "2088" + u, "alipay", 10, BREAKFAST, null, Set.of()));
      found += (int) ids(r).stream().filter(exact::contains).count();
    }
    assertThat(b.catalog().itemIndex().approximate()).isTrue();
    assertThat(found / (10.0 * users)).as("recall@10 over %d users", users).isGreaterThan(0.9);
  }

  @Test
  void rank_smallCatalog_int8AndFloatScans_giveTheSameRankings() {
    // Same items twice, one bundle scanned as int8 columns, the other as floats: the int8 scan
    // only narrows the candidates, every score is computed exactly, so rankings are identical.
    List<ModelBundle> bundles = new ArrayList<>();
    for (boolean int8 : new boolean[] {true, false}) {
      bundles.add(randomCatalog(TestBundles.version(6, 16).int8Scan(int8), 21, 8_000, 20));
    }
    assertThat(bundles.get(0).catalog().itemIndex().method())
        .isEqualTo(ItemIndex.int8Supported() ? "exact-int8" : "exact-float");
    assertThat(bundles.get(1).catalog().itemIndex().method()).isEqualTo("exact-float");
    Ranker ranker = new Ranker(withExploration(0));

    for (int u = 0; u < 20; u++) {
      RankQuery q =
          new RankQuery(
              IdType.PAYMENT_ACCOUNT, "2088" + u, "alipay", 20, BREAKFAST, null, Set.of());
      Ranking int8 = ranker.rank(bundles.get(0), q);
      Ranking floats = ranker.rank(bundles.get(1), q);

      assertThat(int8.items()).as("user %d", u).hasSize(20).isEqualTo(floats.items());
    }
  }

  @Test
  void rank_prescannedTogether_sameRankingsAsAlone_noScanWhereNoneIsNeeded() {
    ModelBundle b = randomCatalog(TestBundles.version(7, 16), 31, 3_000, 9);
    Ranker ranker = new Ranker(RankingConfig.defaults());
    List<RankQuery> queries = new ArrayList<>();
    for (int u = 0; u < 9; u++) {
      queries.add(
          new RankQuery(
              IdType.PAYMENT_ACCOUNT,
              "2088" + u,
              u % 2 == 0 ? "alipay" : "weibo",
              10,
              u % 3 == 0 ? BREAKFAST : LATE_NIGHT,
              u == 4 ? "Beijing" : null,
              Set.of("mp" + u)));
    }
    queries.add(query(IdType.PAYMENT_ACCOUNT, "2099-unknown", "alipay", BREAKFAST, null));
    queries.add(
        new RankQuery(
            IdType.PAYMENT_ACCOUNT,
            "20881",
            "alipay",
            3,
            BREAKFAST,
            null,
            Set.of(),
            Set.of("mp1", "mp2", "mp4")));

    Scan[] scans = ranker.prescan(b, queries);

    assertThat(scans).hasSize(queries.size());
    assertThat(Arrays.copyOf(scans, 9)).doesNotContainNull();
    // The unknown user ranks by popularity and the host app's own list scores just its items.
    assertThat(scans[9]).isNull();
    assertThat(scans[10]).isNull();
    for (int i = 0; i < queries.size(); i++) {
      Ranking together = ranker.rank(b, queries.get(i), () -> false, scans[i]);
      Ranking alone = ranker.rank(b, queries.get(i));
      assertThat(together.items()).as("query %d", i).isNotEmpty().isEqualTo(alone.items());
      assertThat(together.strategy()).isEqualTo(alone.strategy());
    }
  }

  /**
   * Items mp0.. with Gaussian 16-dim vectors in four categories (every third only on weibo, every
   * fifth only in Beijing) and users u0.. (payment accounts 20880..) with Gaussian vectors.
   */
  private static ModelBundle randomCatalog(TestBundles t, long seed, int items, int users) {
    SplittableRandom rnd = new SplittableRandom(seed);
    String[] categories = {"fast_food", "coffee_tea", "travel", "health"};
    for (int i = 0; i < items; i++) {
      t.item(
          "mp" + i,
          categories[i % categories.length],
          i % 3 == 0 ? List.of("weibo") : BOTH,
          i % 5 == 0 ? List.of("Beijing") : EVERYWHERE,
          gaussian(rnd, 16));
    }
    for (int u = 0; u < users; u++) {
      t.user("u" + u, "2088" + u, null, null, gaussian(rnd, 16));
    }
    return t.build();
  }

  private static float[] gaussian(SplittableRandom rnd, int dim) {
    float[] v = new float[dim];
    for (int d = 0; d < dim; d++) {
      v[d] = (float) rnd.nextGaussian();
    }
    return v;
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int d = 0; d < a.length; d++) {
      s += a[d] * b[d];
    }
    return s;
  }

  @Test
  void rank_coffeeLover_getsAtMostThreeCoffeeShopsBeforeOtherCategories() {
    TestBundles b = TestBundles.version(5, 2);
    for (int i = 0; i < 5; i++) {
      b.item("cafe" + i, "coffee_tea", BOTH, EVERYWHERE, 1f - i * 0.01f, 0f);
    }
    b.item("burger", "fast_food", BOTH, EVERYWHERE, 0.5f, 0f);
    ModelBundle bundle = b.user("u", "2088", null, null, 1f, 0f).build();

    Ranking r =
        new Ranker(withExploration(0))
            .rank(
                bundle,
                new RankQuery(
                    IdType.PAYMENT_ACCOUNT, "2088", "alipay", 4, BREAKFAST, null, Set.of()));

    assertThat(ids(r)).containsExactly("cafe0", "cafe1", "cafe2", "burger");
  }

  @Test
  void rank_callerGaveUp_stopsWithCancelled() {
    java.util.concurrent.atomic.AtomicInteger checks =
        new java.util.concurrent.atomic.AtomicInteger();

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                ranker.rank(
                    bundle(),
                    query(IdType.PAYMENT_ACCOUNT, "2088001", "alipay", BREAKFAST, null),
                    () -> checks.incrementAndGet() > 1))
        .isInstanceOf(Ranker.Cancelled.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                ranker.rank(
                    bundle(),
                    query(IdType.PAYMENT_ACCOUNT, "2099", "alipay", BREAKFAST, null),
                    () -> true))
        .isInstanceOf(Ranker.Cancelled.class);
  }

  // ---------------------------------------------------------------- campaigns

  static final Instant NOV_1 = Instant.parse("2026-11-01T00:00:00Z");
  static final Instant DEC_1 = Instant.parse("2026-12-01T00:00:00Z");

  /** u1 (payment 2088001) likes coffee; "travel" scores 0 for u1 and is promoted to slot 1. */
  static ModelBundle campaignBundle(int slot, List<String> hostApps, Instant end) {
    return items(TestBundles.version(3, 2))
        .segment("travellers", null, "u1", "u3")
        .segment("others", null, "u2")
        .campaign("trip", "travel", List.of("travellers"), hostApps, NOV_1, end, 0.5, slot)
        .build();
  }

  @Test
  void rank_campaignWithSlot_promotesItsItemToTheSlotForTargetedUsers() {
    Ranking r =
        ranker.rank(
            campaignBundle(1, List.of(), DEC_1),
            query(IdType.PAYMENT_ACCOUNT, "2088001", "alipay", BREAKFAST, null));

    assertThat(ids(r)).containsExactly("travel", "coffee", "noodles");
    assertThat(r.items().get(0).reasons().get(0))
        .isEqualTo(Reason.of(Kind.CAMPAIGN, "Campaign trip"));
    assertThat(r.items().get(0).score()).isGreaterThanOrEqualTo(r.items().get(1).score());
  }

  @Test
  void rank_campaignBoostOnly_addsTheBoostToTheScore() {
    ModelBundle plain = bundle();
    ModelBundle boosted = campaignBundle(0, List.of(), DEC_1);
    RankQuery q =
        new RankQuery(IdType.PAYMENT_ACCOUNT, "2088001", "alipay", 5, BREAKFAST, null, Set.of());

    double before = score(ranker.rank(plain, q), "travel");
    Ranking after = ranker.rank(boosted, q);

    assertThat(score(after, "travel"))
        .isCloseTo(before + 0.5 * RankingConfig.defaults().campaignWeight(), within(1e-6));
    assertThat(
            after.items().stream().filter(i -> i.id().equals("travel")).findFirst().get().reasons())
        .first()
        .isEqualTo(Reason.of(Kind.CAMPAIGN, "Campaign trip"));
  }

  @Test
  void rank_campaign_leavesUntargetedUsersExpiredCampaignsAndOtherHostAppsAlone() {
    RankQuery other = query(IdType.SOCIAL_ACCOUNT, "5002", "alipay", BREAKFAST, null);
    RankQuery targeted = query(IdType.PAYMENT_ACCOUNT, "2088001", "alipay", BREAKFAST, null);

    assertThat(ids(ranker.rank(campaignBundle(1, List.of(), DEC_1), other)))
        .isEqualTo(ids(ranker.rank(bundle(), other)));
    assertThat(ids(ranker.rank(campaignBundle(1, List.of(), BREAKFAST), targeted)))
        .doesNotContain("travel");
    assertThat(ids(ranker.rank(campaignBundle(1, List.of("weibo"), DEC_1), targeted)))
        .doesNotContain("travel");
  }

  @Test
  void rank_campaignItemExcluded_isNotPromoted() {
    Ranking r =
        ranker.rank(
            campaignBundle(1, List.of(), DEC_1),
            query(IdType.PAYMENT_ACCOUNT, "2088001", "alipay", BREAKFAST, null, "travel"));

    assertThat(ids(r)).containsExactly("coffee", "noodles", "burger");
  }

  @Test
  void rank_campaignForUserWithoutVector_promotesInPopularRanking() {
    // u3 has a profile (Shanghai) but no vector: popularity, then the campaign at slot 1.
    Ranking r =
        ranker.rank(
            campaignBundle(1, List.of(), DEC_1),
            query(IdType.PAYMENT_ACCOUNT, "2088003", "alipay", BREAKFAST, null));

    assertThat(r.strategy()).isEqualTo(Ranking.Strategy.POPULAR);
    assertThat(ids(r).get(0)).isEqualTo("travel");
    assertThat(ids(r)).doesNotHaveDuplicates();
  }

  private static double score(Ranking r, String id) {
    return r.items().stream().filter(i -> i.id().equals(id)).findFirst().orElseThrow().score();
  }

  @Test
  void candidates_areTheConfiguredCount_butNeverFewerThanFourPerSlot() {
    Ranker ranker = new Ranker(RankingConfig.defaults().withAnnCandidates(120));

    assertThat(ranker.candidates(10)).isEqualTo(120);
    assertThat(ranker.candidates(50)).isEqualTo(200);
    assertThat(new Ranker(RankingConfig.defaults()).candidates(10))
        .isEqualTo(RankingConfig.DEFAULT_ANN_CANDIDATES);
    assertThatThrownBy(() -> RankingConfig.defaults().withAnnCandidates(0))
        .hasMessage("annCandidates must be >= 1");
  }

  private static RankingConfig withExploration(double share) {
    RankingConfig d = RankingConfig.defaults();
    return new RankingConfig(
        d.contextWeight(),
        d.habitShrinkage(),
        d.hostWideDiscount(),
        d.timeReasonLift(),
        share,
        d.maxPerCategory(),
        d.campaignWeight(),
        d.maxPromoted(),
        d.annCandidates());
  }
}
