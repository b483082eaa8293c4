package io.crowdrank.batch.common;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.batch.testing.SparkTestBase;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

class CheckpointsTest extends SparkTestBase {
  private static final int LEVELS = 6;

  @Test
  void cut_keepsTheRows_andLeavesQueriesOverAChainThePlanOfOneScan() {
    try (Checkpoints checkpoints = new Checkpoints()) {
      Dataset<Row> query = overChain(checkpoints::cut);

      Map<Long, Long> expected = chainInPlainJava();
      Map<Long, Long> actual = new HashMap<>();
      for (Row r : query.collectAsList()) {
        actual.put(r.getLong(0), r.getLong(1));
      }
      assertThat(actual).isEqualTo(expected);
      // The query's plan names the chain's last table as one scan, however deep the chain.
      int cutPlan = query.queryExecution().executedPlan().toString().length();
      assertThat(cutPlan).isLessThan(5_000);

      // Persisted instead, each table carries its parents' plans, each described twice once run
      // (adaptive execution's initial and final plan): the description doubles with each level.
      Dataset<Row> persisted = overChain(d -> d.persist(StorageLevel.MEMORY_AND_DISK()));
      persisted.collectAsList();
      assertThat(persisted.queryExecution().executedPlan().toString().length())
          .isGreaterThan(10 * cutPlan);
      spark.catalog().clearCache();
    }
  }

  @Test
  void close_freesTheRowsOfEveryCut_andReleaseOneOfThem() {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Set<Integer> before = Set.copyOf(sc.getPersistentRDDs().keySet());
    Checkpoints checkpoints = new Checkpoints();
    Dataset<Row> a = checkpoints.cut(spark.range(100).toDF());
    Dataset<Row> b = checkpoints.cut(spark.range(50).toDF());
    assertThat(a.count() + b.count()).isEqualTo(150);
    assertThat(sc.getPersistentRDDs().keySet()).hasSize(before.size() + 2);

    checkpoints.release(a);
    assertThat(sc.getPersistentRDDs().keySet()).hasSize(before.size() + 1);
    assertThatThrownBy(() -> checkpoints.release(a))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a dataset these checkpoints made");
    assertThat(b.count()).isEqualTo(50);

    checkpoints.close();
    assertThat(sc.getPersistentRDDs().keySet()).containsExactlyInAnyOrderElementsOf(before);
  }

  /**
   * A query over {@link #LEVELS} tables, each computed from the one before: ids 0..99 keyed by id
   * mod 10, then per level joined to w = 2k and summed per key.
   */
  private static Dataset<Row> overChain(UnaryOperator<Dataset<Row>> keep) {
    Dataset<Row> side = spark.range(10).select(col("id").as("k"), col("id").multiply(2).as("w"));
    Dataset<Row> d = spark.range(100).select(col("id").mod(10).as("k"), col("id").as("v"));
    for (int level = 0; level < LEVELS; level++) {
      d = keep.apply(d.join(side, "k").groupBy("k").agg(sum(col("v").plus(col("w"))).as("v")));
    }
    return d.join(side, "k").select(col("k"), col("v").plus(col("w")).as("v"));
  }

  private static Map<Long, Long> chainInPlainJava() {
    Map<Long, Long> v = new HashMap<>();
    for (long id = 0; id < 100; id++) {
      v.merge(id % 10, id + 2 * (id % 10), Long::sum); // the first level sums every row
    }
    for (int level = 1; level < LEVELS; level++) {
      v.replaceAll((k, x) -> x + 2 * k); // one row per key from then on
    }
    v.replaceAll((k, x) -> x + 2 * k); // the query's own join
    return v;
  }
}
