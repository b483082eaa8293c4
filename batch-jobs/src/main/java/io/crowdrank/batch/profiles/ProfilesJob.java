package io.crowdrank.batch.profiles;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Expressions;
import io.crowdrank.batch.common.Inputs;
import io.crowdrank.batch.common.StepJob;
import io.crowdrank.batch.common.StepOptions;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.common.TimeColumns;
import io.crowdrank.batch.identity.Events;
import io.crowdrank.format.HourOfWeek;
import io.crowdrank.format.ServingLogFormat;
import io.delta.tables.DeltaTable;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;

/**
 * Builds {@code user_profiles}: one row per user (shared and single-platform) with RFM and its 1-5
 * scores, spend share per category, time-decayed social interest per vertical, a 168-bucket
 * hour-of-week activity histogram (local time), home city and last activity; and {@code user_aipl},
 * the AIPL stage of each user per mini-program and per merchant.
 *
 * <p>Profiles are written with MERGE keyed on the user: a row is rewritten only when its content
 * fingerprint changed, new users are inserted, users who no longer exist (an unlinked social
 * account now has its own id) are deleted; re-running on the same inputs commits nothing. Inputs
 * are pinned Delta versions, recorded in the result, and the profile date defaults to the newest
 * event date, so the outcome depends on the data only, not on the order runs happened in.
 */
public final class ProfilesJob extends StepJob<ProfilesJob.Options, ProfilesJob.Result> {

  /** Weight of each social action in the interest vector, before time decay. */
  public static final Map<String, Double> ACTION_WEIGHTS =
      Map.of(
          "view",
          0.2,
          "like",
          0.5,
          "comment",
          0.7,
          "repost",
          0.8,
          "card_click",
          1.0,
          "follow",
          1.0);

  /**
   * @param warehouse root of the Delta tables
   * @param asOf the profile date; null = the newest event date in the data
   * @param interestHalfLifeDays half-life of social interest decay, in days (&gt; 0)
   * @param timeZone zone of hour-of-week habits
   */
  public record Options(
      String warehouse, LocalDate asOf, double interestHalfLifeDays, String timeZone)
      implements StepOptions {
    public Options {
      if (warehouse == null) {
        throw new IllegalArgumentException("warehouse is required");
      }
      if (!(interestHalfLifeDays > 0)) {
        throw new IllegalArgumentException(
            "interest half-life must be > 0 days, got " + interestHalfLifeDays);
      }
      java.time.ZoneId.of(timeZone);
    }

    public static Options defaults(String warehouse) {
      return new Options(warehouse, null, 14.0, HourOfWeek.DEFAULT_ZONE);
    }
  }

  public record Result(
      long users, long sharedUsers, long aiplRows, LocalDate asOf, StepJob.Outcome outcome)
      implements StepJob.Report {
    @Override
    public Map<String, Long> counts() {
      return Map.of("users", users, "shared_users", sharedUsers, "aipl_rows", aiplRows);
    }
  }

  static final String STEP = "profiles";

  public ProfilesJob(SparkSession spark, Options options) {
    super(
        spark,
        options,
        STEP,
        Events.SOURCES_WITH_FEEDBACK,
        Set.of(Events.SERVING_LOG), // only once something was served
        List.of(Tables.USER_PROFILES, Tables.USER_AIPL, Tables.USER_EXPOSURE));
  }

  @Override
  protected Map<String, ?> params() {
    return Map.of(
        "as_of", options.asOf() == null ? "newest" : options.asOf().toString(),
        "interest_half_life_days", options.interestHalfLifeDays(),
        "time_zone", options.timeZone());
  }

  @Override
  protected void compute(Inputs in, Commit commit) {
    Dataset<Row> identity = in.read(Tables.IDENTITY_MAP);
    Dataset<Row> payments = Events.payments(in);
    Dataset<Row> social = Events.social(in);
    Dataset<Row> feedback = Events.feedback(in);

    LocalDate asOf =
        options.asOf() != null
            ? options.asOf()
            : Events.newestEventDate(payments, social, feedback);
    Column asOfDate = to_date(lit(asOf.toString()));
    Column asOfEnd = to_timestamp(lit(asOf.plusDays(1).toString()));

    Dataset<Row> users =
        identity
            .groupBy(USER_ID)
            .agg(
                max(col(ACCOUNT_TYPE).equalTo(ACCOUNT_PAYMENT)).as(HAS_PAYMENT),
                max(col(ACCOUNT_TYPE).equalTo(ACCOUNT_SOCIAL)).as(HAS_SOCIAL),
                max(col(IS_SHARED)).as(IS_SHARED));

    Dataset<Row> rfm =
        payments
            .groupBy(USER_ID)
            .agg(
                count(lit(1)).as(FREQUENCY),
                sum(AMOUNT_FEN).as(MONETARY_FEN),
                max(EVENT_TIME).as("last_payment"))
            .withColumn(RECENCY_DAYS, datediff(asOfDate, to_date(col("last_payment"))));
    rfm = withScores(rfm);

    Dataset<Row> spend =
        payments
            .groupBy(USER_ID, CATEGORY)
            .agg(sum(AMOUNT_FEN).as("spent"))
            .withColumn(
                "share", col("spent").divide(sum("spent").over(Window.partitionBy(USER_ID))))
            .groupBy(USER_ID)
            .agg(
                map_from_entries(
                        array_sort(collect_list(struct(col(CATEGORY), round(col("share"), 6)))))
                    .as(CATEGORY_SPEND_SHARE));

    Column actionWeight = Expressions.lookup(col(ACTION), ACTION_WEIGHTS, 0.0);
    Column ageDays =
        unix_timestamp(asOfEnd).minus(unix_timestamp(col(EVENT_TIME))).divide(86_400.0);
    Dataset<Row> interests =
        social
            .withColumn(
                "w",
                actionWeight.multiply(
                    pow(lit(0.5), ageDays.divide(options.interestHalfLifeDays()))))
            .groupBy(USER_ID, VERTICAL)
            .agg(sum("w").as("w"))
            .withColumn("share", col("w").divide(sum("w").over(Window.partitionBy(USER_ID))))
            .groupBy(USER_ID)
            .agg(
                map_from_entries(
                        array_sort(collect_list(struct(col(VERTICAL), round(col("share"), 6)))))
                    .as(INTERESTS));

    Dataset<Row> activity =
        payments
            .select(USER_ID, EVENT_TIME)
            .union(social.select(USER_ID, EVENT_TIME))
            .withColumn(HOUR_OF_WEEK, TimeColumns.hourOfWeek(col(EVENT_TIME), options.timeZone()));
    Dataset<Row> histogram =
        activity
            .groupBy(USER_ID, HOUR_OF_WEEK)
            .agg(count(lit(1)).as("n"))
            .groupBy(USER_ID)
            .agg(map_from_entries(collect_list(struct(col(HOUR_OF_WEEK), col("n")))).as("m"))
            .select(col(USER_ID), Expressions.hourOfWeekCells(col("m")).as(HOUR_OF_WEEK_ACTIVITY));
    Dataset<Row> lastActive = activity.groupBy(USER_ID).agg(max(EVENT_TIME).as(LAST_ACTIVE));

    Dataset<Row> homeCity =
        payments
            .groupBy(USER_ID, CITY)
            .agg(count(lit(1)).as("n"))
            .withColumn(
                "_r",
                row_number().over(Window.partitionBy(USER_ID).orderBy(col("n").desc(), col(CITY))))
            .filter(col("_r").equalTo(1))
            .select(col(USER_ID), col(CITY).as(HOME_CITY));

    Dataset<Row> profiles =
        users
            .join(rfm.drop("last_payment"), USER_ID, "left")
            .join(spend, USER_ID, "left")
            .join(interests, USER_ID, "left")
            .join(histogram, USER_ID, "left")
            .join(lastActive, USER_ID, "left")
            .join(homeCity, USER_ID, "left")
            .select(
                col(USER_ID),
                col(HAS_PAYMENT),
                col(HAS_SOCIAL),
                col(IS_SHARED),
                col(HOME_CITY),
                col(RECENCY_DAYS),
                coalesce(col(FREQUENCY), lit(0L)).as(FREQUENCY),
                coalesce(col(MONETARY_FEN), lit(0L)).as(MONETARY_FEN),
                col(R_SCORE),
                col(F_SCORE),
                col(M_SCORE),
                col(CATEGORY_SPEND_SHARE),
                col(INTERESTS),
                coalesce(col(HOUR_OF_WEEK_ACTIVITY), expr("array_repeat(0L, 168)"))
                    .as(HOUR_OF_WEEK_ACTIVITY),
                col(LAST_ACTIVE),
                asOfDate.as(AS_OF));
    Dataset<Row> finalProfiles = profiles.withColumn(FINGERPRINT, fingerprint(profiles));

    String out = path(Tables.USER_PROFILES);
    // Like payments and social events, the whole log counts (as-of sets recency and decay).
    Dataset<Row> aipl = Aipl.stages(payments, social, in.read(Tables.CATALOG), feedback);
    Dataset<Row> exposure = exposure(feedback);
    commit.commit(
        Map.of("as_of_date", asOf.toString()),
        () -> {
          if (!Delta.exists(spark, out)) {
            finalProfiles.write().format("delta").save(out);
          } else {
            DeltaTable.forPath(spark, out)
                .as("t")
                .merge(finalProfiles.as("s"), "t." + USER_ID + " = s." + USER_ID)
                .whenMatched("t." + FINGERPRINT + " <> s." + FINGERPRINT)
                .updateAll()
                .whenNotMatched()
                .insertAll()
                .whenNotMatchedBySource()
                .delete()
                .execute();
          }
          Aipl.write(aipl, path(Tables.USER_AIPL));
          Delta.overwrite(exposure, path(Tables.USER_EXPOSURE));
        });
  }

  /**
   * Per user and mini-program, over the whole log: how often a ranking returned it ({@code
   * served}), and the impressions, clicks and uses host apps sent back, with the first and last
   * time of any of them. Frequency capping and "shown but never clicked" read it.
   */
  static Dataset<Row> exposure(Dataset<Row> feedback) {
    Column kind = col(Events.KIND);
    return feedback
        .groupBy(USER_ID, MINI_PROGRAM_ID)
        .agg(
            count(when(kind.equalTo(Events.SERVED), 1)).as(SERVED),
            count(when(kind.equalTo(ServingLogFormat.IMPRESSION), 1)).as(IMPRESSIONS),
            count(when(kind.equalTo(ServingLogFormat.CLICK), 1)).as(CLICKS),
            count(when(kind.equalTo(ServingLogFormat.USE), 1)).as(USES),
            min(EVENT_TIME).as(FIRST_SEEN),
            max(EVENT_TIME).as(LAST_SEEN));
  }

  @Override
  protected Result result(Run run) {
    Dataset<Row> written = read(Tables.USER_PROFILES);
    Row asOf = written.agg(max(AS_OF)).first();
    return new Result(
        written.count(),
        written.filter(col(IS_SHARED)).count(),
        read(Tables.USER_AIPL).count(),
        asOf.isNullAt(0) ? null : asOf.getDate(0).toLocalDate(),
        run.outcome());
  }

  /** A hash of every column but the key: a row whose hash is unchanged is not rewritten. */
  static Column fingerprint(Dataset<Row> rows) {
    Column[] content =
        java.util.Arrays.stream(rows.columns())
            .filter(c -> !c.equals(USER_ID))
            .map(org.apache.spark.sql.functions::col)
            .toArray(Column[]::new);
    return sha2(to_json(struct(content)), 256);
  }

  /** R, F and M scores 1-5 from quintiles (approximate, so this scales to any user count). */
  private static Dataset<Row> withScores(Dataset<Row> rfm) {
    double[][] q =
        rfm.stat()
            .approxQuantile(
                new String[] {RECENCY_DAYS, FREQUENCY, MONETARY_FEN},
                new double[] {0.2, 0.4, 0.6, 0.8},
                0.001);
    return rfm.withColumn(R_SCORE, lit(5).minus(above(col(RECENCY_DAYS), q[0])))
        .withColumn(F_SCORE, lit(1).plus(above(col(FREQUENCY), q[1])))
        .withColumn(M_SCORE, lit(1).plus(above(col(MONETARY_FEN), q[2])));
  }

  /** How many of the cut points the value is above (0-4). */
  private static Column above(Column value, double[] cuts) {
    Column n = lit(0);
    for (double cut : cuts) {
      n = n.plus(when(value.gt(cut), 1).otherwise(0));
    }
    return n;
  }

  private Dataset<Row> read(String table) {
    return Delta.read(spark, warehouse, table);
  }
}
