package io.crowdrank.batch.identity;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.col;

import io.crowdrank.batch.common.Inputs;
import io.crowdrank.batch.common.Tables;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

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

  /** The newest event date among payments and social interactions. */
  public static java.time.LocalDate newestEventDate(Dataset<Row> payments, Dataset<Row> social) {
    Row r =
        payments
            .select(EVENT_DATE)
            .union(social.select(EVENT_DATE))
            .agg(org.apache.spark.sql.functions.max(EVENT_DATE))
            .first();
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
