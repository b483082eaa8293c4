package io.crowdrank.batch.events;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.format.ServingLogFormat;
import io.crowdrank.format.ServingLogFormat.Segment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class EventsJobTest extends SparkTestBase {
  private static final long BOOT = 1_765_000_000_000L;

  static String served(String id, String user, String... items) {
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < items.length; i++) {
      list.append(i == 0 ? "" : ",")
          .append(
              "{\"mini_program_id\":\"%s\",\"position\":%d,\"score\":%s}"
                  .formatted(items[i], i + 1, 1.0 - i / 10.0));
    }
    return ("{\"type\":\"served\",\"event_id\":\"%s\",\"replica\":\"r1\","
            + "\"logged_at\":\"2026-12-06T10:00:00.123Z\",\"user_type\":\"payment\","
            + "\"user_id\":\"%s\",\"host_app\":\"alipay\","
            + "\"event_time\":\"2026-12-06T09:59:59.123456789Z\",\"city\":\"hangzhou\","
            + "\"request_id\":\"req\",\"model_version\":7,\"strategy\":\"personalized\","
            + "\"experiments\":[{\"layer\":\"ranking\",\"experiment\":\"ctx\","
            + "\"variant\":\"more\"}],\"forced\":false,\"items\":[%s]}")
        .formatted(id, user, list);
  }

  static String event(String id, String item, String kind, String token, String clientId) {
    return ("{\"type\":\"event\",\"event_id\":\"%s\",\"replica\":\"r1\","
            + "\"logged_at\":\"2026-12-06T10:01:00Z\",\"user_type\":\"social\","
            + "\"user_id\":\"5001\",\"host_app\":\"alipay\",\"mini_program_id\":\"%s\","
            + "\"kind\":\"%s\",\"event_time\":\"2026-12-05T23:59:00Z\","
            + "\"attribution_token\":\"%s\",\"client_event_id\":\"%s\"}")
        .formatted(id, item, kind, token, clientId);
  }

  private Path segment(Path log, String replica, long number, boolean closed, String... lines)
      throws Exception {
    Path dir = Files.createDirectories(log.resolve(replica));
    Path file = dir.resolve(new Segment(BOOT, number, closed).fileName());
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  @Test
  void options_sourceIsTheWarehousesFolder_aFolder_orAKafkaTopic() {
    String w = "/lake";

    assertThat(new EventsJob.Options(w, null, "r").source()).isEqualTo("/lake/_serving_log");
    assertThat(new EventsJob.Options(w, "/logs", "r").kafka()).isNull();
    assertThat(new EventsJob.Options(w, "kafka://k1:9092,k2:9092/crowdrank.events_1", "r").kafka())
        .isEqualTo(new EventsJob.Kafka("k1:9092,k2:9092", "crowdrank.events_1"));
    for (String bad : List.of("kafka://k1:9092", "kafka:///topic", "kafka://k1:9092/a/b")) {
      assertThatThrownBy(() -> new EventsJob.Options(w, bad, "r"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is not kafka://HOST:PORT[,HOST:PORT]/TOPIC");
    }
  }

  @Test
  void execute_landsEveryClosedSegmentOnce_quarantinesBadLines_andRemovesWhatItLanded()
      throws Exception {
    Path log = Path.of(warehouse()).resolve(ServingLogFormat.DIRECTORY);
    String[] first = {
      served("r1.1.1", "2088001", "mp1", "mp2", "mp3"),
      event("r1.1.2", "mp2", "click", "r1.1.1", "host-9"),
      "{\"type\":\"event\",\"event_id\":\"r1.1.3\",\"repl", // cut short by a crash
      event("r1.1.4", "mp3", "fly", "", ""), // no such kind
    };
    String[] second = {
      // The host app sent its event again in a retried stream: stored once.
      event("r1.1.5", "mp2", "click", "r1.1.1", "host-9"),
      event("r1.1.6", "mp1", "use", "r1.1.1", ""),
      "{\"type\":\"recovery\",\"event_id\":\"r1.2.1\",\"replica\":\"r1\","
          + "\"logged_at\":\"2026-12-06T10:02:00Z\",\"segment\":\"x.jsonl\",\"torn_bytes\":17}",
      "{\"type\":\"gossip\",\"event_id\":\"r1.2.2\",\"logged_at\":\"2026-12-06T10:02:00Z\"}",
    };
    Path a = segment(log, "r1", 0, true, first);
    Path b = segment(log, "r1", 1, true, second);
    Path open = segment(log, "r1", 2, false, served("r1.2.3", "2088002", "mp9"));

    EventsJob.Result r =
        new EventsJob(spark, new EventsJob.Options(warehouse(), null, "run-1")).execute();

    // By hand: 8 lines; the cut line, the unknown kind and the unknown type are refused.
    assertThat(r.segments()).isEqualTo(2);
    assertThat(r.read()).isEqualTo(8);
    assertThat(r.quarantined()).isEqualTo(3);
    assertThat(r.accepted()).isEqualTo(5);
    assertThat(r.inserted()).isEqualTo(4);
    assertThat(r.served()).isEqualTo(1);
    assertThat(r.events()).isEqualTo(3);
    assertThat(r.tornBytes()).isEqualTo(17);
    var table = Delta.read(spark, warehouse(), ServingLogFormat.TABLE_PATH);
    Map<String, Row> byKey =
        table.collectAsList().stream()
            .collect(Collectors.toMap(x -> x.getAs(EventsJob.EVENT_KEY), x -> x));
    assertThat(byKey.keySet())
        .containsExactlyInAnyOrder("r1.1.1", "alipay:host-9", "r1.1.6", "r1.2.1");
    Row servedRow = byKey.get("r1.1.1");
    List<Row> items = servedRow.getList(servedRow.fieldIndex(ServingLogFormat.ITEMS));
    assertThat(items).extracting(i -> i.getString(0)).containsExactly("mp1", "mp2", "mp3");
    assertThat(items).extracting(i -> i.getInt(1)).containsExactly(1, 2, 3);
    // Nanoseconds are cut to Spark's microseconds.
    assertThat(((java.sql.Timestamp) servedRow.getAs(ServingLogFormat.EVENT_TIME)).toInstant())
        .isEqualTo(java.time.Instant.parse("2026-12-06T09:59:59.123456Z"));
    Row click = byKey.get("alipay:host-9");
    assertThat(click.getAs(ServingLogFormat.TOKEN).toString()).isEqualTo("r1.1.1");
    // The event's own date (UTC), not the day it was logged.
    assertThat(click.getAs("event_date").toString()).isEqualTo("2026-12-05");
    List<String> reasons =
        Delta.read(spark, warehouse(), Tables.QUARANTINE)
            .where(col("source").equalTo(EventsJob.QUARANTINE_SOURCE))
            .select("reason")
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList();
    assertThat(reasons)
        .containsExactlyInAnyOrder(
            "not a JSON record of the serving log (cut short or damaged)",
            "kind must be impression, click or use",
            "unknown record type 'gossip'");
    assertThat(a).doesNotExist();
    assertThat(b).doesNotExist();
    assertThat(open).exists();

    // A run that died after its commit left its segments: the next one lands nothing twice.
    segment(log, "r1", 0, true, first);
    EventsJob.Result again =
        new EventsJob(spark, new EventsJob.Options(warehouse(), null, "run-2")).execute();
    assertThat(again.read()).isEqualTo(4);
    assertThat(again.inserted()).isZero();
    assertThat(Delta.read(spark, warehouse(), ServingLogFormat.TABLE_PATH).count()).isEqualTo(4);
    assertThat(
            Delta.read(spark, warehouse(), Tables.QUARANTINE)
                .where(col("source").equalTo(EventsJob.QUARANTINE_SOURCE))
                .count())
        .isEqualTo(3);

    // Nothing closed: nothing to do, no new table version.
    long version = Delta.version(spark, Tables.at(warehouse(), ServingLogFormat.TABLE_PATH));
    EventsJob.Result idle =
        new EventsJob(spark, new EventsJob.Options(warehouse(), null, "run-3")).execute();
    assertThat(idle.segments()).isZero();
    assertThat(idle.tableVersion()).isEqualTo(version);
  }
}
