package io.crowdrank.ranking.bundle;

import static io.crowdrank.format.BundleFormat.*;

import io.crowdrank.format.QuantizedVector;
import java.time.Instant;
import java.util.List;

/**
 * The one reading of a bundle row ({@link io.crowdrank.format.BundleFormat}'s columns, one row per
 * part) into a {@link ModelBundle.Builder}, whatever the row's library: the service reads Delta
 * Kernel rows, the batch evaluation Spark rows it has just built, and both go through here, so what
 * is evaluated is loaded exactly like what is served.
 */
public final class BundleRows {
  private BundleRows() {}

  /**
   * A row of the bundle table, by column name. Every getter returns null (or an empty value where
   * said) for a null cell or a column the row's schema lacks.
   */
  public interface Fields {
    String string(String column);

    /** The array's non-null strings; empty for null. */
    List<String> strings(String column);

    /** Null elements read as 0. */
    float[] floats(String column);

    /** Null elements read as -1; empty for null. */
    int[] ints(String column);

    /** A binary cell's bytes. */
    byte[] bytes(String column);

    Double number(String column);

    Integer integer(String column);

    Instant time(String column);
  }

  /**
   * {@link Fields} over a row library with cells by ordinal: a subclass says how to read one cell
   * or array; nulls, absent columns and array shapes are handled here once.
   */
  public abstract static class OrdinalFields implements Fields {
    private final java.util.Map<String, Integer> ordinals;

    /**
     * @param columns the row schema's column names, in ordinal order
     */
    protected OrdinalFields(List<String> columns) {
      java.util.Map<String, Integer> m = new java.util.HashMap<>();
      for (int i = 0; i < columns.size(); i++) {
        m.put(columns.get(i), i);
      }
      this.ordinals = java.util.Map.copyOf(m);
    }

    protected abstract boolean isNull(int ordinal);

    protected abstract String stringAt(int ordinal);

    protected abstract double doubleAt(int ordinal);

    protected abstract int intAt(int ordinal);

    /** A timestamp cell as an instant. */
    protected abstract Instant timeAt(int ordinal);

    /** A binary cell's bytes. */
    protected abstract byte[] bytesAt(int ordinal);

    /** The array in the cell, its elements as Strings, Numbers or nulls. */
    protected abstract List<?> arrayAt(int ordinal);

    /** The column's ordinal, or -1 when it is absent or null in this row. */
    private int present(String column) {
      Integer o = ordinals.get(column);
      return o == null || isNull(o) ? -1 : o;
    }

    @Override
    public String string(String column) {
      int o = present(column);
      return o < 0 ? null : stringAt(o);
    }

    @Override
    public List<String> strings(String column) {
      int o = present(column);
      if (o < 0) {
        return List.of();
      }
      List<String> out = new java.util.ArrayList<>();
      for (Object v : arrayAt(o)) {
        if (v != null) {
          out.add((String) v);
        }
      }
      return out;
    }

    @Override
    public float[] floats(String column) {
      int o = present(column);
      return o < 0 ? null : floatsAt(o);
    }

    /**
     * The float array in the cell, nulls as 0; a library with unboxed arrays overrides this (a
     * user's vector is read for every user of a load).
     */
    protected float[] floatsAt(int ordinal) {
      List<?> values = arrayAt(ordinal);
      float[] out = new float[values.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = values.get(i) instanceof Number n ? n.floatValue() : 0f;
      }
      return out;
    }

    @Override
    public int[] ints(String column) {
      int o = present(column);
      return o < 0 ? new int[0] : intsAt(o);
    }

    /** The int array in the cell, nulls as -1; overridden like {@link #floatsAt}. */
    protected int[] intsAt(int ordinal) {
      List<?> values = arrayAt(ordinal);
      int[] out = new int[values.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = values.get(i) instanceof Number n ? n.intValue() : -1;
      }
      return out;
    }

    @Override
    public byte[] bytes(String column) {
      int o = present(column);
      return o < 0 ? null : bytesAt(o);
    }

    @Override
    public Double number(String column) {
      int o = present(column);
      return o < 0 ? null : doubleAt(o);
    }

    @Override
    public Integer integer(String column) {
      int o = present(column);
      return o < 0 ? null : intAt(o);
    }

    @Override
    public Instant time(String column) {
      int o = present(column);
      return o < 0 ? null : timeAt(o);
    }
  }

  /**
   * Adds one row to the bundle being built; rows of parts this reader does not know are skipped.
   */
  public static void accept(Fields r, ModelBundle.Builder bundle) {
    String part = r.string(PART);
    if (part == null) {
      throw new BundleException("bundle row without a part");
    }
    switch (part) {
      case PART_MANIFEST -> bundle.manifest(ManifestJson.parse(required(r, MANIFEST_JSON, part)));
      case PART_ITEM ->
          bundle.item(
              new ModelBundle.ItemRow(
                  required(r, ID, part),
                  r.string(NAME),
                  r.string(CATEGORY),
                  r.strings(VERTICALS),
                  r.strings(HOST_APPS),
                  r.strings(CITIES),
                  r.string(STATUS),
                  r.floats(VECTOR),
                  orZero(r.number(SCORE))));
      case PART_USER -> {
        String id = required(r, ID, part);
        String payment = r.string(PAYMENT_ACCOUNT);
        String social = r.string(SOCIAL_ACCOUNT);
        if (!bundle.shard().takes(r.integer(BUCKET), id, payment, social)) {
          return;
        }
        bundle.memberships(id, r.strings(SEGMENTS));
        bundle.user(
            new ModelBundle.UserRow(
                id,
                payment,
                social,
                r.string(CITY),
                userVector(r, id),
                r.strings(VERTICALS),
                orEmpty(r.floats(WEIGHTS)),
                r.strings(HABIT_CATEGORIES),
                r.ints(HABIT_HOURS),
                orEmpty(r.floats(HABIT_WEIGHTS))));
      }
      case PART_SEGMENT ->
          bundle.segment(
              new Targeting.Segment(
                  required(r, ID, part),
                  r.string(NAME),
                  r.string(MERCHANT_ID),
                  r.string(DESCRIPTION),
                  (long) orZero(r.number(SCORE))));
      case PART_CAMPAIGN ->
          bundle.campaign(
              new ModelBundle.CampaignRow(
                  required(r, ID, part),
                  r.string(NAME),
                  r.string(ITEM_ID),
                  r.strings(SEGMENTS),
                  r.strings(HOST_APPS),
                  requiredTime(r, START_TIME, part),
                  requiredTime(r, END_TIME, part),
                  orZero(r.number(SCORE)),
                  r.integer(SLOT) == null ? 0 : r.integer(SLOT)));
      case PART_POPULARITY ->
          bundle.popularity(
              required(r, ID, part),
              required(r, HOST_APP, part),
              required(r, CITY, part),
              orZero(r.number(SCORE)));
      case PART_CONTEXT -> bundle.lifts(required(r, ID, part), r.floats(WEIGHTS));
      default -> {
        // A newer publisher may add parts; an older service ignores what it does not know.
      }
    }
  }

  /**
   * The user's vector: its codes and scale from format 5 on, or (formats 3 and 4) quantised here
   * from the floats, as publish now does; null for none.
   */
  private static QuantizedVector userVector(Fields r, String id) {
    byte[] codes = r.bytes(VECTOR_CODES);
    if (codes == null) {
      float[] floats = r.floats(VECTOR);
      return floats == null ? null : quantized(() -> QuantizedVector.of(floats), id);
    }
    Double scale = r.number(VECTOR_SCALE);
    if (scale == null) {
      throw new BundleException("bundle user row " + id + " has vector codes without a scale");
    }
    return quantized(() -> QuantizedVector.ofCodes(codes, scale.floatValue()), id);
  }

  private static QuantizedVector quantized(
      java.util.function.Supplier<QuantizedVector> vector, String id) {
    try {
      return vector.get();
    } catch (IllegalArgumentException e) {
      throw new BundleException("bundle user row " + id + ": " + e.getMessage(), e);
    }
  }

  private static String required(Fields r, String column, String part) {
    String v = r.string(column);
    if (v == null) {
      throw new BundleException("bundle " + part + " row without " + column);
    }
    return v;
  }

  private static Instant requiredTime(Fields r, String column, String part) {
    Instant v = r.time(column);
    if (v == null) {
      throw new BundleException("bundle " + part + " row " + r.string(ID) + " without " + column);
    }
    return v;
  }

  private static double orZero(Double v) {
    return v == null ? 0 : v;
  }

  private static float[] orEmpty(float[] values) {
    return values == null ? new float[0] : values;
  }
}
