package io.crowdrank.batch.evaluate;

import static io.crowdrank.batch.common.Columns.RUN_ID;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Inputs;
import io.crowdrank.batch.common.Json;
import io.crowdrank.batch.common.StepJob;
import io.crowdrank.batch.common.StepOptions;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.identity.Events;
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
import org.apache.spark.storage.StorageLevel;

/**
 * Runs {@link Tuning} on the warehouse's events and appends every trial to {@code
 * model/tuning_trials}; the chosen parameters go to train. Up to date (nothing re-run) when the
 * inputs, the base parameters and the search are unchanged.
 */
public final class TuneJob extends StepJob<TuneJob.Options, TuneJob.Result> {

  public record Options(String warehouse, String runId, TrainJob.Params base, Tuning.Options tuning)
      implements StepOptions {}

  public record Result(TrainJob.Params best, List<Tuning.Trial> trials, StepJob.Outcome outcome)
      implements StepJob.Report {
    public Result {
      trials = List.copyOf(trials);
    }

    @Override
    public Map<String, Long> counts() {
      return Map.of("trials", (long) trials.size());
    }
  }

  static final String STEP = "tune";
  static final String LINEAGE_BEST = "best";
  static final String LINEAGE_TRIALS = "trials";

  static final StructType SCHEMA =
      new StructType()
          .add(RUN_ID, DataTypes.StringType, false)
          .add("tuned_at", DataTypes.TimestampType, false)
          .add("stage", DataTypes.StringType, false)
          .add("trial", DataTypes.IntegerType, false)
          .add("params", DataTypes.StringType, false)
          .add("k", DataTypes.IntegerType, false)
          .add("ndcg", DataTypes.DoubleType, false)
          .add("recall", DataTypes.DoubleType, false)
          .add("chosen", DataTypes.BooleanType, false);

  public TuneJob(SparkSession spark, Options options) {
    super(spark, options, STEP, Events.SOURCES, List.of(Tables.TUNING_TRIALS));
  }

  @Override
  protected Map<String, ?> params() {
    Map<String, Object> params = new LinkedHashMap<>(options.base().asMap());
    params.put("search", options.tuning().asMap());
    return params;
  }

  @Override
  protected Result result(Run run) {
    @SuppressWarnings("unchecked")
    Map<String, ?> best = (Map<String, ?>) run.lineage().get(LINEAGE_BEST);
    List<Tuning.Trial> trials = new ArrayList<>();
    for (Object t : (List<?>) run.lineage().get(LINEAGE_TRIALS)) {
      trials.add(Json.convert(t, Tuning.Trial.class));
    }
    return new Result(TrainJob.Params.fromMap(best), trials, run.outcome());
  }

  @Override
  protected void compute(Inputs in, Commit commit) {
    Dataset<Row> interactions =
        TrainJob.Interactions.events(in, options.base()).persist(StorageLevel.MEMORY_AND_DISK());
    Tuning.Result r;
    try {
      r =
          new Tuning(spark, options.tuning())
              .run(
                  Evaluation.events(interactions),
                  Evaluation.categories(interactions),
                  options.base());
    } finally {
      interactions.unpersist();
    }

    Timestamp at = Timestamp.from(Instant.now());
    List<Row> rows = new ArrayList<>();
    for (Tuning.Trial t : r.trials()) {
      rows.add(
          RowFactory.create(
              options.runId(),
              at,
              t.stage(),
              t.number(),
              Json.write(t.params()),
              r.k(),
              t.ndcg(),
              t.recall(),
              t.chosen()));
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put(RUN_ID, options.runId());
    extra.put(LINEAGE_BEST, r.best().asMap());
    extra.put(LINEAGE_TRIALS, r.trials());
    commit.commit(
        extra, () -> Delta.append(spark.createDataFrame(rows, SCHEMA), path(Tables.TUNING_TRIALS)));
  }
}
