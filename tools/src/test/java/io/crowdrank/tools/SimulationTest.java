package io.crowdrank.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Set;
import org.junit.jupiter.api.Test;

class SimulationTest {
  @Test
  void clickChance_isTheTasteRateOverLog2OfPositionPlusOne() {
    Set<String> tastes = Set.of("coffee_tea", "travel");

    assertThat(Simulation.clickChance(tastes, "coffee_tea", 1)).isCloseTo(0.35, within(1e-12));
    assertThat(Simulation.clickChance(tastes, "travel", 3)).isCloseTo(0.35 / 2, within(1e-12));
    assertThat(Simulation.clickChance(tastes, "hotel", 7)).isCloseTo(0.03 / 3, within(1e-12));
  }
}
