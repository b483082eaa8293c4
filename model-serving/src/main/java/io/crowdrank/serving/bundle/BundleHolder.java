package io.crowdrank.serving.bundle;

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
 * with one atomic reference write, so a request sees one whole bundle, old or new. A bundle that
 * fails to load is logged and the current one stays.
 */
public final class BundleHolder implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(BundleHolder.class);

  private final BundleReader reader;
  private final String tablePath;
  private final Consumer<ModelBundle> onSwap;
  private final AtomicReference<ModelBundle> current = new AtomicReference<>();
  private ScheduledExecutorService watcher;

  public BundleHolder(BundleReader reader, String tablePath, Consumer<ModelBundle> onSwap) {
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
    if (latest.isEmpty()) {
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
    current.set(next);
    LOG.infof(
        "serving bundle version %d (%d items, %d users, dim %d) from %s, loaded in %d ms",
        next.version(),
        next.itemCount(),
        next.userCount(),
        next.dim(),
        tablePath,
        (System.nanoTime() - started) / 1_000_000);
    onSwap.accept(next);
    return true;
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
