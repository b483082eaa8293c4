package io.crowdrank.batch.reports;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.*;

import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Lookalike expansion with the ALS embeddings: a merchant's customers (the seed: AIPL purchase or
 * loyalty at any of its mini-programs) are summarised by the mean of their unit-length user
 * vectors; every user who is on the social network (reachable there), has a vector and is not a
 * customer yet is scored by cosine similarity with that centre. Merchants with fewer seed users
 * than the privacy threshold get no lookalikes (their centre would describe a few people).
 *
 * <p>One pass: the merchant centres are few and broadcast, users are scanned once per merchant
 * centre. At platform scale a merchant asks for its expansion on demand rather than for every
 * merchant every day.
 */
public final class Lookalike {
  private Lookalike() {}

  /** Similarity thresholds the report shows the audience size at. */
  public static final List<Double> THRESHOLDS = List.of(0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3);

  /**
   * @param factors {@code model/user_factors} (user_id, vector)
   * @param profiles {@code user_profiles}
   * @param aipl {@code user_aipl}
   * @param minSeed smallest seed kept (the privacy threshold)
   * @param minSimilarity lowest similarity kept
   * @return (merchant_id, user_id, similarity), similarity in [minSimilarity, 1]
   */
  public static Dataset<Row> expand(
      Dataset<Row> factors,
      Dataset<Row> profiles,
      Dataset<Row> aipl,
      long minSeed,
      double minSimilarity) {
    Dataset<Row> unit =
        factors
            .select(col(USER_ID), normalised(col(VECTOR)).as(VECTOR))
            .filter(col(VECTOR).isNotNull());
    Dataset<Row> customers =
        aipl.filter(col(SCOPE).equalTo(SCOPE_MERCHANT).and(col(STAGE_LEVEL).geq(3)))
            .select(col(SCOPE_ID).as(MERCHANT_ID), col(USER_ID));
    Dataset<Row> centres =
        customers
            .join(unit, USER_ID)
            .select(col(MERCHANT_ID), posexplode(col(VECTOR)).as(new String[] {"d", "x"}))
            .groupBy(MERCHANT_ID, "d")
            .agg(avg("x").as("x"), count(lit(1)).as("n"))
            .filter(col("n").geq(minSeed))
            .groupBy(MERCHANT_ID)
            .agg(sort_array(collect_list(struct(col("d"), col("x")))).as("c"))
            .select(col(MERCHANT_ID), normalised(col("c.x")).as("centre"));
    Dataset<Row> reachable = profiles.filter(col(HAS_SOCIAL)).select(USER_ID).join(unit, USER_ID);
    Column cosine =
        aggregate(
            zip_with(col(VECTOR), col("centre"), (a, b) -> a.multiply(b)),
            lit(0.0),
            (acc, x) -> acc.plus(x));
    return reachable
        .crossJoin(broadcast(centres))
        .select(col(MERCHANT_ID), col(USER_ID), cosine.as(SIMILARITY))
        .filter(col(SIMILARITY).geq(minSimilarity))
        .join(customers, new String[] {MERCHANT_ID, USER_ID}, "left_anti");
  }

  /** The vector scaled to unit length (null for a zero vector). */
  static Column normalised(Column v) {
    Column norm = sqrt(aggregate(v, lit(0.0), (acc, x) -> acc.plus(x.cast("double").multiply(x))));
    return when(norm.gt(0), transform(v, x -> x.cast("double").divide(norm)));
  }
}
