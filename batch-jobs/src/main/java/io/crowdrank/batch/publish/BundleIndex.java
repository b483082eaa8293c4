package io.crowdrank.batch.publish;

import static io.crowdrank.format.BundleFormat.ID;
import static io.crowdrank.format.BundleFormat.INDEX_ROOT;
import static io.crowdrank.format.BundleFormat.VECTOR;
import static org.apache.spark.sql.functions.col;

import io.crowdrank.format.Manifest;
import io.crowdrank.ranking.ann.ItemIndex;
import io.crowdrank.ranking.bundle.Catalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The item index publish builds once, so that no replica builds it: for a catalog large enough that
 * the service searches a graph ({@link Catalog#ANN_MIN_ITEMS} items with vectors), the HNSW graph
 * over the bundle's item vectors, written by the service's own {@link ItemIndex#write} as Lucene
 * files under the bundle table ({@code _index/<created millis>}), before the bundle's commit. The
 * manifest of that commit names the directory and every file's checksum, so a bundle version and
 * its index go together and a replica can check what it maps.
 */
public final class BundleIndex {
  private static final Logger LOG = LoggerFactory.getLogger(BundleIndex.class);

  private BundleIndex() {}

  /**
   * Writes the index of these bundle item rows ({@code id}, {@code vector}; rows without a vector
   * are left out, as the service leaves them out) beside the bundle table, if there are enough of
   * them to need one.
   *
   * @param table the bundle table's path
   * @param created the bundle's creation time, which names the directory
   * @param minItems items with vectors from which to build it: {@link Catalog#ANN_MIN_ITEMS}, the
   *     service's threshold for a graph, except in tests
   * @return the manifest's entry for it, or empty for a catalog below {@code minItems}
   */
  public static Optional<Manifest.Index> write(
      SparkSession spark,
      Dataset<Row> items,
      String table,
      Instant created,
      int dim,
      long minItems) {
    Dataset<Row> withVectors = items.filter(col(VECTOR).isNotNull()).select(ID, VECTOR);
    long count = withVectors.count();
    if (count < minItems) {
      return Optional.empty();
    }
    long started = System.nanoTime();
    ItemIndex.Source source = collect(withVectors, (int) count, dim);
    String name = INDEX_ROOT + "/" + created.toEpochMilli();
    Path target = new Path(table, name);
    try {
      FileSystem fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
      Map<String, String> files;
      if (fs instanceof LocalFileSystem local) {
        files = ItemIndex.write(source, local.pathToFile(target).toPath());
      } else {
        // Lucene writes to a local directory; the files are then copied to the table's store.
        java.nio.file.Path scratch = Files.createTempDirectory("crowdrank-index");
        try {
          files = ItemIndex.write(source, scratch.resolve("index"));
          fs.copyFromLocalFile(false, false, new Path(scratch.resolve("index").toUri()), target);
        } finally {
          try (var walk = Files.walk(scratch)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
          }
        }
      }
      LOG.info(
          "item index of {} items x {} dims written to {} in {} s",
          count,
          dim,
          target,
          (System.nanoTime() - started) / 1_000_000_000);
      return Optional.of(new Manifest.Index(name, count, dim, files));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the item index to " + target, e);
    }
  }

  /** The rows' ids and vectors, in the order they came. */
  private static ItemIndex.Source collect(Dataset<Row> rows, int count, int dim) {
    String[] ids = new String[count];
    float[] vectors = new float[Math.multiplyExact(count, dim)];
    int n = 0;
    for (Iterator<Row> it = rows.toLocalIterator(); it.hasNext(); n++) {
      Row r = it.next();
      if (n == count) {
        throw new IllegalStateException("bundle items changed while their index was built");
      }
      ids[n] = r.getString(0);
      List<Object> v = r.getList(1);
      if (v.size() != dim) {
        throw new IllegalStateException(
            "item " + ids[n] + " has a vector of length " + v.size() + ", the bundle " + dim);
      }
      for (int d = 0; d < dim; d++) {
        if (!(v.get(d) instanceof Number x)) {
          throw new IllegalStateException("item " + ids[n] + " has a null in its vector");
        }
        vectors[n * dim + d] = x.floatValue();
      }
    }
    if (n != count) {
      throw new IllegalStateException("bundle items changed while their index was built");
    }
    return ItemIndex.Source.of(ids, vectors, dim, item -> true);
  }
}
