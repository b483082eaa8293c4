package io.crowdrank.batch.profiles;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.identity.Events;
import io.crowdrank.format.ServingLogFormat;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * AIPL stages, per user and mini-program and per user and merchant; the highest stage reached wins:
 *
 * <ol>
 *   <li>Awareness: saw it ({@code view} on the social network; in a list the service returned, or
 *       an {@code impression} a host app sent back);
 *   <li>Interest: engaged ({@code follow}, {@code like}, {@code card_click}, {@code comment}, or a
 *       {@code repost} before any purchase; a {@code click} or {@code use} from a ranking);
 *   <li>Purchase: paid once;
 *   <li>Loyalty: paid more than once, or shared ({@code repost}) after a purchase.
 * </ol>
 */
final class Aipl {
  private Aipl() {}

  static final List<String> STAGES = List.of("awareness", "interest", "purchase", "loyalty");

  /**
   * @param feedback {@link io.crowdrank.batch.identity.Events#feedback}: served lists and host
   *     apps' events
   */
  static Dataset<Row> stages(
      Dataset<Row> payments, Dataset<Row> social, Dataset<Row> catalog, Dataset<Row> feedback) {
    Dataset<Row> merchants = catalog.select(MINI_PROGRAM_ID, MERCHANT_ID);
    Dataset<Row> paid =
        payments
            .groupBy(USER_ID, MINI_PROGRAM_ID, MERCHANT_ID)
            .agg(count(lit(1)).as("n"), min(EVENT_TIME).as("first_paid"));
    Dataset<Row> engaged =
        social
            .filter(col(MINI_PROGRAM_ID).isNotNull())
            .join(merchants, MINI_PROGRAM_ID)
            .select(USER_ID, MINI_PROGRAM_ID, MERCHANT_ID, ACTION, EVENT_TIME);
    Dataset<Row> ranked =
        feedback
            .join(merchants, MINI_PROGRAM_ID)
            .select(
                col(USER_ID),
                col(MINI_PROGRAM_ID),
                col(MERCHANT_ID),
                when(col(Events.KIND).isin(ServingLogFormat.CLICK, ServingLogFormat.USE), 2)
                    .otherwise(1)
                    .as(STAGE_LEVEL));

    Dataset<Row> perItem = levels(paid, engaged, ranked, MINI_PROGRAM_ID);
    Dataset<Row> perMerchant =
        levels(
            paid.groupBy(USER_ID, MERCHANT_ID)
                .agg(sum("n").as("n"), min("first_paid").as("first_paid")),
            engaged,
            ranked,
            MERCHANT_ID);
    return perItem
        .select(
            lit(SCOPE_MINI_PROGRAM).as(SCOPE),
            col(USER_ID),
            col(MINI_PROGRAM_ID).as(SCOPE_ID),
            col(STAGE_LEVEL))
        .unionByName(
            perMerchant.select(
                lit(SCOPE_MERCHANT).as(SCOPE),
                col(USER_ID),
                col(MERCHANT_ID).as(SCOPE_ID),
                col(STAGE_LEVEL)))
        .withColumn(
            STAGE,
            element_at(
                array(STAGES.stream().map(s -> lit(s)).toArray(Column[]::new)), col(STAGE_LEVEL)));
  }

  /**
   * The highest level per (user, key) from payments (count, first time), social actions and the
   * rankings' feedback (its level already set).
   */
  private static Dataset<Row> levels(
      Dataset<Row> paid, Dataset<Row> engaged, Dataset<Row> ranked, String key) {
    Dataset<Row> fromPayments =
        paid.select(col(USER_ID), col(key), when(col("n").geq(2), 4).otherwise(3).as(STAGE_LEVEL));
    Dataset<Row> firstPaid = paid.select(col(USER_ID), col(key), col("first_paid"));
    Dataset<Row> fromSocial =
        engaged
            .join(firstPaid, new String[] {USER_ID, key}, "left")
            .select(
                col(USER_ID),
                col(key),
                when(col(ACTION).equalTo("view"), 1)
                    .when(
                        col(ACTION)
                            .equalTo("repost")
                            .and(col("first_paid").isNotNull())
                            .and(col(EVENT_TIME).gt(col("first_paid"))),
                        4)
                    .otherwise(2)
                    .as(STAGE_LEVEL));
    return fromPayments
        .unionByName(fromSocial)
        .unionByName(ranked.select(col(USER_ID), col(key), col(STAGE_LEVEL)))
        .groupBy(USER_ID, key)
        .agg(max(STAGE_LEVEL).as(STAGE_LEVEL));
  }

  /** Overwrites the AIPL table: it is derived whole from pinned inputs. */
  static void write(Dataset<Row> stages, String path) {
    Delta.overwrite(stages, path, SCOPE);
  }
}
