package io.crowdrank.batch.pipeline;

import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * What a person sees of a pipeline run. On a terminal: one live line per step, redrawn in place at
 * most {@link #REDRAW_MILLIS} apart (step i/n, a bar of the running stages' tasks, rows read,
 * elapsed time, rows/s), replaced by a one-line summary when the step ends. Elsewhere (cron,
 * Airflow): plain timestamped lines, a step's start, a progress line at most every {@link
 * #PLAIN_PROGRESS_MILLIS} and its end. A failed step gets a block on the error stream naming the
 * step, what it read, the error and what to do; the stack trace stays in the log file.
 *
 * <p>Spark's listener thread, a ticker and the driver all call it, hence every method locks.
 */
public final class ProgressRenderer {
  /** Fewest milliseconds between two draws of the live line: at most 4 a second. */
  static final long REDRAW_MILLIS = 250;

  /** Fewest milliseconds between two progress lines when not on a terminal. */
  static final long PLAIN_PROGRESS_MILLIS = 30_000;

  /** Log events the console already shows in its own words (a failed step's block). */
  public static final Marker SHOWN = MarkerFactory.getMarker("crowdrank.shown-on-console");

  private static final int BAR_WIDTH = 20;
  private static final int MESSAGE_LINES = 4;
  private static final int MESSAGE_WIDTH = 160;
  private static final Pattern STACK_FRAME = Pattern.compile("\\s*at [\\w$.<>/]+\\(.*\\)");
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  public enum Mode {
    /** One live line per step, redrawn with {@code \r}. */
    TERMINAL,
    /** Timestamped lines, a few a minute at most. */
    PLAIN;

    /**
     * A terminal when stdin and stdout are one (Java 17's {@link System#console()}), unless asked
     * for plain lines ({@code CROWDRANK_PROGRESS=plain}, {@code TERM=dumb}) or for the detailed log
     * on the console too, whose lines would keep breaking the live one.
     */
    public static Mode detect(boolean verbose) {
      boolean plain =
          verbose
              || "plain".equals(System.getenv("CROWDRANK_PROGRESS"))
              || "dumb".equals(System.getenv("TERM"));
      return System.console() != null && !plain ? TERMINAL : PLAIN;
    }
  }

  private final PrintStream out;
  private final PrintStream err;
  private final Clock clock;
  private final Mode mode;
  private final String logFile;
  private final UnaryOperator<String> rerun;
  private final long created;

  private String step;
  private int index;
  private int total;
  private long stepStarted;
  private long lastShown;
  private int tasksDone;
  private int tasksTotal;
  private long rows;

  /** Characters of the live line on screen; 0 when there is none. */
  private int liveWidth;

  private Throwable reported;

  /**
   * @param out progress lines and summaries
   * @param err log lines and a failed step's block
   * @param logFile the run's detailed log, or null when there is none
   * @param rerun the command that runs a step (by id) again
   */
  public ProgressRenderer(
      PrintStream out,
      PrintStream err,
      Clock clock,
      Mode mode,
      String logFile,
      UnaryOperator<String> rerun) {
    this.out = out;
    this.err = err;
    this.clock = clock;
    this.mode = mode;
    this.logFile = logFile;
    this.rerun = rerun;
    this.created = clock.millis();
  }

  /** For runs nobody watches (tests, benchmarks): the stage detail still goes to the log. */
  public static ProgressRenderer quiet() {
    PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
    return new ProgressRenderer(
        nowhere, nowhere, Clock.systemDefaultZone(), Mode.PLAIN, null, s -> "");
  }

  /** The run's detailed log, or null. */
  public String logFile() {
    return logFile;
  }

  public synchronized void stepStarted(String step, int index, int total) {
    this.step = step;
    this.index = index;
    this.total = total;
    stepStarted = clock.millis();
    tasksDone = 0;
    tasksTotal = 0;
    rows = 0;
    if (mode == Mode.TERMINAL) {
      draw(stepStarted);
    } else {
      plain(label() + "  started");
      lastShown = stepStarted;
    }
  }

  /** The running stages' tasks, done of total, and the rows the step's finished tasks read. */
  public synchronized void progress(int tasksDone, int tasksTotal, long rows) {
    this.tasksDone = tasksDone;
    this.tasksTotal = tasksTotal;
    this.rows = rows;
    showIfDue();
  }

  /** Keeps the elapsed time moving while no task ends (a long task, the driver working). */
  public synchronized void tick() {
    showIfDue();
  }

  /** The step's one-line summary: how it ended, its time and its main counts. */
  public synchronized void stepEnded(boolean skipped, Map<String, Long> headline) {
    long now = clock.millis();
    StringBuilder line =
        new StringBuilder(label())
            .append(skipped ? "  up to date, skipped in " : "  done in ")
            .append(duration(now - stepStarted));
    String counts = counts(headline);
    if (!counts.isEmpty()) {
      line.append("   ").append(counts);
    }
    finish(line.toString());
  }

  /**
   * The failed step's block on the error stream.
   *
   * @param reading what the step was reading, or null if unknown
   */
  public synchronized void stepFailed(String reading, Throwable error) {
    String failed = step;
    finish(label() + "  FAILED after " + duration(clock.millis() - stepStarted));
    List<String> block = new ArrayList<>();
    String rule = "=".repeat(72);
    block.add(rule);
    block.add("crowdrank: step " + failed + " (" + index + " of " + total + ") failed");
    if (reading != null) {
      block.add("  reading  " + reading);
    }
    List<String> message = message(error);
    block.add("  error    " + message.get(0));
    message.subList(1, message.size()).forEach(l -> block.add("           " + l));
    if (logFile != null) {
      block.add("  details  " + logFile + " (stack trace, Spark's log)");
    }
    block.add("  then     fix the cause and run the step again:");
    block.add("           " + rerun.apply(failed));
    if (total > 1) {
      block.add("           (or the whole command: the steps already done are skipped)");
    }
    block.add(rule);
    out.flush();
    block.forEach(err::println);
    err.flush();
    reported = error;
  }

  /** True if {@code error} is the one the last failure block showed. */
  public synchronized boolean reported(Throwable error) {
    return reported == error;
  }

  /** The end of a successful run: its time, its steps and where its record and log are. */
  public synchronized void runEnded(Pipeline.RunResult run) {
    long skipped = run.steps().stream().filter(s -> s.result().skipped()).count();
    out.printf(
        Locale.ROOT,
        "run %s done in %s: %d steps, %d up to date%n  record  %s%n",
        run.runId(),
        duration(clock.millis() - created),
        run.steps().size(),
        skipped,
        run.report());
    if (logFile != null) {
      out.println("  log     " + logFile);
    }
    out.flush();
  }

  /** A log line for the console: above the live line, not into it. */
  public synchronized void log(String text) {
    boolean live = liveWidth > 0;
    if (live) {
      out.print("\r" + " ".repeat(liveWidth) + "\r");
      out.flush();
      liveWidth = 0;
    }
    err.print(text);
    err.flush();
    if (live) {
      draw(clock.millis());
    }
  }

  private void showIfDue() {
    if (step == null) {
      return;
    }
    long now = clock.millis();
    if (mode == Mode.TERMINAL && now - lastShown >= REDRAW_MILLIS) {
      draw(now);
    } else if (mode == Mode.PLAIN && now - lastShown >= PLAIN_PROGRESS_MILLIS) {
      plain(
          label()
              + "  running "
              + clockTime(now - stepStarted)
              + share("  tasks")
              + rowsAndRate(now));
      lastShown = now;
    }
  }

  private void draw(long now) {
    int filled = tasksTotal == 0 ? 0 : (int) ((long) BAR_WIDTH * tasksDone / tasksTotal);
    String line =
        label()
            + " ["
            + "#".repeat(filled)
            + ".".repeat(BAR_WIDTH - filled)
            + "]"
            + (tasksTotal == 0 ? "     " : share(" "))
            + "  "
            + clockTime(now - stepStarted)
            + rowsAndRate(now);
    out.print("\r" + line + " ".repeat(Math.max(0, liveWidth - line.length())));
    out.flush();
    liveWidth = line.length();
    lastShown = now;
  }

  /** Prints a step's last line: over the live line on a terminal, timestamped elsewhere. */
  private void finish(String line) {
    if (mode == Mode.TERMINAL) {
      out.println("\r" + line + " ".repeat(Math.max(0, liveWidth - line.length())));
      out.flush();
      liveWidth = 0;
    } else {
      plain(line);
    }
    step = null;
  }

  private void plain(String line) {
    out.println(
        STAMP.format(LocalDateTime.ofInstant(clock.instant(), clock.getZone())) + " " + line);
    out.flush();
  }

  private String label() {
    return String.format(Locale.ROOT, "[%d/%d] %-8s", index, total, step);
  }

  private String share(String prefix) {
    return tasksTotal == 0
        ? ""
        : String.format(Locale.ROOT, "%s%3d%%", prefix, 100L * tasksDone / tasksTotal);
  }

  private String rowsAndRate(long now) {
    if (rows == 0) {
      return "";
    }
    long millis = now - stepStarted;
    String rate = millis < 1000 ? "" : "  " + compact(rows * 1000 / millis) + " rows/s";
    return "  " + compact(rows) + " rows" + rate;
  }

  /** Counts as {@code name 1,234}, in the order given. */
  static String counts(Map<String, Long> counts) {
    List<String> parts = new ArrayList<>();
    counts.forEach((name, n) -> parts.add(String.format(Locale.ROOT, "%s %,d", name, n)));
    return String.join(" · ", parts);
  }

  /** 950, 12.3k, 4.5M, 1.2G: short enough for the live line. */
  static String compact(long n) {
    if (n < 1000) {
      return Long.toString(n);
    }
    String[] units = {"k", "M", "G", "T"};
    double v = n;
    int unit = -1;
    while (v >= 1000 && unit < units.length - 1) {
      v /= 1000;
      unit++;
    }
    return String.format(Locale.ROOT, v < 100 ? "%.1f%s" : "%.0f%s", v, units[unit]);
  }

  /** Elapsed time as m:ss (h:mm:ss past an hour). */
  static String clockTime(long millis) {
    long s = millis / 1000;
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }

  /** A duration in words: 4.2 s, 3 min 05 s. */
  static String duration(long millis) {
    return millis < 60_000
        ? String.format(Locale.ROOT, "%.1f s", millis / 1000.0)
        : String.format(Locale.ROOT, "%d min %02d s", millis / 60_000, millis / 1000 % 60);
  }

  /**
   * The error and, if different, its root cause, without stack frames: Spark puts a task's stack
   * trace into the message of the exception it rethrows on the driver.
   */
  static List<String> message(Throwable error) {
    List<String> lines = new ArrayList<>(firstLines(error, MESSAGE_LINES));
    Throwable root = error;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root != error) {
      lines.add("cause: " + firstLines(root, 1).get(0));
    }
    return lines;
  }

  private static List<String> firstLines(Throwable t, int max) {
    String text =
        t.getClass().getSimpleName() + ": " + (t.getMessage() == null ? "" : t.getMessage());
    List<String> lines = new ArrayList<>();
    for (String line : text.split("\\R")) {
      if (line.isBlank()) {
        continue;
      }
      if (STACK_FRAME.matcher(line).matches() || line.startsWith("Driver stacktrace")) {
        break;
      }
      lines.add(
          line.length() > MESSAGE_WIDTH
              ? line.substring(0, MESSAGE_WIDTH - 1) + "…"
              : line.strip());
      if (lines.size() == max) {
        break;
      }
    }
    return lines;
  }
}
