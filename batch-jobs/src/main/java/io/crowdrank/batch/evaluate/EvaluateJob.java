package io.crowdrank.batch.evaluate;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.col;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Inputs;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.identity.Events;
import io.crowdrank.batch.pipeline.StepReport;
import io.crowdrank.batch.train.TrainJob;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Evaluates the recommender on the warehouse's own events (payments and social card engagement,
 * weighted as training weighs them) with {@link Evaluation}, and appends the metrics, with the
 * input versions they came from, to {@code model/evaluations}.
 */
public final class EvaluateJob {

  public record Options(String warehouse, String runId, Evaluation.Options evaluation) {}

  public record Result(Evaluation.Result evaluation, long version, Map<String, Long> inputVersions)
      implements StepReport {
    @Override
    public Map<String, Long> outputVersions() {
      return Map.of(Tables.EVALUATIONS, version);
    }

    @Override
    public Map<String, Long> counts() {
      return Map.of(
          "train_pairs", evaluation.trainPairs(),
          "test_users", evaluation.testUsers(),
          "cold_test_users", evaluation.coldTestUsers());
    }
  }

  static final StructType SCHEMA =
      new StructType()
          .add(RUN_ID, DataTypes.StringType, false)
          .add("evaluated_at", DataTypes.TimestampType, false)
          .add("split", DataTypes.StringType, false)
          .add("model", DataTypes.StringType, false)
          .add("k", DataTypes.IntegerType, false)
          .add("ndcg", DataTypes.DoubleType, false)
          .add("recall", DataTypes.DoubleType, false)
          .add("precision", DataTypes.DoubleType, false)
          .add("map", DataTypes.DoubleType, false)
          .add("coverage", DataTypes.DoubleType, false)
          .add("test_users", DataTypes.LongType, false)
          .add(
              "input_versions",
              DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType, false),
              false);

  private final SparkSession spark;
  private final Options options;

  public EvaluateJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Result execute() {
    Inputs in =
        Inputs.pin(
            spark,
            options.warehouse(),
            List.of(Tables.PAYMENTS, Tables.SOCIAL, Tables.IDENTITY_MAP, Tables.CATALOG));
    Dataset<Row> events =
        TrainJob.Interactions.events(
                Events.payments(in),
                Events.social(in),
                in.read(Tables.CATALOG),
                options.evaluation().als())
            .select(
                col(USER_ID).as(Evaluation.USER),
                col(MINI_PROGRAM_ID).as(Evaluation.ITEM),
                col(WEIGHT).as(Evaluation.WEIGHT),
                col(EVENT_TIME).as(Evaluation.TS));
    Evaluation.Result r = new Evaluation(spark, options.evaluation()).evaluate(events);

    Timestamp at = Timestamp.from(Instant.now());
    var versions = CollectionConverters.asScala(new LinkedHashMap<>(in.versions()));
    List<Row> rows = new ArrayList<>();
    for (Evaluation.Metrics m : r.metrics()) {
      rows.add(
          RowFactory.create(
              options.runId(),
              at,
              options.evaluation().split().name().toLowerCase(java.util.Locale.ROOT),
              m.model(),
              m.k(),
              m.ndcg(),
              m.recall(),
              m.precision(),
              m.map(),
              m.coverage(),
              r.testUsers(),
              versions));
    }
    String out = Tables.at(options.warehouse(), Tables.EVALUATIONS);
    spark.createDataFrame(rows, SCHEMA).write().format("delta").mode("append").save(out);
    return new Result(r, Delta.version(spark, out), in.versions());
  }
}
