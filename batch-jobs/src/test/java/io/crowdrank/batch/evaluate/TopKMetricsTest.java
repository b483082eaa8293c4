package io.crowdrank.batch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.crowdrank.batch.testing.SparkTestBase;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/**
 * The worked example of Spark's own RankingMetricsSuite (three users, the third with nothing
 * relevant), whose figures were computed by hand there; MAP at 10 is the suite's MAP because no
 * user has more than 10 relevant items.
 */
class TopKMetricsTest extends SparkTestBase {
  static final List<Tuple2<double[], double[]>> PAIRS =
      List.of(
          new Tuple2<>(new double[] {1, 6, 2, 7, 8, 3, 9, 10, 4, 5}, new double[] {1, 2, 3, 4, 5}),
          new Tuple2<>(new double[] {4, 1, 5, 6, 2, 7, 3, 8, 9, 10}, new double[] {1, 2, 3}),
          new Tuple2<>(new double[] {1, 2, 3, 4, 5}, new double[] {}));
  static final List<Integer> KS = List.of(1, 2, 3, 4, 5, 10, 15);

  @Test
  void means_matchTheHandWorkedExample() {
    double[][] m =
        TopKMetrics.means(
            JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(PAIRS, 2), KS);

    double[] precision = {1.0 / 3, 1.0 / 3, 1.0 / 3, 0.75 / 3, 0.8 / 3, 0.8 / 3, 8.0 / 45};
    for (int x = 0; x < KS.size(); x++) {
      assertThat(m[x][TopKMetrics.PRECISION])
          .as("precision@" + KS.get(x))
          .isCloseTo(precision[x], within(1e-9));
    }
    assertThat(m[KS.indexOf(3)][TopKMetrics.NDCG]).isCloseTo(1.0 / 3, within(1e-9));
    assertThat(m[KS.indexOf(10)][TopKMetrics.MAP]).isCloseTo(0.355026, within(1e-6));
    // recall@5: 2 of 5 relevant (items 1, 2) and 2 of 3 (1, 2) in the top 5; 0 for the third.
    assertThat(m[KS.indexOf(5)][TopKMetrics.RECALL])
        .isCloseTo((2.0 / 5 + 2.0 / 3) / 3, within(1e-9));
  }

  @Test
  void of_ndcgDividesByTheIdealOrderOfAsManyItemsAsAreRelevantUpToK() {
    // One relevant item, ranked second: DCG 1/log2(3), ideal 1/log2(2) = 1.
    double[] one = TopKMetrics.of(new double[] {7, 9, 8}, new double[] {9}, new int[] {3});
    assertThat(one[TopKMetrics.NDCG]).isCloseTo(Math.log(2) / Math.log(3), within(1e-12));
    assertThat(one[TopKMetrics.MAP]).isCloseTo(0.5, within(1e-12));
    assertThat(one[TopKMetrics.PRECISION]).isCloseTo(1.0 / 3, within(1e-12));
    assertThat(one[TopKMetrics.RECALL]).isEqualTo(1.0);
    assertThat(one[one.length - 1]).as("count").isEqualTo(1.0);
  }

  @Test
  void means_ofNoPairs_isNaN() {
    double[][] m =
        TopKMetrics.means(
            JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(List.of(), 1),
            List.of(10));
    assertThat(m[0][TopKMetrics.NDCG]).isNaN();
  }
}
