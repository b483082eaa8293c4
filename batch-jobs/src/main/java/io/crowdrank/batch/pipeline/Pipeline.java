package io.crowdrank.batch.pipeline;

import io.crowdrank.batch.identity.IdentityJob;
import io.crowdrank.batch.ingest.IngestJob;
import io.crowdrank.batch.profiles.ProfilesJob;
import io.crowdrank.batch.publish.PublishJob;
import io.crowdrank.batch.train.TrainJob;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The batch DAG: ingest, identity, profiles, train, publish, in that order, or any one step. */
public final class Pipeline {
  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  public enum Step {
    INGEST,
    IDENTITY,
    PROFILES,
    TRAIN,
    PUBLISH;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What every step may need; each step takes its own part. */
  public record Options(
      String raw,
      String warehouse,
      LocalDate from,
      LocalDate to,
      String runId,
      String idSalt,
      TrainJob.Params trainParams,
      double interestHalfLifeDays,
      String timeZone) {}

  /** A finished step: its typed result and how long it took. */
  public record StepResult(Step step, Object result, long millis) {}

  private final SparkSession spark;
  private final Options o;

  public Pipeline(SparkSession spark, Options options) {
    this.spark = spark;
    this.o = options;
  }

  public List<StepResult> run(List<Step> steps) {
    List<StepResult> results = new ArrayList<>();
    for (Step step : steps) {
      long started = System.nanoTime();
      LOG.info("step {} started", step.id());
      Object result = runOne(step);
      long millis = (System.nanoTime() - started) / 1_000_000;
      LOG.info("step {} finished in {} ms", step.id(), millis);
      results.add(new StepResult(step, result, millis));
    }
    return results;
  }

  private Object runOne(Step step) {
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
                      o.warehouse(), o.to(), o.interestHalfLifeDays(), o.timeZone()))
              .execute();
      case TRAIN ->
          new TrainJob(
                  spark, new TrainJob.Options(o.warehouse(), o.trainParams(), o.to(), o.timeZone()))
              .execute();
      case PUBLISH ->
          new PublishJob(spark, new PublishJob.Options(o.warehouse(), o.timeZone())).execute();
    };
  }
}
