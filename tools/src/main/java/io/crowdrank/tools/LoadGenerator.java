package io.crowdrank.tools;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Status;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * A gRPC load generator, bounded in time. <b>Closed loop</b>: {@code concurrency} callers each send
 * the next request when the last one answers — the maximum throughput. <b>Open loop</b>: requests
 * are sent on a fixed schedule ({@code rate} per second) whatever the answers, and each latency is
 * measured from when the request was <em>due</em>, so a stalled server shows up in the percentiles
 * instead of slowing the generator down (no coordinated omission). Requests in the warm-up are sent
 * but not counted.
 */
public final class LoadGenerator {

  public enum Mode {
    OPEN,
    CLOSED
  }

  /**
   * @param rate requests per second (open loop)
   * @param concurrency callers (closed loop), or the cap on requests in flight (open loop)
   */
  public record Options(
      Mode mode, double rate, int concurrency, Duration duration, Duration warmup) {
    public Options {
      if (duration.isNegative() || duration.isZero() || duration.toSeconds() > 600) {
        throw new IllegalArgumentException("duration must be 1..600 s, got " + duration);
      }
      if (warmup.isNegative()) {
        throw new IllegalArgumentException("warm-up must be >= 0");
      }
      if (mode == Mode.OPEN && !(rate > 0)) {
        throw new IllegalArgumentException("an open loop needs a rate > 0");
      }
      if (concurrency < 1) {
        throw new IllegalArgumentException("concurrency must be >= 1");
      }
    }
  }

  /** What a run measured (warm-up excluded). */
  public record Report(
      Mode mode,
      double offeredRate,
      long requests,
      long errors,
      Map<String, Long> errorsByStatus,
      double seconds,
      double qps,
      double p50Ms,
      double p99Ms,
      double p999Ms,
      double maxMs) {
    public String line() {
      return String.format(
          Locale.ROOT,
          "%s%s: %,d requests in %.1f s = %,.0f QPS; latency p50 %.2f ms, p99 %.2f ms, p99.9 %.2f"
              + " ms, max %.2f ms; errors %,d %s",
          mode.name().toLowerCase(Locale.ROOT),
          mode == Mode.OPEN ? String.format(Locale.ROOT, " at %,.0f/s", offeredRate) : "",
          requests,
          seconds,
          qps,
          p50Ms,
          p99Ms,
          p999Ms,
          maxMs,
          errors,
          errorsByStatus.isEmpty() ? "" : errorsByStatus.toString());
    }
  }

  /** Runs the load; {@code call} sends one request and returns its future. */
  public Report run(Supplier<ListenableFuture<?>> call, Options o) throws InterruptedException {
    Histogram latencies = new ConcurrentHistogram(TimeUnit.MINUTES.toMicros(10), 3);
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    Map<String, Long> byStatus = new ConcurrentHashMap<>();
    long start = System.nanoTime();
    long measureFrom = start + o.warmup().toNanos();
    long end = measureFrom + o.duration().toNanos();
    Semaphore inFlight = new Semaphore(o.concurrency());
    ExecutorService callers =
        Executors.newFixedThreadPool(o.mode() == Mode.CLOSED ? o.concurrency() : 1);
    try {
      if (o.mode() == Mode.CLOSED) {
        for (int c = 0; c < o.concurrency(); c++) {
          callers.submit(
              () -> {
                while (System.nanoTime() < end) {
                  long due = System.nanoTime();
                  try {
                    call.get().get();
                    record(due, measureFrom, end, latencies, ok, null, byStatus, failed);
                  } catch (Exception e) {
                    record(due, measureFrom, end, latencies, ok, e, byStatus, failed);
                  }
                }
                return null;
              });
        }
      } else {
        long interval = (long) (1e9 / o.rate());
        callers.submit(
            () -> {
              for (long due = start; due < end; due += interval) {
                long wait = due - System.nanoTime();
                if (wait > 0) {
                  LockSupport.parkNanos(wait);
                }
                final long dueAt = due;
                if (!inFlight.tryAcquire()) {
                  // More than `concurrency` requests outstanding: the server is not keeping up.
                  if (dueAt >= measureFrom) {
                    failed.incrementAndGet();
                    byStatus.merge("CLIENT_OVERLOADED", 1L, Long::sum);
                  }
                  continue;
                }
                Futures.addCallback(
                    call.get(),
                    new FutureCallback<Object>() {
                      @Override
                      public void onSuccess(Object result) {
                        inFlight.release();
                        record(dueAt, measureFrom, end, latencies, ok, null, byStatus, failed);
                      }

                      @Override
                      public void onFailure(Throwable t) {
                        inFlight.release();
                        record(dueAt, measureFrom, end, latencies, ok, t, byStatus, failed);
                      }
                    },
                    MoreExecutors.directExecutor());
              }
              return null;
            });
      }
      callers.shutdown();
      callers.awaitTermination(o.duration().plus(o.warmup()).toSeconds() + 30, TimeUnit.SECONDS);
      // Open loop: let the last requests answer (or time out by their deadline).
      inFlight.tryAcquire(o.concurrency(), 30, TimeUnit.SECONDS);
    } finally {
      callers.shutdownNow();
    }
    double seconds = o.duration().toNanos() / 1e9;
    long requests = ok.get() + failed.get();
    return new Report(
        o.mode(),
        o.rate(),
        requests,
        failed.get(),
        new TreeMap<>(byStatus),
        seconds,
        ok.get() / seconds,
        latencies.getValueAtPercentile(50) / 1000.0,
        latencies.getValueAtPercentile(99) / 1000.0,
        latencies.getValueAtPercentile(99.9) / 1000.0,
        latencies.getMaxValue() / 1000.0);
  }

  private static void record(
      long due,
      long measureFrom,
      long end,
      Histogram latencies,
      AtomicLong ok,
      Throwable error,
      Map<String, Long> byStatus,
      AtomicLong failed) {
    if (due < measureFrom || due >= end) {
      return;
    }
    if (error == null) {
      ok.incrementAndGet();
      latencies.recordValue(Math.max(1, (System.nanoTime() - due) / 1000));
    } else {
      failed.incrementAndGet();
      byStatus.merge(Status.fromThrowable(error).getCode().name(), 1L, Long::sum);
    }
  }
}
