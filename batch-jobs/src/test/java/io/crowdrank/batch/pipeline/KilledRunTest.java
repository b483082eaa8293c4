package io.crowdrank.batch.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.generate.DemoDataGenerator;
import io.crowdrank.batch.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A run killed mid-way (SIGKILL of the driver JVM, no chance to clean up) leaves every table at a
 * committed version, and the next run completes the work exactly once.
 */
class KilledRunTest extends SparkTestBase {
  @Test
  void killedIngest_leavesConsistentTables_andTheNextRunCompletes() throws Exception {
    DemoDataGenerator.Result generated =
        DemoDataGenerator.generate(
            DemoDataGenerator.Options.defaults(tmp.resolve("raw"))
                .withUsers(300)
                .withMiniPrograms(60)
                .withDays(7));
    String raw = tmp.resolve("raw").toString();
    Path paymentsLog = Path.of(Tables.at(warehouse(), Tables.PAYMENTS), "_delta_log");

    Process child = startIngest(raw);
    // Payments commit first; kill while the later sources are still being ingested.
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (!Files.exists(paymentsLog.resolve("00000000000000000001.json"))) {
      assertThat(child.isAlive()).as("the child run ended before it could be killed").isTrue();
      assertThat(System.nanoTime()).as("payments never committed").isLessThan(deadline);
      Thread.sleep(20);
    }
    child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    long paymentsAfterKill = Delta.read(spark, warehouse(), Tables.PAYMENTS).count();

    new Pipeline(
            spark,
            PipelineFixtures.options(raw, warehouse(), PipelineFixtures.SMALL_ALS, "after-kill"))
        .run(List.of(Pipeline.Step.INGEST));

    long expectedPayments =
        generated.payments().lines()
            - generated.payments().malformed()
            - generated.payments().duplicates();
    long expectedSocial =
        generated.social().lines()
            - generated.social().malformed()
            - generated.social().duplicates();
    var payments = Delta.read(spark, warehouse(), Tables.PAYMENTS);
    assertThat(paymentsAfterKill).isEqualTo(expectedPayments);
    assertThat(payments.count()).isEqualTo(expectedPayments);
    assertThat(payments.select("txn_id").distinct().count()).isEqualTo(expectedPayments);
    assertThat(Delta.read(spark, warehouse(), Tables.SOCIAL).count()).isEqualTo(expectedSocial);
    assertThat(Delta.read(spark, warehouse(), Tables.QUARANTINE).count())
        .isEqualTo(
            generated.payments().malformed()
                + generated.social().malformed()
                + generated.catalog().malformed());
  }

  private Process startIngest(String raw) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("@" + Path.of("target", "spark-jvm.args").toAbsolutePath());
    cmd.add("-Xmx1g");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.crowdrank.batch.cli.Main");
    cmd.addAll(List.of("jobs", "ingest", "--raw", raw, "--warehouse", warehouse()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.redirectOutput(tmp.resolve("child.log").toFile());
    return pb.start();
  }
}
