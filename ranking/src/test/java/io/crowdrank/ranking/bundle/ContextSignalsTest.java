package io.crowdrank.ranking.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.crowdrank.format.BundleFormat;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContextSignalsTest {
  static final int EIGHT = 8;
  static final int TWENTY = 20;

  final Catalog catalog =
      new Catalog(
          1,
          List.of(
              CatalogTest.item("latte", "coffee", List.of(), 0, 1f),
              CatalogTest.item("burger", "food", List.of(), 0, 1f),
              CatalogTest.item("fries", "food", List.of(), 0, 1f)),
          Names.sorted(List.of()),
          Names.sorted(List.of()),
          false,
          null);

  /** Coffee's lift is 2 at hour 8; a quarter of all activity is at hour 20, half at hour 8. */
  static Map<String, float[]> lifts() {
    float[] coffee = new float[BundleFormat.HOURS_PER_WEEK];
    Arrays.fill(coffee, 1f);
    coffee[EIGHT] = 2f;
    float[] shares = new float[BundleFormat.HOURS_PER_WEEK];
    shares[EIGHT] = 0.5f;
    shares[TWENTY] = 0.25f;
    return Map.of("coffee", coffee, BundleFormat.ALL, shares);
  }

  static ModelBundle.UserRow habit(String id, List<String> categories, int[] hours, float[] uses) {
    return new ModelBundle.UserRow(
        id, null, null, null, null, List.of(), new float[0], categories, hours, uses);
  }

  @Test
  void categoryLifts_everybody_globalLiftAndOneWithout() {
    ContextSignals s = ContextSignals.of(catalog, lifts(), List.of(), List.of());

    assertThat(s.categoryLifts(-1, EIGHT, 4)).containsExactly(2.0, 1.0);
    assertThat(s.categoryLifts(-1, TWENTY, 4)).containsExactly(1.0, 1.0);
  }

  /** 6 coffees at 8, 2 at 20, and 50 uses of a category the catalog lost. */
  static ModelBundle.UserRow coffeeDrinker(String id) {
    return habit(
        id,
        List.of("coffee", "gone", "coffee"),
        new int[] {TWENTY, EIGHT, EIGHT},
        new float[] {2, 50, 6});
  }

  @Test
  void categoryLifts_userWithHabit_ownUseShrunkTowardsEverybodys() {
    // The coffee drinker; shrinkage 4.
    ContextSignals s = ContextSignals.of(catalog, lifts(), List.of(coffeeDrinker("u")), List.of());

    // at 8: (6 + 4 · 2 · 0.5) / ((8 + 4) · 0.5) = 10 / 6; food: no habit, global 1
    assertThat(s.categoryLifts(0, EIGHT, 4)[0]).isCloseTo(10.0 / 6, within(1e-9));
    assertThat(s.categoryLifts(0, EIGHT, 4)[1]).isEqualTo(1.0);
    // at 20: (2 + 4 · 1 · 0.25) / ((8 + 4) · 0.25) = 3 / 3
    assertThat(s.categoryLifts(0, TWENTY, 4)[0]).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void categoryLifts_severalUsers_eachSeesOnlyTheirOwnCells() {
    // u0 the coffee drinker; u1 without a habit; u2 only 8 coffees at 20. Shrinkage 4.
    ContextSignals s =
        ContextSignals.of(
            catalog,
            lifts(),
            List.of(
                coffeeDrinker("u0"),
                habit("u1", List.of(), new int[0], new float[0]),
                habit("u2", List.of("coffee"), new int[] {TWENTY}, new float[] {8})),
            List.of());

    assertThat(s.categoryLifts(0, EIGHT, 4)[0]).isCloseTo(10.0 / 6, within(1e-9));
    assertThat(s.categoryLifts(1, EIGHT, 4)).containsExactly(2.0, 1.0);
    // u2 at 8: (0 + 4 · 2 · 0.5) / ((8 + 4) · 0.5) = 4 / 6; at 20: (8 + 4 · 1 · 0.25) / (12 · 0.25)
    // = 3
    assertThat(s.categoryLifts(2, EIGHT, 4)[0]).isCloseTo(4.0 / 6, within(1e-9));
    assertThat(s.categoryLifts(2, TWENTY, 4)[0]).isCloseTo(3.0, within(1e-9));
  }

  /**
   * Uses are kept in 16 bits ({@link Bfloat16}, within 2^-8 of each): the lifts of users with
   * decayed, fractional uses stay within 1 % of the same formula over the float uses in plain Java.
   */
  @Test
  void categoryLifts_fractionalUses_within1PercentOfFloatUses() {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(8);
    java.util.List<ModelBundle.UserRow> users = new java.util.ArrayList<>();
    for (int u = 0; u < 200; u++) {
      int cells = 1 + rnd.nextInt(12);
      int[] hours = new int[cells];
      float[] uses = new float[cells];
      for (int c = 0; c < cells; c++) {
        hours[c] = c == 0 ? EIGHT : rnd.nextInt(BundleFormat.HOURS_PER_WEEK);
        uses[c] = (float) (rnd.nextDouble() * Math.pow(10, rnd.nextInt(-2, 3)));
      }
      users.add(habit("u" + u, java.util.Collections.nCopies(cells, "coffee"), hours, uses));
    }
    ContextSignals s = ContextSignals.of(catalog, lifts(), users, List.of());

    for (int u = 0; u < users.size(); u++) {
      ModelBundle.UserRow row = users.get(u);
      double total = 0;
      double atEight = 0;
      for (int c = 0; c < row.habitHours().length; c++) {
        total += row.habitCounts()[c];
        atEight += row.habitHours()[c] == EIGHT ? row.habitCounts()[c] : 0;
      }
      double expected = io.crowdrank.format.ContextScoring.userLift(2, 0.5, atEight, total, 4);
      assertThat(s.categoryLifts(u, EIGHT, 4)[0])
          .as("user %d", u)
          .isCloseTo(expected, org.assertj.core.data.Percentage.withPercentage(1));
    }
  }

  /** Past 390 categories a cell (category · 168 + hour) no longer fits in 16 bits. */
  @Test
  void categoryLifts_catalogOf400Categories_cellsBeyond16Bits() {
    List<ModelBundle.ItemRow> items = new java.util.ArrayList<>();
    for (int c = 0; c < 400; c++) {
      items.add(CatalogTest.item("item" + c, String.format("c%03d", c), List.of(), 0, 1f));
    }
    Catalog wide =
        new Catalog(1, items, Names.sorted(List.of()), Names.sorted(List.of()), false, null);
    ContextSignals s =
        ContextSignals.of(
            wide,
            Map.of(),
            List.of(
                habit("u", List.of("c399", "c001"), new int[] {TWENTY, EIGHT}, new float[] {6, 2})),
            List.of());

    int last = wide.categories().indexOf("c399");
    assertThat(last * BundleFormat.HOURS_PER_WEEK).isGreaterThan(Character.MAX_VALUE);
    // Uniform shares: (6 + 4 · 1 · 1/168) / ((6 + 4) · 1/168)
    double share = 1.0 / BundleFormat.HOURS_PER_WEEK;
    assertThat(s.categoryLifts(0, TWENTY, 4)[last])
        .isCloseTo(io.crowdrank.format.ContextScoring.userLift(1, share, 6, 6, 4), within(1e-6));
    assertThat(s.categoryLifts(0, EIGHT, 4)[last])
        .isCloseTo(io.crowdrank.format.ContextScoring.userLift(1, share, 0, 6, 4), within(1e-6));
    assertThat(s.categoryLifts(0, EIGHT, 4)[wide.categories().indexOf("c001")])
        .isCloseTo(io.crowdrank.format.ContextScoring.userLift(1, share, 2, 2, 4), within(1e-6));
  }

  @Test
  void of_habitArraysOfUnequalLength_fails() {
    assertThatThrownBy(
            () ->
                ContextSignals.of(
                    catalog,
                    Map.of(),
                    List.of(habit("u7", List.of("coffee"), new int[] {1, 2}, new float[] {1})),
                    List.of()))
        .isInstanceOf(BundleException.class)
        .hasMessage("user u7 has habit arrays of unequal length");
  }

  @Test
  void popular_perScope_bestFirst_tiesInArrivalOrder_itemsThatLeftDropped() {
    ContextSignals s =
        ContextSignals.of(
            catalog,
            Map.of(),
            List.of(),
            List.of(
                new ModelBundle.PopularityRow("fries", "alipay", "*", 0.5),
                new ModelBundle.PopularityRow("gone", "alipay", "*", 0.9),
                new ModelBundle.PopularityRow("latte", "alipay", "*", 0.8),
                new ModelBundle.PopularityRow("burger", "alipay", "*", 0.5),
                new ModelBundle.PopularityRow("burger", "alipay", "hangzhou", 1.0)));

    ContextSignals.Scope all = s.popular("alipay", "*");
    assertThat(Arrays.stream(all.items()).mapToObj(catalog::id))
        .containsExactly("latte", "fries", "burger");
    assertThat(all.scores()).containsExactly(0.8f, 0.5f, 0.5f);
    assertThat(s.popular("alipay", "hangzhou").items()).hasSize(1);
    assertThat(s.popular("weibo", "*")).isNull();
  }
}
