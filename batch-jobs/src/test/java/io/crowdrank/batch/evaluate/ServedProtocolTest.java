package io.crowdrank.batch.evaluate;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.HostApps;
import io.crowdrank.format.HourOfWeek;
import io.crowdrank.ranking.RankingConfig;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class ServedProtocolTest extends SparkTestBase {
  static final String ZONE = "Asia/Shanghai";
  static final List<Integer> KS = List.of(3, 5);
  static final int USERS = 40;
  static final int ITEMS = 24;

  /** The model's parameters; no context term, so the served score is the dot product alone. */
  static final TrainJob.Params ALS = new TrainJob.Params(4, 10, 0.05, 10, 42, 1, 1, 30, 0, 10, 1);

  /** The service's ranking with everything that reorders a top K switched off. */
  static final RankingConfig PLAIN =
      new RankingConfig(0, 30, 0.5, 1.5, 0, 1_000, 0, 0, RankingConfig.DEFAULT_ANN_CANDIDATES);

  record Event(String user, String item, Instant ts, String hostApp) {}

  /**
   * Two taste groups (items 0-11 and 12-23) over 20 days in two host apps; every item used on the
   * first day, so none is new to the model.
   */
  static List<Event> events() {
    SplittableRandom rnd = new SplittableRandom(3);
    Instant t0 = Instant.parse("2026-10-01T00:00:00Z");
    List<Event> out = new ArrayList<>();
    for (int i = 0; i < ITEMS; i++) {
      out.add(new Event("u" + (i % USERS), "i" + i, t0.plusSeconds(i * 60L), HostApps.ALIPAY));
    }
    for (int u = 0; u < USERS; u++) {
      int base = u % 2 == 0 ? 0 : 12;
      for (int e = 0; e < 12; e++) {
        out.add(
            new Event(
                "u" + u,
                "i" + (base + rnd.nextInt(12)),
                t0.plusSeconds(86_400L + rnd.nextInt(19 * 86_400)),
                rnd.nextBoolean() ? HostApps.ALIPAY : HostApps.WEIBO));
      }
    }
    return out;
  }

  private Dataset<Row> eventFrame(List<Event> events) {
    return spark.createDataFrame(
        events.stream()
            .map(
                e ->
                    RowFactory.create(
                        e.user(), e.item(), 1.0, Timestamp.from(e.ts()), e.hostApp(), "hangzhou"))
            .toList(),
        new StructType()
            .add(Evaluation.USER, DataTypes.StringType)
            .add(Evaluation.ITEM, DataTypes.StringType)
            .add(Evaluation.WEIGHT, DataTypes.DoubleType)
            .add(Evaluation.TS, DataTypes.TimestampType)
            .add(HOST_APP, DataTypes.StringType)
            .add(CITY, DataTypes.StringType));
  }

  /** Every item active, in every host app, nationwide; every user with a payment account. */
  private ServedProtocol.World world(String... extraItems) {
    var strings = DataTypes.createArrayType(DataTypes.StringType);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < ITEMS; i++) {
      ids.add("i" + i);
    }
    ids.addAll(List.of(extraItems));
    List<Row> items = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      items.add(
          RowFactory.create(
              ids.get(i),
              "item " + i,
              "m1",
              "cat" + (i % 3),
              List.of("v").toArray(),
              HostApps.ALL.toArray(),
              new String[0],
              BundleFormat.STATUS_ACTIVE));
    }
    Dataset<Row> catalog =
        spark.createDataFrame(
            items,
            new StructType()
                .add(MINI_PROGRAM_ID, DataTypes.StringType)
                .add(NAME, DataTypes.StringType)
                .add(MERCHANT_ID, DataTypes.StringType)
                .add(CATEGORY, DataTypes.StringType)
                .add(VERTICALS, strings)
                .add(HOST_APPS, strings)
                .add(CITIES, strings)
                .add(STATUS, DataTypes.StringType));
    List<Row> accounts = new ArrayList<>();
    List<Row> profiles = new ArrayList<>();
    for (int u = 0; u < USERS; u++) {
      accounts.add(RowFactory.create("u" + u, ACCOUNT_PAYMENT, "p" + u));
      profiles.add(RowFactory.create("u" + u, "hangzhou", null));
    }
    return new ServedProtocol.World(
        catalog,
        spark.createDataFrame(
            accounts,
            new StructType()
                .add(USER_ID, DataTypes.StringType)
                .add(ACCOUNT_TYPE, DataTypes.StringType)
                .add(ACCOUNT_ID, DataTypes.StringType)),
        spark.createDataFrame(
            profiles,
            new StructType()
                .add(USER_ID, DataTypes.StringType)
                .add(HOME_CITY, DataTypes.StringType)
                .add(
                    INTERESTS,
                    DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType))),
        null,
        null,
        null);
  }

  @Test
  void served_plainRanking_equalsTopKByDotProductScoredInPlainJava() {
    List<Event> events = events();
    Evaluation.Options options = new Evaluation.Options(Evaluation.Split.TIME, 0.25, 42, KS, ZONE);
    Evaluation evaluation = new Evaluation(spark, options);
    try (Evaluation.Prepared split = evaluation.prepare(eventFrame(events), null)) {
      ServedProtocol.Outcome served =
          new ServedProtocol(spark, options, world(), new ServedProtocol.Options(10_000, PLAIN))
              .run(split, List.of(new Evaluation.Candidate("als", ALS)));

      // The split's training side and the model are inputs; everything after them is redone here.
      Map<String, Set<String>> train = new HashMap<>();
      Instant lastTrain = Instant.MIN;
      for (Row r :
          split.trainEvents().select(Evaluation.USER, Evaluation.ITEM, "ts").collectAsList()) {
        train.computeIfAbsent(r.getString(0), u -> new HashSet<>()).add(r.getString(1));
        Instant t = r.getTimestamp(2).toInstant();
        lastTrain = t.isAfter(lastTrain) ? t : lastTrain;
      }
      Map<String, Set<String>> sessions = new LinkedHashMap<>();
      for (Event e : events) {
        Set<String> seen = train.get(e.user());
        if (e.ts().isAfter(lastTrain) && seen != null && !seen.contains(e.item())) {
          String key =
              e.user() + "|" + e.hostApp() + "|" + HourOfWeek.of(e.ts(), java.time.ZoneId.of(ZONE));
          sessions.computeIfAbsent(key, k -> new HashSet<>()).add(e.item());
        }
      }
      ALSModel model = split.model(ALS);
      Map<String, float[]> users =
          vectors(model.userFactors(), split.trainEvents(), "u", Evaluation.USER);
      Map<String, float[]> items =
          vectors(model.itemFactors(), split.items(), "i", Evaluation.ITEM);
      int depth = KS.stream().mapToInt(Integer::intValue).max().orElseThrow();
      Map<String, List<String>> rankings = new HashMap<>();
      for (String key : sessions.keySet()) {
        String user = key.substring(0, key.indexOf('|'));
        float[] v = users.get(user);
        rankings.put(
            key,
            items.keySet().stream()
                .filter(i -> !train.get(user).contains(i))
                .sorted(Comparator.comparingDouble((String i) -> -dot(v, items.get(i))))
                .limit(depth)
                .toList());
      }
      Map<Integer, ReferenceMetrics.AtK> expected =
          ReferenceMetrics.score(rankings, sessions, KS, ITEMS);

      assertThat(sessions).hasSizeGreaterThan(20);
      assertThat(served.sessions()).isEqualTo(sessions.size());
      for (int k : KS) {
        Evaluation.Metrics m =
            served.metrics().stream()
                .filter(x -> x.model().equals("als") && x.k() == k)
                .findFirst()
                .orElseThrow();
        ReferenceMetrics.AtK want = expected.get(k);
        assertThat(m.protocol()).isEqualTo(Evaluation.PROTOCOL_SERVED);
        assertThat(m.ndcg()).as("NDCG@%d", k).isCloseTo(want.ndcg(), within(1e-9));
        assertThat(m.recall()).as("recall@%d", k).isCloseTo(want.recall(), within(1e-9));
        assertThat(m.precision()).as("precision@%d", k).isCloseTo(want.precision(), within(1e-9));
        assertThat(m.map()).as("MAP@%d", k).isCloseTo(want.map(), within(1e-9));
        assertThat(m.coverage()).as("coverage@%d", k).isCloseTo(want.coverage(), within(1e-9));
        assertThat(m.newShare()).isZero();
      }
      assertThat(served.metrics())
          .anyMatch(m -> m.model().equals(Evaluation.POPULARITY) && m.k() == 5);
    }
  }

  @Test
  void served_withExploration_givesNewMiniProgramsTheirSlotsAtEachK() {
    List<Event> events = new ArrayList<>(events());
    // Two mini-programs nobody used before the cut: the bundle gives them category-mean vectors.
    Instant late = Instant.parse("2026-10-20T12:00:00Z");
    events.add(new Event("u0", "new1", late, HostApps.ALIPAY));
    events.add(new Event("u1", "new2", late, HostApps.ALIPAY));
    Evaluation.Options options =
        new Evaluation.Options(Evaluation.Split.TIME, 0.25, 42, List.of(5, 10), ZONE);
    ServedProtocol.World withNew = world("new1", "new2");
    RankingConfig exploring =
        new RankingConfig(0, 30, 0.5, 1.5, 0.2, 1_000, 0, 0, RankingConfig.DEFAULT_ANN_CANDIDATES);
    try (Evaluation.Prepared split =
        new Evaluation(spark, options).prepare(eventFrame(events), null)) {
      ServedProtocol.Outcome served =
          new ServedProtocol(spark, options, withNew, new ServedProtocol.Options(10_000, exploring))
              .run(split, List.of(new Evaluation.Candidate("als", ALS)));
      // round(0.2 K) slots of K go to the two new mini-programs, in every request.
      for (int k : List.of(5, 10)) {
        Evaluation.Metrics m =
            served.metrics().stream()
                .filter(x -> x.model().equals("als") && x.k() == k)
                .findFirst()
                .orElseThrow();
        assertThat(m.newShare())
            .as("K = %d", k)
            .isCloseTo(Math.round(0.2 * k) / (double) k, within(1e-9));
      }
    }
  }

  private static Map<String, float[]> vectors(
      Dataset<Row> factors, Dataset<Row> ids, String index, String id) {
    Map<String, float[]> out = new HashMap<>();
    for (Row r :
        factors
            .join(ids.select(index, id).distinct(), col("id").equalTo(col(index)))
            .select(col(id), col("features"))
            .collectAsList()) {
      List<Float> f = r.getList(1);
      float[] v = new float[f.size()];
      for (int d = 0; d < v.length; d++) {
        v[d] = f.get(d);
      }
      out.put(r.getString(0), v);
    }
    return out;
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int d = 0; d < a.length; d++) {
      s += a[d] * b[d];
    }
    return s;
  }
}
