package io.crowdrank.batch.evaluate;

import static io.crowdrank.batch.common.Columns.CATEGORY;
import static io.crowdrank.batch.common.Columns.MINI_PROGRAM_ID;
import static io.crowdrank.batch.common.Columns.NAME;
import static io.crowdrank.batch.common.Columns.SCORE;
import static io.crowdrank.batch.common.Columns.USER_ID;
import static io.crowdrank.batch.common.Columns.VECTOR;
import static org.apache.spark.sql.functions.aggregate;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.zip_with;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Tables;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;

/**
 * A few users' top mini-programs by the trained model's collaborative score (user factors · item
 * factors, the score serving starts from before context, campaigns and diversity), with the
 * catalog's name and category: for looking at individual users (the model-evaluation notebook), not
 * for scoring everybody — the evaluation step does that with ALS's own recommender.
 */
public final class Recommendations {
  /** The rank within a user's list, 1 = best. */
  public static final String RANK = "rank";

  private Recommendations() {}

  /**
   * Columns user_id, rank, mini_program_id, name, category, score; users without factors (not in
   * the training data) have no rows.
   */
  public static Dataset<Row> top(
      SparkSession spark, String warehouse, List<String> userIds, int n) {
    if (userIds.isEmpty() || n < 1) {
      throw new IllegalArgumentException(
          "need at least one user and n >= 1, got " + userIds.size() + " users and n = " + n);
    }
    Dataset<Row> users =
        Delta.read(spark, warehouse, Tables.USER_FACTORS)
            .filter(col(USER_ID).isin(userIds.toArray()))
            .select(col(USER_ID), col(VECTOR).as("u"));
    Dataset<Row> items =
        Delta.read(spark, warehouse, Tables.ITEM_FACTORS)
            .select(col(MINI_PROGRAM_ID), col(VECTOR).as("i"));
    Dataset<Row> catalog =
        Delta.read(spark, warehouse, Tables.CATALOG).select(MINI_PROGRAM_ID, NAME, CATEGORY);
    return users
        .crossJoin(items)
        .select(
            col(USER_ID),
            col(MINI_PROGRAM_ID),
            aggregate(
                    zip_with(col("u"), col("i"), (a, b) -> a.multiply(b)),
                    lit(0.0),
                    (acc, x) -> acc.plus(x))
                .as(SCORE))
        .withColumn(
            RANK,
            row_number()
                .over(Window.partitionBy(USER_ID).orderBy(col(SCORE).desc(), col(MINI_PROGRAM_ID))))
        .filter(col(RANK).leq(n))
        .join(catalog, MINI_PROGRAM_ID)
        .select(USER_ID, RANK, MINI_PROGRAM_ID, NAME, CATEGORY, SCORE)
        .orderBy(USER_ID, RANK);
  }
}
