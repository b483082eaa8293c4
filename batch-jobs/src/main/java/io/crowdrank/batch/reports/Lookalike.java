package io.crowdrank.batch.reports;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.ml.functions.array_to_vector;
import static org.apache.spark.sql.functions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.ml.clustering.KMeans;
import org.apache.spark.ml.clustering.KMeansModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.stat.Summarizer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Lookalike expansion with the ALS embeddings: a merchant's customers (the seed: AIPL purchase or
 * loyalty at any of its mini-programs) are summarised by the mean of their unit-length user
 * vectors; users who are on the social network (reachable there), have a vector and are not
 * customers yet are scored by cosine similarity with that centre, and each merchant keeps its
 * {@code topN} most similar at or above the similarity floor. Merchants with fewer seed users than
 * the privacy threshold get no lookalikes (their centre would describe a few people).
 *
 * <p>{@link #expand} does not score every user against every merchant (users × merchants products,
 * 501 s of the reports step at 100,000 users): it clusters the reachable users' vectors into cells
 * (k-means, cosine, seeded), and each merchant scores exactly only the users of the cells whose
 * centroids are nearest its centre, nearest first, until they hold {@link #PROBE_FACTOR} × topN
 * users (an inverted-file index, as in FAISS's IVF). The cost is one cell assignment per user plus
 * merchants × PROBE_FACTOR × topN products. {@link #exact} scores every pair: the reference the
 * recall is measured against (docs/BENCHMARKS.md, "Lookalikes (issue 21)").
 */
public final class Lookalike {
  private Lookalike() {}

  /** Similarity thresholds the report shows the audience size at (within each top N). */
  public static final List<Double> THRESHOLDS = List.of(0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3);

  /** Lookalikes kept per merchant unless told otherwise. */
  public static final int DEFAULT_TOP_N = 1000;

  /**
   * Users each merchant scores, as a multiple of top N: the cells probed must hold this many. ALS
   * vectors are not tightly clustered, so a merchant's top N spreads over many cells: on the
   * generator's 100,000 users (60,602 reachable, 613 merchants, top 1000) 4 found 75 % of the exact
   * top N and 8 found 91-92 % (docs/BENCHMARKS.md, "Lookalikes (issue 21)").
   */
  static final int PROBE_FACTOR = 8;

  /**
   * Users per cell, as a share of top N: smaller cells follow a merchant's neighbourhood more
   * closely (at factor 8: recall 0.89 with 0.5, 0.91 with 0.25, 0.94 with 0.1) but cost k-means
   * more.
   */
  static final double CELL_SHARE = 0.25;

  /** Most cells: k-means and the assignment cost users × cells products. */
  static final int MAX_CELLS = 1024;

  /** Users k-means is fitted on per cell (a seeded sample); every user is then assigned. */
  static final int FIT_USERS_PER_CELL = 64;

  /**
   * @param minSeed smallest seed kept (the privacy threshold)
   * @param minSimilarity lowest similarity kept
   * @param topN most lookalikes per merchant (&ge; 1)
   * @param seed seed of the cells' k-means and its sample
   */
  public record Options(long minSeed, double minSimilarity, int topN, long seed) {
    public Options {
      if (topN < 1) {
        throw new IllegalArgumentException("topN must be >= 1, got " + topN);
      }
    }
  }

  /**
   * @param factors {@code model/user_factors} (user_id, vector)
   * @param profiles {@code user_profiles}
   * @param aipl {@code user_aipl}
   * @return (merchant_id, user_id, similarity), at most topN rows per merchant, similarity in
   *     [minSimilarity, 1], approximately the most similar
   */
  public static Dataset<Row> expand(
      Dataset<Row> factors, Dataset<Row> profiles, Dataset<Row> aipl, Options options) {
    Seeds s = seeds(factors, profiles, aipl, options.minSeed());
    long users = s.reachable().count();
    int budget = PROBE_FACTOR * options.topN();
    int cells = (int) Math.min(MAX_CELLS, Math.round(users / (CELL_SHARE * options.topN())));
    if (users <= budget || cells < 2) {
      // Every merchant would score (nearly) everybody anyway.
      return top(s.reachable().crossJoin(broadcast(s.centres())), s.customers(), options);
    }
    KMeansModel model =
        new KMeans()
            .setK(cells)
            .setSeed(options.seed())
            .setDistanceMeasure("cosine")
            .setFeaturesCol(VECTOR)
            .setPredictionCol(CELL)
            .fit(
                s.reachable()
                    .sample(
                        false,
                        Math.min(1.0, FIT_USERS_PER_CELL * cells / (double) users),
                        options.seed()));
    // The sample's cell sizes scaled up: a budget needs no pass over every user's cell.
    long[] fitted = model.summary().clusterSizes();
    double scale = users / (double) Arrays.stream(fitted).sum();
    double[] sizes = Arrays.stream(fitted).mapToDouble(n -> n * scale).toArray();
    List<Row> probes = probes(model.clusterCenters(), sizes, s.centres().collectAsList(), budget);
    Dataset<Row> candidates =
        model
            .transform(s.reachable())
            .join(broadcast(factors.sparkSession().createDataFrame(probes, PROBES)), CELL);
    return top(candidates, s.customers(), options);
  }

  /**
   * Every reachable user scored against every merchant: the exact answer of {@link #expand}, at
   * users × merchants products.
   */
  public static Dataset<Row> exact(
      Dataset<Row> factors, Dataset<Row> profiles, Dataset<Row> aipl, Options options) {
    Seeds s = seeds(factors, profiles, aipl, options.minSeed());
    return top(s.reachable().crossJoin(broadcast(s.centres())), s.customers(), options);
  }

  /**
   * @param reachable (user_id, vector): unit vectors of the users on the social network
   * @param customers (merchant_id, user_id)
   * @param centres (merchant_id, centre): unit mean of each large enough seed
   */
  private record Seeds(Dataset<Row> reachable, Dataset<Row> customers, Dataset<Row> centres) {}

  private static Seeds seeds(
      Dataset<Row> factors, Dataset<Row> profiles, Dataset<Row> aipl, long minSeed) {
    Dataset<Row> unit =
        factors
            .select(col(USER_ID), UNIT.apply(array_to_vector(col(VECTOR))).as(VECTOR))
            .filter(col(VECTOR).isNotNull());
    Dataset<Row> customers =
        aipl.filter(col(SCOPE).equalTo(SCOPE_MERCHANT).and(col(STAGE_LEVEL).geq(3)))
            .select(col(SCOPE_ID).as(MERCHANT_ID), col(USER_ID));
    Dataset<Row> centres =
        customers
            .join(unit, USER_ID)
            .groupBy(MERCHANT_ID)
            .agg(Summarizer.mean(col(VECTOR)).as(CENTRE), count(lit(1)).as("n"))
            .filter(col("n").geq(minSeed))
            .select(col(MERCHANT_ID), UNIT.apply(col(CENTRE)).as(CENTRE))
            .filter(col(CENTRE).isNotNull());
    Dataset<Row> reachable = profiles.filter(col(HAS_SOCIAL)).select(USER_ID).join(unit, USER_ID);
    return new Seeds(reachable, customers, centres);
  }

  /** The scored pairs' top N per merchant at or above the floor, customers left out. */
  private static Dataset<Row> top(Dataset<Row> pairs, Dataset<Row> customers, Options options) {
    return pairs
        .select(col(MERCHANT_ID), col(USER_ID), DOT.apply(col(VECTOR), col(CENTRE)).as(SIMILARITY))
        .filter(col(SIMILARITY).geq(options.minSimilarity()))
        .join(customers, new String[] {MERCHANT_ID, USER_ID}, "left_anti")
        .withColumn(
            "rank",
            row_number()
                .over(
                    Window.partitionBy(MERCHANT_ID).orderBy(col(SIMILARITY).desc(), col(USER_ID))))
        .filter(col("rank").leq(options.topN()))
        .drop("rank");
  }

  static final StructType PROBES =
      new StructType()
          .add(MERCHANT_ID, DataTypes.StringType)
          .add(CELL, DataTypes.IntegerType)
          .add(CENTRE, new VectorUDT());

  /**
   * (merchant_id, cell, centre) for every cell a merchant scores: the cells by the cosine of their
   * centroid with the merchant's centre, nearest first, until they hold {@code budget} users.
   *
   * @param sizes users per cell
   * @param centres (merchant_id, centre)
   */
  static List<Row> probes(Vector[] centroids, double[] sizes, List<Row> centres, int budget) {
    List<Row> out = new ArrayList<>();
    for (Row merchant : centres) {
      Vector centre = merchant.getAs(CENTRE);
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < centroids.length; i++) {
        order.add(i);
      }
      order.sort(Comparator.comparingDouble((Integer i) -> -cosine(centroids[i], centre)));
      double held = 0;
      for (int cell : order) {
        if (held >= budget) {
          break;
        }
        out.add(RowFactory.create(merchant.getString(0), cell, centre));
        held += sizes[cell];
      }
    }
    return out;
  }

  private static double cosine(Vector a, Vector b) {
    return a.dot(b) / (Vectors.norm(a, 2) * Vectors.norm(b, 2));
  }

  /** The vector scaled to unit length (null for a zero vector). */
  private static final UserDefinedFunction UNIT =
      udf(
          (UDF1<Vector, Vector>)
              v -> {
                double norm = v == null ? 0 : Vectors.norm(v, 2);
                if (norm == 0) {
                  return null;
                }
                double[] x = v.toArray().clone();
                for (int i = 0; i < x.length; i++) {
                  x[i] /= norm;
                }
                return Vectors.dense(x);
              },
          new VectorUDT());

  private static final UserDefinedFunction DOT =
      udf((UDF2<Vector, Vector, Double>) Vector::dot, DataTypes.DoubleType);
}
