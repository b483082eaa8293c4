package io.crowdrank.batch.common;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.execution.LogicalRDD;
import org.apache.spark.storage.StorageLevel;

/**
 * Datasets computed once, cut from the plans that made them, and released together.
 *
 * <p>Where a step builds cached tables on cached tables (the evaluation split: training pairs on
 * the indexed events, sessions on the test uses, context terms on both, candidates on all of them),
 * persisting alone leaves every parent's plan inside each later query. Adaptive execution then
 * describes each nested plan twice, initial and final, in the listener event it posts after every
 * stage, so the descriptions grow exponentially with the depth: 9.4 MB for one event of the test
 * DAG's evaluation, 1.8 GB over one run of the suite's pipeline tests, built on the driver and kept
 * by the UI's store and the event log. A local checkpoint keeps the rows where {@code persist}
 * would (memory, then disk) and leaves a plan of one scan that keeps the statistics.
 *
 * <p>Unlike persisted rows, a local checkpoint cannot be recomputed when an executor holding part
 * of it is lost: the step fails, and the run resumes at that step.
 */
public final class Checkpoints implements AutoCloseable {
  private final List<RDD<?>> held = new ArrayList<>();

  /**
   * {@code d} with its plan cut, computed at its first action and kept until {@link #release} or
   * {@link #close}.
   */
  public Dataset<Row> cut(Dataset<Row> d) {
    Dataset<Row> cut = d.localCheckpoint(false, StorageLevel.MEMORY_AND_DISK());
    held.add(rdd(cut));
    return cut;
  }

  /** Frees the rows of one dataset this made, before the others. */
  public void release(Dataset<Row> cut) {
    RDD<?> rdd = rdd(cut);
    if (!held.remove(rdd)) {
      throw new IllegalArgumentException("not a dataset these checkpoints made: " + cut);
    }
    rdd.unpersist(false);
  }

  /** Frees the rows of every dataset this made. */
  @Override
  public void close() {
    held.forEach(rdd -> rdd.unpersist(false));
    held.clear();
  }

  private static RDD<?> rdd(Dataset<Row> cut) {
    if (cut.queryExecution().logical() instanceof LogicalRDD scan) {
      return scan.rdd();
    }
    throw new IllegalStateException(
        "a checkpointed dataset should scan its rows, got " + cut.queryExecution().logical());
  }
}
