package io.crowdrank.serving.events;

import static io.crowdrank.format.ServingLogFormat.EVENT_ID;
import static io.crowdrank.format.ServingLogFormat.LOGGED_AT;
import static io.crowdrank.format.ServingLogFormat.REPLICA;
import static io.crowdrank.format.ServingLogFormat.TYPE;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import io.crowdrank.format.ServingLogFormat;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * Where a replica sends what it served and the events host apps sent, as records of {@link
 * ServingLogFormat}: its own write-ahead log on disk ({@link EventLog}, landed by {@code jobs
 * events} from the folder) or Apache Kafka ({@link KafkaEventSink}, landed from the topic).
 */
public interface EventSink extends AutoCloseable {
  /** One record: its kind and id (written first) and its own fields. */
  interface Record {
    /**
     * The generators' factory of every sink. Scores are written by Jackson's Schubfach writer: the
     * shortest digits that read back as the same number, several times cheaper than {@code
     * Double.toString}, which took a fifth of the log writer's time (the ten scores of each
     * answer).
     */
    JsonFactory JSON =
        JsonFactory.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

    /** One of {@link ServingLogFormat#TYPES}. */
    String type();

    /** From {@link EventSink#nextId()}. */
    String id();

    void writeFields(JsonGenerator json) throws IOException;

    /** The whole record as one JSON object, the same on every sink. */
    default void write(JsonGenerator json, String replica, String loggedAt) throws IOException {
      json.writeStartObject();
      json.writeStringField(TYPE, type());
      json.writeStringField(EVENT_ID, id());
      json.writeStringField(REPLICA, replica);
      json.writeStringField(LOGGED_AT, loggedAt);
      writeFields(json);
      json.writeEndObject();
    }
  }

  /** The sink has no room left (a disk short of space): callers answer RESOURCE_EXHAUSTED. */
  final class LogFullException extends IOException {
    public LogFullException(String message) {
      super(message);
    }
  }

  /** More records wait than the sink holds (a slow disk or broker): callers answer UNAVAILABLE. */
  final class LogBehindException extends IOException {
    public LogBehindException(String message) {
      super(message);
    }
  }

  /** A new event id, unique for this replica across its starts. */
  String nextId();

  /**
   * Appends a record that must not be lost. The future completes once the sink has it durably (on
   * disk, or acknowledged by every in-sync Kafka replica), or fails with {@link LogFullException},
   * {@link LogBehindException} or another {@link IOException}.
   */
  CompletableFuture<Void> appendDurable(Record record);

  /**
   * Appends a record that a crash may lose (within the flush interval); dropped and counted when
   * the sink is behind or fails.
   *
   * @return whether it was queued
   */
  boolean appendLater(Record record);

  /** Records the sink has stored (written to segments, or acknowledged by Kafka). */
  long written();

  /** Records that may be lost, dropped because the sink was behind or failed. */
  long dropped();

  /** Durable appends refused or failed (the callers were told). */
  long failed();

  /** Records waiting to be written or sent. */
  int queued();

  /** Stores what is queued and stops. */
  @Override
  void close();
}
