package io.crowdrank.serving.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crowdrank.format.ServingLogFormat;
import io.crowdrank.format.ServingLogFormat.Segment;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankedItem;
import io.crowdrank.ranking.bundle.UserStore.IdType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class EventLogTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** A log for tests: small segments, a short flush interval, no room kept on the disk. */
  public static EventLog open(Path dir) throws IOException {
    return open(dir, 0, Clock.systemUTC());
  }

  public static EventLog open(Path dir, long minFreeBytes) throws IOException {
    return open(dir, minFreeBytes, Clock.systemUTC());
  }

  static EventLog open(Path dir, long minFreeBytes, Clock clock) throws IOException {
    return EventLog.open(
        new EventLog.Settings(
            dir,
            "test-1",
            Duration.ofMillis(20),
            1 << 20,
            Duration.ofSeconds(60),
            1024,
            minFreeBytes),
        clock);
  }

  /** Every record in the folder's segments (open or closed), in write order. */
  public static List<JsonNode> read(Path dir) {
    List<JsonNode> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.sorted().toList()) {
        if (Segment.parse(f.getFileName().toString()).isEmpty()) {
          continue;
        }
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          out.add(JSON.readTree(line));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  static EventRecord event(EventSink log, String item) {
    return new EventRecord(
        log.nextId(),
        new LoggedUser(IdType.PAYMENT_ACCOUNT, "2088001"),
        "alipay",
        item,
        RecentHistory.Kind.CLICK,
        Instant.parse("2026-12-06T10:00:00Z"),
        "tok-1",
        "");
  }

  @Test
  void appendDurable_completesOnceWritten_asOneJsonLinePerRecord() throws Exception {
    try (EventLog log = open(dir)) {
      CompletableFuture<Void> first = log.appendDurable(event(log, "mp1"));
      CompletableFuture<Void> second = log.appendDurable(event(log, "mp2"));
      second.get(5, TimeUnit.SECONDS);

      // Before close: what was acknowledged is in the file already.
      assertThat(first).isCompleted();
      List<JsonNode> records = read(dir);
      assertThat(records).hasSize(2);
      JsonNode r = records.get(0);
      assertThat(r.get(ServingLogFormat.TYPE).asText()).isEqualTo(ServingLogFormat.EVENT);
      assertThat(r.get(ServingLogFormat.EVENT_ID).asText())
          .isEqualTo("test-1." + log.boot() + ".1");
      assertThat(r.get(ServingLogFormat.REPLICA).asText()).isEqualTo("test-1");
      assertThat(r.get(ServingLogFormat.USER_TYPE).asText()).isEqualTo("payment");
      assertThat(r.get(ServingLogFormat.USER_ID).asText()).isEqualTo("2088001");
      assertThat(r.get(ServingLogFormat.ITEM_ID).asText()).isEqualTo("mp1");
      assertThat(r.get(ServingLogFormat.KIND).asText()).isEqualTo("click");
      assertThat(r.get(ServingLogFormat.EVENT_TIME).asText()).isEqualTo("2026-12-06T10:00:00Z");
      assertThat(r.get(ServingLogFormat.TOKEN).asText()).isEqualTo("tok-1");
      assertThat(records.get(1).get(ServingLogFormat.ITEM_ID).asText()).isEqualTo("mp2");
      assertThat(log.written()).isEqualTo(2);
      assertThat(log.syncs()).isBetween(1L, 2L);
    }
  }

  @Test
  void appendDurable_rightAfterRecordsThatMayWait_isAcknowledgedAfterThemInOrder()
      throws Exception {
    try (EventLog log = open(dir)) {
      // The writer lingers after writing records that may wait; a durable one wakes it.
      for (int i = 0; i < 3; i++) {
        log.appendLater(event(log, "later" + i));
        Thread.sleep(2);
      }
      log.appendDurable(event(log, "durable")).get(5, TimeUnit.SECONDS);

      assertThat(read(dir))
          .extracting(r -> r.get(ServingLogFormat.ITEM_ID).asText())
          .containsExactly("later0", "later1", "later2", "durable");
    }
  }

  @Test
  void servedRecord_scores_areTheShortestDigitsThatReadBackAsTheSameNumber() throws Exception {
    double[] scores = {0.1, 1.0 / 3, 12345.678, 1e-7, -2.5, 0, 2.0e-3, 0.1f};
    RankResponse.Builder response = RankResponse.newBuilder().setRequestId("r1");
    for (int i = 0; i < scores.length; i++) {
      response.addItems(RankedItem.newBuilder().setMiniProgramId("mp" + i).setScore(scores[i]));
    }
    try (EventLog log = open(dir)) {
      log.appendDurable(
              new ServedRecord(
                  log.nextId(),
                  new LoggedUser(IdType.PAYMENT_ACCOUNT, "2088001"),
                  "alipay",
                  Instant.parse("2026-12-06T10:00:00Z"),
                  "",
                  1,
                  List.of(),
                  false,
                  response.build()))
          .get(5, TimeUnit.SECONDS);
    }

    JsonNode items = read(dir).get(0).get(ServingLogFormat.ITEMS);
    for (int i = 0; i < scores.length; i++) {
      String text = items.get(i).get(ServingLogFormat.SCORE).asText();
      assertThat(Double.parseDouble(text)).as("item %d: %s", i, text).isEqualTo(scores[i]);
      // No longer than Java's own digits for the float.
      assertThat(text.length())
          .as("item %d: %s", i, text)
          .isLessThanOrEqualTo(Double.toString(scores[i]).length());
    }
  }

  @Test
  void close_writesWhatIsQueued_andClosesTheSegment() throws Exception {
    EventLog log = open(dir);
    for (int i = 0; i < 100; i++) {
      log.appendLater(event(log, "mp" + i));
    }
    log.close();

    assertThat(read(dir)).hasSize(100);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .singleElement()
          .satisfies(n -> assertThat(n).endsWith(ServingLogFormat.CLOSED_SUFFIX));
    }
  }

  @Test
  void open_afterACrashMidRecord_cutsTheTornTail_closesTheSegment_andLogsWhatWasCut()
      throws Exception {
    String complete =
        "{\"type\":\"event\",\"event_id\":\"a\"}\n{\"type\":\"event\",\"event_id\":\"b\"}\n";
    String torn = "{\"type\":\"event\",\"ev";
    Segment crashed = new Segment(1_700_000_000_000L, 3, false);
    Files.writeString(dir.resolve(crashed.fileName()), complete + torn);

    try (EventLog log = open(dir)) {
      assertThat(log.recovery()).isEqualTo(new EventLog.Recovery(1, torn.length(), 1));
      assertThat(Files.readString(dir.resolve(crashed.close().fileName()))).isEqualTo(complete);
      assertThat(dir.resolve(crashed.fileName())).doesNotExist();
      assertThat(log.boot()).isGreaterThan(crashed.boot());
    }
    List<JsonNode> records = read(dir);
    assertThat(records)
        .extracting(r -> r.get(ServingLogFormat.TYPE).asText())
        .containsExactly("event", "event", ServingLogFormat.RECOVERY);
    JsonNode recovery = records.get(2);
    assertThat(recovery.get(ServingLogFormat.SEGMENT).asText())
        .isEqualTo(crashed.close().fileName());
    assertThat(recovery.get(ServingLogFormat.TORN_BYTES).asLong()).isEqualTo(torn.length());
  }

  @Test
  void open_withAClockBehindAnEarlierRun_stillStartsLater() throws Exception {
    Segment earlier = new Segment(1_900_000_000_000L, 0, true);
    Files.writeString(dir.resolve(earlier.fileName()), "");
    Clock behind = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

    try (EventLog log = open(dir, 0, behind)) {
      assertThat(log.boot()).isEqualTo(earlier.boot() + 1);
      assertThat(log.recovery()).isEqualTo(new EventLog.Recovery(0, 0, 0));
    }
  }

  @Test
  void segments_closeAtTheirSize_andNamesSortInWriteOrder() throws Exception {
    try (EventLog log =
        EventLog.open(
            new EventLog.Settings(
                dir, "test-1", Duration.ofMillis(20), 2048, Duration.ofSeconds(60), 1024, 0),
            Clock.systemUTC())) {
      for (int i = 0; i < 200; i++) {
        log.appendDurable(event(log, "mp" + i)).get(5, TimeUnit.SECONDS);
      }
    }
    List<JsonNode> records = read(dir);
    assertThat(records)
        .extracting(r -> r.get(ServingLogFormat.ITEM_ID).asText())
        .containsExactlyElementsOf(
            java.util.stream.IntStream.range(0, 200).mapToObj(i -> "mp" + i).toList());
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> segments = files.toList();
      assertThat(segments).hasSizeGreaterThan(10);
      for (Path f : segments) {
        assertThat(Files.size(f)).isLessThan(2048 + 400);
      }
    }
  }

  @Test
  void appendDurable_onADiskWithoutTheRoomToKeep_failsWithLogFull_andKeepsNothing()
      throws Exception {
    try (EventLog log = open(dir, Long.MAX_VALUE, Clock.systemUTC())) {
      CompletableFuture<Void> f = log.appendDurable(event(log, "mp1"));

      assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(EventSink.LogFullException.class)
          .hasMessageContaining("MiB free");
      assertThat(log.failed()).isEqualTo(1);
      assertThat(log.appendLater(event(log, "mp2"))).isTrue();
    }
    assertThat(read(dir)).isEmpty();
  }

  @Test
  void settings_badReplicaId_isRefusedWithTheRule() {
    assertThatThrownBy(
            () ->
                new EventLog.Settings(
                    dir, "a/b", Duration.ofMillis(20), 4096, Duration.ofSeconds(1), 1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("letters, digits");
  }

  /** A record whose writing waits for the latch: it holds the log's writer, as a stuck disk. */
  public static EventSink.Record holding(
      EventLog log, java.util.concurrent.CountDownLatch release) {
    return holding(log, release, new java.util.concurrent.CountDownLatch(1));
  }

  /** As above; {@code entered} opens once the writer is held. */
  static EventSink.Record holding(
      EventLog log,
      java.util.concurrent.CountDownLatch release,
      java.util.concurrent.CountDownLatch entered) {
    String id = log.nextId();
    return new EventSink.Record() {
      @Override
      public String type() {
        return ServingLogFormat.RECOVERY;
      }

      @Override
      public String id() {
        return id;
      }

      @Override
      public void writeFields(com.fasterxml.jackson.core.JsonGenerator json) {
        entered.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
  }

  @Test
  void appendDurable_whileTheQueueIsFull_failsAtOnceWithLogBehind_andLaterRecordsAreCounted()
      throws Exception {
    var release = new java.util.concurrent.CountDownLatch(1);
    try (EventLog log =
        EventLog.open(
            new EventLog.Settings(
                dir, "test-1", Duration.ofMillis(20), 1 << 20, Duration.ofSeconds(60), 4, 0),
            Clock.systemUTC())) {
      var entered = new java.util.concurrent.CountDownLatch(1);
      log.appendLater(holding(log, release, entered));
      // The writer is held writing it; four more fill the queue.
      assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
      for (int i = 0; i < 4; i++) {
        assertThat(log.appendLater(event(log, "mp" + i))).isTrue();
      }

      assertThat(log.appendLater(event(log, "mp4"))).isFalse();
      CompletableFuture<Void> refused = log.appendDurable(event(log, "mp5"));

      assertThat(refused).isCompletedExceptionally();
      assertThatThrownBy(refused::join).hasCauseInstanceOf(EventSink.LogBehindException.class);
      assertThat(log.dropped()).isEqualTo(1);
      assertThat(log.failed()).isEqualTo(1);
      release.countDown();
    }
    // The holding record and the four queued ones; not the dropped or the refused one.
    assertThat(read(dir)).hasSize(5);
  }
}
