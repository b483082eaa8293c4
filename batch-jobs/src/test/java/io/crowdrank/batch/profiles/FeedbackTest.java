package io.crowdrank.batch.profiles;

import static io.crowdrank.batch.common.Columns.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.common.Inputs;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.events.EventsJob;
import io.crowdrank.batch.identity.Events;
import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.ServingLogFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The batch side of the loop: what the service served and what users did with it, landed by {@code
 * jobs events}, resolved to users and turned into AIPL stages, exposure and training interactions.
 * Every expected figure is worked out by hand from the log written here.
 */
class FeedbackTest extends SparkTestBase {
  static final String T = "2026-12-01T10:00:00Z";
  private final List<String> lines = new ArrayList<>();
  private int ids;

  private void served(String type, String user, String... items) {
    servedAt(T, type, user, items);
  }

  /** A list served for a context time the host app chose ({@code at}), logged at T. */
  private void servedAt(String at, String type, String user, String... items) {
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < items.length; i++) {
      list.append(i == 0 ? "" : ",")
          .append(
              "{\"mini_program_id\":\"%s\",\"position\":%d,\"score\":0.5}"
                  .formatted(items[i], i + 1));
    }
    lines.add(
        ("{\"type\":\"served\",\"event_id\":\"r1.1.%d\",\"replica\":\"r1\",\"logged_at\":\"%s\","
                + "\"user_type\":\"%s\",\"user_id\":\"%s\",\"host_app\":\"alipay\","
                + "\"event_time\":\"%s\",\"model_version\":1,\"strategy\":\"personalized\","
                + "\"experiments\":[],\"forced\":false,\"items\":[%s]}")
            .formatted(++ids, T, type, user, at, list));
  }

  private void event(String type, String user, String kind, String item) {
    lines.add(
        ("{\"type\":\"event\",\"event_id\":\"r1.1.%d\",\"replica\":\"r1\",\"logged_at\":\"%s\","
                + "\"user_type\":\"%s\",\"user_id\":\"%s\",\"host_app\":\"alipay\","
                + "\"mini_program_id\":\"%s\",\"kind\":\"%s\",\"event_time\":\"%s\","
                + "\"attribution_token\":\"\",\"client_event_id\":\"\"}")
            .formatted(++ids, T, type, user, item, kind, T));
  }

  /**
   * u1 (payment account p1) was shown A and B, clicked and used A; u2 (social account s2), named by
   * its shared id, was shown B and sent an impression of C from its social account; an unknown
   * payment account and an unknown shared id are left out. u3 was ranked for a context time half a
   * year ahead: it counts as logged, at T.
   */
  private Dataset<Row> feedback() throws Exception {
    served("payment", "p1", "mpA", "mpB");
    event("payment", "p1", "click", "mpA");
    event("payment", "p1", "use", "mpA");
    served("shared", "u2", "mpB");
    event("social", "s2", "impression", "mpC");
    served("payment", "p9", "mpA");
    event("shared", "nobody", "click", "mpA");
    servedAt("2027-06-01T10:00:00Z", "payment", "p3", "mpC");
    Path dir = Files.createDirectories(Path.of(warehouse(), ServingLogFormat.DIRECTORY, "r1"));
    Files.write(dir.resolve(new ServingLogFormat.Segment(1, 0, true).fileName()), lines);
    new EventsJob(spark, new EventsJob.Options(warehouse(), null, "run-1")).execute();

    StructType identity =
        new StructType()
            .add(ACCOUNT_TYPE, DataTypes.StringType)
            .add(ACCOUNT_ID, DataTypes.StringType)
            .add(USER_ID, DataTypes.StringType);
    spark
        .createDataFrame(
            List.of(
                RowFactory.create("payment", "p1", "u1"),
                RowFactory.create("social", "s2", "u2"),
                RowFactory.create("payment", "p3", "u3")),
            identity)
        .write()
        .format("delta")
        .save(Tables.at(warehouse(), Tables.IDENTITY_MAP));
    return Events.feedback(
        Inputs.pin(spark, warehouse(), List.of(Tables.IDENTITY_MAP, Events.SERVING_LOG)));
  }

  static Dataset<Row> catalog() {
    StructType schema =
        new StructType()
            .add(MINI_PROGRAM_ID, DataTypes.StringType)
            .add(MERCHANT_ID, DataTypes.StringType)
            .add(CATEGORY, DataTypes.StringType);
    return spark.createDataFrame(
        List.of(
            RowFactory.create("mpA", "mA", "food"),
            RowFactory.create("mpB", "mA", "food"),
            RowFactory.create("mpC", "mC", "travel")),
        schema);
  }

  /** The last column's values by the others ("u1/mpA"), several sorted and joined by "+". */
  static Map<String, String> rows(Dataset<Row> d, String... columns) {
    Map<String, List<String>> values = new TreeMap<>();
    for (Row r : d.collectAsList()) {
      List<String> key = new ArrayList<>();
      for (int i = 0; i < columns.length - 1; i++) {
        key.add(String.valueOf((Object) r.getAs(columns[i])));
      }
      values
          .computeIfAbsent(String.join("/", key), k -> new ArrayList<>())
          .add(String.valueOf((Object) r.getAs(columns[columns.length - 1])));
    }
    Map<String, String> out = new TreeMap<>();
    values.forEach((k, v) -> out.put(k, String.join("+", v.stream().sorted().toList())));
    return out;
  }

  @Test
  void feedback_resolvesAccountsAndSharedIds_toUsers_andLeavesUnknownOnesOut() throws Exception {
    Dataset<Row> feedback = feedback();
    assertThat(rows(feedback, USER_ID, MINI_PROGRAM_ID, Events.KIND))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "u1/mpA", "click+served+use",
                "u1/mpB", "served",
                "u2/mpB", "served",
                "u2/mpC", "impression",
                "u3/mpC", "served"));
    // Nothing later than it was logged: u3's list for half a year ahead counts at T.
    Row latest = feedback.agg(org.apache.spark.sql.functions.max(EVENT_TIME)).first();
    assertThat(latest.getTimestamp(0).toInstant()).isEqualTo(Instant.parse(T));
  }

  @Test
  void aiplExposureAndInteractions_fromTheFeedback_asWorkedOutByHand() throws Exception {
    Dataset<Row> feedback = feedback();
    StructType paymentsSchema =
        new StructType()
            .add(USER_ID, DataTypes.StringType)
            .add(MINI_PROGRAM_ID, DataTypes.StringType)
            .add(MERCHANT_ID, DataTypes.StringType)
            .add(EVENT_TIME, DataTypes.TimestampType)
            .add(HOST_APP, DataTypes.StringType)
            .add(CITY, DataTypes.StringType);
    // u2 also paid at B: purchase (3) beats having been shown it (1).
    Dataset<Row> payments =
        spark.createDataFrame(
            List.<Row>of(
                RowFactory.create(
                    "u2", "mpB", "mA", Timestamp.from(Instant.parse(T)), "alipay", "hangzhou")),
            paymentsSchema);
    StructType socialSchema =
        new StructType()
            .add(USER_ID, DataTypes.StringType)
            .add(MINI_PROGRAM_ID, DataTypes.StringType)
            .add(ACTION, DataTypes.StringType)
            .add(EVENT_TIME, DataTypes.TimestampType);
    Dataset<Row> social = spark.createDataFrame(List.<Row>of(), socialSchema);

    assertThat(
            rows(
                Aipl.stages(payments, social, catalog(), feedback),
                SCOPE,
                USER_ID,
                SCOPE_ID,
                STAGE))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                SCOPE_MINI_PROGRAM + "/u1/mpA", "interest", // clicked and used
                SCOPE_MINI_PROGRAM + "/u1/mpB", "awareness", // shown
                SCOPE_MINI_PROGRAM + "/u2/mpB", "purchase", // shown, and paid
                SCOPE_MINI_PROGRAM + "/u2/mpC", "awareness", // an impression
                SCOPE_MERCHANT + "/u1/mA", "interest",
                SCOPE_MERCHANT + "/u2/mA", "purchase",
                SCOPE_MERCHANT + "/u2/mC", "awareness",
                SCOPE_MINI_PROGRAM + "/u3/mpC", "awareness",
                SCOPE_MERCHANT + "/u3/mC", "awareness"));

    Dataset<Row> exposure = ProfilesJob.exposure(feedback);
    assertThat(rows(exposure, USER_ID, MINI_PROGRAM_ID, SERVED))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("u1/mpA", "1", "u1/mpB", "1", "u2/mpB", "1", "u2/mpC", "0", "u3/mpC", "1"));
    assertThat(rows(exposure, USER_ID, MINI_PROGRAM_ID, CLICKS))
        .containsEntry("u1/mpA", "1")
        .containsEntry("u1/mpB", "0");
    assertThat(rows(exposure, USER_ID, MINI_PROGRAM_ID, USES)).containsEntry("u1/mpA", "1");
    assertThat(rows(exposure, USER_ID, MINI_PROGRAM_ID, IMPRESSIONS))
        .containsEntry("u2/mpC", "1")
        .containsEntry("u1/mpA", "0");
    assertThat(rows(exposure, USER_ID, MINI_PROGRAM_ID, LAST_SEEN).get("u1/mpA"))
        .startsWith("2026-12-01");

    // Training: a click is worth 0.5 and a use 1, times the feedback weight (2 here); being shown
    // and impressions are worth nothing; u2's payment at B is worth the payment weight (1).
    TrainJob.Params d = TrainJob.Params.defaults();
    TrainJob.Params p =
        new TrainJob.Params(
            d.rank(),
            d.maxIter(),
            d.regParam(),
            d.alpha(),
            d.seed(),
            1.0,
            1.0,
            d.halfLifeDays(),
            d.contextWeight(),
            d.habitShrinkage(),
            2.0);
    assertThat(
            rows(
                TrainJob.Interactions.events(payments, social, feedback, catalog(), p),
                USER_ID,
                MINI_PROGRAM_ID,
                WEIGHT))
        .containsExactlyInAnyOrderEntriesOf(Map.of("u1/mpA", "1.0+2.0", "u2/mpB", "1.0"));
  }
}
