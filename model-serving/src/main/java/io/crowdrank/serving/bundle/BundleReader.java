package io.crowdrank.serving.bundle;

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

/**
 * Reads a published bundle with Delta Kernel: no Spark on the serving side. A Delta snapshot is a
 * consistent version, so the service never sees half a publish.
 */
public final class BundleReader implements BundleSource {
  private final Engine engine;
  private final boolean int8Scan;

  /** A reader whose bundles scan small catalogs as int8 where the JVM can. */
  public BundleReader() {
    this(new Configuration(), true);
  }

  /**
   * @param int8Scan whether the exact scan of a small catalog may use int8 columns (where the JVM
   *     has the Vector API); false keeps floats ({@code crowdrank.int8-scan})
   */
  public BundleReader(Configuration hadoopConf, boolean int8Scan) {
    this.engine = DefaultEngine.create(hadoopConf);
    this.int8Scan = int8Scan;
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
    // Column ordinals are resolved once per batch schema, not per row.
    java.util.Map<StructType, KernelFields> fields = new java.util.IdentityHashMap<>();
    KernelTables.scan(
        engine,
        snapshot,
        (row, schema) ->
            BundleRows.accept(fields.computeIfAbsent(schema, KernelFields::new).at(row), bundle));
    return bundle.build();
  }

  /** {@link BundleRows.Fields} over Kernel rows of one schema, ordinals looked up once. */
  private static final class KernelFields extends BundleRows.OrdinalFields {
    private Row row;

    KernelFields(StructType schema) {
      super(schema.fieldNames());
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
      return row.getDouble(ordinal);
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
