package io.crowdrank.batch.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.generate.DemoDataGenerator;
import io.crowdrank.batch.maintain.MaintenanceJob;
import io.crowdrank.batch.testing.SparkTestBase;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

class MaintenanceTest extends SparkTestBase {
  @Test
  void maintain_compactsDailyFiles_keepsTheRowsAndHistory() throws Exception {
    DemoDataGenerator.generate(
        DemoDataGenerator.Options.defaults(tmp.resolve("raw"))
            .withUsers(100)
            .withMiniPrograms(40)
            .withDays(7));
    String raw = tmp.resolve("raw").toString();
    LocalDate start = LocalDate.of(2026, 10, 5);
    for (int d = 0; d < 2; d++) {
      new Pipeline(
              spark,
              PipelineFixtures.dated(
                  raw,
                  warehouse(),
                  PipelineFixtures.SMALL_ALS,
                  "r" + d,
                  start.plusDays(d),
                  start.plusDays(d)))
          .run(List.of(Pipeline.Step.INGEST));
    }
    long rows = Delta.read(spark, warehouse(), Tables.PAYMENTS).count();
    long before = Delta.version(spark, Tables.at(warehouse(), Tables.PAYMENTS));
    java.nio.file.Path oldLog = RunLog.fileFor(warehouse(), "run-old");
    java.nio.file.Path newLog = RunLog.fileFor(warehouse(), "run-new");
    java.nio.file.Files.createDirectories(oldLog.getParent());
    java.nio.file.Files.writeString(oldLog, "old");
    java.nio.file.Files.writeString(newLog, "new");
    java.nio.file.Files.setLastModifiedTime(
        oldLog,
        java.nio.file.attribute.FileTime.from(
            java.time.Instant.now().minus(java.time.Duration.ofDays(8))));

    StepReport r =
        new MaintenanceJob(
                spark, new MaintenanceJob.Options(warehouse(), 168, List.of(Tables.PAYMENTS)))
            .execute();

    assertThat(r.counts().get(Tables.PAYMENTS + ".files_removed")).isPositive();
    // Run logs older than the retention (8 days against 7) go; newer ones stay.
    assertThat(r.counts().get("_logs.removed")).isEqualTo(1L);
    assertThat(oldLog).doesNotExist();
    assertThat(newLog).exists();
    assertThat(Delta.read(spark, warehouse(), Tables.PAYMENTS).count()).isEqualTo(rows);
    assertThat(Delta.version(spark, Tables.at(warehouse(), Tables.PAYMENTS))).isGreaterThan(before);
    assertThat(r.outputVersions()).containsOnlyKeys(Tables.PAYMENTS);
    // within the retention, the old version is still readable
    assertThat(
            spark
                .read()
                .format("delta")
                .option("versionAsOf", before)
                .load(Tables.at(warehouse(), Tables.PAYMENTS))
                .count())
        .isEqualTo(rows);
  }

  @Test
  void options_retentionBelowSevenDays_isRefused() {
    assertThatThrownBy(() -> new MaintenanceJob.Options(warehouse(), 24, List.of()))
        .hasMessageContaining("at least 168 hours");
    assertThatThrownBy(() -> new MaintenanceJob.Options(warehouse(), 168, List.of("bronze/nope")))
        .hasMessageContaining("not a crowdrank table");
  }
}
