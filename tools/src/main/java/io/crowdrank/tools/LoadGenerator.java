package io.crowdrank.tools;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Status;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
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
      if (mode == Mode.CLOSED && rate != 0) {
        // A rate given to a closed loop would be silently ignored: a flat-out run taken for one
        // at a fixed rate.
        throw new IllegalArgumentException(
            "a closed loop runs flat out and takes no rate (--rate goes with --mode open)");
      }
      if (concurrency < 1) {
        throw new IllegalArgumentException("concurrency must be >= 1");
      }
    }
  }

  /**
   * A process's CPU time (user + system, nanoseconds), read when the measured window opens and when
   * it closes: what each answered call cost that process.
   */
  public record CpuClock(String name, LongSupplier nanos) {}

  /**
   * What a run measured (warm-up excluded).
   *
   * @param cpuMicrosPerCall by {@link CpuClock} name: its CPU time over the measured window per
   *     request answered in it
   * @param timeline the whole run second by second, warm-up included
   */
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
      double maxMs,
      Map<String, Double> cpuMicrosPerCall,
      List<Timeline.Second> timeline) {
    public Report {
      timeline = List.copyOf(timeline);
    }

    /** The run in one line, with the CPU per call of each clock but the thread groups'. */
    public String line() {
      StringBuilder cpu = new StringBuilder();
      cpuMicrosPerCall.forEach(
          (name, us) -> {
            if (!name.contains("/")) {
              cpu.append(String.format(Locale.ROOT, "; %s CPU %.0f µs/call", name, us));
            }
          });
      return String.format(
          Locale.ROOT,
          "%s%s: %,d requests in %.1f s = %,.0f QPS; latency p50 %.2f ms, p99 %.2f ms, p99.9 %.2f"
              + " ms, max %.2f ms; errors %,d %s%s",
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
          errorsByStatus.isEmpty() ? "" : errorsByStatus.toString(),
          cpu);
    }

    /**
     * The CPU per call of {@code process}'s thread groups (the clocks named {@code process/group}),
     * largest first, those under 0.5 µs left out; empty if it has none.
     */
    public String threads(String process) {
      String prefix = process + "/";
      StringBuilder out = new StringBuilder();
      cpuMicrosPerCall.entrySet().stream()
          .filter(e -> e.getKey().startsWith(prefix) && e.getValue() >= 0.5)
          .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
          .forEach(
              e ->
                  out.append(out.length() == 0 ? "" : ", ")
                      .append(
                          String.format(
                              Locale.ROOT,
                              "%s %.0f",
                              e.getKey().substring(prefix.length()),
                              e.getValue())));
      return out.toString();
    }
  }

  /** Runs the load; {@code call} sends one request and returns its future. */
  public Report run(Supplier<ListenableFuture<?>> call, Options o) throws InterruptedException {
    return run(call, o, List.of());
  }

  /** As {@link #run(Supplier, Options)}, reading {@code clocks} at the measured window's ends. */
  public Report run(Supplier<ListenableFuture<?>> call, Options o, List<CpuClock> clocks)
      throws InterruptedException {
    Histogram latencies = new ConcurrentHistogram(TimeUnit.MINUTES.toMicros(10), 3);
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    Map<String, Long> byStatus = new ConcurrentHashMap<>();
    long start = System.nanoTime();
    long measureFrom = start + o.warmup().toNanos();
    long end = measureFrom + o.duration().toNanos();
    Semaphore inFlight = new Semaphore(o.concurrency());
    Timeline timeline = new Timeline(start, System.currentTimeMillis(), o.warmup(), o.duration());
    Recorder recorder = new Recorder(measureFrom, end, latencies, ok, byStatus, failed, timeline);
    long[][] cpu = new long[2][clocks.size()];
    // A daemon: if the run fails, nothing keeps the command's JVM up waiting for a reading.
    ScheduledExecutorService window =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cpu-window");
              t.setDaemon(true);
              return t;
            });
    for (int edge = 0; edge < 2; edge++) {
      long[] reading = cpu[edge];
      window.schedule(
          () -> {
            for (int c = 0; c < reading.length; c++) {
              reading[c] = clocks.get(c).nanos().getAsLong();
            }
          },
          (edge == 0 ? measureFrom : end) - System.nanoTime(),
          TimeUnit.NANOSECONDS);
    }
    if (o.mode() == Mode.CLOSED) {
      // Each caller sends its next request from the callback of the last one: no thread blocks
      // per caller, so the generator costs little CPU per call (as grpc-java's own async
      // benchmark client), which matters when it shares the server's cores.
      CountDownLatch callersDone = new CountDownLatch(o.concurrency());
      for (int c = 0; c < o.concurrency(); c++) {
        new ClosedCaller(call, end, recorder, callersDone).next();
      }
      // Each caller stops at `end` after its last answer (bounded by the call's deadline).
      callersDone.await(o.duration().plus(o.warmup()).toSeconds() + 60, TimeUnit.SECONDS);
    } else {
      ExecutorService sender = Executors.newSingleThreadExecutor();
      try {
        long interval = (long) (1e9 / o.rate());
        sender.submit(
            () -> {
              for (long due = start; due < end; due += interval) {
                long wait = due - System.nanoTime();
                if (wait > 0) {
                  LockSupport.parkNanos(wait);
                }
                final long dueAt = due;
                if (!inFlight.tryAcquire()) {
                  // More than `concurrency` requests outstanding: the server is not keeping up.
                  timeline.shed(dueAt);
                  if (dueAt >= measureFrom) {
                    failed.incrementAndGet();
                    byStatus.merge("CLIENT_OVERLOADED", 1L, Long::sum);
                  }
                  continue;
                }
                timeline.sent(dueAt, System.nanoTime());
                ListenableFuture<?> f = call.get();
                f.addListener(
                    () -> {
                      inFlight.release();
                      recorder.record(dueAt, f);
                    },
                    MoreExecutors.directExecutor());
              }
              return null;
            });
        sender.shutdown();
        sender.awaitTermination(o.duration().plus(o.warmup()).toSeconds() + 30, TimeUnit.SECONDS);
        // Let the last requests answer (or time out by their deadline).
        inFlight.tryAcquire(o.concurrency(), 30, TimeUnit.SECONDS);
      } finally {
        sender.shutdownNow();
      }
    }
    // Both readings are due by now (the window's end has passed); waiting also orders them.
    window.shutdown();
    window.awaitTermination(10, TimeUnit.SECONDS);
    double seconds = o.duration().toNanos() / 1e9;
    long requests = ok.get() + failed.get();
    Map<String, Double> cpuPerCall = new LinkedHashMap<>();
    for (int c = 0; c < clocks.size(); c++) {
      cpuPerCall.put(
          clocks.get(c).name(), (cpu[1][c] - cpu[0][c]) / 1000.0 / Math.max(1, requests));
    }
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
        latencies.getMaxValue() / 1000.0,
        cpuPerCall,
        timeline.seconds());
  }

  /** One closed-loop caller: sends, and on each answer records it and sends again until the end. */
  private static final class ClosedCaller {
    private final Supplier<ListenableFuture<?>> call;
    private final long end;
    private final Recorder recorder;
    private final CountDownLatch done;

    ClosedCaller(
        Supplier<ListenableFuture<?>> call, long end, Recorder recorder, CountDownLatch done) {
      this.call = call;
      this.end = end;
      this.recorder = recorder;
      this.done = done;
    }

    void next() {
      // A loop, not a recursion, while answers come back at once (a call that fails before it
      // is sent): the stack stays flat however many fail in a row.
      while (System.nanoTime() < end) {
        long due = System.nanoTime();
        recorder.timeline().sent(due, due);
        ListenableFuture<?> f = call.get();
        if (!f.isDone()) {
          f.addListener(
              () -> {
                recorder.record(due, f);
                next();
              },
              MoreExecutors.directExecutor());
          return;
        }
        recorder.record(due, f);
      }
      done.countDown();
    }
  }

  /**
   * Counts answers due inside the measured window, and their latencies from when they were due;
   * every answer goes to the timeline.
   */
  private record Recorder(
      long measureFrom,
      long end,
      Histogram latencies,
      AtomicLong ok,
      Map<String, Long> byStatus,
      AtomicLong failed,
      Timeline timeline) {
    void record(long due, ListenableFuture<?> answered) {
      long micros = Math.max(1, (System.nanoTime() - due) / 1000);
      boolean measured = due >= measureFrom && due < end;
      try {
        Futures.getDone(answered);
        timeline.answered(due, micros, true);
        if (measured) {
          ok.incrementAndGet();
          latencies.recordValue(micros);
        }
      } catch (ExecutionException | CancellationException e) {
        timeline.answered(due, micros, false);
        if (!measured) {
          return;
        }
        failed.incrementAndGet();
        byStatus.merge(
            Status.fromThrowable(e.getCause() != null ? e.getCause() : e).getCode().name(),
            1L,
            Long::sum);
      }
    }
  }
}
