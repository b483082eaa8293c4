package io.crowdrank.serving.delta;

import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.exceptions.TableNotFoundException;
import io.delta.kernel.internal.InternalScanFileUtils;
import io.delta.kernel.internal.data.ScanStateRow;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads Delta tables with Delta Kernel, no Spark: a snapshot is one consistent table version, so a
 * reader never sees half of a commit.
 */
public final class KernelTables {
  private KernelTables() {}

  /** Receives each row with the schema of its batch. */
  public interface RowConsumer {
    void accept(Row row, StructType schema);
  }

  /** The table's latest version, or empty if there is no table there (yet). */
  public static OptionalLong latestVersion(Engine engine, String tablePath) {
    try {
      return OptionalLong.of(TableManager.loadSnapshot(tablePath).build(engine).getVersion());
    } catch (TableNotFoundException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * The snapshot at a version, or the latest if empty.
   *
   * @throws TableNotFoundException if there is no table
   */
  public static Snapshot snapshot(Engine engine, String tablePath, OptionalLong version) {
    var builder = TableManager.loadSnapshot(tablePath);
    if (version.isPresent()) {
      builder = builder.atVersion(version.getAsLong());
    }
    return builder.build(engine);
  }

  /** Every row of the snapshot, in file order. */
  public static void scan(Engine engine, Snapshot snapshot, RowConsumer rows) {
    scan(engine, snapshot, partitions -> true, 1, rows);
  }

  /**
   * The rows of the snapshot's files whose partition values (column to value, null for a null
   * partition) pass {@code partitions}; the other files are never opened. {@code threads} files are
   * read at a time (each file's rows in order, on one thread), so that a table of many files (a
   * bundle's users) is decoded on every core; with more than one, {@code rows} must be safe to call
   * from several threads. The first failure is thrown once every file has stopped.
   */
  public static void scan(
      Engine engine,
      Snapshot snapshot,
      java.util.function.Predicate<java.util.Map<String, String>> partitions,
      int threads,
      RowConsumer rows) {
    Scan scan = snapshot.getScanBuilder().build();
    Row scanState = scan.getScanState(engine);
    StructType physicalSchema = ScanStateRow.getPhysicalDataReadSchema(scanState);
    java.util.concurrent.ExecutorService pool =
        threads > 1 ? java.util.concurrent.Executors.newFixedThreadPool(threads) : null;
    List<java.util.concurrent.Future<?>> reading = new ArrayList<>();
    try (CloseableIterator<FilteredColumnarBatch> files = scan.getScanFiles(engine)) {
      while (files.hasNext()) {
        try (CloseableIterator<Row> fileRows = files.next().getRows()) {
          while (fileRows.hasNext()) {
            Row scanFile = fileRows.next();
            if (!partitions.test(InternalScanFileUtils.getPartitionValues(scanFile))) {
              continue;
            }
            if (pool == null) {
              readFile(engine, scanState, physicalSchema, scanFile, rows);
            } else {
              reading.add(
                  pool.submit(
                      () -> {
                        readFile(engine, scanState, physicalSchema, scanFile, rows);
                        return null;
                      }));
            }
          }
        }
      }
      awaitAll(reading);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + snapshot.getPath(), e);
    } finally {
      if (pool != null) {
        pool.shutdownNow();
      }
    }
  }

  private static void readFile(
      Engine engine, Row scanState, StructType physicalSchema, Row scanFile, RowConsumer rows)
      throws IOException {
    FileStatus file = InternalScanFileUtils.getAddFileStatus(scanFile);
    CloseableIterator<ColumnarBatch> physical =
        engine
            .getParquetHandler()
            .readParquetFiles(
                io.delta.kernel.internal.util.Utils.singletonCloseableIterator(file),
                physicalSchema,
                Optional.empty())
            .map(FileReadResult::getData);
    try (CloseableIterator<FilteredColumnarBatch> data =
        Scan.transformPhysicalData(engine, scanState, scanFile, physical)) {
      while (data.hasNext()) {
        FilteredColumnarBatch batch = data.next();
        StructType schema = batch.getData().getSchema();
        try (CloseableIterator<Row> it = batch.getRows()) {
          while (it.hasNext()) {
            rows.accept(it.next(), schema);
          }
        }
      }
    }
  }

  /** Waits for every task, then throws the first failure as it was thrown. */
  private static void awaitAll(List<java.util.concurrent.Future<?>> tasks) throws IOException {
    Throwable first = null;
    for (java.util.concurrent.Future<?> f : tasks) {
      try {
        f.get();
      } catch (java.util.concurrent.ExecutionException e) {
        first = first == null ? e.getCause() : first;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        first = first == null ? e : first;
      }
    }
    if (first instanceof IOException io) {
      throw io;
    }
    if (first instanceof RuntimeException r) {
      throw r;
    }
    if (first instanceof Error err) {
      throw err;
    }
    if (first != null) {
      throw new IllegalStateException(first);
    }
  }
}
