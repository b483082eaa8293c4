package io.crowdrank.batch.segments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Segments over a handful of hand-written profiles, against the members expected by hand. */
class SegmentsJobTest extends SparkTestBase {
  private static final StructType PROFILES =
      StructType.fromDDL(
          "user_id STRING, has_payment BOOLEAN, has_social BOOLEAN, is_shared BOOLEAN,"
              + " home_city STRING, recency_days INT, frequency BIGINT, monetary_fen BIGINT,"
              + " r_score INT, f_score INT, m_score INT,"
              + " category_spend_share MAP<STRING, DOUBLE>, interests MAP<STRING, DOUBLE>,"
              + " hour_of_week_activity ARRAY<BIGINT>");

  @BeforeEach
  void tables() {
    List<Row> profiles =
        List.of(
            // u1: shared, Hangzhou, big spender, all activity Monday noon, loves food
            profile("u1", true, true, "hangzhou", 5, 5, 5, 30_000, Map.of("food", 0.8), 12),
            // u2: payment only, Shanghai, low scores, activity Saturday 22:00
            profile("u2", true, false, "shanghai", 1, 2, 1, 500, null, 5 * 24 + 22),
            // u3: social only (no RFM), interested in travel, Monday noon
            profile("u3", false, true, null, null, null, null, 0, Map.of("travel", 0.9), 12),
            // u4: shared, Hangzhou, mid scores, food 0.3, no activity at all
            profile("u4", true, true, "hangzhou", 3, 3, 3, 5_000, Map.of("food", 0.3), -1));
    spark
        .createDataFrame(profiles, PROFILES)
        .write()
        .format("delta")
        .save(Tables.at(warehouse(), Tables.USER_PROFILES));
    spark
        .createDataFrame(
            List.of(
                RowFactory.create("u1", "merchant", "m1", 4),
                RowFactory.create("u1", "mini_program", "mp1", 4),
                RowFactory.create("u3", "merchant", "m1", 2),
                RowFactory.create("u4", "merchant", "m1", 1),
                RowFactory.create("u2", "merchant", "m2", 3)),
            StructType.fromDDL("user_id STRING, scope STRING, scope_id STRING, stage_level INT"))
        .write()
        .format("delta")
        .save(Tables.at(warehouse(), Tables.USER_AIPL));
    spark
        .createDataFrame(
            List.of(RowFactory.create("mp1", "m1"), RowFactory.create("mp2", "m2")),
            StructType.fromDDL("mini_program_id STRING, merchant_id STRING"))
        .write()
        .format("delta")
        .save(Tables.at(warehouse(), Tables.CATALOG));
  }

  private static Row profile(
      String id,
      boolean payment,
      boolean social,
      String city,
      Integer r,
      Integer f,
      Integer m,
      long fen,
      Map<String, Double> interests,
      int activeHour) {
    Long[] hours = new Long[168];
    Arrays.fill(hours, 0L);
    if (activeHour >= 0) {
      hours[activeHour] = 10L;
    }
    return RowFactory.create(
        id,
        payment,
        social,
        payment && social,
        city,
        payment ? 3 : null,
        payment ? 4L : null,
        fen,
        r,
        f,
        m,
        payment
            ? scala.collection.immutable.Map.from(
                scala.jdk.CollectionConverters.MapHasAsScala(Map.of("fast_food", 1.0)).asScala())
            : null,
        interests == null
            ? null
            : scala.collection.immutable.Map.from(
                scala.jdk.CollectionConverters.MapHasAsScala(interests).asScala()),
        Arrays.asList(hours));
  }

  private Path targeting(String json) throws Exception {
    Path f = tmp.resolve("targeting.json");
    Files.writeString(f, json);
    return f;
  }

  private Map<String, TreeSet<String>> members() {
    Map<String, TreeSet<String>> out = new TreeMap<>();
    for (Row r : Delta.read(spark, warehouse(), Tables.SEGMENT_MEMBERS).collectAsList()) {
      out.computeIfAbsent(r.getString(0), k -> new TreeSet<>()).add(r.getString(1));
    }
    return out;
  }

  private static String segment(String id, String merchant, String expression) {
    return "{\"id\":\""
        + id
        + "\",\"name\":\"N "
        + id
        + "\","
        + (merchant == null ? "" : "\"merchant_id\":\"" + merchant + "\",")
        + "\"expression\":\""
        + expression.replace("\"", "\\\"")
        + "\"}";
  }

  private static String file(String... segments) {
    return "{\"segments\":[" + String.join(",", segments) + "],\"campaigns\":[]}";
  }

  @Test
  void execute_evaluatesPredicatesAndSetOperations_againstExpectedMembers() throws Exception {
    Path f =
        targeting(
            file(
                segment("hz", null, "home_city = \"hangzhou\""),
                segment("foodies", null, "interest(\"food\") >= 0.5"),
                segment("rich", null, "rfm_score >= 9 and monetary_yuan > 40"),
                segment("lunch", null, "activity(\"weekday 11-14\") >= 0.5"),
                segment("not_lunch", null, "not segment(\"lunch\")"),
                segment("hz_or_travel", null, "segment(\"hz\") or interest(\"travel\") > 0.5"),
                segment("hz_not_foodies", null, "segment(\"hz\") and not segment(\"foodies\")"),
                segment("m1_buyers", "m1", "merchant_aipl(\"m1\") >= \"purchase\""),
                segment("m1_aware_only", "m1", "merchant_aipl(\"m1\") = \"awareness\""),
                segment("mp1_loyal", null, "aipl(\"mp1\") = \"loyalty\""),
                segment("nobody", null, "frequency > 1000")));

    SegmentsJob.Result r =
        new SegmentsJob(spark, new SegmentsJob.Options(warehouse(), f)).execute();

    assertThat(members())
        .isEqualTo(
            Map.of(
                "hz", new TreeSet<>(List.of("u1", "u4")),
                "foodies", new TreeSet<>(List.of("u1")),
                "rich", new TreeSet<>(List.of("u1", "u4")),
                "lunch", new TreeSet<>(List.of("u1", "u3")),
                "not_lunch", new TreeSet<>(List.of("u2", "u4")),
                "hz_or_travel", new TreeSet<>(List.of("u1", "u3", "u4")),
                "hz_not_foodies", new TreeSet<>(List.of("u4")),
                "m1_buyers", new TreeSet<>(List.of("u1")),
                "m1_aware_only", new TreeSet<>(List.of("u4")),
                "mp1_loyal", new TreeSet<>(List.of("u1"))));
    assertThat(r.segments()).isEqualTo(11);
    assertThat(r.members()).isEqualTo(16);
    Row hz =
        Delta.read(spark, warehouse(), Tables.SEGMENT_STATS)
            .filter("segment_id = 'hz'")
            .select("size", "shared", "payment_only", "social_only")
            .first();
    assertThat(List.of(hz.getLong(0), hz.getLong(1), hz.getLong(2), hz.getLong(3)))
        .containsExactly(2L, 2L, 0L, 0L);
  }

  @Test
  void execute_sameDefinitionsAgain_commitsNothing() throws Exception {
    Path f = targeting(file(segment("hz", null, "home_city = \"hangzhou\"")));
    new SegmentsJob(spark, new SegmentsJob.Options(warehouse(), f)).execute();
    long defs = Delta.version(spark, Tables.at(warehouse(), Tables.SEGMENT_DEFINITIONS));

    SegmentsJob.Result again =
        new SegmentsJob(spark, new SegmentsJob.Options(warehouse(), f)).execute();

    assertThat(again.skipped()).isTrue();
    assertThat(Delta.version(spark, Tables.at(warehouse(), Tables.SEGMENT_DEFINITIONS)))
        .isEqualTo(defs);
    assertThat(
            new SegmentsJob(spark, new SegmentsJob.Options(warehouse(), null)).execute().skipped())
        .isTrue();
  }

  @Test
  void execute_badExpression_namesTheSegmentAndWritesNothing() throws Exception {
    Path f =
        targeting(file(segment("ok", null, "has_payment"), segment("bad", null, "frequency >> 2")));

    assertThatThrownBy(
            () -> new SegmentsJob(spark, new SegmentsJob.Options(warehouse(), f)).execute())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("segment \"bad\": expression: expected a number after '>'");
    assertThat(Delta.exists(spark, Tables.at(warehouse(), Tables.SEGMENT_DEFINITIONS))).isFalse();
  }

  @Test
  void execute_campaignOnAnotherMerchantsSegment_isRefused() throws Exception {
    String campaign =
        "{\"id\":\"c1\",\"name\":\"C\",\"mini_program_id\":\"mp2\",\"segments\":[\"m1_buyers\"],"
            + "\"start\":\"2026-01-01T00:00:00Z\",\"end\":\"2027-01-01T00:00:00Z\",\"boost\":0.5,"
            + "\"slot\":1}";
    Path f =
        targeting(
            "{\"segments\":["
                + segment("m1_buyers", "m1", "merchant_aipl(\"m1\") >= \"purchase\"")
                + "],\"campaigns\":["
                + campaign
                + "]}");

    assertThatThrownBy(
            () -> new SegmentsJob(spark, new SegmentsJob.Options(warehouse(), f)).execute())
        .hasMessageContaining("segment \"m1_buyers\" belongs to merchant m1, not to m2");
  }

  @Test
  void read_campaignChecks_reportWhere() throws Exception {
    String base =
        "{\"segments\":["
            + segment("s", null, "has_payment")
            + "],\"campaigns\":[{\"id\":\"c1\",\"name\":\"C\",\"mini_program_id\":\"mp1\","
            + "\"segments\":[\"%s\"],\"start\":\"2026-01-01T00:00:00Z\","
            + "\"end\":\"2027-01-01T00:00:00Z\",\"boost\":%s,\"slot\":%s%s}]}";
    List<String[]> cases = new ArrayList<>();
    cases.add(new String[] {"zz", "0.5", "1", "", "campaign \"c1\": unknown segment \"zz\""});
    cases.add(new String[] {"s", "1.5", "1", "", "boost must be in (0, 1], got 1.5"});
    cases.add(new String[] {"s", "0.5", "11", "", "slot must be 0 (none) or 1-10, got 11"});
    cases.add(
        new String[] {
          "s", "0.5", "1", ",\"host_apps\":[\"myspace\"]", "unknown host app \"myspace\""
        });
    cases.add(new String[] {"s", "0.5", "1", ",\"colour\":\"red\"", "unknown field \"colour\""});
    for (String[] c : cases) {
      Path f = targeting(String.format(base, c[0], c[1], c[2], c[3]));
      assertThatThrownBy(() -> Targeting.read(f)).as(c[4]).hasMessageContaining(c[4]);
    }
  }
}
