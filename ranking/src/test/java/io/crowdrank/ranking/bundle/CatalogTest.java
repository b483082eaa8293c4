package io.crowdrank.ranking.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.format.HostApps;
import java.util.List;
import org.junit.jupiter.api.Test;

class CatalogTest {
  static final Names CITIES = Names.sorted(List.of("hangzhou", "shanghai", "beijing"));
  static final Names VERTICALS = Names.sorted(List.of("food", "travel"));

  static ModelBundle.ItemRow item(
      String id, String category, List<String> verticals, double popularity, float... vector) {
    return new ModelBundle.ItemRow(
        id,
        "Name of " + id,
        category,
        verticals,
        List.of("alipay"),
        List.of(),
        "active",
        vector.length == 0 ? null : vector,
        popularity);
  }

  static Catalog catalog(ModelBundle.ItemRow... rows) {
    return new Catalog(2, List.of(rows), CITIES, VERTICALS, false, null);
  }

  @Test
  void of_newItem_getsTheMeanVectorOfItsCategory_butStaysOutOfTheIndex() {
    Catalog c =
        catalog(
            item("a", "coffee", List.of(), 0.5, 1f, 0f),
            item("b", "coffee", List.of(), 0.4, 0f, 2f),
            item("new", "coffee", List.of(), 0.9),
            item("lonely", "travel", List.of(), 0.9));

    int fresh = c.find("new").getAsInt();
    // mean of (1, 0) and (0, 2) is (0.5, 1); · (2, 3) = 1 + 3
    assertThat(c.dot(new float[] {2f, 3f}, fresh)).isEqualTo(4f);
    assertThat(c.isNew(fresh)).isTrue();
    assertThat(c.hasVector(fresh)).isTrue();
    // a category with no learnt vector leaves its new item unscorable
    assertThat(c.hasVector(c.find("lonely").getAsInt())).isFalse();
    assertThat(c.newItems()).containsExactly(2, 3);
    assertThat(c.itemIndex().exact(new float[] {2f, 3f}, 10, HostApps.ALL.indexOf("alipay")))
        .extracting(n -> c.id(n.item()))
        .containsExactly("b", "a");
  }

  @Test
  void popularLists_establishedItemsOnly_mostPopularFirst_perVertical() {
    Catalog c =
        catalog(
            item("a", "coffee", List.of("food"), 0.2, 1f, 0f),
            item("b", "coffee", List.of("food", "travel"), 0.7, 1f, 0f),
            item("c", "hotel", List.of("travel"), 0.5, 0f, 1f),
            item("new", "hotel", List.of("travel"), 0.9));

    assertThat(ids(c, c.popularOverall())).containsExactly("b", "c", "a");
    assertThat(ids(c, c.popularInVertical(VERTICALS.indexOf("food")))).containsExactly("b", "a");
    assertThat(ids(c, c.popularInVertical(VERTICALS.indexOf("travel")))).containsExactly("b", "c");
    assertThat(c.popularity(c.find("b").getAsInt())).isEqualTo(0.7f);
  }

  @Test
  void availability_byHostAppAndCity() {
    Catalog c =
        new Catalog(
            2,
            List.of(
                new ModelBundle.ItemRow(
                    "local",
                    "Local",
                    "food",
                    List.of(),
                    List.of("weibo", "no-such-app"),
                    List.of("shanghai", "hangzhou"),
                    "active",
                    null,
                    0),
                new ModelBundle.ItemRow(
                    "closed",
                    "Closed",
                    "food",
                    List.of(),
                    List.of(),
                    List.of(),
                    "suspended",
                    null,
                    0)),
            CITIES,
            VERTICALS,
            false,
            null);
    int local = c.find("local").getAsInt();
    int hangzhou = c.city("hangzhou");

    assertThat(c.runsIn(local, HostApps.ALL.indexOf("weibo"))).isTrue();
    assertThat(c.runsIn(local, HostApps.ALL.indexOf("alipay"))).isFalse();
    assertThat(c.availableIn(local, hangzhou)).isTrue();
    assertThat(c.availableIn(local, c.city("beijing"))).isFalse();
    assertThat(c.availableIn(local, -1)).isTrue();
    assertThat(c.isLocalTo(local, hangzhou)).isTrue();
    assertThat(c.isLocalTo(local, -1)).isFalse();
    assertThat(c.isNationwide(local)).isFalse();
    assertThat(c.isNationwide(c.find("closed").getAsInt())).isTrue();
    assertThat(c.isActive(local)).isTrue();
    assertThat(c.isActive(c.find("closed").getAsInt())).isFalse();
    assertThat(c.city("lhasa")).isEqualTo(-1);
    assertThat(c.cityName(hangzhou)).isEqualTo("hangzhou");
    assertThat(c.cityName(-1)).isNull();
    assertThat(c.find("nope")).isEmpty();
  }

  @Test
  void categories_sortedByName_itemsPointIntoThem() {
    Catalog c =
        catalog(item("x", "travel", List.of(), 0, 1f, 0f), item("y", "coffee", List.of(), 0));

    assertThat(c.categoryOf(c.find("y").getAsInt())).isEqualTo(0);
    assertThat(c.categoryOf(c.find("x").getAsInt())).isEqualTo(1);
    assertThat(c.category(c.find("x").getAsInt())).isEqualTo("travel");
  }

  @Test
  void of_duplicateIdOrWrongVectorLength_failsWithTheItem() {
    assertThatThrownBy(() -> catalog(item("a", "c", List.of(), 0), item("a", "c", List.of(), 0)))
        .isInstanceOf(BundleException.class)
        .hasMessage("duplicate item a");
    assertThatThrownBy(() -> catalog(item("a", "c", List.of(), 0, 1f, 2f, 3f)))
        .isInstanceOf(BundleException.class)
        .hasMessage("item a has a vector of length 3, manifest says 2");
    assertThatThrownBy(() -> catalog(item("a", "c", List.of("sports"), 0)))
        .isInstanceOf(BundleException.class)
        .hasMessage("'sports' is not among [food, travel]");
  }

  private static List<String> ids(Catalog c, int[] items) {
    return java.util.Arrays.stream(items).mapToObj(c::id).toList();
  }
}
