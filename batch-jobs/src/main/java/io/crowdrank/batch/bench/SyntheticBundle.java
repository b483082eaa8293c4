package io.crowdrank.batch.bench;

import static io.crowdrank.format.BundleFormat.*;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.publish.BundleIndex;
import io.crowdrank.batch.publish.BundleParts;
import io.crowdrank.format.HostApps;
import io.crowdrank.format.HourOfWeek;
import io.crowdrank.format.Manifest;
import io.crowdrank.ranking.bundle.Catalog;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Writes a synthetic model bundle of any size (the serving benchmarks need a million mini-programs
 * that no demo run produces), in the published format so the service loads it the usual way.
 *
 * <p>Vectors are clustered, as learnt factors are: each item and user sits near one of {@code
 * clusters} random centres (Gaussian noise around a centre with uniform components), and an item's
 * category follows its cluster. Uniform random vectors would be harder for HNSW than any real
 * embedding and say little about production recall.
 */
public final class SyntheticBundle {
  public static final List<String> CATEGORIES =
      List.of(
          "fast_food",
          "food_delivery",
          "coffee_tea",
          "travel",
          "hotel",
          "ride_hailing",
          "health",
          "pharmacy",
          "retail",
          "fashion",
          "beauty",
          "movies",
          "education",
          "fitness",
          "utilities");

  /**
   * @param warehouse where to write {@code serving/bundle} (anything there is replaced)
   * @param items mini-programs, &ge; 1
   * @param users users with a vector, &ge; 1
   * @param dim vector dimension, &ge; 2
   * @param clusters vector clusters, &ge; 1
   * @param habitCells hour-of-week habit cells per user, &ge; 0 (a demo user has about 10)
   * @param indexFrom items from which the item index is built as publish builds it ({@link
   *     Catalog#ANN_MIN_ITEMS}); {@link Long#MAX_VALUE} never (replicas build their own)
   */
  public record Options(
      String warehouse,
      long items,
      long users,
      int dim,
      int clusters,
      long seed,
      int habitCells,
      long indexFrom) {
    public Options {
      if (warehouse == null
          || items < 1
          || users < 1
          || dim < 2
          || clusters < 1
          || habitCells < 0) {
        throw new IllegalArgumentException(
            "need a warehouse, items >= 1, users >= 1, dim >= 2, clusters >= 1 and habit cells"
                + " >= 0");
      }
    }
  }

  /** User ids are {@code u<n>}, payment accounts {@code 2088<n>}, item ids {@code mp<n>}. */
  public record Result(String table, long items, long users, int dim, long millis) {}

  private final SparkSession spark;
  private final Options o;

  public SyntheticBundle(SparkSession spark, Options options) {
    this.spark = spark;
    this.o = options;
  }

  public Result execute() {
    long t0 = System.nanoTime();
    Column categories = array(CATEGORIES.stream().map(functions::lit).toArray(Column[]::new));
    Column category =
        element_at(categories, col("cluster").mod(CATEGORIES.size()).plus(1).cast("int"));
    Column allApps = array(HostApps.ALL.stream().map(functions::lit).toArray(Column[]::new));
    Dataset<Row> items =
        spark
            .range(o.items())
            .withColumn("cluster", col("id").mod(o.clusters()))
            .select(
                lit(PART_ITEM).as(PART),
                format_string("mp%07d", col("id")).as(ID),
                format_string("Synthetic %d", col("id")).as(NAME),
                format_string("m%06d", col("id").divide(3).cast("long")).as(MERCHANT_ID),
                category.as(CATEGORY),
                when(rand(o.seed()).lt(0.8), allApps)
                    .otherwise(array(lit("alipay"), lit("tmall")))
                    .as(HOST_APPS),
                array().cast("array<string>").as(CITIES),
                lit(STATUS_ACTIVE).as(STATUS),
                vector(0.35, o.seed() + 1).as(VECTOR),
                pow(rand(o.seed() + 2), 4).as(SCORE));
    Dataset<Row> users =
        spark
            .range(o.users())
            .withColumn("cluster", pmod(xxhash64(col("id")), lit((long) o.clusters())))
            .select(
                lit(PART_USER).as(PART),
                format_string("u%d", col("id")).as(ID),
                format_string("2088%012d", col("id")).as(PAYMENT_ACCOUNT),
                format_string("wb%d", col("id")).as(SOCIAL_ACCOUNT),
                vector(0.5, o.seed() + 3).as(VECTOR),
                // Habit cells: categories near the user's cluster, hours from a hash of the user.
                transform(
                        sequence(lit(0), lit(o.habitCells() - 1)),
                        j ->
                            element_at(
                                categories,
                                col("cluster").plus(j).mod(CATEGORIES.size()).plus(1).cast("int")))
                    .as(HABIT_CATEGORIES),
                transform(
                        sequence(lit(0), lit(o.habitCells() - 1)),
                        j -> pmod(xxhash64(col("id"), j), lit((long) HOURS_PER_WEEK)).cast("int"))
                    .as(HABIT_HOURS),
                transform(sequence(lit(0), lit(o.habitCells() - 1)), j -> lit(1f))
                    .cast("array<float>")
                    .as(HABIT_WEIGHTS))
            .withColumn(HABIT_CATEGORIES, when(lit(o.habitCells() > 0), col(HABIT_CATEGORIES)))
            .withColumn(HABIT_HOURS, when(lit(o.habitCells() > 0), col(HABIT_HOURS)))
            .withColumn(HABIT_WEIGHTS, when(lit(o.habitCells() > 0), col(HABIT_WEIGHTS)));
    Dataset<Row> popularity =
        spark
            .range(Math.min(o.items(), 1_000))
            .crossJoin(
                spark
                    .createDataset(HostApps.ALL, org.apache.spark.sql.Encoders.STRING())
                    .toDF(HOST_APP))
            .select(
                lit(PART_POPULARITY).as(PART),
                format_string("mp%07d", col("id").multiply(o.items() / Math.min(o.items(), 1_000)))
                    .as(ID),
                col(HOST_APP),
                lit(ALL).as(CITY),
                lit(1.0).divide(col("id").plus(1)).as(SCORE));
    Dataset<Row> context =
        spark
            .createDataset(CATEGORIES, org.apache.spark.sql.Encoders.STRING())
            .toDF(ID)
            .select(
                lit(PART_CONTEXT).as(PART),
                col(ID),
                // A daily peak per category: lift 1 ± 0.5 over a 24-hour cycle.
                transform(
                        sequence(lit(0), lit(HOURS_PER_WEEK - 1)),
                        h ->
                            lit(1.0)
                                .plus(
                                    sin(h.plus(hash(col(ID)).mod(24)).multiply(2 * Math.PI / 24))
                                        .multiply(0.5)))
                    .cast("array<float>")
                    .as(WEIGHTS));
    Instant created = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    String out = Tables.at(o.warehouse(), Tables.BUNDLE);
    Manifest manifest =
        Manifest.of(
            created,
            HourOfWeek.DEFAULT_ZONE,
            o.dim(),
            Map.of(
                "synthetic",
                Map.of(
                    "items", o.items(),
                    "users", o.users(),
                    "clusters", o.clusters(),
                    "seed", o.seed())),
            Map.of(),
            Map.of(),
            null,
            Map.of(),
            Map.of("items", o.items(), "users", o.users()));
    manifest =
        BundleIndex.write(spark, items, out, created, o.dim(), o.indexFrom())
            .map(manifest::withIndex)
            .orElse(manifest);
    BundleParts.write(
        BundleParts.conform(items)
            .unionByName(BundleParts.conform(BundleParts.quantizeUserVectors(users)))
            .unionByName(BundleParts.conform(popularity))
            .unionByName(BundleParts.conform(context))
            .unionByName(BundleParts.manifest(spark, manifest)),
        out,
        o.users());
    return new Result(out, o.items(), o.users(), o.dim(), (System.nanoTime() - t0) / 1_000_000);
  }

  /**
   * A clustered vector: the row's cluster centre (components uniform in [-1, 1], from a hash of
   * cluster and dimension) plus Gaussian noise of the given spread.
   */
  private Column vector(double noise, long seed) {
    Column[] components = new Column[o.dim()];
    for (int d = 0; d < o.dim(); d++) {
      Column centre = pmod(xxhash64(col("cluster"), lit(d)), lit(2001L)).divide(1000.0).minus(1.0);
      components[d] = centre.plus(randn(seed * 1_000 + d).multiply(noise));
    }
    return array(components).cast("array<float>");
  }
}
