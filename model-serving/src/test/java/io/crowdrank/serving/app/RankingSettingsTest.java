package io.crowdrank.serving.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.ranking.RankingConfig;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

/** The service's ranking defaults ({@code @WithDefault}) are the ranking module's own. */
class RankingSettingsTest {
  @Test
  void rankingDefaults_ofTheServiceConfiguration_equalRankingConfigDefaults() {
    SmallRyeConfig config =
        new SmallRyeConfigBuilder()
            .withMapping(ServingConfig.Ranking.class, "crowdrank.ranking")
            .build();

    ServingConfig.Ranking ranking =
        config.getConfigMapping(ServingConfig.Ranking.class, "crowdrank.ranking");

    assertThat(ServingBeans.rankingConfig(ranking)).isEqualTo(RankingConfig.defaults());
  }
}
