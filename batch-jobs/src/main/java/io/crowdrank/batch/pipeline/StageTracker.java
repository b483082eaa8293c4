package io.crowdrank.batch.pipeline;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the running step's Spark stages: tells the console how many of their tasks are done and
 * how many rows the step's finished tasks read, and logs each finished stage (rows in and out, time
 * into the step) for the run's log file. A stage belongs to the step when it runs in the step's job
 * group, so stages of the previous step that end late are not counted twice.
 */
final class StageTracker extends SparkListener implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StageTracker.class);

  /** The local property {@code SparkContext.setJobGroup} sets (its constant is private). */
  private static final String JOB_GROUP = "spark.jobGroup.id";

  private static final long TICK_MILLIS = 500;

  private final ProgressRenderer console;
  private final ScheduledExecutorService ticker;

  /** Each running stage of the step: its tasks and how many are done. */
  private final Map<Integer, int[]> running = new HashMap<>();

  private String step = "-";
  private String group;
  private long stepStarted = System.nanoTime();
  private long rows;

  StageTracker(ProgressRenderer console) {
    this.console = console;
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "crowdrank-progress");
              t.setDaemon(true);
              return t;
            });
    ticker.scheduleAtFixedRate(console::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** From now on, stages of {@code jobGroup} are the step {@code name}'s. */
  synchronized void startStep(String name, String jobGroup) {
    step = name;
    group = jobGroup;
    stepStarted = System.nanoTime();
    running.clear();
    rows = 0;
  }

  @Override
  public synchronized void onStageSubmitted(SparkListenerStageSubmitted event) {
    Properties p = event.properties();
    if (p != null && group != null && group.equals(p.getProperty(JOB_GROUP))) {
      running.put(event.stageInfo().stageId(), new int[] {event.stageInfo().numTasks(), 0});
      show();
    }
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd event) {
    int[] stage = running.get(event.stageId());
    if (stage == null || !event.taskInfo().successful()) {
      return;
    }
    stage[1]++;
    if (event.taskMetrics() != null) {
      rows += event.taskMetrics().inputMetrics().recordsRead();
    }
    show();
  }

  @Override
  public synchronized void onStageCompleted(SparkListenerStageCompleted event) {
    StageInfo stage = event.stageInfo();
    if (running.remove(stage.stageId()) != null) {
      show();
    }
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

  private void show() {
    int done = 0;
    int tasks = 0;
    for (int[] stage : running.values()) {
      tasks += stage[0];
      done += stage[1];
    }
    console.progress(done, tasks, rows);
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
