package io.crowdrank.batch.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.events.EventsJob;
import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.format.ExperimentResultsFormat;
import io.crowdrank.format.ServingLogFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class ExperimentsJobTest extends SparkTestBase {
  private final List<String> lines = new ArrayList<>();
  private int ids;

  /** A served list of ten items to a user, in a variant of experiment "ctx". */
  private String served(String user, String day, String variant, boolean forced) {
    return served(user, day, day + "T10:00:00Z", variant, forced);
  }

  /** As above, ranked for a context time the host app chose ({@code at}), logged on {@code day}. */
  private String served(String user, String day, String at, String variant, boolean forced) {
    String token = "r1.1." + (++ids);
    StringBuilder items = new StringBuilder();
    for (int i = 1; i <= 10; i++) {
      items
          .append(i == 1 ? "" : ",")
          .append("{\"mini_program_id\":\"mp%d\",\"position\":%d,\"score\":0.5}".formatted(i, i));
    }
    String arms =
        variant == null
            ? ""
            : "{\"layer\":\"ranking\",\"experiment\":\"ctx\",\"variant\":\"" + variant + "\"}";
    lines.add(
        ("{\"type\":\"served\",\"event_id\":\"%s\",\"replica\":\"r1\",\"logged_at\":\"%sT10:00:00Z\","
                + "\"user_type\":\"payment\",\"user_id\":\"%s\",\"host_app\":\"alipay\","
                + "\"event_time\":\"%s\",\"city\":\"\",\"request_id\":\"\","
                + "\"model_version\":3,\"strategy\":\"personalized\",\"experiments\":[%s],"
                + "\"forced\":%s,\"items\":[%s]}")
            .formatted(token, day, user, at, arms, forced, items));
    return token;
  }

  private void event(String user, String day, String kind, String token, int times) {
    for (int i = 0; i < times; i++) {
      lines.add(
          ("{\"type\":\"event\",\"event_id\":\"r1.1.%d\",\"replica\":\"r1\","
                  + "\"logged_at\":\"%sT10:05:00Z\",\"user_type\":\"payment\",\"user_id\":\"%s\","
                  + "\"host_app\":\"alipay\",\"mini_program_id\":\"mp1\",\"kind\":\"%s\","
                  + "\"event_time\":\"%sT10:05:00Z\",\"attribution_token\":\"%s\","
                  + "\"client_event_id\":\"\"}")
              .formatted(++ids, day, user, kind, day, token));
    }
  }

  @Test
  void execute_givesTheRatesIntervalsAndLiftWorkedOutByHand() throws Exception {
    String d1 = "2026-12-01";
    String d2 = "2026-12-02";
    // Day 1, control: A 1 click in 10 shown, B 3 clicks and 1 use; treatment: C 4 and 1, D 6 and 1.
    event("A", d1, "click", served("A", d1, "control", false), 1);
    String b = served("B", d1, "control", false);
    event("B", d1, "click", b, 3);
    event("B", d1, "use", b, 1);
    String c = served("C", d1, "more", false);
    event("C", d1, "click", c, 4);
    event("C", d1, "use", c, 1);
    String d = served("D", d1, "more", false);
    event("D", d1, "click", d, 6);
    event("D", d1, "use", d, 1);
    // Day 2: A again, 1 click in 10 shown; ranked for a context a month ahead, counted on day 2.
    event("A", d2, "click", served("A", d2, "2027-01-01T08:00:00Z", "control", false), 1);
    // Left out: an operator's forced answer, an answer outside experiments, a click without token.
    event("E", d1, "click", served("E", d1, "more", true), 9);
    event("F", d1, "click", served("F", d1, null, false), 9);
    event("A", d1, "click", "", 5);
    Path dir = Files.createDirectories(Path.of(warehouse(), ServingLogFormat.DIRECTORY, "r1"));
    Files.write(dir.resolve(new ServingLogFormat.Segment(1, 0, true).fileName()), lines);
    new EventsJob(spark, new EventsJob.Options(warehouse(), null, "run-1")).execute();

    ExperimentsJob.Result r =
        new ExperimentsJob(spark, new ExperimentsJob.Options(warehouse())).execute();

    assertThat(r.experiments()).isEqualTo(1);
    Map<String, Row> rows =
        Delta.read(spark, warehouse(), Tables.EXPERIMENT_RESULTS).collectAsList().stream()
            .collect(Collectors.toMap(x -> x.getAs("variant") + "@" + x.getAs("day"), x -> x));
    assertThat(rows.keySet())
        .containsExactlyInAnyOrder(
            "control@2026-12-01",
            "more@2026-12-01",
            "control@2026-12-02",
            "control@null",
            "more@null");

    Row control = rows.get("control@2026-12-01");
    assertThat(control.<Long>getAs("users")).isEqualTo(2);
    assertThat(control.<Long>getAs("impressions")).isEqualTo(20);
    assertThat(control.<Long>getAs("clicks")).isEqualTo(4);
    assertThat(control.<Boolean>getAs("is_control")).isTrue();
    // CTR 4/20 = 0.2; per-user clicks 1 and 3 (variance 2), shown 10 each: Var = 2 / (2 x 100).
    assertThat(control.<Double>getAs("ctr")).isCloseTo(0.2, within(1e-12));
    assertThat(control.<Double>getAs("ctr_low")).isCloseTo(0.2 - 1.959964 * 0.1, within(1e-6));
    assertThat(control.<Double>getAs("ctr_high")).isCloseTo(0.2 + 1.959964 * 0.1, within(1e-6));
    assertThat(control.<Double>getAs("use_rate")).isCloseTo(0.05, within(1e-12));
    assertThat(control.<Double>getAs("use_rate_high"))
        .isCloseTo(0.05 + 1.959964 * 0.05, within(1e-6));

    Row more = rows.get("more@2026-12-01");
    assertThat(more.<Double>getAs("ctr")).isCloseTo(0.5, within(1e-12));
    // Lift 0.5 / 0.2 - 1 = 1.5; log-ratio standard error sqrt(0.01/0.04 + 0.01/0.25) = 0.53852.
    assertThat(more.<Double>getAs("ctr_lift")).isCloseTo(1.5, within(1e-12));
    assertThat(more.<Double>getAs("ctr_lift_low"))
        .isCloseTo(2.5 * Math.exp(-1.959964 * 0.538516) - 1, within(1e-5));
    assertThat(more.<Double>getAs("ctr_lift_high"))
        .isCloseTo(2.5 * Math.exp(1.959964 * 0.538516) - 1, within(1e-5));
    // Uses 2/20 = 0.1 against 0.05: lift 1, interval exp(ln 2 -/+ 1.96 x 1) - 1.
    assertThat(more.<Double>getAs("use_lift")).isCloseTo(1.0, within(1e-12));
    assertThat(more.<Double>getAs("use_lift_low"))
        .isCloseTo(2 * Math.exp(-1.959964) - 1, within(1e-5));

    // Over both days A counts once: (2 clicks, 20 shown) and B (3, 10): 5/30, and by hand
    // Var = (0.5 - 2(1/6)(-5) + (1/36)50) / (2 x 15^2) = 0.0079012.
    Row all = rows.get("control@null");
    assertThat(all.<Long>getAs("users")).isEqualTo(2);
    assertThat(all.<Long>getAs("impressions")).isEqualTo(30);
    assertThat(all.<Double>getAs("ctr")).isCloseTo(1 / 6.0, within(1e-12));
    assertThat(all.<Double>getAs("ctr_low"))
        .isCloseTo(1 / 6.0 - 1.959964 * Math.sqrt(0.0079012), within(1e-6));
    // No bundle runs "ctx": no expected shares, so no sample-ratio test.
    assertThat(all.<Double>getAs("srm_p_value")).isNull();
  }

  /** The service reads the table by {@link ExperimentResultsFormat}'s names: both sides agree. */
  @Test
  void schema_isTheSharedFormatsColumnsInOrder() {
    assertThat(ExperimentsJob.SCHEMA.fieldNames())
        .containsExactlyElementsOf(ExperimentResultsFormat.COLUMNS);
    assertThat(Tables.EXPERIMENT_RESULTS).isEqualTo(ExperimentResultsFormat.TABLE_PATH);
  }

  @Test
  void srm_sixtyFortyOfAHundred_isTheChiSquareTailOfFour() {
    // chi2 = 2 x 10^2 / 50 = 4 on 1 degree of freedom: P(X > 4) = 0.0455.
    assertThat(ExperimentsJob.srm(Map.of("a", 60L, "b", 40L), Map.of("a", 0.5, "b", 0.5)))
        .isCloseTo(0.04550026, within(1e-7));
  }
}
