package io.crowdrank.serving.bundle;

import io.crowdrank.format.HostApps;
import io.crowdrank.ranking.ann.ItemIndex;
import io.crowdrank.ranking.bundle.BundleException;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.ranking.bundle.UserStore;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The bundle being served. A new version is read completely beside the old one and then swapped in
 * with one atomic reference write, so a request sees one whole bundle, old or new, and none waits
 * for a load. A bundle that fails to load is logged and the current one stays. After a rollback the
 * watcher leaves the rolled-back versions alone until a newer bundle is published.
 *
 * <p>The versions that the bundle's experiments rank some users on ({@code bundle_version}) are
 * loaded with it and swapped in together ({@link ServedBundles}); one already served is kept, not
 * read again. A bundle whose side-by-side version cannot be read is not swapped in, as if it had
 * failed to load itself: serving it would put that variant's users on the wrong model.
 */
public final class BundleHolder implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(BundleHolder.class);

  private final BundleSource reader;
  private final String tablePath;
  private final Consumer<ModelBundle> onSwap;
  private final WarmUp warmUp;
  private final AtomicReference<ServedBundles> current = new AtomicReference<>();
  private ScheduledExecutorService watcher;

  /** The version served before the current one, or -1. */
  private long previousVersion = -1;

  /** After a rollback: versions up to this one are not loaded again by the watcher. */
  private long skipUpTo = -1;

  /** Whether the wait for a first bundle has been logged. */
  private boolean waitingLogged;

  /** Whether the first bundle is served and warmed up: what readiness reports. */
  private volatile boolean ready;

  /**
   * What a replica does with its first bundle before it reports ready (a hot swap does neither).
   *
   * @param searchBeam the beam of the item-index searches it runs first: the ranking's own (its
   *     candidate count), so that the code compiled and the memory touched are those of the calls
   *     to come
   * @param calls then, with the bundle served, the calls the replica sends itself
   */
  public record WarmUp(int searchBeam, Consumer<ModelBundle> calls) {
    public WarmUp {
      com.google.common.base.Preconditions.checkArgument(
          searchBeam >= 1, "warm-up beam must be >= 1, got %s", searchBeam);
      com.google.common.base.Preconditions.checkNotNull(calls, "calls");
    }

    /** The searches only, no calls. */
    public static WarmUp searches(int searchBeam) {
      return new WarmUp(searchBeam, bundle -> {});
    }
  }

  /**
   * @param onSwap told of every bundle served, after the first one's warm-up
   */
  public BundleHolder(
      BundleSource reader, String tablePath, Consumer<ModelBundle> onSwap, WarmUp warmUp) {
    this.reader = reader;
    this.tablePath = tablePath;
    this.onSwap = onSwap;
    this.warmUp = warmUp;
  }

  public Optional<ModelBundle> current() {
    return served().map(ServedBundles::bundle);
  }

  /** Whether a bundle is served and the replica has warmed up on it: ready for traffic. */
  public boolean ready() {
    return ready;
  }

  /** The bundle with the versions served beside it, as one value. */
  public Optional<ServedBundles> served() {
    return Optional.ofNullable(current.get());
  }

  public String tablePath() {
    return tablePath;
  }

  /**
   * Loads the newest published version if it differs from the one served.
   *
   * @return whether a new bundle was swapped in
   */
  public synchronized boolean refresh() {
    OptionalLong latest = reader.latestVersion(tablePath);
    if (latest.isEmpty() && current.get() == null && !waitingLogged) {
      // Once: a mistyped warehouse otherwise looks like a service that never gets ready.
      LOG.warnf(
          "no model bundle published at %s yet: serving nothing (health NOT_SERVING) until one"
              + " is published there",
          tablePath);
      waitingLogged = true;
    }
    if (latest.isEmpty() || latest.getAsLong() <= skipUpTo) {
      return false;
    }
    ModelBundle served = current().orElse(null);
    if (served != null && served.version() == latest.getAsLong()) {
      return false;
    }
    return load(latest);
  }

  /** Loads a specific version (e.g. to roll back) and serves it. */
  public synchronized boolean load(OptionalLong version) {
    long started = System.nanoTime();
    ModelBundle next = reader.read(tablePath, version);
    ServedBundles old = current.get();
    Map<Long, ModelBundle> side = new TreeMap<>();
    for (long v : ServedBundles.needed(next)) {
      side.put(v, sideBySide(next, v, old));
    }
    if (!ready) {
      warmUp(next, warmUp.searchBeam(), WARM_UP_SEARCHES, WARM_UP_BUDGET);
      settleHeap();
    }
    current.set(new ServedBundles(next, side));
    if (!ready) {
      // Served from here on (to whoever calls; the replica itself first), reported ready after.
      warmUp.calls().accept(next);
      ready = true;
    }
    if (old != null && old.bundle().version() != next.version()) {
      previousVersion = old.bundle().version();
    }
    LOG.infof(
        "serving bundle version %d (%d items, %d users, dim %d, search %s)%s from %s, loaded in %d"
            + " ms",
        next.version(),
        next.catalog().count(),
        next.users().count(),
        next.catalog().dim(),
        next.catalog().itemIndex().method(),
        side.isEmpty() ? "" : ", with versions " + side.keySet() + " side by side for experiments",
        tablePath,
        (System.nanoTime() - started) / 1_000_000);
    onSwap.accept(next);
    return true;
  }

  /** Nearest-item searches a replica runs before it serves its first bundle. */
  static final int WARM_UP_SEARCHES = 3_000;

  /** The longest a replica spends on them. */
  static final Duration WARM_UP_BUDGET = Duration.ofSeconds(20);

  /**
   * Runs the item index's search, {@code beam} wide, for up to {@code searches} of the bundle's
   * users (spread over the store, every host app's filter in turn) before the first bundle is
   * served, so that the JIT has compiled the search when traffic comes. Cold, a 1 M-item search
   * took 15-27 ms instead of about 1 ms, and at 1,000 Rank/s the first half-minute of calls queued
   * behind them (docs/BENCHMARKS.md). Hot swaps run the code already compiled.
   *
   * @return the searches run
   */
  static int warmUp(ModelBundle bundle, int beam, int searches, Duration budget) {
    long started = System.nanoTime();
    long deadline = started + budget.toNanos();
    UserStore users = bundle.users();
    ItemIndex index = bundle.catalog().itemIndex();
    int apps = HostApps.ALL.size();
    int stride = Math.max(1, users.count() / Math.max(1, searches));
    int run = 0;
    for (int u = 0;
        u < users.count() && run < searches && System.nanoTime() < deadline;
        u += stride) {
      if (users.hasVector(u)) {
        index.nearest(users.vector(u), beam, run % apps, beam);
        run++;
      }
    }
    if (run > 0) {
      LOG.infof(
          "warmed the item search up on %d users in %d ms",
          run, (System.nanoTime() - started) / 1_000_000);
    }
    return run;
  }

  /**
   * Before the first bundle is served, collects the load's garbage and moves the bundle into the
   * old generation in one full collection, while nothing waits for an answer. Left to the
   * collector, that work came as young and mixed pauses of 50-400 ms over the first minute of
   * traffic (a 1 M-item, 10 M-user bundle, docs/BENCHMARKS.md); a hot swap still pays it under
   * traffic.
   */
  private static void settleHeap() {
    long started = System.nanoTime();
    System.gc();
    LOG.infof(
        "collected the load's garbage before serving in %d ms",
        (System.nanoTime() - started) / 1_000_000);
  }

  /** A version an experiment of {@code next} ranks on: kept if served already, else read. */
  private ModelBundle sideBySide(ModelBundle next, long version, ServedBundles old) {
    ModelBundle kept = old == null ? null : old.rankOn(version);
    if (kept != null) {
      return kept;
    }
    try {
      return reader.read(tablePath, OptionalLong.of(version));
    } catch (RuntimeException e) {
      throw new BundleException(
          "bundle version "
              + next.version()
              + " is not served: its experiments rank some users on version "
              + version
              + ", which cannot be read ("
              + e.getMessage()
              + "); publish it with experiments that name a version still in the table",
          e);
    }
  }

  /**
   * Loads the newest published bundle now (an operator's reload), even one skipped since a
   * rollback.
   *
   * @return the bundle served afterwards
   */
  public synchronized ModelBundle reload() {
    if (reader.latestVersion(tablePath).isEmpty()) {
      throw new BundleException.NotPublished(tablePath, null);
    }
    skipUpTo = -1;
    refresh();
    return current().orElseThrow();
  }

  /**
   * Serves an earlier bundle: {@code version}, or the one served before the current one (else the
   * current version - 1). The watcher then leaves every version published so far alone, so the
   * rollback holds until a newer bundle is published or an operator reloads.
   */
  public synchronized ModelBundle rollback(OptionalLong version) {
    ModelBundle served = current().orElse(null);
    if (served == null) {
      throw new IllegalStateException("nothing is served yet, so there is nothing to roll back");
    }
    long target =
        version.isPresent()
            ? version.getAsLong()
            : previousVersion >= 0 ? previousVersion : served.version() - 1;
    if (target < 0) {
      throw new IllegalStateException(
          "bundle version " + served.version() + " is the first: there is no earlier version");
    }
    long latest = reader.latestVersion(tablePath).orElse(served.version());
    load(OptionalLong.of(target));
    skipUpTo = Math.max(latest, served.version());
    LOG.warnf(
        "rolled back from bundle version %d to %d; versions up to %d are skipped until a newer"
            + " publish or a reload",
        served.version(), target, skipUpTo);
    return current().orElseThrow();
  }

  /** Checks for a newer bundle now and then every interval, in the background. */
  public synchronized void watch(Duration interval) {
    if (watcher != null) {
      return;
    }
    watcher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "bundle-watcher");
              t.setDaemon(true);
              return t;
            });
    watcher.scheduleWithFixedDelay(
        this::refreshQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void refreshQuietly() {
    try {
      refresh();
    } catch (RuntimeException e) {
      LOG.errorf(
          e,
          "could not load the bundle at %s; still serving %s",
          tablePath,
          current().map(b -> "version " + b.version()).orElse("nothing"));
    }
  }

  @Override
  public synchronized void close() {
    if (watcher != null) {
      watcher.shutdownNow();
      watcher = null;
    }
  }
}
