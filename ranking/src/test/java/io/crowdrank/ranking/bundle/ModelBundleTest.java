package io.crowdrank.ranking.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.format.QuantizedVector;
import io.crowdrank.ranking.bundle.UserStore.IdType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelBundleTest {
  @Test
  void build_partsShareOneVocabulary_ofItemsAndUsers() {
    // Popularity arrives before its item; the user's home city and interest no item has.
    ModelBundle b =
        TestBundles.version(9, 2)
            .popular("noodles", "alipay", "hangzhou", 1.0)
            .item(
                "noodles",
                "fast_food",
                List.of("food"),
                List.of("alipay"),
                List.of("hangzhou"),
                "active",
                1f,
                0f)
            .user("u1", "2088", null, "lhasa", Map.of("travel", 1f), List.of(), 1f, 0f)
            .segment("fans", null, "u1")
            .build();

    int user = b.users().find(IdType.PAYMENT_ACCOUNT, "2088");
    assertThat(b.version()).isEqualTo(9);
    assertThat(b.catalog().cityName(b.users().homeCity(user))).isEqualTo("lhasa");
    assertThat(b.catalog().city("hangzhou")).isNotEqualTo(b.users().homeCity(user));
    assertThat(b.catalog().verticalName(b.users().interests(user).verticals()[0]))
        .isEqualTo("travel");
    assertThat(b.context().popular("alipay", "hangzhou").items())
        .containsExactly(b.catalog().find("noodles").getAsInt());
    assertThat(b.targeting().userSegments(user)).containsExactly(0);
  }

  @Test
  void build_withoutManifest_fails() {
    assertThatThrownBy(() -> new ModelBundle.Builder(1).build())
        .isInstanceOf(BundleException.class)
        .hasMessage("bundle has no manifest");
  }

  @Test
  void build_usersBeforeTheManifestAndItems_loadLikeUsersAfterThem() {
    // A bundle's files come in any order: users stream into the store before the vocabulary of
    // cities and categories (from the items) and the vector length (from the manifest) are known.
    ModelBundle.UserRow user =
        new ModelBundle.UserRow(
            "u1",
            "2088",
            null,
            "lhasa",
            QuantizedVector.of(new float[] {0.5f, -1f}),
            List.of("travel"),
            new float[] {1f},
            List.of("hotel", "gone", "fast_food"),
            new int[] {20, 8, 8},
            new float[] {3f, 50f, 6f});
    ModelBundle.UserRow other =
        new ModelBundle.UserRow(
            "u2",
            "2089",
            null,
            "hangzhou",
            null,
            List.of(),
            new float[0],
            List.of("hotel"),
            new int[] {9},
            new float[] {1f});
    java.util.function.Consumer<ModelBundle.Builder> manifestAndItems =
        b -> {
          b.manifest(
              ManifestJson.parse(
                  "{\"format_version\":4,\"created_time\":\"2026-12-06T00:00:00Z\","
                      + "\"time_zone\":\"UTC\",\"vector_dim\":2}"));
          b.item(
              new ModelBundle.ItemRow(
                  "noodles",
                  "N",
                  "fast_food",
                  List.of("food"),
                  List.of("alipay"),
                  List.of("hangzhou"),
                  "active",
                  new float[] {1f, 0f},
                  1.0));
          b.item(
              new ModelBundle.ItemRow(
                  "inn",
                  "I",
                  "hotel",
                  List.of("travel"),
                  List.of("alipay"),
                  List.of("lhasa"),
                  "active",
                  new float[] {0f, 1f},
                  1.0));
        };
    ModelBundle.Builder usersFirst = new ModelBundle.Builder(1);
    usersFirst.user(user);
    usersFirst.user(other);
    manifestAndItems.accept(usersFirst);
    ModelBundle.Builder usersLast = new ModelBundle.Builder(1);
    manifestAndItems.accept(usersLast);
    usersLast.user(user);
    usersLast.user(other);

    ModelBundle a = usersFirst.build();
    ModelBundle b = usersLast.build();
    for (String id : List.of("u1", "u2")) {
      int ua = a.users().find(UserStore.IdType.SHARED_ID, id);
      int ub = b.users().find(UserStore.IdType.SHARED_ID, id);
      assertThat(a.catalog().cityName(a.users().homeCity(ua)))
          .isEqualTo(b.catalog().cityName(b.users().homeCity(ub)))
          .isEqualTo(id.equals("u1") ? "lhasa" : "hangzhou");
      for (int hour : new int[] {8, 9, 20}) {
        assertThat(a.context().categoryLifts(ua, hour, 4))
            .containsExactly(b.context().categoryLifts(ub, hour, 4));
      }
    }
    int u1 = a.users().find(UserStore.IdType.SHARED_ID, "u1");
    assertThat(a.users().vector(u1))
        .containsExactly(b.users().vector(b.users().find(UserStore.IdType.SHARED_ID, "u1")));
    assertThat(a.users().vector(u1)[1]).isEqualTo(-1f);
    assertThat(a.catalog().verticalName(a.users().interests(u1).verticals()[0]))
        .isEqualTo("travel");
    // The habits are there: the hotel cell at 20 lifts hotels for u1 at 20, not at 9.
    int hotel = a.catalog().categories().indexOf("hotel");
    assertThat(a.context().categoryLifts(u1, 20, 4)[hotel])
        .isGreaterThan(a.context().categoryLifts(u1, 9, 4)[hotel]);
  }

  /**
   * The store orders users by their shared ids' keys, not as they come: every user's habit, home
   * city, vector and accounts must move with it. Each of 300 users with a habit, city and vector of
   * its own is checked against the same user built alone.
   */
  @Test
  void build_manyUsers_eachKeepsItsOwnHabitCityVectorAndAccounts() {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(11);
    List<String> categories = List.of("fast_food", "hotel");
    List<ModelBundle.UserRow> rows = new java.util.ArrayList<>();
    for (int u = 0; u < 300; u++) {
      int cells = rnd.nextInt(4);
      int[] hours = new int[cells];
      float[] uses = new float[cells];
      List<String> cats = new java.util.ArrayList<>();
      for (int c = 0; c < cells; c++) {
        hours[c] = rnd.nextInt(168);
        uses[c] = 1 + rnd.nextInt(20);
        cats.add(categories.get(rnd.nextInt(2)));
      }
      rows.add(
          new ModelBundle.UserRow(
              "user-" + u,
              "2088" + u,
              "wb" + u,
              u % 3 == 0 ? "lhasa" : "hangzhou",
              QuantizedVector.of(new float[] {u, -1f}),
              List.of(),
              new float[0],
              cats,
              hours,
              uses));
    }
    ModelBundle all = withUsers(rows);

    assertThat(all.users().count()).isEqualTo(300);
    for (ModelBundle.UserRow row : rows) {
      int u = all.users().find(UserStore.IdType.SHARED_ID, row.id());
      assertThat(all.users().find(UserStore.IdType.PAYMENT_ACCOUNT, row.paymentAccount()))
          .isEqualTo(u);
      assertThat(all.users().find(UserStore.IdType.SOCIAL_ACCOUNT, row.socialAccount()))
          .isEqualTo(u);
      assertThat(all.catalog().cityName(all.users().homeCity(u))).isEqualTo(row.city());
      ModelBundle alone = withUsers(List.of(row));
      assertThat(all.users().vector(u)).containsExactly(alone.users().vector(0));
      for (int hour = 0; hour < 168; hour++) {
        assertThat(all.context().categoryLifts(u, hour, 4))
            .as("%s at %s", row.id(), hour)
            .containsExactly(alone.context().categoryLifts(0, hour, 4));
      }
    }
  }

  private static ModelBundle withUsers(List<ModelBundle.UserRow> users) {
    ModelBundle.Builder b = new ModelBundle.Builder(1);
    b.manifest(
        ManifestJson.parse(
            "{\"format_version\":4,\"created_time\":\"2026-12-06T00:00:00Z\","
                + "\"time_zone\":\"UTC\",\"vector_dim\":2}"));
    for (String category : List.of("fast_food", "hotel")) {
      b.item(
          new ModelBundle.ItemRow(
              category + "-item",
              "N",
              category,
              List.of("food"),
              List.of("alipay"),
              List.of("hangzhou", "lhasa"),
              "active",
              new float[] {1f, 0f},
              1.0));
    }
    users.forEach(b::user);
    return b.build();
  }

  @Test
  void build_userVectorsOfAnotherLengthThanTheManifests_fails() {
    ModelBundle.Builder b = new ModelBundle.Builder(1);
    b.user(
        new ModelBundle.UserRow(
            "u1",
            "2088",
            null,
            null,
            QuantizedVector.of(new float[] {1f, 2f, 3f}),
            List.of(),
            new float[0],
            List.of(),
            new int[0],
            new float[0]));
    b.manifest(
        ManifestJson.parse(
            "{\"format_version\":4,\"created_time\":\"2026-12-06T00:00:00Z\","
                + "\"time_zone\":\"UTC\",\"vector_dim\":2}"));
    assertThatThrownBy(b::build)
        .isInstanceOf(BundleException.class)
        .hasMessage("user u1 has a vector of length 3, manifest says 2");
  }
}
