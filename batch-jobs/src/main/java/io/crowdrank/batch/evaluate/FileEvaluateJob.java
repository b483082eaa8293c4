package io.crowdrank.batch.evaluate;

import io.crowdrank.batch.common.InteractionsFile;
import io.crowdrank.batch.train.TrainJob;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * Evaluates the ALS model on a plain interactions file (see {@link InteractionsFile}) — a public
 * benchmark or a customer's own logs — instead of the warehouse's events: the same split, metrics
 * and popularity baseline as {@link EvaluateJob}, without categories (so no session protocol) and
 * without writing anything. With a search, the parameters evaluated are those {@link Tuning} chose
 * on the split's training side; {@link #search()} runs that search alone, for training on the file
 * with the parameters it chooses.
 */
public final class FileEvaluateJob {

  /**
   * @param params the parameters evaluated, or where the search starts
   * @param tuneTrials 0 to evaluate {@code params} as given; else the parameter sets in the
   *     search's first rung (see {@link Tuning.Options})
   */
  public record Options(
      InteractionsFile file,
      Evaluation.Options evaluation,
      TrainJob.Params params,
      int tuneTrials) {
    public Options {
      if (file == null || evaluation == null || params == null) {
        throw new IllegalArgumentException("file, evaluation and params are required");
      }
      if (tuneTrials < 0) {
        throw new IllegalArgumentException("tune trials must be >= 0, got " + tuneTrials);
      }
    }
  }

  /** What the search chose, and how many rows of the file were read and left out. */
  public record Searched(long rowsRead, long rowsRejected, Tuning.Result search) {}

  /**
   * @param search what the search chose, or null if the given parameters were evaluated
   * @param evaluation the evaluated parameters ({@link EvaluateJob#MODEL}) against popularity
   */
  public record Result(
      long rowsRead, long rowsRejected, Tuning.Result search, Evaluation.Result evaluation) {}

  private final SparkSession spark;
  private final Options options;

  public FileEvaluateJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Result execute() {
    InteractionsFile.Read read = options.file().read(spark);
    Tuning.Result search = options.tuneTrials() == 0 ? null : search(read);
    TrainJob.Params chosen = search == null ? options.params() : search.best();
    Evaluation.Result evaluation =
        new Evaluation(spark, options.evaluation())
            .evaluate(
                read.events(), null, List.of(new Evaluation.Candidate(EvaluateJob.MODEL, chosen)));
    return new Result(read.rows(), read.rejected(), search, evaluation);
  }

  /** The search alone, on the training side of the evaluation's split. */
  public Searched search() {
    if (options.tuneTrials() == 0) {
      throw new IllegalStateException("no search asked for: tune trials is 0");
    }
    InteractionsFile.Read read = options.file().read(spark);
    return new Searched(read.rows(), read.rejected(), search(read));
  }

  private Tuning.Result search(InteractionsFile.Read read) {
    return new Tuning(spark, new Tuning.Options(options.evaluation(), options.tuneTrials()))
        .run(read.events(), null, options.params());
  }
}
