package io.crowdrank.serving.delta;

import io.delta.kernel.Snapshot;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.exceptions.TableNotFoundException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * What a web page shows from a small Delta table the batch jobs rewrite: the newest version, read
 * whole with Delta Kernel into a value, and looked for again at most every {@code refresh}. Between
 * looks reads take no lock; a look (one reader, the others wait for it) swaps in the new value.
 * Before the table exists the value is {@code empty}.
 *
 * @param <T> what the table is read into (immutable)
 */
public final class LatestTable<T> {
  private static final org.jboss.logging.Logger LOG =
      org.jboss.logging.Logger.getLogger(LatestTable.class);

  private record Loaded<T>(long version, T value) {}

  private final Engine engine;
  private final String path;
  private final Duration refresh;
  private final Clock clock;
  private final Function<Snapshot, T> read;
  private final T empty;

  private volatile Loaded<T> loaded;
  private volatile Instant checked = Instant.EPOCH;

  /**
   * @param warehouse the warehouse root
   * @param tablePath the table, relative to it
   * @param read reads a whole snapshot (one consistent version) into the value
   * @param empty the value while there is no table
   */
  public LatestTable(
      Engine engine,
      String warehouse,
      String tablePath,
      Duration refresh,
      Clock clock,
      Function<Snapshot, T> read,
      T empty) {
    this.engine = engine;
    this.path = (warehouse.endsWith("/") ? warehouse : warehouse + "/") + tablePath;
    this.refresh = refresh;
    this.clock = clock;
    this.read = read;
    this.empty = empty;
    this.loaded = new Loaded<>(-1, empty);
  }

  /**
   * The value of the newest version seen (at most {@code refresh} old). A failed look keeps the
   * last value (logged) until the next {@code refresh}, so pages keep answering.
   */
  public T get() {
    Instant now = clock.instant();
    if (now.isAfter(checked.plus(refresh))) {
      synchronized (this) {
        if (now.isAfter(checked.plus(refresh))) {
          try {
            OptionalLong latest = KernelTables.latestVersion(engine, path);
            if (latest.isPresent() && latest.getAsLong() != loaded.version()) {
              loaded = load(latest.getAsLong());
            }
          } catch (RuntimeException e) {
            LOG.warnf("could not read %s; showing version %d: %s", path, loaded.version(), e);
          } finally {
            checked = now;
          }
        }
      }
    }
    return loaded.value();
  }

  /** The table version the value comes from, -1 before there was one. */
  public long version() {
    get();
    return loaded.version();
  }

  private Loaded<T> load(long version) {
    try {
      return new Loaded<>(
          version, read.apply(KernelTables.snapshot(engine, path, OptionalLong.of(version))));
    } catch (TableNotFoundException e) {
      return new Loaded<>(-1, empty);
    }
  }
}
