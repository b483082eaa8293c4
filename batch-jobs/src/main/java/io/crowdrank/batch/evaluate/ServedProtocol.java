package io.crowdrank.batch.evaluate;

import static io.crowdrank.batch.common.Columns.CATEGORY;
import static io.crowdrank.batch.common.Columns.CITY;
import static io.crowdrank.batch.common.Columns.EVENT_TIME;
import static io.crowdrank.batch.common.Columns.HOST_APP;
import static io.crowdrank.batch.common.Columns.HOUR_OF_WEEK;
import static io.crowdrank.batch.common.Columns.MINI_PROGRAM_ID;
import static io.crowdrank.batch.common.Columns.USER_ID;
import static io.crowdrank.batch.common.Columns.VECTOR;
import static io.crowdrank.batch.evaluate.Evaluation.ITEM;
import static io.crowdrank.batch.evaluate.Evaluation.TS;
import static io.crowdrank.batch.evaluate.Evaluation.USER;
import static io.crowdrank.batch.evaluate.Evaluation.WEIGHT;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.TimeColumns;
import io.crowdrank.batch.publish.BundleParts;
import io.crowdrank.batch.train.ContextStats;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.Manifest;
import io.crowdrank.ranking.RankQuery;
import io.crowdrank.ranking.Ranker;
import io.crowdrank.ranking.Ranking;
import io.crowdrank.ranking.RankingConfig;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.ranking.bundle.UserStore;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The served protocol: what host apps receive, scored on held-out data. From the training side of
 * an evaluation's split it builds the bundle {@code publish} would have built (the model's factors,
 * popularity per host app and city, hour-of-week lifts and habits, with the warehouse's catalog,
 * profiles, segments and campaigns), loads it the way the service does ({@link BundleParts#load}),
 * and ranks a seeded sample of test sessions with the service's own {@link Ranker}: context term,
 * filters, diversity cap, exploration slots for new mini-programs (category-mean vectors) and
 * campaigns included.
 *
 * <p>A session is a (test user, host app, hour of week) with payments in the test side, on items
 * new to the user; it is ranked in that host app at the time and in the city of its first such
 * payment, excluding what the user used in training (as a host app showing "more to try" would),
 * and scored against the items of the session. Segment memberships and profiles are the warehouse's
 * current ones: targeting is an input of the ranking here, not something predicted.
 */
public final class ServedProtocol {
  private static final Logger LOG = LoggerFactory.getLogger(ServedProtocol.class);

  /** Sessions ranked by default: enough for NDCG to ±0.01, a few seconds of ranking. */
  public static final int DEFAULT_SESSIONS = 2_000;

  /**
   * What the bundle takes from the warehouse beside the model. Targeting tables may be null.
   *
   * @param accounts the identity map ({@code user_id, account_type, account_id})
   * @param profiles {@code user_id, home_city, interests}
   * @param segments segment stats with their definitions' descriptions
   */
  public record World(
      Dataset<Row> catalog,
      Dataset<Row> accounts,
      Dataset<Row> profiles,
      Dataset<Row> segmentMembers,
      Dataset<Row> segments,
      Dataset<Row> campaigns) {}

  /**
   * @param sessions test sessions sampled, &ge; 1
   * @param ranking the service's ranking settings (its defaults unless it is configured otherwise)
   */
  public record Options(int sessions, RankingConfig ranking) {
    public Options {
      if (sessions < 1) {
        throw new IllegalArgumentException("served sessions must be >= 1, got " + sessions);
      }
    }

    public static Options defaults() {
      return new Options(DEFAULT_SESSIONS, RankingConfig.defaults());
    }
  }

  /** The metrics and the number of sessions ranked. */
  public record Outcome(long sessions, List<Evaluation.Metrics> metrics) {}

  /** One sampled request and what the user went on to use. */
  private record Session(
      long g, int u, String user, String hostApp, Instant time, String city, List<Object> label) {}

  private final SparkSession spark;
  private final Evaluation.Options evaluation;
  private final World world;
  private final Options options;

  public ServedProtocol(
      SparkSession spark, Evaluation.Options evaluation, World world, Options options) {
    this.spark = spark;
    this.evaluation = evaluation;
    this.world = world;
    this.options = options;
  }

  /** Ranks the sampled sessions with each model's bundle, and the popularity baseline on them. */
  public Outcome run(Evaluation.Prepared split, List<Evaluation.Candidate> models) {
    if (!List.of(split.newUses().columns()).contains(HOST_APP)) {
      throw new IllegalArgumentException(
          "the served protocol needs each event's host app and city");
    }
    List<Session> sessions = sample(split);
    if (sessions.isEmpty()) {
      LOG.warn("served protocol: no test session with a payment in a host app; nothing ranked");
      return new Outcome(0, List.of());
    }
    Dataset<Row> labels =
        spark
            .createDataFrame(
                sessions.stream()
                    .map(s -> RowFactory.create(s.g(), s.u(), s.label().toArray()))
                    .toList(),
                new StructType()
                    .add("g", DataTypes.LongType, false)
                    .add("u", DataTypes.IntegerType, false)
                    .add("label", DataTypes.createArrayType(DataTypes.DoubleType, false), false))
            .cache();
    Dataset<Row> sampled =
        spark
            .createDataFrame(
                sessions.stream().map(s -> RowFactory.create(s.u(), s.user())).distinct().toList(),
                new StructType()
                    .add("u", DataTypes.IntegerType, false)
                    .add(USER, DataTypes.StringType, false))
            .cache();
    Dataset<Row> train =
        split
            .trainEvents()
            .join(world.catalog().select(col(MINI_PROGRAM_ID).as(ITEM), col(CATEGORY)), ITEM)
            .select(
                col(USER).as(USER_ID),
                col(ITEM).as(MINI_PROGRAM_ID),
                col(CATEGORY),
                col(WEIGHT).as(io.crowdrank.batch.common.Columns.WEIGHT),
                col(TS).as(EVENT_TIME),
                col(HOST_APP),
                col(CITY))
            .cache();
    Dataset<Row> ids = sampled.select(col(USER).as(USER_ID));
    Dataset<Row> lifts = ContextStats.categoryHourLifts(train, evaluation.timeZone()).cache();
    Dataset<Row> habits =
        ContextStats.userHabits(train.join(ids, USER_ID), evaluation.timeZone()).cache();
    try {
      LocalDate asOf =
          train.agg(max(to_date(col(EVENT_TIME)))).first().<java.sql.Date>getAs(0).toLocalDate();
      Map<String, Set<String>> seen = seen(split, sampled);
      Map<String, Integer> itemIds = new HashMap<>();
      for (Row r : split.items().collectAsList()) {
        itemIds.put(r.<String>getAs(ITEM), r.<Integer>getAs("i"));
      }
      List<Evaluation.Metrics> out = new ArrayList<>();
      Map<TrainJob.Params, List<Evaluation.Metrics>> done = new HashMap<>();
      for (Evaluation.Candidate c : models) {
        List<Evaluation.Metrics> m = done.get(c.params());
        if (m == null) {
          ModelBundle bundle = bundle(split, c.params(), sampled, ids, train, lifts, habits, asOf);
          m = new ArrayList<>();
          // One request per K: exploration fills the bottom of each list, so the top 10 of a
          // 20-item answer is not what a request for 10 receives.
          for (int k : ks()) {
            Dataset<Row> ranked = rank(bundle, sessions, seen, itemIds, split.itemCount(), k);
            m.addAll(
                split.score(c.label(), Evaluation.PROTOCOL_SERVED, ranked, labels, List.of(k)));
          }
          done.put(c.params(), m);
        }
        for (Evaluation.Metrics x : m) {
          out.add(x.withModel(c.label()));
        }
      }
      out.addAll(
          split.score(
              Evaluation.POPULARITY,
              Evaluation.PROTOCOL_SERVED,
              split.popularFor(labels),
              labels,
              ks()));
      return new Outcome(sessions.size(), out);
    } finally {
      lifts.unpersist();
      habits.unpersist();
      labels.unpersist();
      sampled.unpersist();
      train.unpersist();
    }
  }

  private List<Integer> ks() {
    return evaluation.ks();
  }

  /**
   * The seeded sample of sessions: every (user, host app, hour of week) of the test side's payments
   * on new items, ordered by a hash of the seed, the first {@code sessions} kept.
   */
  private List<Session> sample(Evaluation.Prepared split) {
    Dataset<Row> all =
        split
            .newUses()
            .filter(col(HOST_APP).isNotNull())
            .withColumn(HOUR_OF_WEEK, TimeColumns.hourOfWeek(col(TS), evaluation.timeZone()))
            .groupBy(col("u"), col(USER), col(HOST_APP), col(HOUR_OF_WEEK))
            .agg(
                array_sort(collect_set(col("i").cast("double"))).as("label"),
                min(struct(col(TS), col(CITY))).as("first"));
    List<Row> rows =
        all.orderBy(
                xxhash64(col("u"), col(HOST_APP), col(HOUR_OF_WEEK), lit(evaluation.seed())),
                col("u"),
                col(HOST_APP),
                col(HOUR_OF_WEEK))
            .limit(options.sessions())
            .select(
                col("u"),
                col(USER),
                col(HOST_APP),
                col("first." + TS),
                col("first." + CITY),
                col("label"))
            .collectAsList();
    List<Session> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      Timestamp t = r.getTimestamp(3);
      out.add(
          new Session(
              out.size(),
              r.getInt(0),
              r.getString(1),
              r.getString(2),
              t.toInstant(),
              r.isNullAt(4) ? null : r.getString(4),
              r.getList(5)));
    }
    return out;
  }

  /** Per sampled user (shared id), the items they used in training. */
  private static Map<String, Set<String>> seen(Evaluation.Prepared split, Dataset<Row> sampled) {
    Map<String, Set<String>> out = new HashMap<>();
    for (Row r :
        split
            .seen()
            .join(sampled, "u")
            .join(split.items(), "i")
            .select(col(USER), col(ITEM))
            .collectAsList()) {
      out.computeIfAbsent(r.getString(0), u -> new HashSet<>()).add(r.getString(1));
    }
    return out;
  }

  /** The bundle publish would make of this model trained on the training side. */
  private ModelBundle bundle(
      Evaluation.Prepared split,
      TrainJob.Params params,
      Dataset<Row> sampled,
      Dataset<Row> ids,
      Dataset<Row> train,
      Dataset<Row> lifts,
      Dataset<Row> habits,
      LocalDate asOf) {
    ALSModel model = split.model(params);
    Dataset<Row> itemFactors =
        model
            .itemFactors()
            .join(split.items(), col("id").equalTo(col("i")))
            .select(col(ITEM).as(MINI_PROGRAM_ID), col("features").as(VECTOR));
    Dataset<Row> userFactors =
        model
            .userFactors()
            .join(sampled, col("id").equalTo(col("u")))
            .select(col(USER).as(USER_ID), col("features").as(VECTOR));
    BundleParts parts =
        new BundleParts(
            world.catalog(),
            itemFactors,
            ContextStats.popularity(
                train.filter(col(HOST_APP).isNotNull()), asOf, params.halfLifeDays()),
            lifts,
            world.accounts().join(ids, USER_ID),
            world.profiles().join(ids, USER_ID),
            userFactors,
            habits,
            world.segmentMembers() == null ? null : world.segmentMembers().join(ids, USER_ID),
            world.segments(),
            world.campaigns());
    Manifest manifest =
        Manifest.of(
            Instant.now(),
            evaluation.timeZone(),
            params.rank(),
            Map.of(),
            Map.of(),
            Map.of(),
            BundleParts.rankingSettings(params),
            Map.of(),
            Map.of());
    return BundleParts.load(parts.all(BundleParts.manifest(spark, manifest)), 0);
  }

  /**
   * Each session's ranking for a request of {@code depth} items as candidates (g, i, score = minus
   * the position, so the list order is kept). Items the events never mention get ids past the item
   * count: shown, never relevant.
   */
  private Dataset<Row> rank(
      ModelBundle bundle,
      List<Session> sessions,
      Map<String, Set<String>> seen,
      Map<String, Integer> itemIds,
      long itemCount,
      int depth) {
    Ranker ranker = new Ranker(options.ranking());
    Map<String, Integer> unseen = new HashMap<>();
    Map<Ranking.Strategy, Integer> strategies = new java.util.EnumMap<>(Ranking.Strategy.class);
    List<Row> out = new ArrayList<>();
    for (Session s : sessions) {
      Ranking r =
          ranker.rank(
              bundle,
              new RankQuery(
                  UserStore.IdType.SHARED_ID,
                  s.user(),
                  s.hostApp(),
                  depth,
                  s.time(),
                  s.city(),
                  seen.getOrDefault(s.user(), Set.of())));
      strategies.merge(r.strategy(), 1, Integer::sum);
      for (int pos = 0; pos < r.items().size(); pos++) {
        String id = r.items().get(pos).id();
        Integer i = itemIds.get(id);
        if (i == null) {
          i = unseen.computeIfAbsent(id, x -> (int) itemCount + unseen.size());
        }
        out.add(RowFactory.create(s.g(), i, (double) -pos));
      }
    }
    LOG.info(
        "served protocol: {} sessions ranked at K = {}, strategies {}",
        sessions.size(),
        depth,
        strategies);
    return spark.createDataFrame(
        out,
        new StructType()
            .add("g", DataTypes.LongType, false)
            .add("i", DataTypes.IntegerType, false)
            .add("score", DataTypes.DoubleType, false));
  }
}
