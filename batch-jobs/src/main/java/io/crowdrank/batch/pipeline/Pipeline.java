package io.crowdrank.batch.pipeline;

import io.crowdrank.batch.evaluate.EvaluateJob;
import io.crowdrank.batch.evaluate.Evaluation;
import io.crowdrank.batch.evaluate.TuneJob;
import io.crowdrank.batch.evaluate.Tuning;
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
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch DAG — ingest, identity, profiles, segments, (tune), train, reports, evaluate, publish —
 * or any one step, plus Delta maintenance on its own schedule. Every step is recorded in the run
 * record as it ends.
 */
public final class Pipeline {
  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  public enum Step {
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
   * @param privacyK fewest people a number in a merchant report may describe
   * @param lookalikeTopN most lookalikes the reports keep per merchant
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
      int privacyK,
      int lookalikeTopN) {}

  /** A finished step: its typed result and how long it took. */
  public record StepResult(Step step, StepReport result, long millis) {}

  /** A finished run: its steps and where its JSON record was written. */
  public record RunResult(String runId, List<StepResult> steps, String report) {}

  private final SparkSession spark;
  private final Options o;

  /** What train uses: the given parameters, or what the tune step of this run chose. */
  private TrainJob.Params trainParams;

  public Pipeline(SparkSession spark, Options options) {
    this.spark = spark;
    this.o = options;
    this.trainParams = options.trainParams();
  }

  public RunResult run(List<Step> steps) {
    RunRecorder recorder = new RunRecorder(spark, o.warehouse(), o.runId(), describe(steps));
    ProgressLogger progress = new ProgressLogger();
    spark.sparkContext().addSparkListener(progress);
    List<StepResult> results = new ArrayList<>();
    try {
      for (Step step : steps) {
        Instant at = Instant.now();
        long started = System.nanoTime();
        progress.startStep(step.id());
        LOG.info("run {}: step {} started", o.runId(), step.id());
        StepReport result;
        // The Spark UI and event log group every job of the step under its name.
        spark
            .sparkContext()
            .setJobGroup(
                o.runId() + ":" + step.id(),
                "crowdrank " + step.id() + " (" + o.runId() + ")",
                false);
        try {
          result = runOne(step);
        } catch (RuntimeException | Error e) {
          long millis = (System.nanoTime() - started) / 1_000_000;
          LOG.error(
              "run {}: step {} failed after {} ms: {}", o.runId(), step.id(), millis, e.toString());
          recorder.failed(step.id(), at, millis, e);
          recorder.finish("failed");
          throw e;
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        LOG.info(
            "run {}: step {} {} in {} ms",
            o.runId(),
            step.id(),
            result.skipped() ? "skipped (up to date)" : "finished",
            millis);
        recorder.succeeded(step.id(), at, millis, result);
        results.add(new StepResult(step, result, millis));
      }
      return new RunResult(o.runId(), results, recorder.finish("succeeded"));
    } finally {
      spark.sparkContext().clearJobGroup();
      spark.sparkContext().removeSparkListener(progress);
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

  private StepReport runOne(Step step) {
    return switch (step) {
      case INGEST -> {
        if (o.raw() == null) {
          throw new IllegalArgumentException("ingest needs --raw");
        }
        yield new IngestJob(
                spark, new IngestJob.Options(o.raw(), o.warehouse(), o.from(), o.to(), o.runId()))
            .execute();
      }
      case IDENTITY ->
          new IdentityJob(spark, new IdentityJob.Options(o.warehouse(), o.idSalt())).execute();
      case PROFILES ->
          new ProfilesJob(
                  spark,
                  new ProfilesJob.Options(
                      o.warehouse(), o.asOf(), o.interestHalfLifeDays(), o.timeZone()))
              .execute();
      case SEGMENTS ->
          new SegmentsJob(spark, new SegmentsJob.Options(o.warehouse(), o.targeting())).execute();
      case TUNE -> {
        TuneJob.Result tuned =
            new TuneJob(
                    spark,
                    new TuneJob.Options(
                        o.warehouse(),
                        o.runId(),
                        o.trainParams(),
                        new Tuning.Options(o.evaluation(), o.tuningTrials())))
                .execute();
        trainParams = tuned.best();
        yield tuned;
      }
      case TRAIN ->
          new TrainJob(
                  spark, new TrainJob.Options(o.warehouse(), trainParams, o.asOf(), o.timeZone()))
              .execute();
      case REPORTS ->
          new ReportsJob(
                  spark,
                  new ReportsJob.Options(
                      o.warehouse(), o.privacyK(), 6, o.lookalikeTopN(), o.trainParams().seed()))
              .execute();
      case EVALUATE ->
          new EvaluateJob(
                  spark, new EvaluateJob.Options(o.warehouse(), o.runId(), o.evaluation(), null))
              .execute();
      case PUBLISH ->
          new PublishJob(
                  spark,
                  new PublishJob.Options(
                      o.warehouse(), o.timeZone(), o.gateTolerance(), o.overrideGate()))
              .execute();
      case MAINTAIN ->
          new MaintenanceJob(
                  spark, new MaintenanceJob.Options(o.warehouse(), o.retentionHours(), List.of()))
              .execute();
    };
  }
}
