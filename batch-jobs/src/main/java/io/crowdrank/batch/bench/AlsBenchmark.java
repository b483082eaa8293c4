package io.crowdrank.batch.bench;

import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.train.TrainJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Times implicit ALS (the same {@link TrainJob#fit} train uses) at several scales and writes a
 * Markdown report: time per iteration (fit at 1 and at N iterations, the difference divided by N -
 * 1, so the fixed set-up cost drops out), interactions per second per core, and the time to
 * generate every user's top 10. The interactions are synthetic: each user has about {@code perUser}
 * distinct items drawn with a skew towards popular ones, confidence 1..5.
 */
public final class AlsBenchmark {

  /**
   * @param users scales, in users; items are users / 20 (at least 100)
   * @param perUser mean distinct items per user
   */
  public record Options(List<Integer> users, int perUser, int rank, int iterations, Path report) {}

  record Scale(
      int users,
      int items,
      long interactions,
      long fitOneMillis,
      long fitManyMillis,
      long recommendMillis) {
    double perIterationMillis(int iterations) {
      return (fitManyMillis - fitOneMillis) / (double) (iterations - 1);
    }
  }

  private final SparkSession spark;
  private final Options options;

  public AlsBenchmark(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Path execute() throws IOException {
    List<Scale> scales = new ArrayList<>();
    for (int users : options.users()) {
      scales.add(measure(users));
    }
    Path report = options.report();
    if (report.getParent() != null) {
      Files.createDirectories(report.getParent());
    }
    Files.writeString(report, report(scales));
    return report;
  }

  private Scale measure(int users) {
    int items = Math.max(100, users / 20);
    // Skewed item choice: floor(items * u^2) for uniform u puts more mass on low ids.
    Dataset<Row> ratings =
        spark
            .range((long) users * options.perUser())
            .select(
                pmod(col("id"), lit(users)).cast("int").as("u"),
                floor(pow(rand(7), 2).multiply(items)).cast("int").as("i"),
                floor(rand(11).multiply(5)).plus(1).cast("float").as("r"))
            .dropDuplicates("u", "i")
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long n = ratings.count();
      TrainJob.Params base = TrainJob.Params.defaults();
      long t0 = System.nanoTime();
      TrainJob.fit(base.withAls(options.rank(), 1, base.regParam(), base.alpha()), ratings)
          .userFactors()
          .count();
      long one = millisSince(t0);
      t0 = System.nanoTime();
      ALSModel model =
          TrainJob.fit(
              base.withAls(options.rank(), options.iterations(), base.regParam(), base.alpha()),
              ratings);
      model.userFactors().count();
      long many = millisSince(t0);
      t0 = System.nanoTime();
      model.recommendForAllUsers(10).write().format("noop").mode("overwrite").save();
      long recommend = millisSince(t0);
      return new Scale(users, items, n, one, many, recommend);
    } finally {
      ratings.unpersist();
    }
  }

  private static long millisSince(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  String report(List<Scale> scales) {
    int cores = Runtime.getRuntime().availableProcessors();
    int k = options.rank();
    StringBuilder b = new StringBuilder();
    b.append("<!-- written by ./crowdrank bench-als on ").append(Instant.now()).append(" -->\n\n");
    b.append(
        String.format(
            Locale.ROOT,
            "Implicit ALS, rank %d, %d iterations, %d cores, Spark local[*]; synthetic interactions,"
                + " ~%d distinct items per user.%n%n",
            k,
            options.iterations(),
            cores,
            options.perUser()));
    b.append(
        "| users | items | interactions (nnz) | fit 1 iter s | fit N iter s | s / iteration |"
            + " interactions / s / core | top-10 for all users s | users / s |"
            + " nnz·k² / iteration (G) | (users+items)·k³ / iteration (G) |\n");
    b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Scale s : scales) {
      double perIter = s.perIterationMillis(options.iterations()) / 1000.0;
      b.append(
          String.format(
              Locale.ROOT,
              "| %,d | %,d | %,d | %.1f | %.1f | %.2f | %,.0f | %.1f | %,.0f | %.2f | %.2f |%n",
              s.users(),
              s.items(),
              s.interactions(),
              s.fitOneMillis() / 1000.0,
              s.fitManyMillis() / 1000.0,
              perIter,
              s.interactions() / perIter / cores,
              s.recommendMillis() / 1000.0,
              s.users() / (s.recommendMillis() / 1000.0),
              s.interactions() * (double) k * k / 1e9,
              (s.users() + s.items()) * (double) k * k * k / 1e9));
    }
    return b.toString();
  }
}
