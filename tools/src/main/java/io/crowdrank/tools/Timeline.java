package io.crowdrank.tools;

import com.google.common.base.Preconditions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * A load run second by second, warm-up included, by when each request was <em>due</em>: how many
 * were due, shed and answered, their latencies, and how late the generator itself sent them. A
 * spell of slow answers that the generator sent on time is the server's (or the machine's); one
 * whose requests went out late is the generator's. Each second carries its wall-clock start, to
 * line it up with the server's GC, safepoint and application logs.
 */
public final class Timeline {
  /** Latencies above this count as this (a call's deadline is far below it). */
  private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(1);

  /** One second of the run. */
  public record Second(
      int second,
      boolean measured,
      long epochMillis,
      long due,
      long shed,
      long answered,
      long errors,
      double p50Ms,
      double p99Ms,
      double maxMs,
      double maxSendLagMs) {
    static final String HEADER =
        "second,measured,epoch_ms,due,shed,answered,errors,p50_ms,p99_ms,max_ms,max_send_lag_ms";

    String csv() {
      return String.format(
          Locale.ROOT,
          "%d,%b,%d,%d,%d,%d,%d,%.3f,%.3f,%.3f,%.3f",
          second,
          measured,
          epochMillis,
          due,
          shed,
          answered,
          errors,
          p50Ms,
          p99Ms,
          maxMs,
          maxSendLagMs);
    }
  }

  private final long startNanos;
  private final long startEpochMillis;
  private final int warmupSeconds;
  private final LongAdder[] due;
  private final LongAdder[] shed;
  private final LongAdder[] errors;
  private final Histogram[] latencies;
  private final AtomicLong[] maxSendLag;

  /**
   * @param startNanos {@link System#nanoTime} when the first request is due
   * @param startEpochMillis the wall clock at the same moment
   */
  Timeline(long startNanos, long startEpochMillis, Duration warmup, Duration duration) {
    Preconditions.checkArgument(!warmup.isNegative() && !duration.isNegative(), "negative time");
    this.startNanos = startNanos;
    this.startEpochMillis = startEpochMillis;
    this.warmupSeconds = (int) Math.ceil(warmup.toNanos() / 1e9);
    int seconds = (int) Math.ceil(warmup.plus(duration).toNanos() / 1e9);
    due = new LongAdder[seconds];
    shed = new LongAdder[seconds];
    errors = new LongAdder[seconds];
    latencies = new Histogram[seconds];
    maxSendLag = new AtomicLong[seconds];
    for (int s = 0; s < seconds; s++) {
      due[s] = new LongAdder();
      shed[s] = new LongAdder();
      errors[s] = new LongAdder();
      latencies[s] = new ConcurrentHistogram(MAX_MICROS, 2);
      maxSendLag[s] = new AtomicLong();
    }
  }

  /** The second a request due at {@code dueNanos} falls in, or -1 outside the run. */
  private int second(long dueNanos) {
    long s = Math.floorDiv(dueNanos - startNanos, 1_000_000_000L);
    return s >= 0 && s < due.length ? (int) s : -1;
  }

  /** A request due then was sent at {@code sentNanos}. */
  void sent(long dueNanos, long sentNanos) {
    int s = second(dueNanos);
    if (s >= 0) {
      due[s].increment();
      maxSendLag[s].accumulateAndGet(Math.max(0, sentNanos - dueNanos), Math::max);
    }
  }

  /** A request due then was not sent: too many in flight. */
  void shed(long dueNanos) {
    int s = second(dueNanos);
    if (s >= 0) {
      due[s].increment();
      shed[s].increment();
    }
  }

  /** A request due then was answered (or failed, {@code ok} false) after {@code micros}. */
  void answered(long dueNanos, long micros, boolean ok) {
    int s = second(dueNanos);
    if (s < 0) {
      return;
    }
    if (ok) {
      latencies[s].recordValue(Math.min(MAX_MICROS, Math.max(1, micros)));
    } else {
      errors[s].increment();
    }
  }

  /** Every second of the run, in order. */
  public List<Second> seconds() {
    List<Second> out = new ArrayList<>(due.length);
    for (int s = 0; s < due.length; s++) {
      Histogram h = latencies[s];
      boolean any = h.getTotalCount() > 0;
      out.add(
          new Second(
              s,
              s >= warmupSeconds,
              startEpochMillis + s * 1000L,
              due[s].sum(),
              shed[s].sum(),
              h.getTotalCount(),
              errors[s].sum(),
              any ? h.getValueAtPercentile(50) / 1000.0 : 0,
              any ? h.getValueAtPercentile(99) / 1000.0 : 0,
              any ? h.getMaxValue() / 1000.0 : 0,
              maxSendLag[s].get() / 1e6));
    }
    return out;
  }

  /** The seconds as CSV, with a header line. */
  public static String csv(List<Second> seconds) {
    StringBuilder out = new StringBuilder(Second.HEADER).append('\n');
    seconds.forEach(s -> out.append(s.csv()).append('\n'));
    return out.toString();
  }

  /**
   * The measured seconds with the slowest answers, worst first, at most {@code n}: one line each,
   * with the generator's own lateness beside the latency.
   */
  public static String worst(List<Second> seconds, int n) {
    StringBuilder out = new StringBuilder();
    seconds.stream()
        .filter(Second::measured)
        .sorted(Comparator.comparingDouble(Second::maxMs).reversed())
        .limit(n)
        .forEach(
            s ->
                out.append(
                    String.format(
                        Locale.ROOT,
                        "  second %d (epoch ms %d): max %.1f ms, p99 %.1f ms, %d shed; the generator"
                            + " sent up to %.1f ms late%n",
                        s.second(),
                        s.epochMillis(),
                        s.maxMs(),
                        s.p99Ms(),
                        s.shed(),
                        s.maxSendLagMs())));
    return out.toString();
  }
}
