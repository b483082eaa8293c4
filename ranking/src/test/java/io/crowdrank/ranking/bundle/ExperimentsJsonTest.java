package io.crowdrank.ranking.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.format.Experiments;
import org.junit.jupiter.api.Test;

class ExperimentsJsonTest {
  static final String FILE =
      """
      {"layers": [
        {"id": "ranking",
         "experiments": [
           {"id": "diversity", "traffic": 1.0, "control": "control",
            "variants": [
              {"id": "control", "share": 0.5},
              {"id": "tight", "share": 0.5,
               "settings": {"max_per_category": 1, "diversty_cap": 2}}]}]}]}
      """;

  @Test
  void parse_unknownSetting_namesTheLineAndTheField() {
    assertThatThrownBy(() -> ExperimentsJson.parse(FILE, "experiments.json"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "experiments.json:8: layers[0].experiments[0].variants[1].settings.diversty_cap:"
                + " unknown field (known: bundle_version, context_weight, exploration_share, max_per_category)");
  }

  @Test
  void parse_brokenRuleOnAValue_namesItsLine() {
    String shares =
        FILE.replace(", \"diversty_cap\": 2", "").replace("\"share\": 0.5}", "\"share\": 0.25}");

    assertThatThrownBy(() -> ExperimentsJson.parse(shares, "x.json"))
        .hasMessage(
            "x.json:5: layers[0].experiments[0].variants: the variants' shares add up to 0.75, not 1");
  }

  @Test
  void parse_validFile_givesTheExperiments() {
    Experiments x = ExperimentsJson.parse(FILE.replace(", \"diversty_cap\": 2", ""), "x.json");

    assertThat(x.experiment("diversity").variants())
        .extracting(Experiments.Variant::id)
        .containsExactly("control", "tight");
    assertThat(x.experiment("diversity").variants().get(1).settings().maxPerCategory())
        .isEqualTo(1);
  }

  @Test
  void parse_notJson_saysSo() {
    assertThatThrownBy(() -> ExperimentsJson.parse("{\"layers\": [", "x.json"))
        .hasMessageStartingWith("x.json: not an experiments file (JSON):");
  }
}
