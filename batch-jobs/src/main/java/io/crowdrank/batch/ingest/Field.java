package io.crowdrank.batch.ingest;

import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * One field of a raw source: its name, what a valid value is, and so its declared Spark type. The
 * checks themselves are Spark expressions ({@link LineParser}); the quarantine reason names the
 * field and, where it helps, the offending value.
 *
 * @param allowed the values a {@link Kind#ONE_OF} or {@link Kind#ONE_OF_EACH} field takes, else
 *     empty
 */
public record Field(String name, Kind kind, Set<String> allowed) {

  /** What a valid value is. Reasons are given for a field named {@code f}. */
  public enum Kind {
    /** A non-blank string of at most 128 characters ("missing f", "f longer than ..."). */
    ID(DataTypes.StringType, false),
    /** An {@link #ID}, or absent / blank (then null). */
    OPTIONAL_ID(DataTypes.StringType, true),
    /** A non-blank string of any length ("missing f"). */
    TEXT(DataTypes.StringType, false),
    /** A whole number ≥ 0 ("bad f '...' (want an integer)", "negative f -5"). */
    NON_NEGATIVE_LONG(DataTypes.LongType, false),
    /** An ISO-8601 instant, e.g. 2026-10-06T04:00:00Z ("bad f '...' (want ISO-8601 UTC)"). */
    TIMESTAMP(DataTypes.TimestampType, false),
    /** Exactly {@code true} or {@code false}. */
    BOOLEAN(DataTypes.BooleanType, false),
    /** One of {@link Field#allowed()} ("unknown f '...'"). */
    ONE_OF(DataTypes.StringType, false),
    /** A JSON array of non-blank strings, possibly empty. */
    STRING_ARRAY(DataTypes.createArrayType(DataTypes.StringType, false), false),
    /** A non-empty JSON array each of whose elements is one of {@link Field#allowed()}. */
    ONE_OF_EACH(DataTypes.createArrayType(DataTypes.StringType, false), false);

    private final DataType type;
    private final boolean nullable;

    Kind(DataType type, boolean nullable) {
      this.type = type;
      this.nullable = nullable;
    }

    /** Whether a JSON source must give the value as a JSON string. */
    boolean jsonString() {
      return type == DataTypes.StringType || type == DataTypes.TimestampType;
    }
  }

  public Field {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    boolean takesValues = kind == Kind.ONE_OF || kind == Kind.ONE_OF_EACH;
    if (takesValues == allowed.isEmpty()) {
      throw new IllegalArgumentException(
          name
              + ": "
              + kind
              + (takesValues ? " needs allowed values" : " takes no allowed values"));
    }
    allowed = Set.copyOf(allowed);
  }

  static Field of(String name, Kind kind) {
    return new Field(name, kind, Set.of());
  }

  static Field oneOf(String name, Set<String> allowed) {
    return new Field(name, Kind.ONE_OF, allowed);
  }

  static Field oneOfEach(String name, Set<String> allowed) {
    return new Field(name, Kind.ONE_OF_EACH, allowed);
  }

  /** The column an accepted row has for this field. */
  public StructField structField() {
    return DataTypes.createStructField(name, kind.type, kind.nullable);
  }

  /** The allowed values in a stable order (for the SQL {@code IN} list and for docs). */
  String[] allowedSorted() {
    return new TreeSet<>(allowed).toArray(String[]::new);
  }
}
