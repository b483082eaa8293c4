package io.crowdrank.serving.api;

import com.google.common.base.Preconditions;
import io.grpc.Status;
import io.grpc.StatusException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.LongAdder;
import org.jboss.logging.Logger;

/**
 * Runs the service's calls off the gRPC event loop, on a fixed set of threads (one per core by
 * default) fed by a bounded queue.
 *
 * <p>Why not Quarkus's worker pool ({@code @Blocking}): it hands each call between threads several
 * times (message, half-close, completion) and its pool has far more threads than cores. Measured
 * here, an Echo call cost 11-17 µs of server CPU through this executor against 57-99 µs through the
 * worker pool (docs/BENCHMARKS.md). And ranking is CPU work: threads beyond the cores only take
 * turns evicting each other's caches. Calls wait in the queue instead, which is what lets them be
 * batched.
 *
 * <p>Calls queued for the same {@link Batch} that wait behind one another are handed to it together
 * (at most {@code maxBatch}): under load the Rank calls that queued up while a thread was busy are
 * ranked together, their exact scans sharing one pass over the item columns. Nothing waits for a
 * batch to fill: an idle server runs each call as it comes.
 *
 * <p>A full queue refuses a call at once ({@link #overloaded}, RESOURCE_EXHAUSTED) rather than
 * letting it wait past any deadline: the client can retry elsewhere or back off.
 */
public final class CallExecutor implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(CallExecutor.class);

  /** Runs calls that arrived together. */
  @FunctionalInterface
  public interface Batch<T> {
    /** Runs the calls, in their order of arrival; must answer each of them. */
    void run(List<T> calls);

    /**
     * Whether running several calls at once is cheaper than one by one now; if not, each runs on
     * its own, and the other threads take the calls waiting behind it.
     */
    default boolean joins() {
      return true;
    }
  }

  /**
   * Plain calls: each runs on its own (in a row, when several were waiting), and one that throws
   * does not keep the others from running.
   */
  private static final Batch<Runnable> ALONE =
      calls -> {
        for (Runnable call : calls) {
          try {
            call.run();
          } catch (RuntimeException | Error e) {
            failed(e);
          }
        }
      };

  private record Task(Object call, Batch<Object> batch) {}

  private final BlockingQueue<Task> queue;
  private final int maxBatch;
  private final Thread[] threads;
  private final LongAdder rejected = new LongAdder();
  private final LongAdder batches = new LongAdder();
  private final LongAdder batched = new LongAdder();
  private volatile boolean closed;

  /**
   * @param threads threads running calls (&ge; 1; one per core is the right number for CPU work)
   * @param capacity calls that may wait (&ge; 1); more are refused
   * @param maxBatch most calls handed to a {@link Batch} at once (&ge; 1)
   */
  public CallExecutor(int threads, int capacity, int maxBatch) {
    Preconditions.checkArgument(threads >= 1, "threads must be >= 1, got %s", threads);
    Preconditions.checkArgument(capacity >= 1, "capacity must be >= 1, got %s", capacity);
    Preconditions.checkArgument(maxBatch >= 1, "maxBatch must be >= 1, got %s", maxBatch);
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.maxBatch = maxBatch;
    this.threads = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(this::work, "crowdrank-call-" + t);
      thread.setDaemon(true);
      this.threads[t] = thread;
      thread.start();
    }
  }

  /** Queues a call; false if the queue is full (answer the caller {@link #overloaded}). */
  public boolean execute(Runnable call) {
    return execute(call, ALONE);
  }

  /** Queues a call for {@code batch}; false if the queue is full. */
  @SuppressWarnings("unchecked")
  public <T> boolean execute(T call, Batch<T> batch) {
    Preconditions.checkNotNull(call, "call");
    if (closed || !queue.offer(new Task(call, (Batch<Object>) batch))) {
      rejected.increment();
      return false;
    }
    return true;
  }

  /** The status a refused call gets. */
  public StatusException overloaded() {
    return Status.RESOURCE_EXHAUSTED
        .withDescription(
            "server overloaded: "
                + queue.size()
                + " calls already waiting; retry with backoff or on another replica")
        .asException();
  }

  /** Calls waiting now. */
  public int queued() {
    return queue.size();
  }

  /** Calls refused so far because the queue was full. */
  public long rejected() {
    return rejected.sum();
  }

  /** Batches run so far (a call running alone is a batch of one). */
  public long batches() {
    return batches.sum();
  }

  /** Calls run so far, in all batches. */
  public long batchedCalls() {
    return batched.sum();
  }

  private void work() {
    Task held = null;
    List<Object> calls = new ArrayList<>(maxBatch);
    while (!closed) {
      Task first;
      try {
        first = held != null ? held : queue.take();
      } catch (InterruptedException e) {
        return;
      }
      held = null;
      calls.clear();
      calls.add(first.call());
      // Take the calls of the same batch waiting right behind it, this thread's share of them (the
      // other threads take the rest: a batch never leaves a core idle while calls wait); a call of
      // another kind ends the batch and runs next.
      int limit = first.batch().joins() ? Math.min(maxBatch, 1 + queue.size() / threads.length) : 1;
      while (calls.size() < limit) {
        Task next = queue.poll();
        if (next == null) {
          break;
        }
        if (next.batch() != first.batch()) {
          held = next;
          break;
        }
        calls.add(next.call());
      }
      batches.increment();
      batched.add(calls.size());
      try {
        first.batch().run(List.copyOf(calls));
      } catch (RuntimeException | Error e) {
        failed(e);
      }
    }
  }

  /** A call answers its own failures; one that escapes is a bug, and the thread must go on. */
  private static void failed(Throwable e) {
    LOG.error("a call failed outside its own error handling", e);
  }

  /** Stops the threads; calls still queued are not run (the server is going down with them). */
  @Override
  public void close() {
    closed = true;
    for (Thread t : threads) {
      t.interrupt();
    }
  }
}
