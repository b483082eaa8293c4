package io.crowdrank.serving.bundle;

import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.Manifest;
import io.crowdrank.format.UserBuckets;
import io.crowdrank.ranking.bundle.BundleException;
import io.crowdrank.ranking.bundle.BundleRows;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.serving.delta.KernelTables;
import io.delta.kernel.Snapshot;
import io.delta.kernel.data.ArrayValue;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.exceptions.TableNotFoundException;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.FloatType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads a published bundle with Delta Kernel: no Spark on the serving side. A Delta snapshot is a
 * consistent version, so the service never sees half a publish.
 */
public final class BundleReader implements BundleSource {
  private static final org.jboss.logging.Logger LOG =
      org.jboss.logging.Logger.getLogger(BundleReader.class);

  private final Engine engine;
  private final Configuration hadoopConf;
  private final boolean int8Scan;
  private final boolean prebuiltIndex;

  private final UserBuckets.Shard shard;

  /**
   * Files decoded at a time: a bundle's user files are independent, and decoding them is the bulk
   * of a load (the bundle builder takes each row under its lock).
   */
  private static final int LOAD_THREADS = Runtime.getRuntime().availableProcessors();

  /** A reader of whole bundles whose small catalogs are scanned as int8 where the JVM can. */
  public BundleReader() {
    this(new Configuration(), true, true, UserBuckets.Shard.ALL);
  }

  /**
   * @param int8Scan whether the exact scan of a small catalog may use int8 columns (where the JVM
   *     has the Vector API); false keeps floats ({@code crowdrank.int8-scan})
   * @param prebuiltIndex whether to map the item index publish built, where the manifest names one
   *     (else the graph is built here, as for older bundles)
   * @param shard the users to read ({@code crowdrank.shard}): only the files of its buckets are
   *     opened; every other part is read whole
   */
  public BundleReader(
      Configuration hadoopConf, boolean int8Scan, boolean prebuiltIndex, UserBuckets.Shard shard) {
    this.engine = DefaultEngine.create(hadoopConf);
    this.hadoopConf = hadoopConf;
    this.int8Scan = int8Scan;
    this.prebuiltIndex = prebuiltIndex;
    this.shard = shard;
  }

  /** The table's latest version, or empty if there is no bundle table there yet. */
  @Override
  public OptionalLong latestVersion(String tablePath) {
    return KernelTables.latestVersion(engine, tablePath);
  }

  /** Reads the given version, or the latest if empty. */
  @Override
  public ModelBundle read(String tablePath, OptionalLong version) {
    Snapshot snapshot;
    try {
      snapshot = KernelTables.snapshot(engine, tablePath, version);
    } catch (TableNotFoundException e) {
      throw new BundleException.NotPublished(tablePath, e);
    } catch (RuntimeException e) {
      throw new BundleException(
          "cannot open bundle " + tablePath + " " + version + ": " + e.getMessage(), e);
    }
    ModelBundle.Builder bundle = new ModelBundle.Builder(snapshot.getVersion());
    bundle.int8Scan(int8Scan);
    bundle.shard(shard);
    if (prebuiltIndex) {
      bundle.prebuiltIndexes(index -> localIndex(tablePath, index));
    }
    // Column ordinals are resolved once per schema and thread, not per row. Kernel gives every
    // batch its own schema object: one cached reader per thread, not one per batch (a map by
    // batch schema kept every batch of a 10 M-user load alive through its last row).
    ThreadLocal<KernelFields[]> fields = ThreadLocal.withInitial(() -> new KernelFields[1]);
    KernelTables.scan(
        engine,
        snapshot,
        partitions -> readsFile(shard, partitions),
        LOAD_THREADS,
        (row, schema) -> {
          KernelFields[] f = fields.get();
          if (f[0] == null || !f[0].reads(schema)) {
            f[0] = new KernelFields(schema);
          }
          BundleRows.accept(f[0].at(row), bundle);
        });
    return bundle.build();
  }

  /**
   * Whether a replica of the shard reads the file with these partition values: of the user files
   * (the buckets {@code b % bucket_mod == bucket_rem}), those that may hold the shard's users, and
   * for a replica of every user only those of first copies; every file of the other parts (and of
   * users written without buckets).
   */
  static boolean readsFile(UserBuckets.Shard shard, java.util.Map<String, String> partitions) {
    String mod = partitions.get(BundleFormat.BUCKET_MOD);
    String rem = partitions.get(BundleFormat.BUCKET_REM);
    if (mod == null || rem == null) {
      return true;
    }
    if (shard.count() == 1 && "false".equals(partitions.get(BundleFormat.BUCKET_FIRST))) {
      return false;
    }
    return shard.ownsAny(Integer.parseInt(mod), Integer.parseInt(rem));
  }

  /**
   * The prebuilt index's directory on this machine, for Lucene to map: where the table is on a
   * local file system, the directory itself; elsewhere (object storage) a copy under the temporary
   * directory, made once per index (its name carries the bundle's creation time), and checked like
   * the original before use; null if it cannot be fetched.
   */
  java.nio.file.Path localIndex(String tablePath, Manifest.Index index) {
    Path dir = new Path(tablePath, index.path());
    try {
      FileSystem fs = dir.getFileSystem(hadoopConf);
      if (fs instanceof LocalFileSystem local) {
        return local.pathToFile(dir).toPath();
      }
      java.nio.file.Path copy =
          java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "crowdrank-index")
              .resolve(Integer.toHexString(tablePath.hashCode()))
              .resolve(index.path());
      if (!java.nio.file.Files.isDirectory(copy)) {
        java.nio.file.Path partial = copy.resolveSibling(copy.getFileName() + ".partial");
        fs.copyToLocalFile(false, dir, new Path(partial.toUri()), true);
        java.nio.file.Files.move(partial, copy, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
      return copy;
    } catch (java.io.IOException e) {
      LOG.warnf(
          "cannot fetch the prebuilt item index %s, building one instead (slow for a large"
              + " catalog): %s",
          dir, e);
      return null;
    }
  }

  /** {@link BundleRows.Fields} over Kernel rows of one schema, ordinals looked up once. */
  private static final class KernelFields extends BundleRows.OrdinalFields {
    private Row row;
    private StructType schema;

    KernelFields(StructType schema) {
      super(schema.fieldNames());
      this.schema = schema;
    }

    /** Whether rows of this schema have the columns in the same places (the next batch's do). */
    boolean reads(StructType other) {
      if (other != schema && other.equals(schema)) {
        schema = other;
      }
      return other == schema;
    }

    KernelFields at(Row r) {
      this.row = r;
      return this;
    }

    @Override
    protected boolean isNull(int ordinal) {
      return row.isNullAt(ordinal);
    }

    @Override
    protected String stringAt(int ordinal) {
      return row.getString(ordinal);
    }

    @Override
    protected double doubleAt(int ordinal) {
      return schema.at(ordinal).getDataType() instanceof FloatType
          ? row.getFloat(ordinal)
          : row.getDouble(ordinal);
    }

    @Override
    protected byte[] bytesAt(int ordinal) {
      return row.getBinary(ordinal);
    }

    @Override
    protected int intAt(int ordinal) {
      return row.getInt(ordinal);
    }

    /** A Delta timestamp: microseconds since the epoch, UTC. */
    @Override
    protected java.time.Instant timeAt(int ordinal) {
      return java.time.Instant.EPOCH.plus(
          row.getLong(ordinal), java.time.temporal.ChronoUnit.MICROS);
    }

    @Override
    protected float[] floatsAt(int ordinal) {
      ArrayValue a = row.getArray(ordinal);
      ColumnVector e = a.getElements();
      float[] out = new float[a.getSize()];
      for (int i = 0; i < out.length; i++) {
        out[i] = e.isNullAt(i) ? 0f : e.getFloat(i);
      }
      return out;
    }

    @Override
    protected int[] intsAt(int ordinal) {
      ArrayValue a = row.getArray(ordinal);
      ColumnVector e = a.getElements();
      int[] out = new int[a.getSize()];
      for (int i = 0; i < out.length; i++) {
        out[i] = e.isNullAt(i) ? -1 : e.getInt(i);
      }
      return out;
    }

    @Override
    protected List<?> arrayAt(int ordinal) {
      ArrayValue a = row.getArray(ordinal);
      ColumnVector e = a.getElements();
      DataType type = e.getDataType();
      List<Object> out = new ArrayList<>(a.getSize());
      for (int i = 0; i < a.getSize(); i++) {
        if (e.isNullAt(i)) {
          out.add(null);
        } else if (type instanceof StringType) {
          out.add(e.getString(i));
        } else if (type instanceof FloatType) {
          out.add(e.getFloat(i));
        } else if (type instanceof IntegerType) {
          out.add(e.getInt(i));
        } else {
          throw new BundleException("bundle array of unexpected type " + type);
        }
      }
      return out;
    }
  }
}
