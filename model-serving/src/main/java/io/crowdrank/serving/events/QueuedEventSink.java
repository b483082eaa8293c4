package io.crowdrank.serving.events;

import io.crowdrank.format.ServingLogFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What both sinks share: event ids, a bounded queue in front of the one thread that stores records
 * (so no caller waits on the disk or the broker to be queued), and the counts of what happened to
 * them. A subclass drains {@link #queue}, stores, completes the durable futures and counts.
 */
abstract class QueuedEventSink implements EventSink {
  /** A queued record, and the future of a durable append (null: it may be lost). */
  protected record Entry(Record record, CompletableFuture<Void> durable) {}

  private final String replica;
  private final long boot;
  private final String name;
  private final String store;
  private final AtomicLong ids = new AtomicLong();

  protected final BlockingQueue<Entry> queue;
  protected volatile boolean closing;
  protected final LongAdder written = new LongAdder();
  protected final LongAdder dropped = new LongAdder();
  protected final LongAdder failed = new LongAdder();

  /**
   * @param boot the replica's start (epoch ms), in every event id
   * @param name the sink in messages, e.g. "the event log"
   * @param store what records wait for, e.g. "the disk"
   */
  QueuedEventSink(String replica, long boot, int queueCapacity, String name, String store) {
    this.replica = replica;
    this.boot = boot;
    this.name = name;
    this.store = store;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
  }

  /** The replica's start time (epoch ms) in its event ids. */
  public long boot() {
    return boot;
  }

  @Override
  public String nextId() {
    return ServingLogFormat.eventId(replica, boot, ids.incrementAndGet());
  }

  @Override
  public CompletableFuture<Void> appendDurable(Record record) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (closing) {
      done.completeExceptionally(new LogBehindException(name + " is closing"));
    } else if (!queue.offer(new Entry(record, done))) {
      failed.increment();
      done.completeExceptionally(
          new LogBehindException(
              name
                  + " has "
                  + (queue.size() + queue.remainingCapacity())
                  + " records waiting for "
                  + store
                  + "; try again shortly"));
    }
    return done;
  }

  @Override
  public boolean appendLater(Record record) {
    if (closing || !queue.offer(new Entry(record, null))) {
      dropped.increment();
      return false;
    }
    return true;
  }

  /**
   * A queued record that could not be stored: a durable append fails with {@code why} and counts as
   * failed; a record that may be lost counts as dropped.
   */
  protected final void fail(Entry e, java.io.IOException why) {
    if (e.durable() != null) {
      failed.increment();
      e.durable().completeExceptionally(why);
    } else {
      dropped.increment();
    }
  }

  @Override
  public long written() {
    return written.sum();
  }

  @Override
  public long dropped() {
    return dropped.sum();
  }

  @Override
  public long failed() {
    return failed.sum();
  }

  @Override
  public int queued() {
    return queue.size();
  }
}
