package io.crowdrank.ranking.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.format.Manifest;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManifestJsonTest {
  @Test
  void writeThenParse_keepsEveryField() {
    Manifest m =
        Manifest.of(
                Instant.parse("2026-12-03T10:15:30Z"),
                "UTC",
                8,
                Map.of("model/item_factors", 3L),
                Map.of("params", Map.of("rank", 8)),
                Map.of(),
                new Manifest.Ranking(0.2, null),
                Map.of("passed", true),
                Map.of("items", 10L, "users", 20L))
            .withIndex(
                new Manifest.Index(
                    "_index/1796292930000",
                    10,
                    8,
                    Map.of("_0.vec", "1a2b3c4d", "segments_1", "0")));

    Manifest back = ManifestJson.parse(ManifestJson.write(m));

    // JSON has no long/int distinction: compare what both write.
    assertThat(ManifestJson.write(back)).isEqualTo(ManifestJson.write(m));
    assertThat(back.createdTime()).isEqualTo(m.createdTime());
    assertThat(back.ranking()).isEqualTo(m.ranking());
    assertThat(back.counts()).isEqualTo(m.counts());
    assertThat(back.index()).isEqualTo(m.index());
  }

  @Test
  void parse_badJsonOrField_isABundleException() {
    assertThatThrownBy(() -> ManifestJson.parse("{not json"))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> ManifestJson.parse("{\"format_version\": 3}"))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("manifest has no created_time");
  }
}
