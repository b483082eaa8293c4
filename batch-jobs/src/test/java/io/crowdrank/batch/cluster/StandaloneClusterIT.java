package io.crowdrank.batch.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Spark;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.evaluate.Evaluation;
import io.crowdrank.batch.generate.DemoDataGenerator;
import io.crowdrank.batch.pipeline.Pipeline;
import io.crowdrank.batch.publish.PublishJob;
import io.crowdrank.batch.reports.Lookalike;
import io.crowdrank.batch.testing.TableAssertions;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.HourOfWeek;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DAG on a real Spark standalone cluster — a Master and a Worker JVM on 127.0.0.1 started from
 * the Maven classpath, executors in their own JVMs, the job shipped as the spark-submit jar — gives
 * the same tables as local mode.
 */
class StandaloneClusterIT {
  static final Path TARGET = Path.of("target").toAbsolutePath();
  static final TrainJob.Params ALS =
      new TrainJob.Params(8, 5, 0.05, 20, 42, 1.0, 1.0, 30, 0.15, 10, 1);

  @TempDir static Path work;
  static final List<Process> daemons = new ArrayList<>();

  @AfterAll
  static void stopCluster() throws InterruptedException {
    for (Process p : daemons) {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @BeforeAll
  static void generate() {
    DemoDataGenerator.generate(
        DemoDataGenerator.Options.defaults(work.resolve("raw"))
            .withUsers(200)
            .withMiniPrograms(50)
            .withDays(7));
  }

  @Test
  void dagOnStandaloneCluster_writesTheSameTablesAsLocalMode() throws Exception {
    String master = startCluster();
    String onCluster = work.resolve("cluster-warehouse").toString();
    String local = work.resolve("local-warehouse").toString();

    SparkSession cluster =
        Spark.configure(SparkSession.builder())
            .master(master)
            .appName("crowdrank-cluster-it")
            .config(
                "spark.jars", TARGET.resolve("crowdrank-batch-jobs-spark-submit.jar").toString())
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.executor.memory", "1g")
            .config("spark.cores.max", "2")
            // Tiny data: a task per shuffle partition and 50 per Delta snapshot (Delta's default)
            // cost more in scheduling to remote executors than they compute.
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.databricks.delta.snapshotPartitions", "2")
            .getOrCreate();
    try {
      assertThat(cluster.sparkContext().master()).startsWith("spark://");
      // Every step on the cluster: each must serialise its closures to executors.
      run(cluster, onCluster, Pipeline.DAG);
      // executors really ran in other JVMs
      assertThat(cluster.sparkContext().getExecutorMemoryStatus().size()).isGreaterThan(1);
    } finally {
      cluster.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
    }

    SparkSession spark =
        Spark.configure(SparkSession.builder())
            .master("local[2]")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.databricks.delta.snapshotPartitions", "2")
            // Interpreted here, generated code on the cluster: equal tables also show that the two
            // evaluation paths of every expression agree.
            .config("spark.sql.codegen.wholeStage", "false")
            .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
            .getOrCreate();
    try {
      // Locally, only the steps that write the tables compared below.
      run(
          spark,
          local,
          List.of(
              Pipeline.Step.INGEST,
              Pipeline.Step.IDENTITY,
              Pipeline.Step.PROFILES,
              Pipeline.Step.TRAIN));
      for (String table :
          List.of(
              Tables.PAYMENTS,
              Tables.SOCIAL,
              Tables.ACCOUNT_LINKS,
              Tables.CATALOG,
              Tables.QUARANTINE,
              Tables.IDENTITY_MAP,
              Tables.USER_PROFILES,
              Tables.USER_AIPL,
              Tables.POPULARITY,
              Tables.CONTEXT_AFFINITY)) {
        TableAssertions.assertSameRows(spark, local, onCluster, table);
      }
      for (String factors : List.of(Tables.USER_FACTORS, Tables.ITEM_FACTORS)) {
        Dataset<Row> a =
            Delta.read(spark, local, factors)
                .select(Delta.read(spark, local, factors).columns()[0]);
        Dataset<Row> b = Delta.read(spark, onCluster, factors).select(a.columns()[0]);
        assertThat(a.exceptAll(b).count() + b.exceptAll(a).count()).as(factors + " ids").isZero();
      }
    } finally {
      spark.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
    }
  }

  private static void run(SparkSession spark, String warehouse, List<Pipeline.Step> steps) {
    new Pipeline(
            spark,
            new Pipeline.Options(
                work.resolve("raw").toString(),
                warehouse,
                null,
                null,
                null,
                "it",
                "test-salt-123",
                ALS,
                14,
                HourOfWeek.DEFAULT_ZONE,
                168,
                Evaluation.defaults(),
                4,
                PublishJob.DEFAULT_GATE_TOLERANCE,
                false,
                null,
                null,
                50,
                Lookalike.DEFAULT_TOP_N,
                null))
        .run(steps);
  }

  /** Starts a Master and a Worker from the Maven classpath; returns the master URL. */
  private static String startCluster() throws Exception {
    Path sparkHome = work.resolve("spark-home");
    Files.createDirectories(sparkHome.resolve("jars"));
    try (Stream<Path> jars = Files.list(TARGET.resolve("lib"))) {
      for (Path jar : jars.toList()) {
        Files.createSymbolicLink(sparkHome.resolve("jars").resolve(jar.getFileName()), jar);
      }
    }
    int port = freePort();
    int masterUi = freePort();
    String url = "spark://127.0.0.1:" + port;
    daemons.add(
        daemon(
            sparkHome,
            "master",
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            String.valueOf(port),
            "--webui-port",
            String.valueOf(masterUi)));
    daemons.add(
        daemon(
            sparkHome,
            "worker",
            "org.apache.spark.deploy.worker.Worker",
            url,
            "--host",
            "127.0.0.1",
            "--cores",
            "2",
            "--memory",
            "2g",
            "--webui-port",
            String.valueOf(freePort()),
            "--work-dir",
            work.resolve("worker").toString()));
    awaitWorker(masterUi);
    return url;
  }

  private static Process daemon(Path sparkHome, String name, String mainClass, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("@" + TARGET.resolve("spark-jvm.args"));
    cmd.add("-Xmx512m");
    cmd.add("-cp");
    cmd.add(TARGET.resolve("lib") + "/*");
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("SPARK_HOME", sparkHome.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.redirectOutput(work.resolve(name + ".log").toFile());
    return pb.start();
  }

  private static void awaitWorker(int masterUi) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      try {
        String json =
            http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUi + "/json/"))
                        .timeout(Duration.ofSeconds(2))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        if (json.replace(" ", "").contains("\"aliveworkers\":1")) {
          return;
        }
      } catch (IOException e) {
        // master not up yet
      }
      Thread.sleep(500);
    }
    throw new AssertionError(
        "no worker registered: " + Files.readString(work.resolve("worker.log")));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
