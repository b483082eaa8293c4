package io.crowdrank.batch.train;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Expressions;
import io.crowdrank.batch.common.Indexing;
import io.crowdrank.batch.common.Inputs;
import io.crowdrank.batch.common.StepJob;
import io.crowdrank.batch.common.StepOptions;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.identity.Events;
import io.crowdrank.format.HourOfWeek;
import io.crowdrank.format.ServingLogFormat;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.recommendation.ALS;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Trains the recommendation model: implicit-feedback ALS (Spark MLlib) on a confidence matrix of
 * payments and social engagement with mini-program cards, each time-decayed; plus the context
 * statistics ranking combines with it (popularity per host app and city, category affinity per hour
 * of week). Writes the model tables with the training parameters and the source table versions in
 * each commit's metadata, so publish can describe the model it ships.
 */
public final class TrainJob extends StepJob<TrainJob.Options, TrainJob.Result> {

  /** Confidence per social action with a mini-program card (payments count {@code 1.0}). */
  public static final Map<String, Double> SOCIAL_CONFIDENCE =
      Map.of(
          "card_click",
          0.5,
          "follow",
          0.8,
          "like",
          0.3,
          "view",
          0.1,
          "repost",
          0.4,
          "comment",
          0.3);

  /**
   * Confidence per click and per use of a mini-program a ranking showed (host apps' events, {@code
   * jobs events}), times {@link Params#feedbackWeight}: a use (the mini-program opened and used) is
   * worth a payment, a click half of it. Being shown, and impressions, add nothing: implicit ALS
   * has no negatives.
   */
  public static final Map<String, Double> FEEDBACK_CONFIDENCE =
      Map.of(ServingLogFormat.CLICK, 0.5, ServingLogFormat.USE, 1.0);

  /**
   * The model's parameters: ALS, confidence weights, and the ranking settings chosen with it.
   *
   * @param rank latent dimensions (1..512)
   * @param maxIter ALS iterations (1..100)
   * @param regParam L2 regularisation (&ge; 0)
   * @param alpha implicit confidence scale (&gt; 0)
   * @param seed ALS initialisation seed
   * @param paymentWeight confidence added per successful payment
   * @param socialWeight multiplier on {@link #SOCIAL_CONFIDENCE}
   * @param halfLifeDays half-life of the confidence and popularity time decay, days
   * @param contextWeight weight of ln(hour-of-week lift) added to the collaborative score (&ge; 0)
   * @param habitShrinkage pseudo-count pulling a user's own hour-of-week habit towards everybody's
   *     (&gt; 0; see {@link io.crowdrank.format.ContextScoring})
   * @param feedbackWeight multiplier on {@link #FEEDBACK_CONFIDENCE} (clicks and uses of ranked
   *     mini-programs)
   */
  public record Params(
      int rank,
      int maxIter,
      double regParam,
      double alpha,
      long seed,
      double paymentWeight,
      double socialWeight,
      double halfLifeDays,
      double contextWeight,
      double habitShrinkage,
      double feedbackWeight) {
    public Params {
      check(rank >= 1 && rank <= 512, "rank must be 1..512, got " + rank);
      check(maxIter >= 1 && maxIter <= 100, "maxIter must be 1..100, got " + maxIter);
      check(regParam >= 0, "regParam must be >= 0, got " + regParam);
      check(alpha > 0, "alpha must be > 0, got " + alpha);
      check(paymentWeight >= 0 && socialWeight >= 0, "weights must be >= 0");
      check(paymentWeight + socialWeight > 0, "payment and social weights cannot both be 0");
      check(halfLifeDays > 0, "half-life must be > 0 days, got " + halfLifeDays);
      check(contextWeight >= 0, "context weight must be >= 0, got " + contextWeight);
      check(habitShrinkage > 0, "habit shrinkage must be > 0, got " + habitShrinkage);
      check(feedbackWeight >= 0, "feedback weight must be >= 0, got " + feedbackWeight);
    }

    public static Params defaults() {
      return new Params(32, 10, 0.05, 20.0, 42L, 1.0, 1.0, 30.0, 0.15, 30.0, 1.0);
    }

    public Params withAls(int rank, int maxIter, double regParam, double alpha) {
      return new Params(
          rank,
          maxIter,
          regParam,
          alpha,
          seed,
          paymentWeight,
          socialWeight,
          halfLifeDays,
          contextWeight,
          habitShrinkage,
          feedbackWeight);
    }

    public Params withIterations(int maxIter) {
      return withAls(rank, maxIter, regParam, alpha);
    }

    public Params withContext(double contextWeight, double habitShrinkage) {
      return new Params(
          rank,
          maxIter,
          regParam,
          alpha,
          seed,
          paymentWeight,
          socialWeight,
          halfLifeDays,
          contextWeight,
          habitShrinkage,
          feedbackWeight);
    }

    /** Whether the ALS fit (and so the factors) would be the same for both. */
    public boolean sameFactors(Params o) {
      return withContext(o.contextWeight, o.habitShrinkage).equals(o);
    }

    public Map<String, Object> asMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("algorithm", ALGORITHM);
      m.put("rank", rank);
      m.put("max_iter", maxIter);
      m.put("reg_param", regParam);
      m.put("alpha", alpha);
      m.put("seed", seed);
      m.put("payment_weight", paymentWeight);
      m.put("social_weight", socialWeight);
      m.put("half_life_days", halfLifeDays);
      m.put("context_weight", contextWeight);
      m.put("habit_shrinkage", habitShrinkage);
      m.put("feedback_weight", feedbackWeight);
      return m;
    }

    /**
     * The parameters {@link #asMap()} wrote (e.g. in a published bundle's manifest); keys a model
     * from before a field existed lacks take the default.
     */
    public static Params fromMap(Map<String, ?> m) {
      Params d = defaults();
      if (m.containsKey("algorithm") && !ALGORITHM.equals(m.get("algorithm"))) {
        throw new IllegalArgumentException("not an " + ALGORITHM + " model: " + m.get("algorithm"));
      }
      return new Params(
          (int) number(m, "rank", d.rank),
          (int) number(m, "max_iter", d.maxIter),
          number(m, "reg_param", d.regParam),
          number(m, "alpha", d.alpha),
          (long) number(m, "seed", d.seed),
          number(m, "payment_weight", d.paymentWeight),
          number(m, "social_weight", d.socialWeight),
          number(m, "half_life_days", d.halfLifeDays),
          number(m, "context_weight", d.contextWeight),
          number(m, "habit_shrinkage", d.habitShrinkage),
          // A model from before the feedback had none to weigh: the default describes it as well.
          number(m, "feedback_weight", d.feedbackWeight));
    }

    private static double number(Map<String, ?> m, String key, double fallback) {
      return m.get(key) instanceof Number n ? n.doubleValue() : fallback;
    }
  }

  static final String ALGORITHM = "spark-mllib-als-implicit";

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /**
   * @param warehouse root of the Delta tables
   * @param params ALS and confidence parameters
   * @param asOf reference date for time decay; null = newest event date
   * @param timeZone zone of the hour-of-week statistics
   */
  public record Options(String warehouse, Params params, LocalDate asOf, String timeZone)
      implements StepOptions {
    public Options {
      check(warehouse != null, "warehouse is required");
      check(params != null, "params are required");
      java.time.ZoneId.of(timeZone);
    }

    public static Options defaults(String warehouse) {
      return new Options(warehouse, Params.defaults(), null, HourOfWeek.DEFAULT_ZONE);
    }
  }

  /**
   * @param skipped true if the model was already trained on these inputs (nothing written)
   */
  public record Result(
      long users, long items, long interactions, long trainMillis, StepJob.Outcome outcome)
      implements StepJob.Report {
    @Override
    public Map<String, Long> counts() {
      return Map.of(
          "users",
          users,
          "items",
          items,
          "interactions",
          interactions,
          "train_millis",
          trainMillis);
    }
  }

  static final String STEP = "train";

  public TrainJob(SparkSession spark, Options options) {
    super(
        spark,
        options,
        STEP,
        Events.SOURCES_WITH_FEEDBACK,
        Set.of(Events.SERVING_LOG), // only once something was served
        List.of(
            Tables.USER_FACTORS,
            Tables.POPULARITY,
            Tables.CONTEXT_AFFINITY,
            Tables.USER_HABITS,
            Tables.ITEM_FACTORS));
  }

  @Override
  protected Map<String, ?> params() {
    Map<String, Object> params = new LinkedHashMap<>(options.params().asMap());
    params.put("as_of", options.asOf() == null ? "newest" : options.asOf().toString());
    params.put("time_zone", options.timeZone());
    return params;
  }

  @Override
  protected void compute(Inputs in, Commit commit) {
    Params p = options.params();
    Dataset<Row> payments = Events.payments(in);
    Dataset<Row> social = Events.social(in);
    Dataset<Row> feedback = Events.feedback(in);
    LocalDate asOf =
        options.asOf() != null
            ? options.asOf()
            : Events.newestEventDate(payments, social, feedback);
    Dataset<Row> events =
        Interactions.events(payments, social, feedback, in.read(Tables.CATALOG), p)
            .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> interactions =
        Interactions.confidence(events, p, asOf).persist(StorageLevel.MEMORY_AND_DISK());
    try (Factors f = Factors.fit(spark, interactions, p)) {
      if (f.interactions() == 0) {
        throw new IllegalStateException(
            "no interactions to train on: run ingest and identity first");
      }
      Map<String, Object> facts = new LinkedHashMap<>();
      facts.put("as_of_date", asOf.toString());
      facts.put("interactions", f.interactions());
      facts.put("users", f.userCount());
      facts.put("items", f.itemCount());
      facts.put("train_millis", f.trainMillis());
      commit.commit(
          facts,
          () -> {
            Delta.overwrite(f.users(), path(Tables.USER_FACTORS));
            Delta.overwrite(
                ContextStats.popularity(payments, asOf, p.halfLifeDays()), path(Tables.POPULARITY));
            Delta.overwrite(
                ContextStats.categoryHourLifts(events, options.timeZone()),
                path(Tables.CONTEXT_AFFINITY));
            Delta.overwrite(
                ContextStats.userHabits(events, options.timeZone()), path(Tables.USER_HABITS));
            Delta.overwrite(f.items(), path(Tables.ITEM_FACTORS));
          });
    } finally {
      events.unpersist();
      interactions.unpersist();
    }
  }

  /**
   * ALS fitted on (user_id, mini_program_id, weight) pairs, with the factor tables' rows: {@code
   * user_id, vector} and {@code mini_program_id, vector}. Holds the cached id indexes until closed.
   */
  record Factors(
      Dataset<Row> users,
      Dataset<Row> items,
      long interactions,
      long userCount,
      long itemCount,
      long trainMillis,
      List<Dataset<Row>> cached)
      implements AutoCloseable {

    static Factors fit(SparkSession spark, Dataset<Row> interactions, Params p) {
      long n = interactions.count();
      Dataset<Row> userIds =
          Indexing.withIndex(spark, interactions.select(USER_ID).distinct(), USER_ID, "u");
      Dataset<Row> itemIds =
          Indexing.withIndex(
              spark, interactions.select(MINI_PROGRAM_ID).distinct(), MINI_PROGRAM_ID, "i");
      if (n == 0) {
        return new Factors(null, null, 0, 0, 0, 0, List.of(userIds, itemIds));
      }
      Dataset<Row> ratings =
          interactions
              .join(userIds, USER_ID)
              .join(itemIds, MINI_PROGRAM_ID)
              .select(col("u"), col("i"), col(WEIGHT).cast("float").as("r"));
      long started = System.nanoTime();
      ALSModel model = TrainJob.fit(p, ratings);
      long millis = (System.nanoTime() - started) / 1_000_000;
      return new Factors(
          model
              .userFactors()
              .join(userIds, col("id").equalTo(col("u")))
              .select(col(USER_ID), col("features").as(VECTOR)),
          model
              .itemFactors()
              .join(itemIds, col("id").equalTo(col("i")))
              .select(col(MINI_PROGRAM_ID), col("features").as(VECTOR)),
          n,
          userIds.count(),
          itemIds.count(),
          millis,
          List.of(userIds, itemIds));
    }

    @Override
    public void close() {
      cached.forEach(Dataset::unpersist);
    }
  }

  /**
   * Implicit ALS on columns u (int user index), i (int item index), r (confidence), in as many user
   * and item blocks as the session has default parallelism (MLlib's fixed 10 leaves a small
   * cluster's cores idle or, locally, pays ten tasks per stage for two cores).
   */
  public static ALSModel fit(Params p, Dataset<Row> ratings) {
    int blocks = Math.max(1, ratings.sparkSession().sparkContext().defaultParallelism());
    return new ALS()
        .setNumBlocks(blocks)
        .setImplicitPrefs(true)
        .setRank(p.rank())
        .setMaxIter(p.maxIter())
        .setRegParam(p.regParam())
        .setAlpha(p.alpha())
        .setSeed(p.seed())
        .setUserCol("u")
        .setItemCol("i")
        .setRatingCol("r")
        .setColdStartStrategy("drop")
        .fit(ratings);
  }

  @Override
  protected Result result(Run run) {
    return new Result(
        run.fact("users"),
        run.fact("items"),
        run.fact("interactions"),
        run.fact("train_millis"),
        run.outcome());
  }

  /** The implicit confidence matrix: one row per (user, mini-program) with its weight. */
  public static final class Interactions {
    private Interactions() {}

    /**
     * One row per event with its undecayed confidence: {@code user_id}, {@code mini_program_id},
     * {@code category} (from the catalog), {@code weight}, {@code event_time}, and where the event
     * happened ({@code host_app}, {@code city}: a payment's, null for a social engagement);
     * payments, social card engagements and clicks and uses of ranked mini-programs ({@link
     * Events#feedback}) with mini-programs in the catalog.
     */
    public static Dataset<Row> events(
        Dataset<Row> payments,
        Dataset<Row> social,
        Dataset<Row> feedback,
        Dataset<Row> catalog,
        Params p) {
      Column feedbackWeight = Expressions.lookup(col(Events.KIND), FEEDBACK_CONFIDENCE, 0.0);
      Column socialWeight = Expressions.lookup(col(ACTION), SOCIAL_CONFIDENCE, 0.0);
      Dataset<Row> pay =
          payments.select(
              col(USER_ID),
              col(MINI_PROGRAM_ID),
              lit(p.paymentWeight()).as(WEIGHT),
              col(EVENT_TIME),
              col(HOST_APP),
              col(CITY));
      Dataset<Row> soc =
          social
              .filter(col(MINI_PROGRAM_ID).isNotNull())
              .select(
                  col(USER_ID),
                  col(MINI_PROGRAM_ID),
                  socialWeight.multiply(p.socialWeight()).as(WEIGHT),
                  col(EVENT_TIME),
                  lit(null).cast("string").as(HOST_APP),
                  lit(null).cast("string").as(CITY));
      Dataset<Row> ranked =
          feedback
              .filter(col(Events.KIND).isin(FEEDBACK_CONFIDENCE.keySet().toArray()))
              .select(
                  col(USER_ID),
                  col(MINI_PROGRAM_ID),
                  feedbackWeight.multiply(p.feedbackWeight()).as(WEIGHT),
                  col(EVENT_TIME),
                  col(HOST_APP),
                  lit(null).cast("string").as(CITY));
      return pay.union(soc)
          .union(ranked)
          .join(catalog.select(MINI_PROGRAM_ID, CATEGORY), MINI_PROGRAM_ID)
          .filter(col(WEIGHT).gt(0));
    }

    /**
     * {@link #events} of what {@code in} pinned: the evaluation pins {@link Events#SOURCES} only,
     * so it scores on payments and social engagement, never on the served model's own feedback.
     */
    public static Dataset<Row> events(Inputs in, Params p) {
      return events(
          Events.payments(in), Events.social(in), Events.feedback(in), in.read(Tables.CATALOG), p);
    }

    /**
     * The confidence matrix: {@link #events} decayed to the as-of date, summed per (user, item).
     */
    static Dataset<Row> confidence(Dataset<Row> events, Params p, LocalDate asOf) {
      return events
          .withColumn(WEIGHT, col(WEIGHT).multiply(decay(asOf, p.halfLifeDays())))
          .groupBy(USER_ID, MINI_PROGRAM_ID)
          .agg(sum(WEIGHT).as(WEIGHT))
          .filter(col(WEIGHT).gt(0));
    }
  }

  /** 0.5^(age in days / half-life), age measured to the end of the as-of date. */
  static Column decay(LocalDate asOf, double halfLifeDays) {
    Column end = to_timestamp(lit(asOf.plusDays(1).toString()));
    Column age = unix_timestamp(end).minus(unix_timestamp(col(EVENT_TIME))).divide(86_400.0);
    return pow(lit(0.5), greatest(age, lit(0.0)).divide(halfLifeDays));
  }
}
