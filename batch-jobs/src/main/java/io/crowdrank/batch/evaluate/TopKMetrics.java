package io.crowdrank.batch.evaluate;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import scala.Tuple2;

/**
 * NDCG, recall, precision and MAP at several K in one pass over (predicted ranking, relevant items)
 * pairs, with Spark MLlib's {@code RankingMetrics} definitions (binary relevance; a pair with no
 * relevant items scores 0 and still counts in the mean). MLlib runs one Spark job per metric and K;
 * this runs one for all of them.
 */
final class TopKMetrics {
  private TopKMetrics() {}

  static final int NDCG = 0;
  static final int RECALL = 1;
  static final int PRECISION = 2;
  static final int MAP = 3;
  private static final int METRICS = 4;

  /** Means over the pairs: {@code [k index][metric]}; NaN when there are no pairs. */
  static double[][] means(JavaRDD<Tuple2<double[], double[]>> lists, List<Integer> ks) {
    int[] at = ks.stream().mapToInt(Integer::intValue).toArray();
    int n = at.length * METRICS;
    double[] sums =
        lists
            .map(t -> of(t._1(), t._2(), at))
            .fold(
                new double[n + 1],
                (a, b) -> {
                  for (int x = 0; x <= n; x++) {
                    a[x] += b[x];
                  }
                  return a;
                });
    double[][] out = new double[at.length][METRICS];
    for (int x = 0; x < at.length; x++) {
      for (int m = 0; m < METRICS; m++) {
        out[x][m] = sums[x * METRICS + m] / sums[n];
      }
    }
    return out;
  }

  /** One pair's metrics at every K, laid out as {@link #means} reads them, then a count of 1. */
  static double[] of(double[] predicted, double[] relevant, int[] ks) {
    double[] out = new double[ks.length * METRICS + 1];
    out[out.length - 1] = 1;
    Set<Double> labels = new HashSet<>();
    for (double l : relevant) {
      labels.add(l);
    }
    if (labels.isEmpty()) {
      return out;
    }
    for (int x = 0; x < ks.length; x++) {
      int k = ks[x];
      int shown = Math.min(predicted.length, k);
      int hits = 0;
      double precisionSum = 0;
      double dcg = 0;
      for (int i = 0; i < shown; i++) {
        if (labels.contains(predicted[i])) {
          hits++;
          precisionSum += hits / (double) (i + 1);
          dcg += 1 / Math.log(i + 2);
        }
      }
      double idealDcg = 0;
      for (int i = 0; i < Math.min(labels.size(), k); i++) {
        idealDcg += 1 / Math.log(i + 2);
      }
      out[x * METRICS + NDCG] = dcg / idealDcg;
      out[x * METRICS + RECALL] = hits / (double) labels.size();
      out[x * METRICS + PRECISION] = hits / (double) k;
      out[x * METRICS + MAP] = precisionSum / Math.min(labels.size(), k);
    }
    return out;
  }
}
