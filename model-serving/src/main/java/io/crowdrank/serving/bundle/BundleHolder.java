package io.crowdrank.serving.bundle;

import io.crowdrank.ranking.bundle.BundleException;
import io.crowdrank.ranking.bundle.ModelBundle;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
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
 */
public final class BundleHolder implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(BundleHolder.class);

  private final BundleSource reader;
  private final String tablePath;
  private final Consumer<ModelBundle> onSwap;
  private final AtomicReference<ModelBundle> current = new AtomicReference<>();
  private ScheduledExecutorService watcher;

  /** The version served before the current one, or -1. */
  private long previousVersion = -1;

  /** After a rollback: versions up to this one are not loaded again by the watcher. */
  private long skipUpTo = -1;

  /** Whether the wait for a first bundle has been logged. */
  private boolean waitingLogged;

  public BundleHolder(BundleSource reader, String tablePath, Consumer<ModelBundle> onSwap) {
    this.reader = reader;
    this.tablePath = tablePath;
    this.onSwap = onSwap;
  }

  public Optional<ModelBundle> current() {
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
    ModelBundle served = current.get();
    if (served != null && served.version() == latest.getAsLong()) {
      return false;
    }
    return load(latest);
  }

  /** Loads a specific version (e.g. to roll back) and serves it. */
  public synchronized boolean load(OptionalLong version) {
    long started = System.nanoTime();
    ModelBundle next = reader.read(tablePath, version);
    ModelBundle old = current.getAndSet(next);
    if (old != null && old.version() != next.version()) {
      previousVersion = old.version();
    }
    LOG.infof(
        "serving bundle version %d (%d items, %d users, dim %d, search %s) from %s, loaded in %d"
            + " ms",
        next.version(),
        next.catalog().count(),
        next.users().count(),
        next.catalog().dim(),
        next.catalog().itemIndex().method(),
        tablePath,
        (System.nanoTime() - started) / 1_000_000);
    onSwap.accept(next);
    return true;
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
    return current.get();
  }

  /**
   * Serves an earlier bundle: {@code version}, or the one served before the current one (else the
   * current version - 1). The watcher then leaves every version published so far alone, so the
   * rollback holds until a newer bundle is published or an operator reloads.
   */
  public synchronized ModelBundle rollback(OptionalLong version) {
    ModelBundle served = current.get();
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
    return current.get();
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
