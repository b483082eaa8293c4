package io.crowdrank.serving.events;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.common.base.Preconditions;
import io.crowdrank.format.ServingLogFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jboss.logging.Logger;

/**
 * The event sink on Apache Kafka: each record is one message on the topic, its value the same JSON
 * object as a line of the local log ({@link ServingLogFormat}), landed by {@code jobs events
 * --events-source kafka://…}.
 *
 * <p>The producer is idempotent and waits for every in-sync replica ({@code acks=all}), so an event
 * whose future completed is in the topic and is neither lost nor written twice by the producer's
 * own retries. Records are handed to the producer by one thread from a bounded queue, so a Rank
 * call never waits on the broker (not even on its metadata while it is down): a served list the
 * queue has no room for, or that the broker never acknowledges, is dropped and counted; a durable
 * append is refused ({@link LogBehindException}) or failed with the broker's error.
 */
public final class KafkaEventSink extends QueuedEventSink {
  private static final Logger LOG = Logger.getLogger(KafkaEventSink.class);

  /**
   * @param bootstrapServers host:port[,host:port] of the cluster
   * @param topic where records go (created by the cluster's operators, or auto-created)
   * @param replica the replica's id in every event id ({@link ServingLogFormat#isValidReplica})
   * @param linger how long the producer waits to fill a batch (&ge; 0); a crash may lose the served
   *     lists of about this long
   * @param queueCapacity records waiting for the producer, at most (&ge; 1)
   * @param deliveryTimeout how long the producer keeps trying to deliver one record (&gt; 0)
   */
  public record Settings(
      String bootstrapServers,
      String topic,
      String replica,
      Duration linger,
      int queueCapacity,
      Duration deliveryTimeout) {
    public Settings {
      Preconditions.checkArgument(
          bootstrapServers != null && !bootstrapServers.isBlank(), "bootstrapServers is required");
      Preconditions.checkArgument(topic != null && !topic.isBlank(), "topic is required");
      Preconditions.checkArgument(
          ServingLogFormat.isValidReplica(replica),
          "replica id must be 1-64 letters, digits, '-' or '_', not '%s'",
          replica);
      Preconditions.checkArgument(!linger.isNegative(), "linger must be >= 0");
      Preconditions.checkArgument(queueCapacity >= 1, "queueCapacity must be >= 1");
      Preconditions.checkArgument(
          deliveryTimeout.toMillis() > 0, "deliveryTimeout must be at least 1 ms");
    }

    /** The producer's configuration. */
    Properties producer() {
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      p.put(ProducerConfig.CLIENT_ID_CONFIG, "crowdrank-" + replica);
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      p.put(ProducerConfig.LINGER_MS_CONFIG, String.valueOf(linger.toMillis()));
      long request = Math.min(30_000, deliveryTimeout.toMillis());
      p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(request));
      // Kafka requires delivery >= linger + request timeout.
      p.put(
          ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
          String.valueOf(Math.max(deliveryTimeout.toMillis(), linger.toMillis() + request)));
      // Only the sender thread calls send(): while the broker is unknown it waits there, not a
      // call.
      p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(deliveryTimeout.toMillis()));
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      return p;
    }
  }

  private final Settings settings;
  private final Clock clock;
  private final Producer<byte[], byte[]> producer;
  private final Thread sender;

  // The sender thread's own state.
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1 << 12);

  KafkaEventSink(Settings settings, Clock clock, Producer<byte[], byte[]> producer) {
    // Event ids carry the start time, as the local log's do (a restart takes longer than 1 ms).
    super(
        settings.replica(),
        clock.millis(),
        settings.queueCapacity(),
        "the Kafka event sink",
        "the broker");
    this.settings = settings;
    this.clock = clock;
    this.producer = producer;
    this.sender = new Thread(this::run, "crowdrank-event-kafka");
    this.sender.setDaemon(true);
  }

  /** Connects the producer and starts the sender; the broker may still be down. */
  public static KafkaEventSink open(Settings settings, Clock clock) {
    KafkaEventSink sink =
        new KafkaEventSink(settings, clock, new KafkaProducer<>(settings.producer()));
    sink.start();
    LOG.infof(
        "event sink: replica %s sending to Kafka topic %s at %s",
        settings.replica(), settings.topic(), settings.bootstrapServers());
    return sink;
  }

  /** Starts handing queued records to the producer. */
  void start() {
    sender.start();
  }

  private void run() {
    while (!(closing && queue.isEmpty())) {
      Entry e;
      try {
        e = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        break;
      }
      if (e != null) {
        send(e);
      }
    }
  }

  private void send(Entry e) {
    try {
      buffer.reset();
      try (JsonGenerator json = Record.JSON.createGenerator(buffer, JsonEncoding.UTF8)) {
        e.record().write(json, settings.replica(), clock.instant().toString());
      }
      producer.send(
          new ProducerRecord<>(settings.topic(), buffer.toByteArray()),
          (metadata, error) -> {
            if (error == null) {
              written.increment();
              if (e.durable() != null) {
                e.durable().complete(null);
              }
            } else {
              failed(e, error);
            }
          });
    } catch (IOException | RuntimeException error) {
      failed(e, error);
    }
  }

  private void failed(Entry e, Exception error) {
    fail(
        e,
        error instanceof TimeoutException
            ? new LogBehindException(
                "Kafka at " + settings.bootstrapServers() + " did not answer in time: " + error)
            : new IOException("Kafka did not store the event: " + error, error));
  }

  /** Sends what is queued, waits for the broker's acknowledgements, and closes the producer. */
  @Override
  public void close() {
    closing = true;
    try {
      sender.join(settings.deliveryTimeout().toMillis() + 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(settings.deliveryTimeout());
  }
}
