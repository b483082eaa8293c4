package io.crowdrank.batch.evaluate;

import static io.crowdrank.batch.common.Columns.CATEGORY;
import static io.crowdrank.batch.common.Columns.CITY;
import static io.crowdrank.batch.common.Columns.EVENT_TIME;
import static io.crowdrank.batch.common.Columns.HOST_APP;
import static io.crowdrank.batch.common.Columns.HOUR_OF_WEEK;
import static io.crowdrank.batch.common.Columns.LIFTS;
import static io.crowdrank.batch.common.Columns.MINI_PROGRAM_ID;
import static io.crowdrank.batch.common.Columns.USER_ID;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.Checkpoints;
import io.crowdrank.batch.common.Indexing;
import io.crowdrank.batch.common.InteractionsFile;
import io.crowdrank.batch.common.TimeColumns;
import io.crowdrank.batch.train.ContextStats;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.ContextScoring;
import io.crowdrank.format.HourOfWeek;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntPredicate;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF5;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import scala.Tuple2;

/**
 * Offline evaluation the way the model is used: split the interactions (by time, or per user at
 * random), train on one side, rank the <em>whole</em> catalog for every test user with the items
 * they already used in training removed, and score the top K against what they used in the test
 * side: NDCG, recall, precision and MAP at each K (Spark MLlib's RankingMetrics definitions, see
 * {@link TopKMetrics}), plus catalog coverage — for each model given and, always beside them, a
 * popularity baseline on the same split.
 *
 * <p>With item categories and a time split there is a second protocol, per <em>session</em>: every
 * (test user, hour of week) with test uses is one ranking request at that hour, scored without
 * context, with everybody's hour-of-week lifts, and with the user's own habit shrunk towards them
 * ({@link ContextScoring}, the same code the service ranks with), so what the time of day adds is
 * measured on held-out data.
 *
 * <p>Input: one row per event with columns {@code user} (string), {@code item} (string), {@code
 * weight} (double &gt; 0) and {@code ts} (timestamp, may be null for a random split); optionally
 * {@code item}, {@code category} pairs.
 */
public final class Evaluation {

  public enum Split {
    /** Train on events before a cut, test on the events after it. */
    TIME,
    /** Per user, a seeded random share of their items goes to test (stratified by user). */
    RANDOM;

    public static Split parse(String s) {
      return switch (s.toLowerCase(Locale.ROOT)) {
        case "time" -> TIME;
        case "random" -> RANDOM;
        default -> throw new IllegalArgumentException("split must be time or random, got " + s);
      };
    }

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * @param testFraction share of time (TIME) or of each user's items (RANDOM) held out, 0..1
   * @param ks cut-offs, each 1..100
   * @param timeZone zone of the hour of week in the session protocol
   * @param maxTestUsers test users scored at most (0 = all): when more users have something to
   *     predict, a seeded sample of this many is scored ({@link #sampleOrder}), in every protocol;
   *     training always uses every user
   */
  public record Options(
      Split split,
      double testFraction,
      long seed,
      List<Integer> ks,
      String timeZone,
      int maxTestUsers) {
    public Options {
      if (!(testFraction > 0 && testFraction < 1)) {
        throw new IllegalArgumentException(
            "test fraction must be between 0 and 1, got " + testFraction);
      }
      ks = List.copyOf(ks);
      if (ks.isEmpty() || ks.stream().anyMatch(k -> k < 1 || k > 100)) {
        throw new IllegalArgumentException("each K must be 1..100, got " + ks);
      }
      java.time.ZoneId.of(timeZone);
      if (maxTestUsers < 0) {
        throw new IllegalArgumentException(
            "max test users must be 0 (all) or more, got " + maxTestUsers);
      }
    }

    /** With at most {@link #DEFAULT_MAX_TEST_USERS} test users scored. */
    public Options(Split split, double testFraction, long seed, List<Integer> ks, String timeZone) {
      this(split, testFraction, seed, ks, timeZone, DEFAULT_MAX_TEST_USERS);
    }

    /** The same split drawn with another seed. */
    public Options withSeed(long other) {
      return new Options(split, testFraction, other, ks, timeZone, maxTestUsers);
    }

    /**
     * The K that model choices (tuning, the publish gate) are made at: 10 if asked, else the
     * largest.
     */
    public int primaryK() {
      return ks.contains(10) ? 10 : ks.stream().mapToInt(Integer::intValue).max().orElseThrow();
    }
  }

  public static final List<Integer> DEFAULT_KS = List.of(5, 10, 20);

  /**
   * Scoring every test user costs test users × items (the user protocol ranks the whole catalog for
   * each), which stops being linear in users when the catalog grows with them. NDCG@10's standard
   * error over 50,000 users is about 0.0015, well below the publish gate's tolerance (0.01).
   */
  public static final int DEFAULT_MAX_TEST_USERS = 50_000;

  /** A time split holding out the last quarter, K = 5, 10, 20. */
  public static Options defaults() {
    return new Options(Split.TIME, 0.25, 42L, DEFAULT_KS, HourOfWeek.DEFAULT_ZONE);
  }

  /** A model to evaluate: a label for the report and the parameters it is trained with. */
  public record Candidate(String label, TrainJob.Params params) {}

  /** Ranking per test user (all their test items) or per test session (user and hour of week). */
  public static final String PROTOCOL_USER = "user";

  public static final String PROTOCOL_SESSION = "session";

  /**
   * Sampled test sessions ranked by the service's own ranker ({@link ServedProtocol}): what host
   * apps receive, context, diversity, exploration and campaigns included.
   */
  public static final String PROTOCOL_SERVED = "served";

  /** Model labels the session protocol adds to the first candidate's. */
  public static final String TIME_SUFFIX = "+time";

  public static final String USER_TIME_SUFFIX = "+time+user";

  public static final String POPULARITY = "popularity";

  /**
   * One model at one K under one protocol.
   *
   * @param coverage distinct items in the top K lists over the items of the events
   * @param newShare share of the top K slots given to items with no training interactions (new
   *     mini-programs: only the served ranking's exploration and category-mean vectors place them)
   */
  public record Metrics(
      String model,
      String protocol,
      int k,
      double ndcg,
      double recall,
      double precision,
      double map,
      double coverage,
      double newShare) {
    /** Column titles of {@link #cells()}, for tables. */
    public static final List<String> TITLES =
        List.of("model", "K", "NDCG", "Recall", "Precision", "MAP", "Coverage", "New");

    /** The same figures under another model label (one fit scored for several candidates). */
    public Metrics withModel(String label) {
      return new Metrics(label, protocol, k, ndcg, recall, precision, map, coverage, newShare);
    }

    /** The row for a table: model, K, then each metric to 4 decimals. */
    public List<String> cells() {
      List<String> c = new ArrayList<>(List.of(model, String.valueOf(k)));
      for (double v : new double[] {ndcg, recall, precision, map, coverage, newShare}) {
        c.add(String.format(Locale.ROOT, "%.4f", v));
      }
      return c;
    }
  }

  /** Where an evaluation's time goes ({@link Result#millis}), in the order they run. */
  public static final String PHASE_SPLIT = "split";

  public static final String PHASE_FIT = "fit";
  public static final String PHASE_USER = PROTOCOL_USER;
  public static final String PHASE_SESSION = PROTOCOL_SESSION;
  public static final String PHASE_SERVED = PROTOCOL_SERVED;

  /**
   * @param testUsers test users scored
   * @param eligibleTestUsers test users with something to predict, of whom {@code testUsers} were
   *     sampled (equal when all were scored; 0 in results recorded before sampling)
   * @param sessions test sessions scored in the session protocol (0 if it did not run)
   * @param servedSessions test sessions ranked by the service's ranker (0 if that did not run)
   * @param millis wall time per phase, ms: {@link #PHASE_SPLIT} (split, index, cache), {@link
   *     #PHASE_FIT} (every ALS fit on the training side), then each protocol's scoring; empty in
   *     results recorded before it was measured
   */
  public record Result(
      long trainPairs,
      long testUsers,
      long eligibleTestUsers,
      long coldTestUsers,
      long sessions,
      long servedSessions,
      long items,
      List<Metrics> metrics,
      Map<String, Long> millis) {
    public Result {
      metrics = List.copyOf(metrics);
      millis =
          millis == null
              ? Map.of()
              : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(millis));
    }

    /** This result with the served protocol's rows and time added. */
    public Result withServed(long servedSessions, List<Metrics> served, long servedMillis) {
      List<Metrics> all = new ArrayList<>(metrics);
      all.addAll(served);
      Map<String, Long> times = new LinkedHashMap<>(millis);
      times.put(PHASE_SERVED, servedMillis);
      return new Result(
          trainPairs,
          testUsers,
          eligibleTestUsers,
          coldTestUsers,
          sessions,
          servedSessions,
          items,
          all,
          times);
    }

    /** The metric row, or null if that model was not evaluated at that K under that protocol. */
    public Metrics find(String model, String protocol, int k) {
      return metrics.stream()
          .filter(m -> m.model().equals(model) && m.protocol().equals(protocol) && m.k() == k)
          .findFirst()
          .orElse(null);
    }

    /** The metrics as fixed-width tables for people, one per protocol. */
    public String table() {
      return table(k -> true);
    }

    /** {@link #table()} at one K: the short form a whole run prints. */
    public String table(int k) {
      return table(at -> at == k);
    }

    private String table(IntPredicate ks) {
      StringBuilder b = new StringBuilder();
      b.append(
          String.format(
              Locale.ROOT,
              "train pairs %,d; test users %,d%s (plus %,d with no training history, not scored);"
                  + " items %,d%n",
              trainPairs,
              testUsers,
              eligibleTestUsers > testUsers
                  ? String.format(Locale.ROOT, ", a seeded sample of %,d", eligibleTestUsers)
                  : "",
              coldTestUsers,
              items));
      for (String protocol : List.of(PROTOCOL_USER, PROTOCOL_SESSION, PROTOCOL_SERVED)) {
        List<Metrics> rows =
            metrics.stream().filter(m -> m.protocol().equals(protocol) && ks.test(m.k())).toList();
        if (rows.isEmpty()) {
          continue;
        }
        b.append(
            switch (protocol) {
              case PROTOCOL_USER -> "per user (every test item of the user):\n";
              case PROTOCOL_SESSION ->
                  String.format(
                      Locale.ROOT,
                      "per session (%,d test user x hour-of-week requests, ranked at that hour):%n",
                      sessions);
              default ->
                  String.format(
                      Locale.ROOT,
                      "served (%,d sampled test user x host app x hour-of-week requests, ranked by"
                          + " the service's ranker from a bundle of the training side):%n",
                      servedSessions);
            });
        b.append(row(Metrics.TITLES));
        rows.forEach(m -> b.append(row(m.cells())));
      }
      return b.toString();
    }
  }

  private static String row(List<String> cells) {
    return String.format(Locale.ROOT, "%-18s %4s %8s %8s %9s %8s %8s %6s%n", cells.toArray());
  }

  public static final String USER = InteractionsFile.USER;
  public static final String ITEM = InteractionsFile.ITEM;
  public static final String WEIGHT = InteractionsFile.WEIGHT;
  public static final String TS = InteractionsFile.TS;
  public static final String POS = InteractionsFile.POS;

  /**
   * Candidates ranked past the deepest K for the session protocol to re-rank: the context term can
   * lift an item from below the context-free top K, but not from arbitrarily far.
   */
  static final int RERANK_DEPTH = 100;

  private final SparkSession spark;
  private final Options options;

  public Evaluation(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Options options() {
    return options;
  }

  /**
   * The warehouse's interaction events ({@code user_id}, {@code mini_program_id}, {@code weight},
   * {@code event_time}, and {@code host_app}, {@code city} where they have them) as evaluation
   * input.
   */
  public static Dataset<Row> events(Dataset<Row> interactions) {
    List<Column> c =
        new ArrayList<>(
            List.of(
                col(USER_ID).as(USER),
                col(MINI_PROGRAM_ID).as(ITEM),
                col(io.crowdrank.batch.common.Columns.WEIGHT).as(WEIGHT),
                col(EVENT_TIME).as(TS)));
    c.addAll(where(interactions));
    return interactions.select(c.toArray(Column[]::new));
  }

  /** The columns saying where an event happened ({@code host_app}, {@code city}) it has. */
  private static List<Column> where(Dataset<Row> events) {
    List<String> present = List.of(events.columns());
    return java.util.stream.Stream.of(HOST_APP, CITY)
        .filter(present::contains)
        .map(org.apache.spark.sql.functions::col)
        .toList();
  }

  /** The item → category pairs of the warehouse's interaction events, for the session protocol. */
  public static Dataset<Row> categories(Dataset<Row> interactions) {
    return interactions.select(col(MINI_PROGRAM_ID).as(ITEM), col(CATEGORY)).distinct();
  }

  /**
   * Evaluates each candidate (the first one also per session, when categories are given and the
   * split is by time) and the popularity baseline on one split.
   *
   * @param categories item, category pairs; null for no session protocol
   */
  public Result evaluate(Dataset<Row> events, Dataset<Row> categories, List<Candidate> models) {
    try (Prepared p = prepare(events, categories)) {
      return evaluate(p, models);
    }
  }

  /** As {@link #evaluate(Dataset, Dataset, List)} on a split already prepared. */
  public Result evaluate(Prepared p, List<Candidate> models) {
    if (models.isEmpty()) {
      throw new IllegalArgumentException("nothing to evaluate: no candidate models");
    }
    List<Metrics> out = new ArrayList<>();
    Map<TrainJob.Params, List<Metrics>> byFactors = new HashMap<>();
    long fitBefore = p.fitMillis;
    long started = System.nanoTime();
    for (Candidate c : models) {
      // Same ALS parameters, same seed, same split: the same model; score it once.
      List<Metrics> m =
          byFactors.entrySet().stream()
              .filter(e -> e.getKey().sameFactors(c.params()))
              .map(Map.Entry::getValue)
              .findFirst()
              .orElse(null);
      if (m == null) {
        m = p.userMetrics(c.label(), c.params());
        byFactors.put(c.params(), m);
      }
      m.forEach(x -> out.add(x.withModel(c.label())));
    }
    out.addAll(p.popularityMetrics());
    long userMillis = millisSince(started);
    started = System.nanoTime();
    if (p.hasSessions()) {
      Candidate first = models.get(0);
      TrainJob.Params fp = first.params();
      out.addAll(
          p.sessionMetrics(
              fp,
              List.of(
                  new ContextSetting(first.label(), 0, fp.habitShrinkage(), false),
                  new ContextSetting(
                      first.label() + TIME_SUFFIX, fp.contextWeight(), fp.habitShrinkage(), false),
                  new ContextSetting(
                      first.label() + USER_TIME_SUFFIX,
                      fp.contextWeight(),
                      fp.habitShrinkage(),
                      true)),
              options.ks()));
      out.addAll(p.popularitySessionMetrics());
    }
    long sessionMillis = millisSince(started);
    // A fit runs where its model is first needed: count it apart from the protocol that asked.
    long fits = p.fitMillis - fitBefore;
    Map<String, Long> millis = new LinkedHashMap<>();
    millis.put(PHASE_SPLIT, p.splitMillis);
    millis.put(PHASE_FIT, fits);
    millis.put(PHASE_USER, userMillis - fits);
    if (p.hasSessions()) {
      millis.put(PHASE_SESSION, sessionMillis);
    }
    return new Result(
        p.trainPairs(),
        p.testUsers,
        p.eligibleTestUsers,
        p.coldUsers,
        p.sessionCount,
        0,
        p.itemCount,
        out,
        millis);
  }

  static long millisSince(long nanoTime) {
    return (System.nanoTime() - nanoTime) / 1_000_000;
  }

  /**
   * The training side of this evaluation's split, as events: what model choices (tuning) may look
   * at without ever seeing the test side.
   */
  public Dataset<Row> trainingSide(Dataset<Row> events) {
    if (options.split() == Split.TIME) {
      return events.filter(unix_timestamp(col(TS)).lt(lit(cut(events))));
    }
    return events.join(randomTestPairs(events), new String[] {USER, ITEM}, "left_anti");
  }

  /**
   * The held-out side of this evaluation's split, as events: the complement of {@link
   * #trainingSide}.
   */
  public Dataset<Row> testSide(Dataset<Row> events) {
    if (options.split() == Split.TIME) {
      return events.filter(not(unix_timestamp(col(TS)).lt(lit(cut(events)))));
    }
    return events.join(randomTestPairs(events), new String[] {USER, ITEM}, "left_semi");
  }

  /** How the session protocol scores: context weight and shrinkage, per user or global only. */
  public record ContextSetting(String label, double weight, double shrinkage, boolean perUser) {}

  /** Splits and indexes once, so several models can be scored on the same split. */
  public Prepared prepare(Dataset<Row> events, Dataset<Row> categories) {
    return new Prepared(events, categories);
  }

  /** One split, ready to score models on; unpersists what it cached when closed. */
  public final class Prepared implements AutoCloseable {
    /** The id indexes, persisted by {@link Indexing}. */
    private final List<Dataset<Row>> cached = new ArrayList<>();

    /** Everything else the split computes once: see {@link Checkpoints} for why not persisted. */
    private final Checkpoints checkpoints = new Checkpoints();

    private final Dataset<Row> items;
    private final Dataset<Row> train;
    private final Dataset<Row> seen;
    private final Dataset<Row> testUserLabels;
    private final long testUsers;
    private final long eligibleTestUsers;
    private final long coldUsers;
    private final long itemCount;

    /** The deepest K scored. */
    private final int maxK;

    private final int depth;
    private final Dataset<Row> sessions;
    private final long sessionCount;
    private final Dataset<Row> itemCategory;
    private final Dataset<Row> context;
    private final Dataset<Row> trainEvents;
    private final Dataset<Row> newUses;
    private final Dataset<Row> trainedItems;
    private final Map<TrainJob.Params, ALSModel> models = new HashMap<>();
    private final Map<TrainJob.Params, Dataset<Row>> alsCandidates = new HashMap<>();
    private final long splitMillis;
    private long fitMillis;

    private Prepared(Dataset<Row> events, Dataset<Row> categories) {
      long started = System.nanoTime();
      try {
        // Dense ids numbered in order of first appearance, so that ties (in popularity, in ALS
        // scores) break the same way whatever the id strings are.
        Dataset<Row> keyed = events.withColumn(KEY, rowKey(events));
        Dataset<Row> users =
            keep(Indexing.withIndex(spark, byFirstAppearance(keyed, USER), USER, "u"));
        items = keep(Indexing.withIndex(spark, byFirstAppearance(keyed, ITEM), ITEM, "i"));
        List<Column> kept =
            new ArrayList<>(
                List.of(col("u"), col("i"), col(WEIGHT), col(TS), col(USER), col(ITEM)));
        kept.addAll(where(events));
        Dataset<Row> indexed =
            events.join(users, USER).join(items, ITEM).select(kept.toArray(Column[]::new));
        Dataset<Row> testEvents;
        if (options.split() == Split.TIME) {
          if (events.filter(col(TS).isNull()).limit(1).count() > 0) {
            throw new IllegalArgumentException(
                "a time split needs a timestamp on every interaction; use --split random");
          }
          Column before = unix_timestamp(col(TS)).lt(lit(cut(indexed)));
          trainEvents = checkpoints.cut(indexed.filter(before));
          testEvents = indexed.filter(not(before));
        } else {
          // On the original ids, so trainingSide() draws exactly the same pairs.
          Dataset<Row> testPairs = randomTestPairs(events);
          trainEvents =
              checkpoints.cut(indexed.join(testPairs, new String[] {USER, ITEM}, "left_anti"));
          testEvents = indexed.join(testPairs, new String[] {USER, ITEM}, "left_semi");
        }
        train =
            checkpoints.cut(
                trainEvents
                    .groupBy("u", "i")
                    .agg(sum(WEIGHT).as(WEIGHT))
                    .filter(col(WEIGHT).gt(0)));
        seen = train.select("u", "i");
        trainedItems = train.select(col("i").as("_trained")).distinct();
        // What a user already used before the cut is not something to predict, and only users
        // the model has seen can be scored.
        Dataset<Row> uses =
            checkpoints.cut(
                testEvents
                    .join(seen, new String[] {"u", "i"}, "left_anti")
                    .join(train.select("u").distinct(), "u"));
        Dataset<Row> eligible = uses.select("u", USER).distinct();
        eligibleTestUsers = eligible.count();
        if (options.maxTestUsers() > 0 && eligibleTestUsers > options.maxTestUsers()) {
          Dataset<Row> sample =
              eligible
                  .orderBy(sampleOrder(options.seed()), col(USER))
                  .limit(options.maxTestUsers())
                  .select("u");
          newUses = checkpoints.cut(uses.join(broadcast(sample), "u", "left_semi"));
          newUses.count();
          checkpoints.release(uses);
        } else {
          newUses = uses;
        }
        testUserLabels =
            checkpoints.cut(
                newUses
                    .groupBy("u")
                    .agg(collect_set(col("i").cast("double")).as("label"))
                    .withColumn("g", col("u").cast("long")));
        testUsers = testUserLabels.count();
        if (testUsers == 0) {
          throw new IllegalStateException(
              "no test user has training history: the split left nothing to evaluate");
        }
        // Test users with no training history cannot be scored; they are reported, not hidden.
        coldUsers = testEvents.select("u").distinct().except(train.select("u").distinct()).count();
        itemCount = items.count();
        maxK = options.ks().stream().mapToInt(Integer::intValue).max().orElseThrow();
        Row maxSeenRow =
            seen.join(testUserLabels.select("u"), "u")
                .groupBy("u")
                .count()
                .agg(max("count"))
                .first();
        int maxSeen = maxSeenRow.isNullAt(0) ? 0 : (int) maxSeenRow.getLong(0);
        boolean withSessions = categories != null && options.split() == Split.TIME;
        depth =
            (int) Math.min(itemCount, (long) maxK + maxSeen + (withSessions ? RERANK_DEPTH : 0));

        if (withSessions) {
          Column how = TimeColumns.hourOfWeek(col(TS), options.timeZone());
          sessions =
              checkpoints.cut(
                  newUses
                      .withColumn(HOUR_OF_WEEK, how)
                      .groupBy("u", HOUR_OF_WEEK)
                      .agg(collect_set(col("i").cast("double")).as("label"))
                      .withColumn(
                          "g",
                          col("u")
                              .cast("long")
                              .multiply(BundleFormat.HOURS_PER_WEEK)
                              .plus(col(HOUR_OF_WEEK))));
          sessionCount = sessions.count();
          itemCategory =
              checkpoints.cut(
                  categories.join(items, ITEM).select(col("i"), col(CATEGORY)).dropDuplicates("i"));
          context = checkpoints.cut(contextTerms(trainEvents));
        } else {
          sessions = null;
          sessionCount = 0;
          itemCategory = null;
          context = null;
        }
        splitMillis = millisSince(started);
      } catch (RuntimeException | Error e) {
        close();
        throw e;
      }
    }

    public boolean hasSessions() {
      return sessions != null;
    }

    public long trainPairs() {
      return train.count();
    }

    /**
     * Per session (g, u) and category: the global lift, the hour's share and the user's own counts,
     * learnt from the training side only.
     */
    private Dataset<Row> contextTerms(Dataset<Row> trainEvents) {
      Dataset<Row> trainUses =
          trainEvents
              .join(itemCategory, "i")
              .select(
                  col("u").as(USER_ID),
                  col(CATEGORY),
                  col(TS).as(EVENT_TIME),
                  col(WEIGHT).as(io.crowdrank.batch.common.Columns.WEIGHT));
      Dataset<Row> byHour =
          ContextStats.categoryHourLifts(trainUses, options.timeZone())
              .select(col(CATEGORY), posexplode(col(LIFTS)).as(new String[] {HOUR_OF_WEEK, "v"}));
      Dataset<Row> lifts =
          byHour
              .filter(col(CATEGORY).notEqual(BundleFormat.ALL))
              .select(col(CATEGORY), col(HOUR_OF_WEEK), col("v").cast("double").as("gl"));
      Dataset<Row> shares =
          byHour
              .filter(col(CATEGORY).equalTo(BundleFormat.ALL))
              .select(col(HOUR_OF_WEEK), col("v").cast("double").as("hs"));
      Dataset<Row> habits =
          ContextStats.userHabits(trainUses, options.timeZone())
              .select(
                  col(USER_ID).as("u"),
                  col(CATEGORY),
                  col(HOUR_OF_WEEK),
                  col(io.crowdrank.batch.common.Columns.WEIGHT).cast("double").as("n"));
      Dataset<Row> totals = habits.groupBy("u", CATEGORY).agg(sum("n").as("nc"));
      return sessions
          .select("u", HOUR_OF_WEEK, "g")
          .crossJoin(itemCategory.select(CATEGORY).distinct())
          .join(lifts, new String[] {CATEGORY, HOUR_OF_WEEK}, "left")
          .join(shares, HOUR_OF_WEEK, "left")
          .join(habits, new String[] {"u", CATEGORY, HOUR_OF_WEEK}, "left")
          .join(totals, new String[] {"u", CATEGORY}, "left")
          .select(
              col("g"),
              col("u"),
              col(CATEGORY),
              coalesce(col("gl"), lit(1.0)).as("gl"),
              coalesce(col("hs"), lit(0.0)).as("hs"),
              coalesce(col("n"), lit(0.0)).as("n"),
              coalesce(col("nc"), lit(0.0)).as("nc"));
    }

    /** ALS with these parameters, trained on the training side, scored per test user. */
    public List<Metrics> userMetrics(String label, TrainJob.Params params) {
      return score(
          label,
          PROTOCOL_USER,
          als(params).withColumn("g", col("u").cast("long")),
          testUserLabels,
          options.ks());
    }

    /** The most-used items of the training side, for everybody. */
    public List<Metrics> popularityMetrics() {
      return score(
          POPULARITY, PROTOCOL_USER, popularFor(testUserLabels), testUserLabels, options.ks());
    }

    /** The same popularity list per test session: the baseline of the session protocol. */
    public List<Metrics> popularitySessionMetrics() {
      if (!hasSessions()) {
        throw new IllegalStateException("no sessions: needs item categories and a time split");
      }
      return score(POPULARITY, PROTOCOL_SESSION, popularFor(sessions), sessions, options.ks());
    }

    /**
     * Per group (g, u) of these labels: the most popular items, the user's seen ones removed, as
     * deep as the deepest K. The list depends on the user only, so it is made once per user and
     * then joined to the user's groups: per session it was sessions × depth rows (399 M at 500 k
     * users) for the same top K.
     */
    Dataset<Row> popularFor(Dataset<Row> labels) {
      Dataset<Row> popular =
          train
              .groupBy("i")
              .agg(countDistinct("u").as("score"))
              .orderBy(col("score").desc(), col("i"))
              .limit(depth);
      Dataset<Row> perUser =
          labels
              .select("u")
              .distinct()
              .crossJoin(popular)
              .join(seen, new String[] {"u", "i"}, "left_anti")
              .withColumn(
                  "_p",
                  row_number().over(Window.partitionBy("u").orderBy(col("score").desc(), col("i"))))
              .filter(col("_p").leq(maxK))
              .drop("_p");
      return labels.select("u", "g").join(perUser, "u");
    }

    /** ALS with these parameters per session, once per context setting. */
    public List<Metrics> sessionMetrics(
        TrainJob.Params params, List<ContextSetting> settings, List<Integer> ks) {
      if (!hasSessions()) {
        throw new IllegalStateException("no sessions: needs item categories and a time split");
      }
      Dataset<Row> base =
          checkpoints.cut(
              als(params)
                  .join(itemCategory, "i")
                  .join(context, new String[] {"u", CATEGORY})
                  .select("g", "i", "score", "gl", "hs", "n", "nc"));
      try {
        List<Metrics> out = new ArrayList<>();
        for (ContextSetting s : settings) {
          Column lift =
              s.perUser()
                  ? USER_LIFT.apply(col("gl"), col("hs"), col("n"), col("nc"), lit(s.shrinkage()))
                  : USER_LIFT.apply(col("gl"), col("hs"), lit(0.0), lit(0.0), lit(s.shrinkage()));
          Column scored =
              s.weight() == 0
                  ? col("score")
                  : col("score").plus(lit(s.weight()).multiply(log(lift)));
          out.addAll(
              score(
                  s.label(),
                  PROTOCOL_SESSION,
                  base.select(col("g"), col("i"), scored.as("score")),
                  sessions,
                  ks));
        }
        return out;
      } finally {
        checkpoints.release(base);
      }
    }

    /** ALS with these parameters fitted on the training side, once per parameters. */
    ALSModel model(TrainJob.Params params) {
      return models.computeIfAbsent(
          params,
          p -> {
            long started = System.nanoTime();
            ALSModel m = TrainJob.fit(p, train.withColumnRenamed(WEIGHT, "r"));
            fitMillis += millisSince(started);
            return m;
          });
    }

    /** Training-side events: u, i, user, item, weight, ts (and host_app, city where given). */
    Dataset<Row> trainEvents() {
      return trainEvents;
    }

    /**
     * Test-side events of items new to a user the model has seen: the uses to predict, with the
     * columns of {@link #trainEvents}.
     */
    Dataset<Row> newUses() {
      return newUses;
    }

    /** (u, i) pairs of the training side. */
    Dataset<Row> seen() {
      return seen;
    }

    /** Dense item ids: item, i. */
    Dataset<Row> items() {
      return items;
    }

    long itemCount() {
      return itemCount;
    }

    /** Top-{@code depth} ALS scores per test user, items seen in training removed. */
    private Dataset<Row> als(TrainJob.Params params) {
      return alsCandidates.computeIfAbsent(
          params,
          p -> {
            ALSModel model = model(p);
            return checkpoints.cut(
                model
                    .recommendForUserSubset(testUserLabels.select(col("u")), depth)
                    .select(col("u"), explode(col("recommendations")).as("rec"))
                    .select(col("u"), col("rec.i").as("i"), col("rec.rating").as("score"))
                    .join(seen, new String[] {"u", "i"}, "left_anti"));
          });
    }

    private Dataset<Row> keep(Dataset<Row> d) {
      cached.add(d);
      return d;
    }

    /**
     * Ranks candidates (g, i, score) per group g and scores the top K against labels (g, label).
     * Candidates may name items outside the events (i &ge; the item count): they count as shown,
     * never as relevant.
     */
    List<Metrics> score(
        String model,
        String protocol,
        Dataset<Row> candidates,
        Dataset<Row> labels,
        List<Integer> ks) {
      int deepest = ks.stream().mapToInt(Integer::intValue).max().orElseThrow();
      Dataset<Row> ranked =
          checkpoints.cut(
              candidates
                  .withColumn(
                      "_r",
                      row_number()
                          .over(Window.partitionBy("g").orderBy(col("score").desc(), col("i"))))
                  .filter(col("_r").leq(deepest)));
      try {
        JavaRDD<Tuple2<double[], double[]>> lists =
            ranked
                .groupBy("g")
                .agg(
                    sort_array(collect_list(struct(col("_r"), col("i").cast("double").as("i"))))
                        .as("_l"))
                .select(col("g"), col("_l.i").as("prediction"))
                .join(labels.select("g", "label"), "g")
                .select("prediction", "label")
                .javaRDD()
                .map(r -> new Tuple2<>(doubles(r.getList(0)), doubles(r.getList(1))));
        // One pass for every K's coverage and new share, one for every K's ranking metrics.
        Column[] perK = new Column[2 * ks.size()];
        for (int x = 0; x < ks.size(); x++) {
          Column inTop = col("_r").leq(ks.get(x));
          perK[x] = countDistinct(when(inTop, col("i")));
          perK[ks.size() + x] =
              avg(when(inTop, when(col("_trained").isNull(), 1.0).otherwise(0.0)));
        }
        Row covered =
            ranked
                .join(trainedItems, col("i").equalTo(col("_trained")), "left")
                .agg(perK[0], java.util.Arrays.copyOfRange(perK, 1, perK.length))
                .first();
        double[][] means = TopKMetrics.means(lists, ks);
        List<Metrics> out = new ArrayList<>();
        for (int x = 0; x < ks.size(); x++) {
          out.add(
              new Metrics(
                  model,
                  protocol,
                  ks.get(x),
                  means[x][TopKMetrics.NDCG],
                  means[x][TopKMetrics.RECALL],
                  means[x][TopKMetrics.PRECISION],
                  means[x][TopKMetrics.MAP],
                  covered.getLong(x) / (double) itemCount,
                  covered.isNullAt(ks.size() + x) ? 0 : covered.getDouble(ks.size() + x)));
        }
        return out;
      } finally {
        checkpoints.release(ranked);
      }
    }

    private static double[] doubles(List<Object> values) {
      double[] out = new double[values.size()];
      for (int x = 0; x < out.length; x++) {
        out[x] = ((Number) values.get(x)).doubleValue();
      }
      return out;
    }

    @Override
    public void close() {
      cached.forEach(Dataset::unpersist);
      cached.clear();
      checkpoints.close();
    }
  }

  private static final UserDefinedFunction USER_LIFT =
      udf(
          (UDF5<Double, Double, Double, Double, Double, Double>) ContextScoring::userLift,
          DataTypes.DoubleType);

  /** The time of the cut: the (1 - test fraction) quantile of event times, epoch seconds. */
  private double cut(Dataset<Row> events) {
    return events
        .select(unix_timestamp(col(TS)).cast("double").as("t"))
        .stat()
        .approxQuantile("t", new double[] {1 - options.testFraction()}, 0.0001)[0];
  }

  /**
   * Per user, a seeded random share of their distinct items: round(n · fraction), at least one;
   * users with a single item stay wholly in training. Each (user, item) pair draws by a hash of the
   * seed and its {@link #rowKey}, so the draw is independent per user and per item and does not
   * depend on how the ids are spelt.
   */
  private Dataset<Row> randomTestPairs(Dataset<Row> events) {
    var perUser = Window.partitionBy(USER);
    return events
        .groupBy(USER, ITEM)
        .agg(min(rowKey(events)).as(KEY))
        .withColumn("_n", count(lit(1)).over(perUser))
        .withColumn(
            "_r",
            row_number().over(perUser.orderBy(xxhash64(col(KEY), lit(options.seed())), col(KEY))))
        .filter(
            col("_n")
                .geq(2)
                .and(
                    col("_r")
                        .leq(greatest(lit(1), round(col("_n").multiply(options.testFraction()))))))
        .select(USER, ITEM);
  }

  /**
   * The order test users are sampled in: the SHA-256 of the seed, a colon and the user id, as hex,
   * lowest first. It depends on the user's own id only, so a user's presence in the sample does not
   * change with the rest of the data, and it can be recomputed outside Spark.
   */
  static Column sampleOrder(long seed) {
    return sha2(concat(lit(seed + ":"), col(USER)), 256);
  }

  /** Scratch column: {@link #rowKey}. */
  private static final String KEY = "_key";

  /**
   * A number per event that does not depend on the id strings: its position in the input ({@link
   * InteractionsFile#POS}) where the events carry one, else (the warehouse's pseudonymous ids) a
   * hash of the user, the item and the time.
   */
  private static Column rowKey(Dataset<Row> events) {
    return List.of(events.columns()).contains(POS)
        ? col(POS)
        : xxhash64(col(USER), col(ITEM), col(TS));
  }

  /** The distinct values of an id column, in order of their first {@link #rowKey}. */
  private static Dataset<Row> byFirstAppearance(Dataset<Row> keyed, String idColumn) {
    return keyed
        .groupBy(idColumn)
        .agg(min(col(KEY)).as(KEY))
        .orderBy(col(KEY), col(idColumn))
        .select(idColumn);
  }
}
