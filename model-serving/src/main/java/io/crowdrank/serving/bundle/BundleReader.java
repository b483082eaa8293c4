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
  private static final class KernelFields implements BundleRows.Fields {
    private final java.util.Map<String, Integer> ordinals = new java.util.HashMap<>();
    private Row row;

    KernelFields(StructType schema) {
      for (int i = 0; i < schema.length(); i++) {
        ordinals.put(schema.at(i).getName(), i);
      }
    }

    KernelFields at(Row r) {
      this.row = r;
      return this;
    }

    /** The column's ordinal, or -1 when it is absent or null in this row. */
    private int present(String column) {
      Integer o = ordinals.get(column);
      return o == null || row.isNullAt(o) ? -1 : o;
    }

    @Override
    public String string(String column) {
      int o = present(column);
      return o < 0 ? null : row.getString(o);
    }

    @Override
    public List<String> strings(String column) {
      int o = present(column);
      if (o < 0) {
        return List.of();
      }
      ArrayValue a = row.getArray(o);
      ColumnVector e = a.getElements();
      List<String> out = new ArrayList<>(a.getSize());
      for (int i = 0; i < a.getSize(); i++) {
        if (!e.isNullAt(i)) {
          out.add(e.getString(i));
        }
      }
      return out;
    }

    @Override
    public float[] floats(String column) {
      int o = present(column);
      if (o < 0) {
        return null;
      }
      ArrayValue a = row.getArray(o);
      ColumnVector e = a.getElements();
      float[] out = new float[a.getSize()];
      for (int i = 0; i < out.length; i++) {
        out[i] = e.isNullAt(i) ? 0f : e.getFloat(i);
      }
      return out;
    }

    @Override
    public int[] ints(String column) {
      int o = present(column);
      if (o < 0) {
        return new int[0];
      }
      ArrayValue a = row.getArray(o);
      ColumnVector e = a.getElements();
      int[] out = new int[a.getSize()];
      for (int i = 0; i < out.length; i++) {
        out[i] = e.isNullAt(i) ? -1 : e.getInt(i);
      }
      return out;
    }

    @Override
    public Double number(String column) {
      int o = present(column);
      return o < 0 ? null : row.getDouble(o);
    }

    @Override
    public Integer integer(String column) {
      int o = present(column);
      return o < 0 ? null : row.getInt(o);
    }

    /** A Delta timestamp: microseconds since the epoch, UTC. */
    @Override
    public java.time.Instant time(String column) {
      int o = present(column);
      return o < 0
          ? null
          : java.time.Instant.EPOCH.plus(row.getLong(o), java.time.temporal.ChronoUnit.MICROS);
    }
  }
}
