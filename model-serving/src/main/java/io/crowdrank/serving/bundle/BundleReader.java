package io.crowdrank.serving.bundle;

import static io.crowdrank.format.BundleFormat.*;

import io.crowdrank.ranking.bundle.BundleException;
import io.crowdrank.ranking.bundle.Manifest;
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
      throw new BundleException("no bundle published at " + tablePath, e);
    } catch (RuntimeException e) {
      throw new BundleException(
          "cannot open bundle " + tablePath + " " + version + ": " + e.getMessage(), e);
    }
    ModelBundle.Builder bundle = new ModelBundle.Builder(snapshot.getVersion());
    bundle.int8Scan(int8Scan);
    // Column ordinals are resolved once per batch schema, not per row.
    java.util.Map<StructType, Columns> columns = new java.util.IdentityHashMap<>();
    KernelTables.scan(
        engine,
        snapshot,
        (row, schema) -> accept(row, columns.computeIfAbsent(schema, Columns::new), bundle));
    return bundle.build();
  }

  /** Column ordinals by name, resolved once per batch. */
  private record Columns(
      int part,
      int id,
      int payment,
      int social,
      int name,
      int category,
      int verticals,
      int hostApps,
      int cities,
      int status,
      int vector,
      int hostApp,
      int city,
      int score,
      int weights,
      int habitCategories,
      int habitHours,
      int habitWeights,
      int merchant,
      int segments,
      int description,
      int itemId,
      int start,
      int end,
      int slot,
      int manifest) {
    Columns(StructType s) {
      this(
          s.indexOf(PART),
          s.indexOf(ID),
          s.indexOf(PAYMENT_ACCOUNT),
          s.indexOf(SOCIAL_ACCOUNT),
          s.indexOf(NAME),
          s.indexOf(CATEGORY),
          s.indexOf(VERTICALS),
          s.indexOf(HOST_APPS),
          s.indexOf(CITIES),
          s.indexOf(STATUS),
          s.indexOf(VECTOR),
          s.indexOf(HOST_APP),
          s.indexOf(CITY),
          s.indexOf(SCORE),
          s.indexOf(WEIGHTS),
          s.indexOf(HABIT_CATEGORIES),
          s.indexOf(HABIT_HOURS),
          s.indexOf(HABIT_WEIGHTS),
          s.indexOf(MERCHANT_ID),
          s.indexOf(SEGMENTS),
          s.indexOf(DESCRIPTION),
          s.indexOf(ITEM_ID),
          s.indexOf(START_TIME),
          s.indexOf(END_TIME),
          s.indexOf(SLOT),
          s.indexOf(MANIFEST_JSON));
    }
  }

  private static void accept(Row r, Columns c, ModelBundle.Builder bundle) {
    String part = r.getString(c.part());
    switch (part) {
      case PART_MANIFEST -> bundle.manifest(Manifest.parse(r.getString(c.manifest())));
      case PART_ITEM ->
          bundle.item(
              new ModelBundle.ItemRow(
                  r.getString(c.id()),
                  string(r, c.name()),
                  string(r, c.category()),
                  strings(r, c.verticals()),
                  strings(r, c.hostApps()),
                  strings(r, c.cities()),
                  string(r, c.status()),
                  floats(r, c.vector()),
                  r.isNullAt(c.score()) ? 0 : r.getDouble(c.score())));
      case PART_USER -> {
        bundle.memberships(r.getString(c.id()), strings(r, c.segments()));
        bundle.user(
            new ModelBundle.UserRow(
                r.getString(c.id()),
                string(r, c.payment()),
                string(r, c.social()),
                string(r, c.city()),
                floats(r, c.vector()),
                strings(r, c.verticals()),
                orEmpty(floats(r, c.weights())),
                strings(r, c.habitCategories()),
                ints(r, c.habitHours()),
                orEmpty(floats(r, c.habitWeights()))));
      }
      case PART_SEGMENT ->
          bundle.segment(
              new ModelBundle.Segment(
                  r.getString(c.id()),
                  string(r, c.name()),
                  string(r, c.merchant()),
                  string(r, c.description()),
                  r.isNullAt(c.score()) ? 0 : (long) r.getDouble(c.score())));
      case PART_CAMPAIGN ->
          bundle.campaign(
              new ModelBundle.CampaignRow(
                  r.getString(c.id()),
                  string(r, c.name()),
                  string(r, c.itemId()),
                  strings(r, c.segments()),
                  strings(r, c.hostApps()),
                  micros(r.getLong(c.start())),
                  micros(r.getLong(c.end())),
                  r.getDouble(c.score()),
                  r.getInt(c.slot())));
      case PART_POPULARITY ->
          bundle.popularity(
              r.getString(c.id()),
              r.getString(c.hostApp()),
              r.getString(c.city()),
              r.getDouble(c.score()));
      case PART_CONTEXT -> bundle.lifts(r.getString(c.id()), floats(r, c.weights()));
      default -> {
        // A newer publisher may add parts; an older service ignores what it does not know.
      }
    }
  }

  /** A Delta timestamp: microseconds since the epoch, UTC. */
  private static java.time.Instant micros(long micros) {
    return java.time.Instant.EPOCH.plus(micros, java.time.temporal.ChronoUnit.MICROS);
  }

  private static String string(Row r, int ordinal) {
    return r.isNullAt(ordinal) ? null : r.getString(ordinal);
  }

  private static List<String> strings(Row r, int ordinal) {
    if (r.isNullAt(ordinal)) {
      return List.of();
    }
    ArrayValue a = r.getArray(ordinal);
    ColumnVector e = a.getElements();
    List<String> out = new ArrayList<>(a.getSize());
    for (int i = 0; i < a.getSize(); i++) {
      if (!e.isNullAt(i)) {
        out.add(e.getString(i));
      }
    }
    return out;
  }

  private static float[] orEmpty(float[] values) {
    return values == null ? new float[0] : values;
  }

  private static int[] ints(Row r, int ordinal) {
    if (r.isNullAt(ordinal)) {
      return new int[0];
    }
    ArrayValue a = r.getArray(ordinal);
    ColumnVector e = a.getElements();
    int[] out = new int[a.getSize()];
    for (int i = 0; i < out.length; i++) {
      out[i] = e.isNullAt(i) ? -1 : e.getInt(i);
    }
    return out;
  }

  private static float[] floats(Row r, int ordinal) {
    if (r.isNullAt(ordinal)) {
      return null;
    }
    ArrayValue a = r.getArray(ordinal);
    ColumnVector e = a.getElements();
    float[] out = new float[a.getSize()];
    for (int i = 0; i < out.length; i++) {
      out[i] = e.isNullAt(i) ? 0f : e.getFloat(i);
    }
    return out;
  }
}
