package io.crowdrank.serving.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crowdrank.format.ServingLogFormat;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka sink's own logic over Kafka's {@link MockProducer}, which acknowledges or fails each
 * send when told to; a real KRaft broker carries it end to end in {@code EndToEndIT}.
 */
class KafkaEventSinkTest {
  static final KafkaEventSink.Settings SETTINGS =
      new KafkaEventSink.Settings(
          "127.0.0.1:9", "events", "test-1", Duration.ofMillis(5), 4, Duration.ofSeconds(2));

  final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());

  KafkaEventSink open() {
    KafkaEventSink sink = new KafkaEventSink(SETTINGS, Clock.systemUTC(), producer);
    sink.start();
    return sink;
  }

  /** Waits until the sender has handed {@code n} records to the producer. */
  void awaitSent(int n) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (producer.history().size() < n && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertThat(producer.history()).hasSize(n);
  }

  @Test
  void appendDurable_completesOnlyOnceKafkaAcknowledges_withTheLocalLogsJsonObject(
      @TempDir Path dir) throws Exception {
    try (KafkaEventSink sink = open()) {
      EventRecord record = EventLogTest.event(sink, "mp1");
      CompletableFuture<Void> stored = sink.appendDurable(record);
      awaitSent(1);

      assertThat(stored).isNotDone();
      assertThat(producer.completeNext()).isTrue();
      stored.get(5, TimeUnit.SECONDS);
      assertThat(sink.written()).isEqualTo(1);
      assertThat(producer.history().get(0).topic()).isEqualTo("events");

      // The message is the record the local log would write for it, field for field.
      JsonNode sent = new ObjectMapper().readTree(producer.history().get(0).value());
      try (EventLog local = EventLogTest.open(dir)) {
        local.appendDurable(record).get(5, TimeUnit.SECONDS);
      }
      JsonNode logged = EventLogTest.read(dir).get(0);
      ((com.fasterxml.jackson.databind.node.ObjectNode) sent).remove(ServingLogFormat.LOGGED_AT);
      ((com.fasterxml.jackson.databind.node.ObjectNode) logged).remove(ServingLogFormat.LOGGED_AT);
      assertThat(sent).isEqualTo(logged);
      assertThat(sent.get(ServingLogFormat.EVENT_ID).asText()).startsWith("test-1.");
    }
  }

  @Test
  void aRefusedSend_failsTheDurableAppend_andCountsALostServedList() throws Exception {
    try (KafkaEventSink sink = open()) {
      CompletableFuture<Void> event = sink.appendDurable(EventLogTest.event(sink, "mp1"));
      sink.appendLater(EventLogTest.event(sink, "mp2"));
      awaitSent(2);

      producer.errorNext(new NotEnoughReplicasException("1 in-sync replica of 2"));
      producer.errorNext(new NotEnoughReplicasException("1 in-sync replica of 2"));

      assertThatThrownBy(() -> event.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(java.io.IOException.class)
          .hasMessageContaining("Kafka did not store the event")
          .hasMessageContaining("1 in-sync replica of 2");
      assertThat(sink.failed()).isEqualTo(1);
      assertThat(sink.dropped()).isEqualTo(1);
      assertThat(sink.written()).isZero();
    }
  }

  @Test
  void aFullQueue_refusesDurableAppends_asBehind_andDropsServedLists() {
    // Not started: nothing leaves the queue of 4.
    KafkaEventSink sink = new KafkaEventSink(SETTINGS, Clock.systemUTC(), producer);
    for (int i = 0; i < 4; i++) {
      assertThat(sink.appendLater(EventLogTest.event(sink, "mp" + i))).isTrue();
    }

    assertThat(sink.appendLater(EventLogTest.event(sink, "late"))).isFalse();
    CompletableFuture<Void> refused = sink.appendDurable(EventLogTest.event(sink, "event"));

    assertThatThrownBy(refused::join).hasCauseInstanceOf(EventSink.LogBehindException.class);
    assertThat(sink.dropped()).isEqualTo(1);
    assertThat(sink.failed()).isEqualTo(1);
    assertThat(sink.queued()).isEqualTo(4);
  }
}
