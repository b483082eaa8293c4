package io.crowdrank.ranking.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.crowdrank.format.QuantizedVector;
import io.crowdrank.ranking.bundle.UserStore.IdType;
import java.util.List;
import org.junit.jupiter.api.Test;

class UserStoreTest {
  static final Names CITIES = Names.sorted(List.of("hangzhou", "shanghai"));
  static final Names VERTICALS = Names.sorted(List.of("food", "travel"));

  static ModelBundle.UserRow user(
      String id,
      String payment,
      String social,
      String city,
      List<String> interests,
      float[] shares,
      float... vector) {
    return new ModelBundle.UserRow(
        id,
        payment,
        social,
        city,
        vector.length == 0 ? null : QuantizedVector.of(vector),
        interests,
        shares,
        List.of(),
        new int[0],
        new float[0]);
  }

  final UserStore users =
      UserStore.of(
          2,
          List.of(
              user(
                  "u1",
                  "2088001",
                  "5001",
                  "shanghai",
                  List.of("travel"),
                  new float[] {0.8f},
                  1f,
                  2f),
              user("u2", null, "5002", null, List.of(), new float[0])),
          CITIES,
          VERTICALS);

  final int u1 = users.find(IdType.SHARED_ID, "u1");
  final int u2 = users.find(IdType.SHARED_ID, "u2");

  @Test
  void find_byEveryAccountKind_sameUser_unknownIsMinusOne() {
    assertThat(List.of(u1, u2)).containsExactlyInAnyOrder(0, 1);
    assertThat(users.find(IdType.PAYMENT_ACCOUNT, "2088001")).isEqualTo(u1);
    assertThat(users.find(IdType.SOCIAL_ACCOUNT, "5001")).isEqualTo(u1);
    assertThat(users.find(IdType.SOCIAL_ACCOUNT, "5002")).isEqualTo(u2);
    assertThat(users.find(IdType.PAYMENT_ACCOUNT, "5001")).isEqualTo(-1);
    assertThat(users.find(IdType.SHARED_ID, "u3")).isEqualTo(-1);
    assertThat(users.count()).isEqualTo(2);
    assertThat(users.sharedKey(u2)).isEqualTo(io.crowdrank.format.AccountKey.of("u2"));
  }

  @Test
  void users_areOrderedByTheirSharedIdsKeys() {
    assertThat(users.sharedKey(0)).isLessThan(users.sharedKey(1));
  }

  @Test
  void profile_homeCityVectorAndInterests() {
    assertThat(users.homeCity(u1)).isEqualTo(CITIES.indexOf("shanghai"));
    assertThat(users.homeCity(u2)).isEqualTo(-1);
    // int8 with the largest component at 127: 1 is code 64 (63.5 rounded), 2 is 127.
    assertThat(users.vector(u1)).containsExactly(64 * (2f / 127f), 127 * (2f / 127f));
    assertThat(users.hasVector(u1)).isTrue();
    assertThat(users.hasVector(u2)).isFalse();
    assertThat(users.interests(u1).share(VERTICALS.indexOf("travel"))).isCloseTo(0.8, within(1e-6));
    assertThat(users.interests(u2).isEmpty()).isTrue();
    assertThat(users.interests(-1)).isSameAs(UserInterests.NONE);
  }

  @Test
  void vector_ofAUserWithout_failsWithTheUser() {
    assertThatThrownBy(() -> users.vector(u2)).hasMessage("user " + u2 + " has no vector");
  }

  @Test
  void of_usersVectorsOfUnequalLength_failsNamingBoth() {
    assertThatThrownBy(
            () ->
                UserStore.of(
                    2,
                    List.of(
                        user("u1", null, null, null, List.of(), new float[0], 1f, 2f),
                        user("u2", null, null, null, List.of(), new float[0], 1f, 2f, 3f)),
                    CITIES,
                    VERTICALS))
        .isInstanceOf(BundleException.class)
        .hasMessage("user u2 has a vector of length 3, user u1 one of 2");
  }

  @Test
  void of_interestsAndSharesOfUnequalLength_fails() {
    assertThatThrownBy(
            () ->
                UserStore.of(
                    2,
                    List.of(user("u9", null, null, null, List.of("food"), new float[0])),
                    CITIES,
                    VERTICALS))
        .isInstanceOf(BundleException.class)
        .hasMessage("user u9 has interests and shares of unequal length");
  }

  @Test
  void sample_isEveryStrideThUserInListedOrder_byPaymentElseSocialElseSharedId() {
    List<ModelBundle.UserRow> rows = new java.util.ArrayList<>();
    for (int u = 0; u < 10_000; u++) {
      String payment = u % 3 == 0 ? "2088" + u : null;
      String social = u % 3 == 1 ? "50" + u : null;
      rows.add(user("u" + u, payment, social, null, List.of(), new float[0]));
    }
    UserStore store = UserStore.of(2, rows, CITIES, VERTICALS);

    // Every user up to 2,047, every 2nd up to 4,095, every 4th up to 8,191, every 8th after; each
    // halving keeps every other one, so the sample is users 0, 8, …, 9,992 (1,250 of them).
    List<UserStore.Account> expected = new java.util.ArrayList<>();
    for (int u = 0; u < 10_000; u += 8) {
      expected.add(
          u % 3 == 0
              ? new UserStore.Account(IdType.PAYMENT_ACCOUNT, "2088" + u)
              : u % 3 == 1
                  ? new UserStore.Account(IdType.SOCIAL_ACCOUNT, "50" + u)
                  : new UserStore.Account(IdType.SHARED_ID, "u" + u));
    }
    assertThat(store.sample()).containsExactlyElementsOf(expected);
    for (UserStore.Account a : store.sample()) {
      assertThat(store.find(a.type(), a.id())).as(a.toString()).isNotNegative();
    }
    assertThat(users.sample())
        .containsExactly(
            new UserStore.Account(IdType.PAYMENT_ACCOUNT, "2088001"),
            new UserStore.Account(IdType.SOCIAL_ACCOUNT, "5002"));
  }

  @Test
  void find_manyAccounts_matchesAMapOfStrings_lastUserOfARepeatedAccountWins() {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
    java.util.List<ModelBundle.UserRow> rows = new java.util.ArrayList<>();
    java.util.Map<String, Integer> payments = new java.util.HashMap<>();
    for (int u = 0; u < 20_000; u++) {
      // Some payment accounts repeat: the reference keeps the last user, as the store must.
      String payment = rnd.nextInt(10) == 0 ? null : "2088" + rnd.nextInt(15_000);
      rows.add(user("u" + u, payment, null, null, List.of(), new float[0]));
      if (payment != null) {
        payments.put(payment, u);
      }
    }
    UserStore store = UserStore.of(2, rows, CITIES, VERTICALS);

    for (int a = 0; a < 16_000; a++) {
      String account = "2088" + a;
      Integer u = payments.get(account);
      assertThat(store.find(IdType.PAYMENT_ACCOUNT, account))
          .as(account)
          .isEqualTo(u == null ? -1 : store.find(IdType.SHARED_ID, "u" + u));
    }
    assertThat(store.count()).isEqualTo(20_000);
    java.util.Set<Integer> indexes = new java.util.HashSet<>();
    for (int u = 0; u < 20_000; u++) {
      int at = store.find(IdType.SHARED_ID, "u" + u);
      assertThat(store.sharedKey(at)).isEqualTo(io.crowdrank.format.AccountKey.of("u" + u));
      indexes.add(at);
    }
    assertThat(indexes).hasSize(20_000);
    assertThat(store.find(IdType.SHARED_ID, "u20000")).isEqualTo(-1);
  }

  /**
   * The accounts' keys are sorted signed (bisection needs it): extremes, negatives, keys that
   * differ only in their top or bottom byte, and repeated accounts (the last user wins).
   */
  @Test
  void accounts_extremeAndRepeatedKeys_eachFoundAtItsLastUser() {
    List<Long> special =
        List.of(
            Long.MIN_VALUE,
            Long.MIN_VALUE + 1,
            -256L,
            -1L,
            0L,
            1L,
            255L,
            256L,
            0x0100_0000_0000_0000L,
            0x7F00_0000_0000_0000L,
            0x8000_0000_0000_00FFL,
            Long.MAX_VALUE);
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(4);
    java.util.Map<String, Long> keyOf = new java.util.HashMap<>();
    for (int i = 0; i < 3_000; i++) {
      keyOf.put("a" + i, i < special.size() ? special.get(i) : rnd.nextLong());
    }
    UserStore.Accounts.Builder b =
        new UserStore.Accounts.Builder(IdType.PAYMENT_ACCOUNT, 16, keyOf::get);
    java.util.Map<String, Integer> last = new java.util.HashMap<>();
    for (int user = 0; user < 10_000; user++) {
      String account = "a" + rnd.nextInt(3_000);
      b.add(account, user);
      last.put(account, user);
    }

    UserStore.Accounts accounts = b.build(null);

    for (String account : keyOf.keySet()) {
      assertThat(accounts.find(keyOf.get(account)))
          .as(account)
          .isEqualTo(last.getOrDefault(account, -1));
    }
  }

  @Test
  void accounts_twoAccountsWithOneKey_areRefusedNamingBoth() {
    // Keys by length: "abc" and "xyz" collide.
    UserStore.Accounts.Builder b =
        new UserStore.Accounts.Builder(IdType.SOCIAL_ACCOUNT, 4, String::length);
    b.add("abc", 0);
    b.add("de", 1);
    b.add("xyz", 2);

    assertThatThrownBy(() -> b.build(null))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining(
            "SOCIAL_ACCOUNT accounts of users 0 and 2 differ but share the key 3");
  }

  /**
   * The ranking change int8 user vectors make, measured: exact top 20 of 20,000 clustered items (as
   * bench-bundle makes them: 200 centres, item noise 0.35, user noise 0.5, 64 dims) for 300 users,
   * by the float vector and by the int8 one.
   */
  @Test
  void int8UserVectors_keepAtLeast97PercentOfTheFloatTop20() {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(17);
    int dim = 64;
    float[][] centres = new float[200][dim];
    for (float[] c : centres) {
      for (int d = 0; d < dim; d++) {
        c[d] = (float) (rnd.nextDouble() * 2 - 1);
      }
    }
    float[][] items = new float[20_000][dim];
    for (int i = 0; i < items.length; i++) {
      for (int d = 0; d < dim; d++) {
        items[i][d] = centres[i % 200][d] + (float) (rnd.nextGaussian() * 0.35);
      }
    }
    int same = 0;
    int users = 300;
    for (int u = 0; u < users; u++) {
      float[] v = new float[dim];
      for (int d = 0; d < dim; d++) {
        v[d] = centres[u % 200][d] + (float) (rnd.nextGaussian() * 0.5);
      }
      float[] q = QuantizedVector.of(v).toFloats();
      java.util.Set<Integer> byFloat = top20(items, v);
      for (int i : top20(items, q)) {
        same += byFloat.contains(i) ? 1 : 0;
      }
    }
    double kept = same / (users * 20.0);
    System.out.printf(
        java.util.Locale.ROOT, "int8 user vectors keep %.4f of the float top 20%n", kept);
    assertThat(kept).isGreaterThanOrEqualTo(0.97);
  }

  /** The 20 items with the largest products (ties at the 20th score all kept). */
  private static java.util.Set<Integer> top20(float[][] items, float[] q) {
    double[] scores = new double[items.length];
    for (int i = 0; i < items.length; i++) {
      for (int d = 0; d < q.length; d++) {
        scores[i] += q[d] * items[i][d];
      }
    }
    double[] sorted = scores.clone();
    java.util.Arrays.sort(sorted);
    double cut = sorted[sorted.length - 20];
    java.util.Set<Integer> top = new java.util.HashSet<>();
    for (int i = 0; i < items.length; i++) {
      if (scores[i] >= cut) {
        top.add(i);
      }
    }
    return top;
  }
}
