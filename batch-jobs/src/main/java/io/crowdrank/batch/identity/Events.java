package io.crowdrank.batch.identity;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.to_date;

import io.crowdrank.batch.common.Inputs;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.format.ServingLogFormat;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Bronze events resolved to pseudonymous users through the identity map: the one way every later
 * step sees payments and social interactions, so raw account ids stop here. Reads go through the
 * caller's pinned {@link Inputs}: a step sees one version of each table.
 */
public final class Events {
  private Events() {}

  /** The tables the events are read from: pin these to read payments and social events. */
  public static final java.util.List<String> SOURCES =
      java.util.List.of(Tables.PAYMENTS, Tables.SOCIAL, Tables.IDENTITY_MAP, Tables.CATALOG);

  /** Successful payments with {@code user_id} instead of the payer account. */
  public static Dataset<Row> payments(Inputs in) {
    Dataset<Row> ids = identity(in, ACCOUNT_PAYMENT);
    return in.read(Tables.PAYMENTS)
        .filter(col(STATUS).equalTo("success"))
        .join(ids, col(PAYER_ACCOUNT).equalTo(ids.col(ACCOUNT_ID)))
        .select(
            col(USER_ID),
            col(TXN_ID),
            col(MERCHANT_ID),
            col(MINI_PROGRAM_ID),
            col(AMOUNT_FEN),
            col(CATEGORY),
            col(CITY),
            col(HOST_APP),
            col(EVENT_TIME),
            col(EVENT_DATE));
  }

  /** Social interactions with {@code user_id} instead of the social account. */
  public static Dataset<Row> social(Inputs in) {
    Dataset<Row> ids = identity(in, ACCOUNT_SOCIAL);
    return in.read(Tables.SOCIAL)
        .join(ids, col(SOCIAL_ACCOUNT).equalTo(ids.col(ACCOUNT_ID)))
        .select(
            col(USER_ID),
            col(EVENT_ID),
            col(ACTION),
            col(VERTICAL),
            col(MINI_PROGRAM_ID),
            col(EVENT_TIME),
            col(EVENT_DATE));
  }

  /** The service's log ({@code jobs events}): a step pins it too once it exists. */
  public static final String SERVING_LOG = ServingLogFormat.TABLE_PATH;

  /** {@link #KIND} of an item in a list the service returned (the other kinds are the API's). */
  public static final String SERVED = ServingLogFormat.SERVED;

  /** served, impression, click or use. */
  public static final String KIND = ServingLogFormat.KIND;

  /**
   * {@link #SOURCES} and the service's log: pin these to read {@link #feedback} too (the log as an
   * optional input: it exists once something was served).
   */
  public static final List<String> SOURCES_WITH_FEEDBACK =
      java.util.stream.Stream.concat(SOURCES.stream(), java.util.stream.Stream.of(SERVING_LOG))
          .toList();

  /**
   * What the service showed and what users did with it, one row per item of a served list (kind
   * {@code served}) and per event host apps sent back ({@code impression}, {@code click}, {@code
   * use}), with {@code user_id} instead of the account the host app named: {@code user_id}, {@code
   * mini_program_id}, {@code kind}, {@code host_app}, {@code event_time} (never after the replica
   * logged it), {@code event_date}. A shared id is already a user id; an account or shared id the
   * identity map does not know is left out (not a user of the profiles). Empty when the log is not
   * pinned (nothing served yet).
   */
  public static Dataset<Row> feedback(Inputs in) {
    if (!in.versions().containsKey(SERVING_LOG)) {
      return in.spark().createDataFrame(List.of(), FEEDBACK);
    }
    Dataset<Row> identity = in.read(Tables.IDENTITY_MAP);
    Dataset<Row> log = in.read(SERVING_LOG);
    String account = "_account";
    Dataset<Row> served =
        log.filter(col(ServingLogFormat.TYPE).equalTo(ServingLogFormat.SERVED))
            .select(
                col(ServingLogFormat.USER_TYPE),
                col(ServingLogFormat.USER_ID).as(account),
                explode(col(ServingLogFormat.ITEMS)).as("item"),
                col(ServingLogFormat.HOST_APP).as(HOST_APP),
                happened().as(EVENT_TIME))
            .select(
                col(ServingLogFormat.USER_TYPE),
                col(account),
                col("item." + ServingLogFormat.ITEM_ID).as(MINI_PROGRAM_ID),
                lit(SERVED).as(KIND),
                col(HOST_APP),
                col(EVENT_TIME));
    Dataset<Row> events =
        log.filter(col(ServingLogFormat.TYPE).equalTo(ServingLogFormat.EVENT))
            .select(
                col(ServingLogFormat.USER_TYPE),
                col(ServingLogFormat.USER_ID).as(account),
                col(ServingLogFormat.ITEM_ID).as(MINI_PROGRAM_ID),
                col(ServingLogFormat.KIND).as(KIND),
                col(ServingLogFormat.HOST_APP).as(HOST_APP),
                happened().as(EVENT_TIME));
    // Accounts by their type; a shared id names its user.
    Dataset<Row> ids =
        identity
            .select(col(ACCOUNT_TYPE), col(ACCOUNT_ID), col(USER_ID))
            .unionByName(
                identity.select(
                    lit(ServingLogFormat.SHARED).as(ACCOUNT_TYPE),
                    col(USER_ID).as(ACCOUNT_ID),
                    col(USER_ID)))
            .distinct();
    Dataset<Row> all = served.unionByName(events);
    return all.join(
            ids,
            all.col(ServingLogFormat.USER_TYPE)
                .equalTo(ids.col(ACCOUNT_TYPE))
                .and(all.col(account).equalTo(ids.col(ACCOUNT_ID))))
        .select(
            col(USER_ID),
            col(MINI_PROGRAM_ID),
            col(KIND),
            col(HOST_APP),
            col(EVENT_TIME),
            to_date(col(EVENT_TIME)).as(EVENT_DATE));
  }

  /**
   * When a record of the service's log happened, never after the replica logged it: a ranking's
   * context time is the host app's to choose (up to a year ahead), and must not move the profiles'
   * as-of date, the decay, or the day an experiment counts the answer on.
   */
  public static org.apache.spark.sql.Column happened() {
    return least(col(ServingLogFormat.EVENT_TIME), col(ServingLogFormat.LOGGED_AT));
  }

  /** {@link #feedback}'s columns. */
  static final StructType FEEDBACK =
      new StructType()
          .add(USER_ID, DataTypes.StringType)
          .add(MINI_PROGRAM_ID, DataTypes.StringType)
          .add(KIND, DataTypes.StringType)
          .add(HOST_APP, DataTypes.StringType)
          .add(EVENT_TIME, DataTypes.TimestampType)
          .add(EVENT_DATE, DataTypes.DateType);

  /** The newest event date among the datasets' {@code event_date}s (payments, social, …). */
  @SafeVarargs
  public static java.time.LocalDate newestEventDate(Dataset<Row>... events) {
    Dataset<Row> dates = events[0].select(EVENT_DATE);
    for (int i = 1; i < events.length; i++) {
      dates = dates.union(events[i].select(EVENT_DATE));
    }
    Row r = dates.agg(org.apache.spark.sql.functions.max(EVENT_DATE)).first();
    if (r.isNullAt(0)) {
      throw new IllegalStateException("no payment or social events: run ingest first");
    }
    Object d = r.get(0);
    return d instanceof java.sql.Date sql ? sql.toLocalDate() : (java.time.LocalDate) d;
  }

  private static Dataset<Row> identity(Inputs in, String type) {
    return in.read(Tables.IDENTITY_MAP)
        .filter(col(ACCOUNT_TYPE).equalTo(type))
        .select(ACCOUNT_ID, USER_ID);
  }
}
