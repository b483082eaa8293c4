package io.crowdrank.serving.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crowdrank.format.ExperimentResultsFormat;
import io.crowdrank.serving.experiments.ExperimentResults.Estimate;
import io.crowdrank.serving.experiments.ExperimentResults.Experiment;
import io.crowdrank.serving.experiments.ExperimentResults.Variant;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExperimentPagesTest {
  static final LocalDate DAY = LocalDate.of(2026, 12, 5);
  final ExperimentPages pages = new ExperimentPages();

  static Variant control(LocalDate day, long users, Double srm) {
    return new Variant(
        "diversity",
        "control",
        day,
        true,
        users,
        1000,
        100,
        40,
        new Estimate(0.1, 0.09, 0.11),
        new Estimate(0.04, 0.035, 0.045),
        null,
        null,
        0.5,
        srm);
  }

  static Variant variant(String id, LocalDate day, long users, Estimate ctrLift, Double srm) {
    return new Variant(
        "diversity",
        id,
        day,
        false,
        users,
        900,
        70,
        30,
        new Estimate(0.0778, 0.07, 0.085),
        null,
        ctrLift,
        null,
        0.5,
        srm);
  }

  /** Over every day and on one day, grouped as the store groups table rows. */
  static Experiment experiment(String variantId, Estimate lift, double srm) {
    return ExperimentResults.group(
            List.of(
                variant(variantId, DAY, 48, lift, srm),
                control(null, 50, srm),
                variant(variantId, null, 48, lift, srm),
                control(DAY, 50, srm)))
        .get("diversity");
  }

  @Test
  void group_putsControlFirst_andSplitsEveryDayFromEachDay() {
    Experiment e = experiment("one_per_category", new Estimate(-0.2, -0.3, -0.1), 0.84);

    assertThat(e.overall())
        .extracting(Variant::variant)
        .containsExactly("control", "one_per_category");
    assertThat(e.overall()).allMatch(v -> v.day() == null);
    assertThat(e.daily()).extracting(Variant::day).containsOnly(DAY);
    assertThat(e.users()).isEqualTo(98);
    assertThat(e.days()).containsExactly(DAY);
    assertThat(e.sampleRatioMismatch()).isFalse();
  }

  @Test
  void lift_saysWhichSideOfZeroTheWholeIntervalIsOn() {
    assertThat(ExperimentPages.lift("CTR", new Estimate(-0.182, -0.238, -0.122)))
        .isEqualTo("CTR \u221218.2 % [\u221223.8 %, \u221212.2 %]: worse than control");
    assertThat(ExperimentPages.lift("CTR", new Estimate(0.05, 0.01, 0.09)))
        .isEqualTo("CTR +5.0 % [+1.0 %, +9.0 %]: better than control");
    assertThat(ExperimentPages.lift("use rate", new Estimate(-0.008, -0.076, 0.065)))
        .isEqualTo("use rate \u22120.8 % [\u22127.6 %, +6.5 %]: no clear difference from control");
    assertThat(ExperimentPages.lift("use rate", null)).contains("no estimate");
  }

  @Test
  void experimentPage_showsVerdictsTablesAndTheSampleRatioAlarm_escapingIds() {
    String ok =
        pages.experiment(
            "ops", experiment("<b>cap</b>", new Estimate(-0.2, -0.3, -0.1), 0.84), "/e.js");
    assertThat(ok)
        .contains("id=\"srm-ok\"")
        .doesNotContain("id=\"srm-alarm\"")
        .contains("&lt;b&gt;cap&lt;/b&gt;")
        .doesNotContain("<b>cap</b>")
        .contains("worse than control")
        .contains("0.1000 [0.0900, 0.1100]")
        .contains("\u221220.0 % [\u221230.0 %, \u221210.0 %]")
        .contains("51.0 % (expected 50.0 %)"); // 50 of 98

    String broken =
        pages.experiment("ops", experiment("cap", new Estimate(0.1, 0.05, 0.2), 0.0002), "/e.js");
    assertThat(broken).contains("id=\"srm-alarm\"").contains("p = 0.000200");
  }

  @Test
  void exports_haveEveryColumnOfTheTable_inItsOrder_oneRowPerVariantAndDay() throws Exception {
    Experiment e = experiment("cap", new Estimate(-0.2, -0.3, -0.1), 0.84);

    List<String> lines = pages.csv(e).lines().toList();
    assertThat(lines.get(0)).isEqualTo(String.join(",", ExperimentResultsFormat.COLUMNS));
    assertThat(lines).hasSize(5);
    assertThat(lines.get(1))
        .isEqualTo(
            "diversity,control,,true,50,1000,100,40,0.1,0.09,0.11,0.04,0.035,0.045,,,,,,,0.5,0.84");
    assertThat(lines.get(4)).startsWith("diversity,cap,2026-12-05,false,48,900,70,30,0.0778,");

    JsonNode json = new ObjectMapper().readTree(pages.json(e));
    assertThat(json.path("rows")).hasSize(4);
    assertThat(json.path("sample_ratio_mismatch").asBoolean()).isFalse();
    List<String> fields = new java.util.ArrayList<>();
    json.path("rows").get(0).fieldNames().forEachRemaining(fields::add);
    assertThat(fields).containsExactlyElementsOf(ExperimentResultsFormat.COLUMNS);
  }

  @Test
  void csv_keepsSmallNegativeNumbersNumbers_butGuardsFormulas() {
    assertThat(io.crowdrank.serving.web.WebTemplates.csvCell("-1.2E-4")).isEqualTo("-1.2E-4");
    assertThat(io.crowdrank.serving.web.WebTemplates.csvCell("-0.25")).isEqualTo("-0.25");
    assertThat(io.crowdrank.serving.web.WebTemplates.csvCell("=HYPERLINK(1)"))
        .isEqualTo("'=HYPERLINK(1)");
    assertThat(io.crowdrank.serving.web.WebTemplates.csvCell("-2+3")).isEqualTo("'-2+3");
    assertThat(io.crowdrank.serving.web.WebTemplates.csvCell("a,b")).isEqualTo("\"a,b\"");
  }
}
