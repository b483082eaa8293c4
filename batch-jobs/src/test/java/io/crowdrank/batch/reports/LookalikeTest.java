package io.crowdrank.batch.reports;

import static io.crowdrank.batch.common.Columns.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.crowdrank.batch.testing.SparkTestBase;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class LookalikeTest extends SparkTestBase {
  static final StructType FACTORS =
      new StructType()
          .add(USER_ID, DataTypes.StringType)
          .add(VECTOR, DataTypes.createArrayType(DataTypes.FloatType));
  static final StructType PROFILES =
      new StructType().add(USER_ID, DataTypes.StringType).add(HAS_SOCIAL, DataTypes.BooleanType);
  static final StructType AIPL =
      new StructType()
          .add(SCOPE, DataTypes.StringType)
          .add(SCOPE_ID, DataTypes.StringType)
          .add(USER_ID, DataTypes.StringType)
          .add(STAGE_LEVEL, DataTypes.IntegerType);

  /** Users, their vectors, whether they are on the social network, and merchants' customers. */
  record World(
      Map<String, float[]> vectors, Set<String> social, Map<String, List<String>> customers) {
    Dataset<Row> factors() {
      List<Row> rows = new ArrayList<>();
      vectors.forEach((u, v) -> rows.add(RowFactory.create(u, boxed(v))));
      return spark.createDataFrame(rows, FACTORS);
    }

    Dataset<Row> profiles() {
      List<Row> rows = new ArrayList<>();
      vectors.keySet().forEach(u -> rows.add(RowFactory.create(u, social.contains(u))));
      return spark.createDataFrame(rows, PROFILES);
    }

    Dataset<Row> aipl() {
      List<Row> rows = new ArrayList<>();
      customers.forEach(
          (m, users) -> users.forEach(u -> rows.add(RowFactory.create(SCOPE_MERCHANT, m, u, 3))));
      return spark.createDataFrame(rows, AIPL);
    }

    Map<String, Map<String, Double>> exact(Lookalike.Options o) {
      return collect(Lookalike.exact(factors(), profiles(), aipl(), o));
    }

    Map<String, Map<String, Double>> expand(Lookalike.Options o) {
      return collect(Lookalike.expand(factors(), profiles(), aipl(), o));
    }

    private static Float[] boxed(float[] v) {
      Float[] out = new Float[v.length];
      for (int i = 0; i < v.length; i++) {
        out[i] = v[i];
      }
      return out;
    }
  }

  /** merchant → (user → similarity), users in descending similarity. */
  static Map<String, Map<String, Double>> collect(Dataset<Row> lookalikes) {
    Map<String, Map<String, Double>> out = new TreeMap<>();
    for (Row r :
        lookalikes
            .orderBy(
                lookalikes.col(MERCHANT_ID),
                lookalikes.col(SIMILARITY).desc(),
                lookalikes.col(USER_ID))
            .collectAsList()) {
      out.computeIfAbsent(r.getAs(MERCHANT_ID), m -> new LinkedHashMap<>())
          .put(r.getAs(USER_ID), r.getAs(SIMILARITY));
    }
    return out;
  }

  /**
   * m1's customers point along x, m3's along y, m2 has one customer (under a seed of two). Cosines
   * with x: u2 (4,3) 0.8, u3 (1,1) 0.7071, u1 (3,4) 0.6, u7 (5,12) 0.3846, u6 (12,5) 0.9231 but not
   * on the social network, u4 (0,1) 0, u5 (-1,0) -1, u8 (0,0) none.
   */
  static World handMade() {
    Map<String, float[]> v = new LinkedHashMap<>();
    v.put("c1", new float[] {1, 0});
    v.put("c2", new float[] {2, 0});
    v.put("c3", new float[] {0, 2});
    v.put("u1", new float[] {3, 4});
    v.put("u2", new float[] {4, 3});
    v.put("u3", new float[] {1, 1});
    v.put("u4", new float[] {0, 1});
    v.put("u5", new float[] {-1, 0});
    v.put("u6", new float[] {12, 5});
    v.put("u7", new float[] {5, 12});
    v.put("u8", new float[] {0, 0});
    Set<String> social = new HashSet<>(v.keySet());
    social.remove("u6");
    Map<String, List<String>> customers =
        Map.of("m1", List.of("c1", "c2"), "m2", List.of("c1"), "m3", List.of("c3", "u4"));
    return new World(v, social, customers);
  }

  @Test
  void exact_handMadeVectors_keepsTheTopNReachableNonCustomersAboveTheFloor() {
    Map<String, Map<String, Double>> top = handMade().exact(new Lookalike.Options(2, 0.3, 3, 42));

    assertThat(top).containsOnlyKeys("m1", "m3");
    assertThat(top.get("m1").keySet()).containsExactly("u2", "u3", "u1");
    assertThat(top.get("m1").get("u2")).isCloseTo(0.8, within(1e-6));
    assertThat(top.get("m1").get("u3")).isCloseTo(Math.sqrt(0.5), within(1e-6));
    assertThat(top.get("m1").get("u1")).isCloseTo(0.6, within(1e-6));
    // u4 is m3's customer, u6 not reachable.
    assertThat(top.get("m3").keySet()).containsExactly("u7", "u1", "u3");
    assertThat(top.get("m3").get("u7")).isCloseTo(12.0 / 13, within(1e-6));
  }

  @Test
  void exact_floorAboveTheNthSimilarity_keepsFewerThanN() {
    Map<String, Map<String, Double>> top = handMade().exact(new Lookalike.Options(2, 0.65, 3, 42));

    assertThat(top.get("m1")).containsOnlyKeys("u2", "u3");
    assertThat(top.get("m3")).containsOnlyKeys("u7", "u1", "u3");
  }

  @Test
  void expand_smallSeed_givesNoLookalikes() {
    World w = handMade();

    assertThat(w.expand(new Lookalike.Options(2, 0.3, 3, 42))).doesNotContainKey("m2");
    assertThat(w.expand(new Lookalike.Options(3, 0.3, 3, 42))).isEmpty();
  }

  @Test
  void expand_onSmallData_isTheExactAnswer() {
    World w = handMade();
    Lookalike.Options o = new Lookalike.Options(2, 0.3, 3, 42);

    assertThat(w.expand(o)).isEqualTo(w.exact(o));
  }

  static final int USERS = 6000;
  static final int DIM = 16;
  static final int TOP_N = 100;

  /**
   * Users around 40 random directions (as ALS vectors cluster by taste), 60 % of them on the social
   * network; 20 merchants whose 60 customers come from one to three of those tastes.
   */
  static World clustered(long seed) {
    Random random = new Random(seed);
    float[][] tastes = new float[40][DIM];
    for (float[] t : tastes) {
      for (int d = 0; d < DIM; d++) {
        t[d] = (float) random.nextGaussian();
      }
    }
    Map<String, float[]> vectors = new LinkedHashMap<>();
    Map<Integer, List<String>> byTaste = new HashMap<>();
    Set<String> social = new HashSet<>();
    for (int u = 0; u < USERS; u++) {
      int taste = random.nextInt(tastes.length);
      float[] v = new float[DIM];
      for (int d = 0; d < DIM; d++) {
        v[d] = tastes[taste][d] + (float) (0.8 * random.nextGaussian());
      }
      String id = String.format("u%05d", u);
      vectors.put(id, v);
      byTaste.computeIfAbsent(taste, t -> new ArrayList<>()).add(id);
      if (random.nextDouble() < 0.6) {
        social.add(id);
      }
    }
    Map<String, List<String>> customers = new TreeMap<>();
    for (int m = 0; m < 20; m++) {
      List<Integer> liked = List.of(random.nextInt(40), random.nextInt(40), random.nextInt(40));
      List<String> seedUsers = new ArrayList<>();
      int kinds = 1 + random.nextInt(3);
      for (int i = 0; i < 60; i++) {
        List<String> pool = byTaste.get(liked.get(i % kinds));
        seedUsers.add(pool.get(random.nextInt(pool.size())));
      }
      customers.put(String.format("m%02d", m), List.copyOf(new HashSet<>(seedUsers)));
    }
    return new World(vectors, social, customers);
  }

  /** The exact top N in plain Java, as {@link Lookalike} defines it. */
  static Map<String, Map<String, Double>> plainExact(World w, Lookalike.Options o) {
    Map<String, Map<String, Double>> out = new TreeMap<>();
    for (var merchant : w.customers().entrySet()) {
      double[] centre = new double[DIM];
      int seeds = 0;
      for (String c : merchant.getValue()) {
        double[] unit = unit(w.vectors().get(c));
        if (unit != null) {
          seeds++;
          for (int d = 0; d < DIM; d++) {
            centre[d] += unit[d] / merchant.getValue().size();
          }
        }
      }
      double[] direction = unit(centre);
      if (seeds < o.minSeed() || direction == null) {
        continue;
      }
      List<Map.Entry<String, Double>> scored = new ArrayList<>();
      for (var user : w.vectors().entrySet()) {
        double[] unit = unit(user.getValue());
        if (!w.social().contains(user.getKey())
            || merchant.getValue().contains(user.getKey())
            || unit == null) {
          continue;
        }
        double cos = 0;
        for (int d = 0; d < DIM; d++) {
          cos += unit[d] * direction[d];
        }
        if (cos >= o.minSimilarity()) {
          scored.add(Map.entry(user.getKey(), cos));
        }
      }
      scored.sort(
          Map.Entry.<String, Double>comparingByValue()
              .reversed()
              .thenComparing(Map.Entry.comparingByKey()));
      Map<String, Double> top = new LinkedHashMap<>();
      scored.stream().limit(o.topN()).forEach(e -> top.put(e.getKey(), e.getValue()));
      out.put(merchant.getKey(), top);
    }
    return out;
  }

  private static double[] unit(float[] v) {
    double[] x = new double[v.length];
    for (int d = 0; d < v.length; d++) {
      x[d] = v[d];
    }
    return unit(x);
  }

  private static double[] unit(double[] v) {
    double norm = 0;
    for (double x : v) {
      norm += x * x;
    }
    norm = Math.sqrt(norm);
    if (norm == 0) {
      return null;
    }
    double[] out = new double[v.length];
    for (int d = 0; d < v.length; d++) {
      out[d] = v[d] / norm;
    }
    return out;
  }

  @Test
  void expand_thousandsOfClusteredUsers_findsAtLeast90PercentOfTheExactTopN() {
    World w = clustered(7);
    Lookalike.Options o = new Lookalike.Options(30, 0.3, TOP_N, 42);
    // Enough users that expand scores only some of them per merchant.
    assertThat(w.social().size()).isGreaterThan(Lookalike.PROBE_FACTOR * TOP_N * 4);

    Map<String, Map<String, Double>> exact = plainExact(w, o);
    Map<String, Map<String, Double>> every = plainExact(w, new Lookalike.Options(30, -1, USERS, 0));
    Map<String, Map<String, Double>> approx = w.expand(o);

    long wanted = 0;
    long found = 0;
    for (var e : exact.entrySet()) {
      Map<String, Double> got = approx.getOrDefault(e.getKey(), Map.of());
      assertThat(got.size()).isLessThanOrEqualTo(TOP_N);
      // Candidates are re-scored exactly: every similarity is the true cosine.
      got.forEach(
          (user, sim) -> assertThat(sim).isCloseTo(every.get(e.getKey()).get(user), within(1e-6)));
      wanted += e.getValue().size();
      found += e.getValue().keySet().stream().filter(got::containsKey).count();
    }
    assertThat(approx.keySet()).isEqualTo(exact.keySet());
    assertThat(wanted).isGreaterThan(exact.size() * (long) TOP_N / 2);
    assertThat(found / (double) wanted).as("recall@%d", TOP_N).isGreaterThanOrEqualTo(0.9);
  }
}
