package io.crowdrank.batch.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.testing.RawFiles;
import io.crowdrank.batch.testing.SparkTestBase;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IngestJobTest extends SparkTestBase {
  static final String HEADER = RawSource.PAYMENTS.csvHeader();
  static final List<String> DAY1 =
      List.of(
          HEADER,
          "t1,2088000000000001,m1,mp1,3500,fast_food,hangzhou,alipay,2026-10-06T04:00:00Z,success",
          "t2,2088000000000002,m1,mp1,1200,fast_food,hangzhou,alipay,2026-10-06T05:00:00Z,success",
          "t3,2088000000000001,m1,mp1,-5,fast_food,hangzhou,alipay,2026-10-06T06:00:00Z,success",
          "t4,2088000000000001,m1,mp1,900,fast_food,hangz");
  Path raw;

  @BeforeEach
  void rawFiles() {
    raw = tmp.resolve("raw");
    RawFiles.write(raw, "payments", "2026-10-06", "part-0.csv", DAY1);
    RawFiles.write(
        raw,
        "payments",
        "2026-10-07",
        "part-0.csv",
        List.of(
            HEADER,
            // delivered again a day later: a duplicate
            "t1,2088000000000001,m1,mp1,3500,fast_food,hangzhou,alipay,2026-10-06T04:00:00Z,success",
            // a late event from two days before its delivery
            "t5,2088000000000002,m1,mp1,800,fast_food,hangzhou,weibo,2026-10-05T23:00:00Z,success",
            "t6,2088000000000002,m1,mp1,800,fast_food,hangzhou,wechat,2026-10-07T01:00:00Z,success"));
    RawFiles.write(
        raw,
        "social",
        "2026-10-06",
        "part-0.jsonl",
        List.of(
            "{\"event_id\":\"e1\",\"social_account\":\"5000000001\",\"action\":\"like\",\"vertical\":\"food\",\"mini_program_id\":\"mp1\",\"event_time\":\"2026-10-06T04:00:00Z\"}",
            "{\"event_id\":\"e2\",\"social_account\":\"5000000001\",\"action\":\"poke\",\"vertical\":\"food\",\"event_time\":\"2026-10-06T04:00:00Z\"}"));
  }

  private IngestJob.Result ingest(LocalDate from, LocalDate to) {
    return new IngestJob(
            spark, new IngestJob.Options(raw.toString(), warehouse(), from, to, "run-test"))
        .execute();
  }

  @Test
  void execute_reconcilesReadAcceptedAndQuarantined() {
    IngestJob.Result r = ingest(null, null);

    IngestJob.SourceResult payments = r.sources().get("payments");
    assertThat(payments.read()).isEqualTo(7);
    assertThat(payments.quarantined()).isEqualTo(3);
    assertThat(payments.accepted()).isEqualTo(4);
    assertThat(payments.inserted()).isEqualTo(3);
    assertThat(payments.duplicates()).isEqualTo(1);
    assertThat(payments.read()).isEqualTo(payments.accepted() + payments.quarantined());
    assertThat(r.sources().get("social").quarantined()).isEqualTo(1);

    List<String> ids =
        Delta.read(spark, warehouse(), Tables.PAYMENTS)
            .orderBy("txn_id")
            .select("txn_id")
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList();
    assertThat(ids).containsExactly("t1", "t2", "t5");
  }

  @Test
  void execute_quarantinesEachBadLineWithFileOffsetRawTextAndReason() {
    ingest(null, null);

    List<Row> q =
        Delta.read(spark, warehouse(), Tables.QUARANTINE)
            .orderBy("source", "_source_file", "_source_offset")
            .select("source", "reason", "raw", "_source_file", "_source_offset")
            .collectAsList();
    assertThat(q)
        .extracting(row -> row.getString(0) + ": " + row.getString(1))
        .containsExactly(
            "payments: negative amount_fen -5",
            "payments: expected 10 columns, got 7",
            "payments: unknown host_app 'wechat'",
            "social: unknown action 'poke'");
    Row negative = q.get(0);
    assertThat(negative.getString(2)).startsWith("t3,");
    assertThat(negative.getString(3)).endsWith("payments/dt=2026-10-06/part-0.csv");
    // the byte offset of the line in its file: after the header and two data lines
    long offset = String.join("\n", DAY1.subList(0, 3)).length() + 1;
    assertThat(negative.getLong(4)).isEqualTo(offset);
  }

  @Test
  void execute_lateEvent_landsInItsEventDatePartition() {
    ingest(null, null);

    Row late =
        Delta.read(spark, warehouse(), Tables.PAYMENTS)
            .filter("txn_id = 't5'")
            .select("event_date")
            .first();
    assertThat(late.get(0).toString()).isEqualTo("2026-10-05");
  }

  @Test
  void execute_rerun_changesNothing() {
    ingest(null, null);
    List<Row> before = snapshot();

    IngestJob.Result again = ingest(null, null);

    assertThat(again.sources().get("payments").inserted()).isZero();
    assertThat(again.sources().get("payments").duplicates()).isEqualTo(4);
    assertThat(snapshot()).isEqualTo(before);
    assertThat(Delta.read(spark, warehouse(), Tables.QUARANTINE).count()).isEqualTo(4);
  }

  @Test
  void execute_dateRange_readsOnlyThoseDeliveries() {
    IngestJob.Result r = ingest(LocalDate.parse("2026-10-07"), LocalDate.parse("2026-10-07"));

    assertThat(r.sources().get("payments").files()).isEqualTo(1);
    assertThat(r.sources().get("payments").read()).isEqualTo(3);
    assertThat(r.sources().get("social").read()).isZero();
  }

  @Test
  void execute_keyRepeatedInOneBatch_keepsTheNewestCopyOnly() {
    RawFiles.write(
        raw,
        "catalog",
        "2026-10-06",
        "part-0.jsonl",
        List.of(
            // the newer state first in the file: the newest by updated_time wins, not the last line
            catalogLine("mp1", "Newer", "2026-10-06T09:00:00Z"),
            catalogLine("mp1", "Older", "2026-10-06T08:00:00Z"),
            catalogLine("mp2", "Only", "2026-10-06T08:00:00Z")));

    IngestJob.Result r = ingest(null, null);

    assertThat(r.sources().get("catalog").inserted()).isEqualTo(2);
    assertThat(
            Delta.read(spark, warehouse(), Tables.CATALOG)
                .orderBy("mini_program_id")
                .collectAsList())
        .extracting(row -> row.getAs("mini_program_id") + " " + row.getAs("name"))
        .containsExactly("mp1 Newer", "mp2 Only");
    // t1 came twice with the same event time: the later delivery's copy is the one kept
    Row t1 = Delta.read(spark, warehouse(), Tables.PAYMENTS).filter("txn_id = 't1'").first();
    assertThat(t1.<String>getAs("_source_file")).contains("dt=2026-10-07");
  }

  private static String catalogLine(String id, String name, String updated) {
    return String.format(
        "{\"mini_program_id\":\"%s\",\"merchant_id\":\"m1\",\"name\":\"%s\",\"category\":\"c\","
            + "\"verticals\":[\"food\"],\"host_apps\":[\"alipay\"],\"cities\":[],"
            + "\"status\":\"active\",\"updated_time\":\"%s\"}",
        id, name, updated);
  }

  private List<Row> snapshot() {
    return Delta.read(spark, warehouse(), Tables.PAYMENTS)
        .drop("_ingested_at")
        .orderBy("txn_id")
        .collectAsList();
  }
}
