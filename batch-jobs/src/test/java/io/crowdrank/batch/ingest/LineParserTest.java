package io.crowdrank.batch.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.testing.SparkTestBase;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LineParserTest extends SparkTestBase {
  /** A line as {@link LineParser} sees it: its declared values, or the reason it was rejected. */
  record Parsed(Object[] values, String error) {}

  /** Parses lines of one source through Spark; a header line gives no row. */
  private static List<Parsed> parseAll(RawSource source, String... lines) {
    List<Row> in = new java.util.ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      in.add(RowFactory.create(lines[i], "file", (long) i));
    }
    StructType schema =
        new StructType()
            .add(LineParser.LINE, DataTypes.StringType)
            .add("_source_file", DataTypes.StringType)
            .add("_source_offset", DataTypes.LongType);
    int width = source.fields().size();
    return new LineParser(source)
        .parse(spark.createDataFrame(in, schema)).orderBy("_source_offset").collectAsList().stream()
            .map(
                r -> {
                  Object[] values = new Object[width];
                  for (int i = 0; i < width; i++) {
                    Object v = r.get(i);
                    values[i] =
                        v instanceof scala.collection.Seq<?> s
                            ? scala.jdk.javaapi.CollectionConverters.asJava(s)
                            : v;
                  }
                  return new Parsed(values, r.getString(r.fieldIndex(LineParser.ERROR)));
                })
            .toList();
  }

  private static Parsed parse(RawSource source, String line) {
    List<Parsed> all = parseAll(source, line);
    assertThat(all).hasSize(1);
    return all.get(0);
  }

  static final String GOOD_PAYMENT =
      "t1,2088000000000001,m000001,mp000001,3500,fast_food,hangzhou,alipay,2026-10-06T04:00:00Z,success";

  @Test
  void parse_goodPayment_givesTypedValues() {
    Parsed p = parse(RawSource.PAYMENTS, GOOD_PAYMENT);

    assertThat(p.error()).isNull();
    assertThat(p.values())
        .containsExactly(
            "t1",
            "2088000000000001",
            "m000001",
            "mp000001",
            3500L,
            "fast_food",
            "hangzhou",
            "alipay",
            Timestamp.from(Instant.parse("2026-10-06T04:00:00Z")),
            "success");
  }

  @Test
  void parse_header_isSkippedNotRejected() {
    assertThat(parseAll(RawSource.PAYMENTS, RawSource.PAYMENTS.csvHeader(), GOOD_PAYMENT))
        .singleElement()
        .satisfies(p -> assertThat(p.error()).isNull());
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "t1,2088000000000001,m000001,mp000001,-3500,fast_food,hangzhou,alipay,2026-10-06T04:00:00Z,success|negative amount_fen -3500",
        "t1,2088000000000001,m000001,mp000001,3500,fast_food,hangzhou,wechat,2026-10-06T04:00:00Z,success|unknown host_app 'wechat'",
        "t1,2088000000000001,m000001,mp000001,3500,fast_food,hangzhou,alipay,2026-13-45T99:00:00Z,success|bad event_time '2026-13-45T99:00:00Z' (want ISO-8601 UTC)",
        ",2088000000000001,m000001,mp000001,3500,fast_food,hangzhou,alipay,2026-10-06T04:00:00Z,success|missing txn_id",
        "t1,2088000000000001,m000001,mp000001|expected 10 columns, got 4",
        "t1,2088000000000001,m000001,mp000001,3500,fast_food,hangzhou,alipay,2026-10-06T04:00:00Z,success,x|expected 10 columns, got 11",
        "t1,2088000000000001,m000001,mp000001,35x0,fast_food,hangzhou,alipay,2026-10-06T04:00:00Z,success|bad amount_fen '35x0' (want an integer)",
        "t1,2088000000000001,m000001,mp000001,3500,fast_food,hangzhou,alipay,2026-10-06T04:00:00Z,pending|unknown status 'pending'",
      })
  void parse_badPayment_isRejectedWithItsReason(String line, String reason) {
    assertThat(parse(RawSource.PAYMENTS, line).error()).isEqualTo(reason);
  }

  @Test
  void parse_socialWithoutMiniProgram_isAccepted() {
    Parsed p =
        parse(
            RawSource.SOCIAL,
            "{\"event_id\":\"e1\",\"social_account\":\"5000000001\",\"action\":\"like\","
                + "\"vertical\":\"food\",\"event_time\":\"2026-10-06T04:00:00Z\"}");

    assertThat(p.error()).isNull();
    assertThat(p.values()[4]).isNull();
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"event_id\":\"e1\",\"social_account\":\"5000000001\",\"action\":\"poke\",\"vertical\":\"food\",\"event_time\":\"2026-10-06T04:00:00Z\"}|unknown action 'poke'",
        "{\"event_id\":\"e1\",\"social_account\":\"5000000001\",\"action\":\"like\",\"vertical\":\"food\",\"event_time\":\"yesterday\"}|bad event_time 'yesterday' (want ISO-8601 UTC)",
        "{\"event_id\":\"\",\"social_account\":\"5000000001\",\"action\":\"like\",\"vertical\":\"food\",\"event_time\":\"2026-10-06T04:00:00Z\"}|missing event_id",
        "{\"event_id\":7,\"social_account\":\"5000000001\",\"action\":\"like\",\"vertical\":\"food\",\"event_time\":\"2026-10-06T04:00:00Z\"}|event_id is not a string",
        "[1,2]|not a JSON object",
      })
  void parse_badSocial_isRejectedWithItsReason(String line, String reason) {
    assertThat(parse(RawSource.SOCIAL, line).error()).isEqualTo(reason);
  }

  @Test
  void parse_truncatedJson_isRejectedAsMalformed() {
    assertThat(parse(RawSource.SOCIAL, "{\"event_id\":\"e1\",\"social_acc").error())
        .startsWith("malformed JSON (truncated line?)");
  }

  @Test
  void parse_catalogWithUnknownHostApp_isRejected() {
    String line =
        "{\"mini_program_id\":\"mp1\",\"merchant_id\":\"m1\",\"name\":\"A\",\"category\":\"c\","
            + "\"verticals\":[],\"host_apps\":[\"alipay\",\"icq\"],\"cities\":[],\"status\":\"active\","
            + "\"updated_time\":\"2026-10-06T00:00:00Z\"}";

    assertThat(parse(RawSource.CATALOG, line).error()).isEqualTo("unknown host_apps 'icq'");
  }

  @Test
  void parse_linkWithBadConsent_isRejected() {
    assertThat(
            parse(
                    RawSource.ACCOUNT_LINKS,
                    "2088000000000001,5000000001,linked,maybe,2026-10-06T00:00:00Z")
                .error())
        .isEqualTo("bad marketing_consent 'maybe' (want true or false)");
  }

  @Test
  void parse_quotedCsvFields_keepCommasAndDoubledQuotes() {
    Parsed p =
        parse(
            RawSource.PAYMENTS,
            "t1,2088000000000001,\"m,1\",\"mp\"\"1\",3500,fast_food,hangzhou,alipay,"
                + "2026-10-06T04:00:00.250Z,success");

    assertThat(p.error()).isNull();
    assertThat(p.values()[2]).isEqualTo("m,1");
    assertThat(p.values()[3]).isEqualTo("mp\"1");
    assertThat(p.values()[8]).isEqualTo(Timestamp.from(Instant.parse("2026-10-06T04:00:00.250Z")));
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "t1,2088000000000001,\"m1,mp1,3500,fast_food,hangzhou,alipay,2026-10-06T04:00:00Z,success|unterminated quoted field (truncated line?)",
        "t1,2088000000000001,\"m,1\",mp1,3500,fast_food|expected 10 columns, got 6",
        "t1,2088000000000001,m1,mp1,1.5,fast_food,hangzhou,alipay,2026-10-06T04:00:00Z,success|bad amount_fen '1.5' (want an integer)",
        "t1,2088000000000001,m1,mp1,99999999999999999999,fast_food,hangzhou,alipay,2026-10-06T04:00:00Z,success|bad amount_fen '99999999999999999999' (want an integer)",
        "t1,2088000000000001,m1,mp1,3500,fast_food,hangzhou,alipay,2026-10-06 04:00:00,success|bad event_time '2026-10-06 04:00:00' (want ISO-8601 UTC)",
        "t1,2088000000000001,m1,mp1,3500,fast_food,,alipay,2026-10-06T04:00:00Z,success|missing city",
      })
  void parse_badCsvStructureOrValue_isRejectedWithItsReason(String line, String reason) {
    assertThat(parse(RawSource.PAYMENTS, line).error()).isEqualTo(reason);
  }

  @Test
  void parse_blankLine_isRejectedAsEmpty() {
    assertThat(parse(RawSource.PAYMENTS, "  ").error()).isEqualTo("empty line");
    assertThat(parse(RawSource.SOCIAL, "").error()).isEqualTo("empty line");
  }

  @Test
  void parse_timestampWithOffset_isTheSameInstant() {
    Parsed p =
        parse(
            RawSource.SOCIAL,
            "{\"event_id\":\"e1\",\"social_account\":\"5000000001\",\"action\":\"like\","
                + "\"vertical\":\"food\",\"event_time\":\"2026-10-06T12:00:00+08:00\"}");

    assertThat(p.error()).isNull();
    assertThat(p.values()[5]).isEqualTo(Timestamp.from(Instant.parse("2026-10-06T04:00:00Z")));
  }

  @Test
  void parse_goodCatalog_givesArrays() {
    Parsed p =
        parse(
            RawSource.CATALOG,
            "{\"mini_program_id\":\"mp1\",\"merchant_id\":\"m1\",\"name\":\"Noodles, \\\"fast\\\"\","
                + "\"category\":\"c\",\"verticals\":[\"food\",\"local\"],\"host_apps\":[\"alipay\"],"
                + "\"cities\":[],\"status\":\"active\",\"updated_time\":\"2026-10-06T00:00:00Z\"}");

    assertThat(p.error()).isNull();
    assertThat(p.values()[2]).isEqualTo("Noodles, \"fast\"");
    assertThat(p.values()[4]).isEqualTo(List.of("food", "local"));
    assertThat(p.values()[5]).isEqualTo(List.of("alipay"));
    assertThat(p.values()[6]).isEqualTo(List.of());
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "\"verticals\":[\"food\",7],\"host_apps\":[\"alipay\"]|verticals has a non-string or empty element",
        "\"verticals\":[\"food\",\" \"],\"host_apps\":[\"alipay\"]|verticals has a non-string or empty element",
        "\"verticals\":\"food\",\"host_apps\":[\"alipay\"]|verticals is not an array",
        "\"verticals\":[],\"host_apps\":[]|empty host_apps",
        "\"host_apps\":[\"alipay\"]|missing verticals",
      })
  void parse_badCatalogArray_isRejectedWithItsReason(String arrays, String reason) {
    String line =
        "{\"mini_program_id\":\"mp1\",\"merchant_id\":\"m1\",\"name\":\"A\",\"category\":\"c\","
            + arrays
            + ",\"cities\":[],\"status\":\"active\",\"updated_time\":\"2026-10-06T00:00:00Z\"}";

    assertThat(parse(RawSource.CATALOG, line).error()).isEqualTo(reason);
  }
}
