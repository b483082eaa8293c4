package io.crowdrank.batch.pipeline;

import io.crowdrank.batch.evaluate.Evaluation;
import io.crowdrank.batch.generate.DemoDataGenerator;
import io.crowdrank.batch.publish.PublishJob;
import io.crowdrank.batch.reports.Lookalike;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.HourOfWeek;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/** Pipeline options for tests: small, fast ALS; everything else at its default. */
final class PipelineFixtures {
  private PipelineFixtures() {}

  /** Privacy threshold of the reports at test scale (hundreds of users, not millions). */
  static final int FIXTURE_K = 10;

  static final TrainJob.Params SMALL_ALS =
      new TrainJob.Params(8, 5, 0.05, 20, 42, 1.0, 1.0, 30, 0.15, 10, 1);

  static Pipeline.Options options(
      String raw, String warehouse, TrainJob.Params params, String runId) {
    return dated(raw, warehouse, params, runId, null, null);
  }

  static Pipeline.Options dated(
      String raw,
      String warehouse,
      TrainJob.Params params,
      String runId,
      LocalDate from,
      LocalDate to) {
    return new Pipeline.Options(
        raw,
        warehouse,
        from,
        to,
        null,
        runId,
        "test-salt-123",
        params,
        14,
        HourOfWeek.DEFAULT_ZONE,
        168,
        Evaluation.defaults(),
        2,
        PublishJob.DEFAULT_GATE_TOLERANCE,
        false,
        targeting(raw),
        null,
        FIXTURE_K,
        Lookalike.DEFAULT_TOP_N,
        null);
  }

  /**
   * The whole DAG over one generated data set (600 users, 150 mini-programs, 14 days from the
   * generator's start date), run once per test JVM and shared by every class that asserts on it.
   * Its raw data and warehouse are read-only: a test that writes works on a {@link #copy}.
   *
   * @param jobsPerGroup Spark jobs in the job group of each of the last steps, read right after the
   *     run (the status tracker keeps only the newest jobs)
   */
  record Dag(
      Path raw,
      Path warehouse,
      DemoDataGenerator.Result generated,
      List<Pipeline.StepResult> steps,
      Map<String, Integer> jobsPerGroup) {
    static final String RUN_ID = "run-test";
    static final int DAYS = 14;

    String rawPath() {
      return raw.toString();
    }

    String warehousePath() {
      return warehouse.toString();
    }

    /** A private copy of the warehouse under {@code dir}, for a test that writes. */
    String copy(Path dir) {
      Path to = dir.resolve("warehouse");
      copyTree(warehouse, to);
      return to.toString();
    }
  }

  private static Dag dag;

  static synchronized Dag dag(SparkSession spark) {
    if (dag == null) {
      dag = runDag(spark);
    }
    return dag;
  }

  private static Dag runDag(SparkSession spark) {
    try {
      Path root = Files.createTempDirectory("crowdrank-dag");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root)));
      Path raw = root.resolve("raw");
      Path warehouse = root.resolve("warehouse");
      DemoDataGenerator.Result generated =
          DemoDataGenerator.generate(
              DemoDataGenerator.Options.defaults(raw)
                  .withUsers(600)
                  .withMiniPrograms(150)
                  .withDays(Dag.DAYS));
      List<Pipeline.StepResult> steps =
          new Pipeline(spark, options(raw.toString(), warehouse.toString(), SMALL_ALS, Dag.RUN_ID))
              .run(Pipeline.DAG)
              .steps();
      Map<String, Integer> jobs = new java.util.TreeMap<>();
      // The last steps: the tracker has dropped the first steps' jobs by now.
      for (Pipeline.Step step : List.of(Pipeline.Step.EVALUATE, Pipeline.Step.PUBLISH)) {
        jobs.put(
            step.id(),
            spark
                .sparkContext()
                .statusTracker()
                .getJobIdsForGroup(Dag.RUN_ID + ":" + step.id())
                .length);
      }
      return new Dag(raw, warehouse, generated, steps, Map.copyOf(jobs));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void copyTree(Path from, Path to) {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, to.resolve(from.relativize(f).toString()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // best effort at exit: the OS cleans its temp dir eventually
    }
  }

  /** The generator's targeting file beside the raw data, if there is one. */
  static java.nio.file.Path targeting(String raw) {
    java.nio.file.Path f =
        java.nio.file.Path.of(raw)
            .resolve(io.crowdrank.batch.generate.DemoDataGenerator.TARGETING_FILE);
    return java.nio.file.Files.exists(f) ? f : null;
  }
}
