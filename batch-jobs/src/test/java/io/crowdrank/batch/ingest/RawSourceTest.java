package io.crowdrank.batch.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Timestamp;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RawSourceTest {
  static final String GOOD_PAYMENT =
      "t1,2088000000000001,m000001,mp000001,3500,fast_food,hangzhou,alipay,2026-10-06T04:00:00Z,success";

  @Test
  void parse_goodPayment_givesTypedValues() {
    ParsedLine p = RawSource.PAYMENTS.parse(GOOD_PAYMENT);

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
    ParsedLine p = RawSource.PAYMENTS.parse(RawSource.PAYMENTS.csvHeader());

    assertThat(p.header()).isTrue();
    assertThat(p.error()).isNull();
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
    assertThat(RawSource.PAYMENTS.parse(line).error()).isEqualTo(reason);
  }

  @Test
  void parse_socialWithoutMiniProgram_isAccepted() {
    ParsedLine p =
        RawSource.SOCIAL.parse(
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
    assertThat(RawSource.SOCIAL.parse(line).error()).isEqualTo(reason);
  }

  @Test
  void parse_truncatedJson_isRejectedAsMalformed() {
    assertThat(RawSource.SOCIAL.parse("{\"event_id\":\"e1\",\"social_acc").error())
        .startsWith("malformed JSON (truncated line?)");
  }

  @Test
  void parse_catalogWithUnknownHostApp_isRejected() {
    String line =
        "{\"mini_program_id\":\"mp1\",\"merchant_id\":\"m1\",\"name\":\"A\",\"category\":\"c\","
            + "\"verticals\":[],\"host_apps\":[\"alipay\",\"icq\"],\"cities\":[],\"status\":\"active\","
            + "\"updated_time\":\"2026-10-06T00:00:00Z\"}";

    assertThat(RawSource.CATALOG.parse(line).error()).isEqualTo("unknown host_apps 'icq'");
  }

  @Test
  void parse_linkWithBadConsent_isRejected() {
    assertThat(
            RawSource.ACCOUNT_LINKS
                .parse("2088000000000001,5000000001,linked,maybe,2026-10-06T00:00:00Z")
                .error())
        .isEqualTo("bad marketing_consent 'maybe' (want true or false)");
  }
}
