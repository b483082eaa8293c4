package io.crowdrank.batch.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.ingest.IngestJob;
import io.crowdrank.batch.ingest.RawSource;
import io.crowdrank.batch.testing.RawFiles;
import io.crowdrank.batch.testing.SparkTestBase;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class IdentityJobTest extends SparkTestBase {
  static final String P1 = "2088000000000001";
  static final String P2 = "2088000000000002";
  static final String P3 = "2088000000000003";
  static final String S1 = "5000000001";
  static final String S2 = "5000000002";
  static final String S3 = "5000000003";
  static final String S4 = "5000000004";

  private Map<String, Row> identity(List<String> links) {
    Path raw = tmp.resolve("raw");
    RawFiles.write(
        raw,
        "payments",
        "2026-10-06",
        "p.csv",
        List.of(
            RawSource.PAYMENTS.csvHeader(),
            "t1," + P1 + ",m1,mp1,100,food,hangzhou,alipay,2026-10-06T01:00:00Z,success",
            "t2," + P2 + ",m1,mp1,100,food,hangzhou,alipay,2026-10-06T01:00:00Z,success",
            "t3," + P3 + ",m1,mp1,100,food,hangzhou,alipay,2026-10-06T01:00:00Z,success"));
    RawFiles.write(
        raw,
        "social",
        "2026-10-06",
        "s.jsonl",
        List.of(
            "{\"event_id\":\"e4\",\"social_account\":\""
                + S4
                + "\",\"action\":\"like\",\"vertical\":\"food\",\"event_time\":\"2026-10-06T01:00:00Z\"}"));
    RawFiles.write(raw, "account_links", "2026-10-06", "l.csv", links);
    new IngestJob(spark, new IngestJob.Options(raw.toString(), warehouse(), null, null, "r"))
        .execute();
    new IdentityJob(spark, new IdentityJob.Options(warehouse(), "test-salt-123")).execute();
    return spark
        .read()
        .format("delta")
        .load(Tables.at(warehouse(), Tables.IDENTITY_MAP))
        .collectAsList()
        .stream()
        .collect(Collectors.toMap(r -> r.getString(0) + ":" + r.getString(1), r -> r));
  }

  @Test
  void execute_consentedLink_makesOneSharedUser() {
    Map<String, Row> ids =
        identity(
            List.of(
                RawSource.ACCOUNT_LINKS.csvHeader(),
                P1 + "," + S1 + ",linked,true,2026-10-01T00:00:00Z",
                P2 + "," + S2 + ",linked,false,2026-10-01T00:00:00Z"));

    assertThat(ids.get("social:" + S1).getString(2))
        .isEqualTo(ids.get("payment:" + P1).getString(2));
    assertThat(ids.get("social:" + S1).getBoolean(3)).isTrue();
    assertThat(ids.get("payment:" + P1).getBoolean(3)).isTrue();
    // no consent: two separate, unshared users
    assertThat(ids.get("social:" + S2).getString(2))
        .isNotEqualTo(ids.get("payment:" + P2).getString(2));
    assertThat(ids.get("payment:" + P2).getBoolean(3)).isFalse();
    // every account appears once, including the social account seen only in events
    assertThat(ids).containsKeys("payment:" + P3, "social:" + S4).hasSize(6);
    assertThat(ids.get("payment:" + P3).getString(2)).hasSize(20).matches("[0-9a-f]+");
  }

  @Test
  void execute_laterUnlinkOrWithdrawal_separatesTheAccountsAgain() {
    Map<String, Row> ids =
        identity(
            List.of(
                RawSource.ACCOUNT_LINKS.csvHeader(),
                P1 + "," + S1 + ",linked,true,2026-10-01T00:00:00Z",
                P1 + "," + S1 + ",unlinked,true,2026-10-03T00:00:00Z",
                P2 + "," + S2 + ",linked,true,2026-10-01T00:00:00Z",
                P2 + "," + S2 + ",linked,false,2026-10-04T00:00:00Z",
                P3 + "," + S3 + ",linked,true,2026-10-01T00:00:00Z"));

    assertThat(ids.get("social:" + S1).getBoolean(3)).isFalse();
    assertThat(ids.get("social:" + S1).getString(2))
        .isNotEqualTo(ids.get("payment:" + P1).getString(2));
    assertThat(ids.get("social:" + S2).getBoolean(3)).isFalse();
    assertThat(ids.get("social:" + S3).getString(2))
        .isEqualTo(ids.get("payment:" + P3).getString(2));
  }
}
