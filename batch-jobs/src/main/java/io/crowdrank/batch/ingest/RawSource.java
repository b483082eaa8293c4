package io.crowdrank.batch.ingest;

import static io.crowdrank.batch.common.Columns.*;
import static io.crowdrank.batch.ingest.FieldParsers.*;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.format.HostApps;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The raw sources upstream systems deliver, each with its declared schema (as code), file format,
 * parser, dedup key and Delta table. Field contracts are documented in docs/DATA.md.
 */
public enum RawSource {
  PAYMENTS(
      "payments",
      Format.CSV,
      Tables.PAYMENTS,
      new StructType()
          .add(TXN_ID, DataTypes.StringType, false)
          .add(PAYER_ACCOUNT, DataTypes.StringType, false)
          .add(MERCHANT_ID, DataTypes.StringType, false)
          .add(MINI_PROGRAM_ID, DataTypes.StringType, false)
          .add(AMOUNT_FEN, DataTypes.LongType, false)
          .add(CATEGORY, DataTypes.StringType, false)
          .add(CITY, DataTypes.StringType, false)
          .add(HOST_APP, DataTypes.StringType, false)
          .add(EVENT_TIME, DataTypes.TimestampType, false)
          .add(STATUS, DataTypes.StringType, false),
      List.of(TXN_ID),
      EVENT_TIME) {

    @Override
    Object[] parseFields(String line) {
      List<String> f = csvFields(line);
      return new Object[] {
        requiredId(TXN_ID, f.get(0)),
        requiredId(PAYER_ACCOUNT, f.get(1)),
        requiredId(MERCHANT_ID, f.get(2)),
        requiredId(MINI_PROGRAM_ID, f.get(3)),
        nonNegativeLong(AMOUNT_FEN, f.get(4)),
        requiredId(CATEGORY, f.get(5)),
        requiredId(CITY, f.get(6)),
        oneOf(HOST_APP, f.get(7), HOST_APP_IDS),
        timestamp(EVENT_TIME, f.get(8)),
        oneOf(STATUS, f.get(9), PAYMENT_STATUSES)
      };
    }
  },

  SOCIAL(
      "social",
      Format.JSON_LINES,
      Tables.SOCIAL,
      new StructType()
          .add(EVENT_ID, DataTypes.StringType, false)
          .add(SOCIAL_ACCOUNT, DataTypes.StringType, false)
          .add(ACTION, DataTypes.StringType, false)
          .add(VERTICAL, DataTypes.StringType, false)
          .add(MINI_PROGRAM_ID, DataTypes.StringType, true)
          .add(EVENT_TIME, DataTypes.TimestampType, false),
      List.of(EVENT_ID),
      EVENT_TIME) {
    @Override
    Object[] parseFields(String line) {
      JsonNode n = json(line);
      return new Object[] {
        requiredId(EVENT_ID, text(n, EVENT_ID)),
        requiredId(SOCIAL_ACCOUNT, text(n, SOCIAL_ACCOUNT)),
        oneOf(ACTION, text(n, ACTION), SOCIAL_ACTIONS),
        requiredId(VERTICAL, text(n, VERTICAL)),
        optionalId(MINI_PROGRAM_ID, text(n, MINI_PROGRAM_ID)),
        timestamp(EVENT_TIME, text(n, EVENT_TIME))
      };
    }
  },

  ACCOUNT_LINKS(
      "account_links",
      Format.CSV,
      Tables.ACCOUNT_LINKS,
      new StructType()
          .add(PAYMENT_ACCOUNT, DataTypes.StringType, false)
          .add(SOCIAL_ACCOUNT, DataTypes.StringType, false)
          .add(STATUS, DataTypes.StringType, false)
          .add(MARKETING_CONSENT, DataTypes.BooleanType, false)
          .add(LINK_TIME, DataTypes.TimestampType, false),
      List.of(PAYMENT_ACCOUNT, SOCIAL_ACCOUNT, LINK_TIME),
      LINK_TIME) {

    @Override
    Object[] parseFields(String line) {
      List<String> f = csvFields(line);
      return new Object[] {
        requiredId(PAYMENT_ACCOUNT, f.get(0)),
        requiredId(SOCIAL_ACCOUNT, f.get(1)),
        oneOf(STATUS, f.get(2), LINK_STATUSES),
        bool(MARKETING_CONSENT, f.get(3)),
        timestamp(LINK_TIME, f.get(4))
      };
    }
  },

  CATALOG(
      "catalog",
      Format.JSON_LINES,
      Tables.CATALOG,
      new StructType()
          .add(MINI_PROGRAM_ID, DataTypes.StringType, false)
          .add(MERCHANT_ID, DataTypes.StringType, false)
          .add(NAME, DataTypes.StringType, false)
          .add(CATEGORY, DataTypes.StringType, false)
          .add(VERTICALS, DataTypes.createArrayType(DataTypes.StringType, false), false)
          .add(HOST_APPS, DataTypes.createArrayType(DataTypes.StringType, false), false)
          .add(CITIES, DataTypes.createArrayType(DataTypes.StringType, false), false)
          .add(STATUS, DataTypes.StringType, false)
          .add(UPDATED_TIME, DataTypes.TimestampType, false),
      List.of(MINI_PROGRAM_ID),
      UPDATED_TIME) {
    @Override
    Object[] parseFields(String line) {
      JsonNode n = json(line);
      String[] hostApps = stringArray(n, HOST_APPS);
      if (hostApps.length == 0) {
        throw new Reject("empty " + HOST_APPS);
      }
      for (String app : hostApps) {
        oneOf(HOST_APPS, app, HOST_APP_IDS);
      }
      String name = text(n, NAME);
      if (name == null || name.isBlank()) {
        throw new Reject("missing " + NAME);
      }
      return new Object[] {
        requiredId(MINI_PROGRAM_ID, text(n, MINI_PROGRAM_ID)),
        requiredId(MERCHANT_ID, text(n, MERCHANT_ID)),
        name,
        requiredId(CATEGORY, text(n, CATEGORY)),
        stringArray(n, VERTICALS),
        hostApps,
        stringArray(n, CITIES),
        oneOf(STATUS, text(n, STATUS), CATALOG_STATUSES),
        timestamp(UPDATED_TIME, text(n, UPDATED_TIME))
      };
    }
  };

  static final Set<String> HOST_APP_IDS = Set.copyOf(HostApps.ALL);
  static final Set<String> PAYMENT_STATUSES = Set.of("success", "refunded", "failed");
  static final Set<String> SOCIAL_ACTIONS =
      Set.of("follow", "like", "repost", "comment", "view", "card_click");
  static final Set<String> LINK_STATUSES = Set.of("linked", "unlinked");
  static final Set<String> CATALOG_STATUSES = Set.of("active", "suspended", "offline");

  private static final ObjectMapper JSON = new ObjectMapper();

  /** How a source's files are laid out. */
  public enum Format {
    /** RFC 4180 CSV with a header line naming the schema's columns in order. */
    CSV,
    /** One JSON object per line. */
    JSON_LINES
  }

  private final String directory;
  private final Format format;
  private final String table;
  private final StructType schema;
  private final List<String> key;
  private final String timeColumn;
  private final String csvHeader;

  RawSource(
      String directory,
      Format format,
      String table,
      StructType schema,
      List<String> key,
      String timeColumn) {
    this.directory = directory;
    this.format = format;
    this.table = table;
    this.schema = schema;
    this.key = key;
    this.timeColumn = timeColumn;
    this.csvHeader = format == Format.CSV ? String.join(",", schema.fieldNames()) : null;
  }

  /** Folder under the raw root holding {@code dt=YYYY-MM-DD/} delivery partitions. */
  public String directory() {
    return directory;
  }

  /** The bronze Delta table, relative to the warehouse. */
  public String table() {
    return table;
  }

  /** The declared schema of an accepted row (before lineage and date columns). */
  public StructType schema() {
    return schema;
  }

  /** Columns that identify one event: a second delivery with the same key is a duplicate. */
  public List<String> key() {
    return key;
  }

  /** The event-time column; its UTC date is the bronze partition. */
  public String timeColumn() {
    return timeColumn;
  }

  /** The source's name in reports and the quarantine table. */
  public String sourceName() {
    return directory;
  }

  public Format format() {
    return format;
  }

  /** The header line of a CSV source: the declared columns in order. */
  public String csvHeader() {
    if (format != Format.CSV) {
      throw new IllegalStateException(this + " is not a CSV source");
    }
    return csvHeader;
  }

  abstract Object[] parseFields(String line);

  private boolean isHeader(String line) {
    return line.equals(csvHeader);
  }

  /** The fields of one CSV line, checked against the declared column count. */
  List<String> csvFields(String line) {
    List<String> f = splitCsv(line);
    if (f.size() != schema.size()) {
      throw new Reject("expected " + schema.size() + " columns, got " + f.size());
    }
    return f;
  }

  /** Parses one line: never throws, a bad line becomes a rejection with its reason. */
  ParsedLine parse(String line) {
    if (isHeader(line)) {
      return ParsedLine.HEADER;
    }
    if (line.isBlank()) {
      return ParsedLine.rejected("empty line");
    }
    try {
      return ParsedLine.ok(parseFields(line));
    } catch (Reject e) {
      return ParsedLine.rejected(e.getMessage());
    } catch (RuntimeException e) {
      return ParsedLine.rejected("unparseable: " + e);
    }
  }

  private static JsonNode json(String line) {
    JsonNode n;
    try {
      n = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new Reject("malformed JSON (truncated line?): " + e.getOriginalMessage());
    }
    if (n == null || !n.isObject()) {
      throw new Reject("not a JSON object");
    }
    return n;
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new Reject(field + " is not a string");
    }
    return v.asText();
  }

  /** A JSON array of non-empty strings (a Java array: Spark rows take arrays, not Lists). */
  private static String[] stringArray(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw new Reject("missing " + field);
    }
    if (!v.isArray()) {
      throw new Reject(field + " is not an array");
    }
    List<String> out = new ArrayList<>(v.size());
    for (JsonNode e : v) {
      if (!e.isTextual() || e.asText().isBlank()) {
        throw new Reject(field + " has a non-string or empty element");
      }
      out.add(e.asText());
    }
    return out.toArray(String[]::new);
  }
}
