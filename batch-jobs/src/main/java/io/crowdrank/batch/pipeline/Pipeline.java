package io.crowdrank.batch.pipeline;

import io.crowdrank.batch.common.StepJob;
import io.crowdrank.batch.evaluate.EvaluateJob;
import io.crowdrank.batch.evaluate.Evaluation;
import io.crowdrank.batch.evaluate.TuneJob;
import io.crowdrank.batch.evaluate.Tuning;
import io.crowdrank.batch.events.EventsJob;
import io.crowdrank.batch.experiments.ExperimentsJob;
import io.crowdrank.batch.identity.IdentityJob;
import io.crowdrank.batch.ingest.IngestJob;
import io.crowdrank.batch.maintain.MaintenanceJob;
import io.crowdrank.batch.profiles.ProfilesJob;
import io.crowdrank.batch.publish.PublishJob;
import io.crowdrank.batch.reports.ReportsJob;
import io.crowdrank.batch.segments.SegmentsJob;
import io.crowdrank.batch.train.TrainJob;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch DAG — events, experiments, ingest, identity, profiles, segments, (tune), train,
 * reports, evaluate, publish — or any one step, plus Delta maintenance on its own schedule. Every
 * step is recorded in the run record as it ends.
 */
public final class Pipeline {
  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  public enum Step {
    /**
     * The serving replicas' logs of served lists and host-app events to Delta ({@link EventsJob}).
     */
    EVENTS,
    /**
     * Per experiment, variant and day: rates, intervals, lift, sample ratio ({@link
     * ExperimentsJob}).
     */
    EXPERIMENTS,
    INGEST,
    IDENTITY,
    PROFILES,
    /** Audience segments and campaign definitions (see {@link SegmentsJob}). */
    SEGMENTS,
    /** Hyper-parameter search; in the DAG only when tuning is asked for ({@link #dag}). */
    TUNE,
    TRAIN,
    /** Personas, lookalikes and the merchants' segment reports (see {@link ReportsJob}). */
    REPORTS,
    /** Offline evaluation against the popularity baseline and the served model. */
    EVALUATE,
    PUBLISH,
    /** OPTIMIZE + VACUUM; not part of the daily DAG ({@link #DAG}). */
    MAINTAIN;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What {@code jobs all} runs, in order: publish is gated on the evaluation. */
  public static final List<Step> DAG =
      List.of(
          Step.EVENTS,
          Step.EXPERIMENTS,
          Step.INGEST,
          Step.IDENTITY,
          Step.PROFILES,
          Step.SEGMENTS,
          Step.TRAIN,
          Step.REPORTS,
          Step.EVALUATE,
          Step.PUBLISH);

  /** What {@code jobs} runs for the whole DAG. */
  public static final String ALL = "all";

  /**
   * Every name {@code jobs} takes, in the DAG's order: each step, then {@link #ALL}, then the steps
   * outside the DAG. Help texts and docs list exactly these ({@code StepListsTest}).
   */
  public static List<String> commands() {
    List<String> out = new ArrayList<>();
    for (Step s : Step.values()) {
      if (s != Step.MAINTAIN) {
        out.add(s.id());
      }
    }
    out.add(ALL);
    out.add(Step.MAINTAIN.id());
    return List.copyOf(out);
  }

  /** {@link #commands()} for picocli's {@code ${COMPLETION-CANDIDATES}} in help texts. */
  public static final class Commands implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return commands().iterator();
    }
  }

  /** The DAG, with the hyper-parameter search before train if asked for. */
  public static List<Step> dag(boolean tune) {
    if (!tune) {
      return DAG;
    }
    List<Step> steps = new ArrayList<>(DAG);
    steps.add(steps.indexOf(Step.TRAIN), Step.TUNE);
    return List.copyOf(steps);
  }

  /**
   * What every step may need; each step takes its own part.
   *
   * @param from first delivery date for ingest, or null for every date
   * @param to last delivery date for ingest, or null for every date
   * @param asOf reference date of profiles and decay, or null for the newest event date
   * @param tuningTrials ALS trials of the tune step
   * @param gateTolerance relative shortfall against the served model publish still accepts
   * @param overrideGate publish even if the quality gate refuses (logged)
   * @param targeting segment and campaign definitions to store, or null to keep the stored ones
   * @param experiments the A/B experiments to publish with the bundle, or null to keep the served
   *     bundle's
   * @param privacyK fewest people a number in a merchant report may describe
   * @param lookalikeTopN most lookalikes the reports keep per merchant
   * @param eventsSource where the events step reads the replicas' records (a folder or
   *     kafka://servers/topic), or null for the warehouse's own folder
   */
  public record Options(
      String raw,
      String warehouse,
      LocalDate from,
      LocalDate to,
      LocalDate asOf,
      String runId,
      String idSalt,
      TrainJob.Params trainParams,
      double interestHalfLifeDays,
      String timeZone,
      int retentionHours,
      Evaluation.Options evaluation,
      int tuningTrials,
      double gateTolerance,
      boolean overrideGate,
      java.nio.file.Path targeting,
      java.nio.file.Path experiments,
      int privacyK,
      int lookalikeTopN,
      String eventsSource) {}

  /** A finished step: its typed result and how long it took. */
  public record StepResult(Step step, StepReport result, long millis) {}

  /** A finished run: its steps and where its JSON record was written. */
  public record RunResult(String runId, List<StepResult> steps, String report) {}

  private final SparkSession spark;
  private final Options o;
  private final ProgressRenderer console;

  /** What train uses: the given parameters, or what the tune step of this run chose. */
  private TrainJob.Params trainParams;

  /** A run nobody watches: its progress only in the log. */
  public Pipeline(SparkSession spark, Options options) {
    this(spark, options, ProgressRenderer.quiet());
  }

  /**
   * @param console where a person follows the run; its log file goes into the run record
   */
  public Pipeline(SparkSession spark, Options options, ProgressRenderer console) {
    this.spark = spark;
    this.o = options;
    this.console = console;
    this.trainParams = options.trainParams();
  }

  /**
   * Runs the steps in order. A step that fails is recorded and shown on the console (which then
   * {@linkplain ProgressRenderer#reported reports} the error), and its error is rethrown.
   */
  public RunResult run(List<Step> steps) {
    RunRecorder recorder =
        new RunRecorder(spark, o.warehouse(), o.runId(), describe(steps), console.logFile());
    StageTracker stages = new StageTracker(console);
    spark.sparkContext().addSparkListener(stages);
    List<StepResult> results = new ArrayList<>();
    try {
      for (int i = 0; i < steps.size(); i++) {
        Step step = steps.get(i);
        String group = o.runId() + ":" + step.id();
        Instant at = Instant.now();
        long started = System.nanoTime();
        stages.startStep(step.id(), group);
        console.stepStarted(step.id(), i + 1, steps.size());
        LOG.info("run {}: step {} started", o.runId(), step.id());
        // The Spark UI and event log group every job of the step under its name.
        spark
            .sparkContext()
            .setJobGroup(group, "crowdrank " + step.id() + " (" + o.runId() + ")", false);
        Job job = null;
        try {
          job = job(step);
          StepReport result = job.run().get();
          long millis = (System.nanoTime() - started) / 1_000_000;
          LOG.info(
              "run {}: step {} {} in {} ms",
              o.runId(),
              step.id(),
              result.skipped() ? "skipped (up to date)" : "finished",
              millis);
          recorder.succeeded(step.id(), at, millis, result);
          console.stepEnded(result.skipped(), result.headline());
          results.add(new StepResult(step, result, millis));
        } catch (Throwable e) {
          // Throwable: Spark's AnalysisException is checked, though Scala throws it undeclared.
          failed(step, job, at, (System.nanoTime() - started) / 1_000_000, e, recorder);
          throw e;
        }
      }
      return new RunResult(o.runId(), results, recorder.finish("succeeded"));
    } finally {
      spark.sparkContext().clearJobGroup();
      spark.sparkContext().removeSparkListener(stages);
      stages.close();
    }
  }

  /** Shows the failure, then records the failed step and the run. */
  private void failed(
      Step step, Job job, Instant at, long millis, Throwable e, RunRecorder recorder) {
    // With its stack trace, for the log file; the console shows the failure block instead.
    LOG.error(
        ProgressRenderer.SHOWN,
        "run {}: step {} failed after {} ms",
        o.runId(),
        step.id(),
        millis,
        e);
    console.stepFailed(job == null ? null : job.reads(), e);
    try {
      recorder.failed(step.id(), at, millis, e);
      recorder.finish("failed");
    } catch (RuntimeException recording) {
      // The step's error is the one to act on; this one stays with it, in the log too.
      e.addSuppressed(recording);
      LOG.error("run {}: could not record the failure", o.runId(), recording);
    }
  }

  private Map<String, Object> describe(List<Step> steps) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("steps", steps.stream().map(Step::id).toList());
    m.put("raw", o.raw());
    m.put("warehouse", o.warehouse());
    m.put("from", o.from() == null ? null : o.from().toString());
    m.put("to", o.to() == null ? null : o.to().toString());
    m.put("as_of", o.asOf() == null ? null : o.asOf().toString());
    return m;
  }

  /**
   * A step ready to run.
   *
   * @param reads what the step reads, for a person when it fails
   */
  private record Job(String reads, Supplier<StepReport> run) {}

  private Job job(Step step) {
    return switch (step) {
      case EVENTS -> {
        EventsJob.Options events =
            new EventsJob.Options(o.warehouse(), o.eventsSource(), o.runId());
        // The folder, or kafka://…/topic: what a failure names as its input.
        yield new Job(
            "the serving log in " + events.source(), new EventsJob(spark, events)::execute);
      }
      case EXPERIMENTS ->
          tables(new ExperimentsJob(spark, new ExperimentsJob.Options(o.warehouse())));
      case INGEST -> {
        if (o.raw() == null) {
          throw new IllegalArgumentException("ingest needs --raw");
        }
        IngestJob ingest =
            new IngestJob(
                spark, new IngestJob.Options(o.raw(), o.warehouse(), o.from(), o.to(), o.runId()));
        yield new Job("the raw exports in " + o.raw(), ingest::execute);
      }
      case IDENTITY ->
          tables(new IdentityJob(spark, new IdentityJob.Options(o.warehouse(), o.idSalt())));
      case PROFILES ->
          tables(
              new ProfilesJob(
                  spark,
                  new ProfilesJob.Options(
                      o.warehouse(), o.asOf(), o.interestHalfLifeDays(), o.timeZone())));
      case SEGMENTS ->
          tables(new SegmentsJob(spark, new SegmentsJob.Options(o.warehouse(), o.targeting())));
      case TUNE -> {
        TuneJob tune =
            new TuneJob(
                spark,
                new TuneJob.Options(
                    o.warehouse(),
                    o.runId(),
                    o.trainParams(),
                    new Tuning.Options(o.evaluation(), o.tuningTrials())));
        yield new Job(
            reads(tune),
            () -> {
              TuneJob.Result tuned = tune.execute();
              trainParams = tuned.best();
              return tuned;
            });
      }
      case TRAIN ->
          tables(
              new TrainJob(
                  spark, new TrainJob.Options(o.warehouse(), trainParams, o.asOf(), o.timeZone())));
      case REPORTS ->
          tables(
              new ReportsJob(
                  spark,
                  new ReportsJob.Options(
                      o.warehouse(),
                      o.privacyK(),
                      ReportsJob.DEFAULT_PERSONAS,
                      o.lookalikeTopN(),
                      o.trainParams().seed())));
      case EVALUATE ->
          tables(
              new EvaluateJob(
                  spark, new EvaluateJob.Options(o.warehouse(), o.runId(), o.evaluation(), null)));
      case PUBLISH ->
          tables(
              new PublishJob(
                  spark,
                  new PublishJob.Options(
                      o.warehouse(),
                      o.timeZone(),
                      o.gateTolerance(),
                      o.overrideGate(),
                      o.experiments())));
      case MAINTAIN -> {
        MaintenanceJob maintain =
            new MaintenanceJob(
                spark, new MaintenanceJob.Options(o.warehouse(), o.retentionHours(), List.of()));
        yield new Job("every table in " + o.warehouse(), maintain::execute);
      }
    };
  }

  private Job tables(StepJob<?, ?> job) {
    return new Job(reads(job), job::execute);
  }

  private String reads(StepJob<?, ?> job) {
    return String.join(", ", job.inputTables()) + " in " + o.warehouse();
  }
}
