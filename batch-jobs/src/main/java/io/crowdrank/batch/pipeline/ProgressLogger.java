package io.crowdrank.batch.pipeline;

import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.StageInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs each finished Spark stage of the running step: rows read and written, time so far. */
final class ProgressLogger extends SparkListener {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressLogger.class);

  private volatile String step = "-";
  private volatile long stepStarted = System.nanoTime();

  void startStep(String name) {
    step = name;
    stepStarted = System.nanoTime();
  }

  @Override
  public void onStageCompleted(SparkListenerStageCompleted event) {
    StageInfo stage = event.stageInfo();
    TaskMetrics m = stage.taskMetrics();
    if (m == null) {
      return;
    }
    long read = m.inputMetrics().recordsRead() + m.shuffleReadMetrics().recordsRead();
    long written = m.outputMetrics().recordsWritten() + m.shuffleWriteMetrics().recordsWritten();
    LOG.info(
        "{}: stage {} ({} tasks, {}) done: {} rows in, {} rows out; {} s into the step",
        step,
        stage.stageId(),
        stage.numTasks(),
        stage.name(),
        read,
        written,
        (System.nanoTime() - stepStarted) / 1_000_000_000);
  }
}
