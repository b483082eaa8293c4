package io.crowdrank.batch.ingest;

import static io.crowdrank.batch.common.Columns.RAW;
import static io.crowdrank.batch.common.Columns.SOURCE_FILE;
import static io.crowdrank.batch.common.Columns.SOURCE_OFFSET;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.exists;
import static org.apache.spark.sql.functions.filter;
import static org.apache.spark.sql.functions.from_csv;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.ltrim;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.split;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.translate;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.try_to_timestamp;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Parses a source's lines with Spark's own CSV and JSON parsers and checks every field with SQL
 * expressions, so the whole of it is one generated-code stage: no line is parsed in Java, and
 * accepted and rejected lines come out of the same pass. A rejected line keeps its raw text and the
 * first reason in field order, worded as in docs/DATA.md.
 */
public final class LineParser {
  /** The raw line, as read. */
  static final String LINE = io.crowdrank.batch.common.TextLines.LINE;

  /** Why a line was rejected; null on an accepted line. */
  static final String ERROR = "_error";

  private static final String CORRUPT = "_corrupt";
  private static final String PARSED = "_parsed";
  private static final String STRUCTURAL = "_structural";
  private static final String TEXT = "_text_";

  /** Whitespace {@link String#isBlank} would see in our ASCII sources. */
  private static final String BLANKS = " \t\n\r\f\u000B";

  /** ISO-8601 instants as {@code Instant.parse} takes them: Z or an offset, optional fraction. */
  private static final String INSTANT = "yyyy-MM-dd'T'HH:mm:ss[.SSSSSSSSS]XXX";

  /** A JSON array of strings, as Spark's JSON parser writes back a field read as text. */
  private static final String ARRAY_OF_STRINGS =
      "^\\[(\"([^\"\\\\]|\\\\.)*\"(,\"([^\"\\\\]|\\\\.)*\")*)?\\]$";

  /** A comma outside double quotes (RFC 4180): an even number of quotes follows it. */
  private static final String FIELD_SEPARATOR = ",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)";

  private final RawSource source;

  LineParser(RawSource source) {
    this.source = source;
  }

  /**
   * @param lines {@link #LINE}, {@code _source_file}, {@code _source_offset}, one row per line
   * @return the declared fields typed (meaningless on a rejected line), {@code _source_file},
   *     {@code _source_offset}, {@code raw} (the line, only when rejected) and {@link #ERROR}
   */
  Dataset<Row> parse(Dataset<Row> lines) {
    Column line = col(LINE);
    Dataset<Row> parsed;
    Column structural;
    if (source.format() == RawSource.Format.CSV) {
      parsed =
          lines
              .filter(line.notEqual(lit(source.csvHeader())))
              .withColumn(PARSED, parser(source, line));
      structural =
          when(trim(line, BLANKS).equalTo(""), lit("empty line"))
              .when(
                  length(line).minus(length(translate(line, "\"", ""))).mod(2).equalTo(1),
                  lit("unterminated quoted field (truncated line?)"))
              .when(
                  col(PARSED + "." + CORRUPT).isNotNull(),
                  concat(
                      lit("expected " + source.fields().size() + " columns, got "),
                      csvFieldCount(line).cast("string")));
    } else {
      parsed = lines.withColumn(PARSED, parser(source, line));
      Column object = ltrim(line, BLANKS).startsWith("{");
      structural =
          when(trim(line, BLANKS).equalTo(""), lit("empty line"))
              .when(
                  object.and(col(PARSED + "." + CORRUPT).isNotNull()),
                  lit("malformed JSON (truncated line?)"))
              .when(not(object), lit("not a JSON object"));
    }

    // Three projections, each computed once per line: the parser's text and the typed values,
    // then the checks over them, then the raw text of a rejected line. Spark keeps a projection
    // apart when a costly column of it is used more than once, so nothing is parsed twice.
    List<Column> typed = new ArrayList<>(List.of(line, col(SOURCE_FILE), col(SOURCE_OFFSET)));
    typed.add(structural.as(STRUCTURAL));
    for (Field f : source.fields()) {
      Column text = col(PARSED + "." + f.name());
      typed.add(text.as(TEXT + f.name()));
      typed.add(value(f, text).as(f.name()));
    }
    List<Column> errors = new ArrayList<>(List.of(col(STRUCTURAL)));
    List<Column> checked = new ArrayList<>(List.of(line, col(SOURCE_FILE), col(SOURCE_OFFSET)));
    for (Field f : source.fields()) {
      errors.add(error(f, col(TEXT + f.name()), col(f.name()), line));
      checked.add(col(f.name()));
    }
    checked.add(coalesce(errors.toArray(Column[]::new)).as(ERROR));
    // Values are not nulled on a rejected line (readers filter on the error).
    List<Column> out = new ArrayList<>();
    for (Field f : source.fields()) {
      out.add(col(f.name()));
    }
    out.add(col(SOURCE_FILE));
    out.add(col(SOURCE_OFFSET));
    out.add(when(col(ERROR).isNotNull(), line).as(RAW));
    out.add(col(ERROR));
    return parsed
        .select(typed.toArray(Column[]::new))
        .select(checked.toArray(Column[]::new))
        .select(out.toArray(Column[]::new));
  }

  /**
   * Spark's parser for the source's lines: a struct of every field as text plus the corrupt-record
   * column. Alone (no checks, no typing) it is the cheapest correct parse, which the pipeline
   * benchmark times beside ingest.
   */
  public static Column parser(RawSource source, Column line) {
    if (source.format() == RawSource.Format.CSV) {
      return from_csv(
          line,
          lit(textSchema(source).toDDL()),
          Map.of(
              "mode", "PERMISSIVE",
              "columnNameOfCorruptRecord", CORRUPT,
              // RFC 4180: quotes inside a quoted field are doubled
              "escape", "\"",
              // an empty field stays "", so it reads as "missing", not as absent
              "nullValue", "\u0000"));
    }
    return from_json(
        line,
        textSchema(source),
        Map.of("mode", "PERMISSIVE", "columnNameOfCorruptRecord", CORRUPT));
  }

  /** Every field as text, as the parsers give it, plus the corrupt-record column. */
  private static StructType textSchema(RawSource source) {
    StructType s = new StructType();
    for (Field f : source.fields()) {
      s = s.add(f.name(), DataTypes.StringType, true);
    }
    return s.add(CORRUPT, DataTypes.StringType, true);
  }

  /** The number of fields of a CSV line with the wrong count, for the reason. */
  private static Column csvFieldCount(Column line) {
    Column commas = length(line).minus(length(translate(line, ",", "")));
    return when(line.contains("\""), size(split(line, FIELD_SEPARATOR, -1)))
        .otherwise(commas.plus(1));
  }

  private static Column blank(Column text) {
    return text.isNull().or(trim(text, BLANKS).equalTo(""));
  }

  /** The value for a message: at most 40 characters, then "...". */
  private static Column abbreviated(Column text) {
    return when(length(text).leq(40), text).otherwise(concat(substring(text, 1, 40), lit("...")));
  }

  private static Column quoted(Column text) {
    return concat(lit("'"), abbreviated(text), lit("'"));
  }

  private static Column asLong(Column text) {
    return trim(text, BLANKS).try_cast("bigint");
  }

  private static Column asTimestamp(Column text) {
    return try_to_timestamp(text, lit(INSTANT));
  }

  private Column error(Field f, Column text, Column typed, Column line) {
    String n = f.name();
    Column missing = lit("missing " + n);
    Column check =
        switch (f.kind()) {
          case ID ->
              when(blank(text), missing)
                  .when(length(text).gt(128), lit(n + " longer than 128 characters"));
          case OPTIONAL_ID ->
              when(
                  not(blank(text)).and(length(text).gt(128)),
                  lit(n + " longer than 128 characters"));
          case TEXT -> when(blank(text), missing);
          case NON_NEGATIVE_LONG ->
              when(blank(text), missing)
                  .when(
                      typed.isNull(),
                      concat(lit("bad " + n + " "), quoted(text), lit(" (want an integer)")))
                  .when(typed.lt(0), concat(lit("negative " + n + " "), typed.cast("string")));
          case TIMESTAMP ->
              when(blank(text), missing)
                  .when(
                      typed.isNull(),
                      concat(lit("bad " + n + " "), quoted(text), lit(" (want ISO-8601 UTC)")));
          case BOOLEAN ->
              when(text.isNull(), missing)
                  .when(
                      not(text.isin("true", "false")),
                      concat(lit("bad " + n + " "), quoted(text), lit(" (want true or false)")));
          case ONE_OF ->
              when(blank(text), missing)
                  .when(
                      not(text.isin((Object[]) f.allowedSorted())),
                      concat(lit("unknown " + n + " "), quoted(text)));
          case STRING_ARRAY, ONE_OF_EACH -> arrayError(f, text, typed);
        };
    if (source.format() == RawSource.Format.JSON_LINES && f.kind().jsonString()) {
      // Spark's JSON parser reads a number or an object as its text: look at the token itself.
      check =
          when(text.isNotNull().and(not(stringToken(line, n))), lit(n + " is not a string"))
              .otherwise(check);
    }
    return check;
  }

  /** The line has {@code "name": "} — the field's value is a JSON string. */
  private static Column stringToken(Column line, String name) {
    return line.contains("\"" + name + "\":\"")
        .or(line.rlike("\"" + Pattern.quote(name) + "\"\\s*:\\s*\""));
  }

  private static Column arrayError(Field f, Column text, Column elements) {
    String n = f.name();
    Column check =
        when(text.isNull(), lit("missing " + n))
            .when(not(text.startsWith("[")), lit(n + " is not an array"))
            .when(
                not(text.rlike(ARRAY_OF_STRINGS))
                    .or(exists(elements, x -> trim(x, BLANKS).equalTo(""))),
                lit(n + " has a non-string or empty element"));
    if (f.kind() == Field.Kind.ONE_OF_EACH) {
      Column unknown = filter(elements, x -> not(x.isin((Object[]) f.allowedSorted())));
      check =
          check
              .when(size(elements).equalTo(0), lit("empty " + n))
              .when(
                  size(unknown).gt(0),
                  concat(lit("unknown " + n + " "), quoted(element_at(unknown, 1))));
    }
    return check;
  }

  private static Column asArray(Column text) {
    return from_json(text, DataTypes.createArrayType(DataTypes.StringType), Map.of());
  }

  private static Column value(Field f, Column text) {
    return switch (f.kind()) {
      case ID, TEXT, ONE_OF -> text;
      case OPTIONAL_ID -> when(not(blank(text)), text);
      case NON_NEGATIVE_LONG -> asLong(text);
      case TIMESTAMP -> asTimestamp(text);
      case BOOLEAN -> text.equalTo("true");
      case STRING_ARRAY, ONE_OF_EACH -> asArray(text);
    };
  }
}
