package io.crowdrank.batch.ingest;

import static io.crowdrank.batch.common.Columns.*;
import static io.crowdrank.batch.ingest.Field.Kind.*;

import io.crowdrank.batch.common.Tables;
import io.crowdrank.format.HostApps;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.types.StructType;

/**
 * The raw sources upstream systems deliver, each with its declared fields (as code), file format,
 * dedup key and Delta table. Field contracts are documented in docs/DATA.md; {@link LineParser}
 * checks them.
 */
public enum RawSource {
  PAYMENTS(
      "payments",
      Format.CSV,
      Tables.PAYMENTS,
      List.of(
          Field.of(TXN_ID, ID),
          Field.of(PAYER_ACCOUNT, ID),
          Field.of(MERCHANT_ID, ID),
          Field.of(MINI_PROGRAM_ID, ID),
          Field.of(AMOUNT_FEN, NON_NEGATIVE_LONG),
          Field.of(CATEGORY, ID),
          Field.of(CITY, ID),
          Field.oneOf(HOST_APP, Values.HOST_APP_IDS),
          Field.of(EVENT_TIME, TIMESTAMP),
          Field.oneOf(STATUS, Values.PAYMENT_STATUSES)),
      List.of(TXN_ID),
      EVENT_TIME),

  SOCIAL(
      "social",
      Format.JSON_LINES,
      Tables.SOCIAL,
      List.of(
          Field.of(EVENT_ID, ID),
          Field.of(SOCIAL_ACCOUNT, ID),
          Field.oneOf(ACTION, Values.SOCIAL_ACTIONS),
          Field.of(VERTICAL, ID),
          Field.of(MINI_PROGRAM_ID, OPTIONAL_ID),
          Field.of(EVENT_TIME, TIMESTAMP)),
      List.of(EVENT_ID),
      EVENT_TIME),

  ACCOUNT_LINKS(
      "account_links",
      Format.CSV,
      Tables.ACCOUNT_LINKS,
      List.of(
          Field.of(PAYMENT_ACCOUNT, ID),
          Field.of(SOCIAL_ACCOUNT, ID),
          Field.oneOf(STATUS, Values.LINK_STATUSES),
          Field.of(MARKETING_CONSENT, BOOLEAN),
          Field.of(LINK_TIME, TIMESTAMP)),
      List.of(PAYMENT_ACCOUNT, SOCIAL_ACCOUNT, LINK_TIME),
      LINK_TIME),

  CATALOG(
      "catalog",
      Format.JSON_LINES,
      Tables.CATALOG,
      List.of(
          Field.of(MINI_PROGRAM_ID, ID),
          Field.of(MERCHANT_ID, ID),
          Field.of(NAME, TEXT),
          Field.of(CATEGORY, ID),
          Field.of(VERTICALS, STRING_ARRAY),
          Field.oneOfEach(HOST_APPS, Values.HOST_APP_IDS),
          Field.of(CITIES, STRING_ARRAY),
          Field.oneOf(STATUS, Values.CATALOG_STATUSES),
          Field.of(UPDATED_TIME, TIMESTAMP)),
      List.of(MINI_PROGRAM_ID),
      UPDATED_TIME);

  /** The closed vocabularies of the sources (an enum's constants cannot refer to its statics). */
  static final class Values {
    static final Set<String> HOST_APP_IDS = Set.copyOf(HostApps.ALL);
    static final Set<String> PAYMENT_STATUSES = Set.of("success", "refunded", "failed");
    static final Set<String> SOCIAL_ACTIONS =
        Set.of("follow", "like", "repost", "comment", "view", "card_click");
    static final Set<String> LINK_STATUSES = Set.of("linked", "unlinked");
    static final Set<String> CATALOG_STATUSES = Set.of("active", "suspended", "offline");

    private Values() {}
  }

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
  private final List<Field> fields;
  private final StructType schema;
  private final List<String> key;
  private final String timeColumn;
  private final String csvHeader;

  RawSource(
      String directory,
      Format format,
      String table,
      List<Field> fields,
      List<String> key,
      String timeColumn) {
    this.directory = directory;
    this.format = format;
    this.table = table;
    this.fields = List.copyOf(fields);
    this.schema =
        new StructType(
            fields.stream()
                .map(Field::structField)
                .toArray(i -> new org.apache.spark.sql.types.StructField[i]));
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

  /** The declared fields, in file order. */
  public List<Field> fields() {
    return fields;
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
}
