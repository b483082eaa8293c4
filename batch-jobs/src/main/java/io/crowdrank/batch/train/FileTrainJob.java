package io.crowdrank.batch.train;

import static io.crowdrank.batch.common.Columns.MINI_PROGRAM_ID;
import static io.crowdrank.batch.common.Columns.USER_ID;
import static io.crowdrank.batch.common.Columns.WEIGHT;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.InteractionsFile;
import io.crowdrank.batch.common.Lineage;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.pipeline.StepReport;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Trains the same ALS model on a plain interactions file (see {@link InteractionsFile}) — a public
 * benchmark or a customer's own logs — and writes the factors, keyed by the file's own ids, to
 * {@code model/user_factors} and {@code model/item_factors} of a warehouse of their own, with the
 * file and the parameters in the commit metadata. Weights of repeated (user, item) rows add up; no
 * time decay (a file need not have timestamps).
 */
public final class FileTrainJob {

  public record Options(String warehouse, InteractionsFile file, TrainJob.Params params) {
    public Options {
      if (warehouse == null || file == null || params == null) {
        throw new IllegalArgumentException("warehouse, file and params are required");
      }
    }
  }

  public record Result(
      long users,
      long items,
      long interactions,
      long rowsRead,
      long rowsRejected,
      long trainMillis,
      Map<String, Long> outputVersions)
      implements StepReport {
    @Override
    public Map<String, Long> inputVersions() {
      return Map.of();
    }

    @Override
    public Map<String, Long> counts() {
      return Map.of(
          "users", users,
          "items", items,
          "interactions", interactions,
          "rows_read", rowsRead,
          "rows_rejected", rowsRejected,
          "train_millis", trainMillis);
    }
  }

  private final SparkSession spark;
  private final Options options;

  public FileTrainJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Result execute() {
    String w = options.warehouse();
    if (Delta.exists(spark, Tables.at(w, Tables.PAYMENTS))) {
      throw new IllegalArgumentException(
          w
              + " holds the pipeline's tables; training on a file would replace its model: give"
              + " a warehouse of its own");
    }
    InteractionsFile.Read read = options.file().read(spark);
    Dataset<Row> pairs =
        read.events()
            .groupBy(
                col(InteractionsFile.USER).as(USER_ID),
                col(InteractionsFile.ITEM).as(MINI_PROGRAM_ID))
            .agg(sum(InteractionsFile.WEIGHT).as(WEIGHT))
            .persist(StorageLevel.MEMORY_AND_DISK());
    try (TrainJob.Factors f = TrainJob.Factors.fit(spark, pairs, options.params())) {
      if (f.interactions() == 0) {
        throw new IllegalArgumentException(
            options.file().path()
                + " has no usable interactions ("
                + read.rejected()
                + " rejected)");
      }
      Map<String, Object> params = new LinkedHashMap<>(options.params().asMap());
      params.put("interactions_file", options.file().path());
      Map<String, Object> facts = new LinkedHashMap<>();
      facts.put("interactions", f.interactions());
      facts.put("users", f.userCount());
      facts.put("items", f.itemCount());
      facts.put("train_millis", f.trainMillis());
      Lineage.committing(
          spark,
          Lineage.record(TrainJob.STEP, Map.of(), params, facts),
          () -> {
            Delta.overwrite(f.users(), Tables.at(w, Tables.USER_FACTORS));
            Delta.overwrite(f.items(), Tables.at(w, Tables.ITEM_FACTORS));
          });
      Map<String, Long> outputs = new LinkedHashMap<>();
      outputs.put(Tables.USER_FACTORS, Delta.version(spark, Tables.at(w, Tables.USER_FACTORS)));
      outputs.put(Tables.ITEM_FACTORS, Delta.version(spark, Tables.at(w, Tables.ITEM_FACTORS)));
      return new Result(
          f.userCount(),
          f.itemCount(),
          f.interactions(),
          read.rows(),
          read.rejected(),
          f.trainMillis(),
          outputs);
    } finally {
      pairs.unpersist();
    }
  }
}
