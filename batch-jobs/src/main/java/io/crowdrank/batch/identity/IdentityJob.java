package io.crowdrank.batch.identity;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.substring;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Hashing;
import io.crowdrank.batch.common.Inputs;
import io.crowdrank.batch.common.StepJob;
import io.crowdrank.batch.common.StepOptions;
import io.crowdrank.batch.common.Tables;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;

/**
 * Resolves who is who. Every account gets a pseudonymous {@code user_id} (a salted SHA-256 of the
 * account, 80 bits in hex). A payment account and a social account become one shared user only
 * while their newest link record says "linked" with marketing consent; an unlink or a consent
 * withdrawal turns them back into two single-platform users on the next run. The identity map is
 * the only table that holds raw account ids next to user ids.
 */
public final class IdentityJob extends StepJob<IdentityJob.Options, IdentityJob.Result> {

  /**
   * @param warehouse root of the Delta tables
   * @param idSalt secret mixed into every pseudonymous id; must stay the same across runs
   */
  public record Options(String warehouse, String idSalt) implements StepOptions {
    public Options {
      if (warehouse == null) {
        throw new IllegalArgumentException("warehouse is required");
      }
      if (idSalt == null || idSalt.length() < 8) {
        throw new IllegalArgumentException("idSalt must be at least 8 characters");
      }
    }
  }

  /**
   * @param skipped true if the identity map was already built from these inputs (nothing written)
   */
  public record Result(
      long paymentAccounts,
      long socialAccounts,
      long sharedUsers,
      long users,
      StepJob.Outcome outcome)
      implements StepJob.Report {
    @Override
    public Map<String, Long> counts() {
      return Map.of(
          "payment_accounts", paymentAccounts,
          "social_accounts", socialAccounts,
          "shared_users", sharedUsers,
          "users", users);
    }
  }

  static final String STEP = "identity";

  public IdentityJob(SparkSession spark, Options options) {
    super(
        spark,
        options,
        STEP,
        List.of(Tables.ACCOUNT_LINKS, Tables.PAYMENTS, Tables.SOCIAL),
        List.of(Tables.IDENTITY_MAP));
  }

  @Override
  protected Map<String, ?> params() {
    // The salt is secret: its hash tells a changed salt apart without recording it.
    return Map.of("id_salt_sha256", Hashing.sha256Hex(options.idSalt()).substring(0, 16));
  }

  @Override
  protected void compute(Inputs in, Commit commit) {
    Dataset<Row> links = in.read(Tables.ACCOUNT_LINKS);
    Dataset<Row> active = activeLinks(links);

    Dataset<Row> paymentAccounts =
        in.read(Tables.PAYMENTS)
            .select(col(PAYER_ACCOUNT).as(ACCOUNT_ID))
            .union(links.select(col(PAYMENT_ACCOUNT).as(ACCOUNT_ID)))
            .distinct();
    Dataset<Row> socialAccounts =
        in.read(Tables.SOCIAL)
            .select(col(SOCIAL_ACCOUNT).as(ACCOUNT_ID))
            .union(links.select(col(SOCIAL_ACCOUNT).as(ACCOUNT_ID)))
            .distinct();

    Dataset<Row> paymentMap =
        paymentAccounts
            .join(
                active.select(col(PAYMENT_ACCOUNT).as(ACCOUNT_ID), lit(true).as(IS_SHARED)),
                ACCOUNT_ID,
                "left")
            .select(
                lit(ACCOUNT_PAYMENT).as(ACCOUNT_TYPE),
                col(ACCOUNT_ID),
                pseudonym(ACCOUNT_PAYMENT, col(ACCOUNT_ID)).as(USER_ID),
                coalesce(col(IS_SHARED), lit(false)).as(IS_SHARED));
    Dataset<Row> socialMap =
        socialAccounts
            .join(
                active.select(col(SOCIAL_ACCOUNT).as(ACCOUNT_ID), col(PAYMENT_ACCOUNT)),
                ACCOUNT_ID,
                "left")
            .select(
                lit(ACCOUNT_SOCIAL).as(ACCOUNT_TYPE),
                col(ACCOUNT_ID),
                // A linked social account takes its payment twin's id: one person, one id.
                coalesce(
                        pseudonym(ACCOUNT_PAYMENT, col(PAYMENT_ACCOUNT)),
                        pseudonym(ACCOUNT_SOCIAL, col(ACCOUNT_ID)))
                    .as(USER_ID),
                col(PAYMENT_ACCOUNT).isNotNull().as(IS_SHARED));

    commit.commit(
        () ->
            Delta.overwrite(
                paymentMap.unionByName(socialMap).repartition(col(ACCOUNT_TYPE)),
                path(Tables.IDENTITY_MAP)));
  }

  @Override
  protected Result result(Run run) {
    Dataset<Row> map = Delta.read(spark, warehouse, Tables.IDENTITY_MAP);
    long payments = map.filter(col(ACCOUNT_TYPE).equalTo(ACCOUNT_PAYMENT)).count();
    long socials = map.filter(col(ACCOUNT_TYPE).equalTo(ACCOUNT_SOCIAL)).count();
    long shared = map.filter(col(ACCOUNT_TYPE).equalTo(ACCOUNT_SOCIAL).and(col(IS_SHARED))).count();
    return new Result(payments, socials, shared, payments + socials - shared, run.outcome());
  }

  /**
   * Pairs whose newest record is "linked" with consent, one social account per payment account and
   * vice versa (the newest link wins if upstream ever delivers two).
   */
  static Dataset<Row> activeLinks(Dataset<Row> links) {
    Dataset<Row> latest =
        links
            .withColumn(
                "_n",
                row_number()
                    .over(
                        Window.partitionBy(PAYMENT_ACCOUNT, SOCIAL_ACCOUNT)
                            // "unlinked" sorts after "linked": at the same instant, unlink wins.
                            .orderBy(col(LINK_TIME).desc(), col(STATUS).desc())))
            .filter(col("_n").equalTo(1))
            .filter(col(STATUS).equalTo("linked").and(col(MARKETING_CONSENT)))
            .drop("_n");
    Dataset<Row> onePerPayment = newestPer(latest, PAYMENT_ACCOUNT);
    return newestPer(onePerPayment, SOCIAL_ACCOUNT).select(PAYMENT_ACCOUNT, SOCIAL_ACCOUNT);
  }

  private static Dataset<Row> newestPer(Dataset<Row> links, String account) {
    return links
        .withColumn(
            "_n",
            row_number()
                .over(
                    Window.partitionBy(account)
                        .orderBy(col(LINK_TIME).desc(), col(PAYMENT_ACCOUNT), col(SOCIAL_ACCOUNT))))
        .filter(col("_n").equalTo(1))
        .drop("_n");
  }

  private Column pseudonym(String accountType, Column account) {
    // Null in, null out: concat_ws would skip a null account, so guard it explicitly.
    Column hash =
        substring(
            sha2(concat_ws("|", lit(options.idSalt()), lit(accountType), account), 256), 1, 20);
    return org.apache.spark.sql.functions.when(account.isNotNull(), hash);
  }
}
