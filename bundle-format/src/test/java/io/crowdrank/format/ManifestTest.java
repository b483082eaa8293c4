package io.crowdrank.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManifestTest {
  static Manifest published() {
    Map<String, Object> gate = new LinkedHashMap<>();
    gate.put("passed", true);
    gate.put("served_bundle", null);
    return Manifest.of(
        Instant.parse("2026-12-03T10:15:30.123Z"),
        "Asia/Shanghai",
        32,
        Map.of("model/item_factors", 7L),
        Map.of("step", "train", "params", Map.of("rank", 32)),
        Map.of("run_id", "run-1"),
        new Manifest.Ranking(0.15, 30.0),
        gate,
        Map.of("items", 1_000L, "users", 5_000L));
  }

  @Test
  void toMapThenFromMap_givesTheSameManifest() {
    Manifest m = published();

    assertThat(Manifest.fromMap(m.toMap())).isEqualTo(m);
    assertThat(m.toMap())
        .containsEntry("format_version", BundleFormat.FORMAT_VERSION)
        .containsEntry("created_time", "2026-12-03T10:15:30.123Z")
        .containsEntry("vector_dim", 32)
        .containsEntry("ranking", Map.of("context_weight", 0.15, "habit_shrinkage", 30.0));
    assertThat(m.zone().getId()).isEqualTo("Asia/Shanghai");
    assertThat(m.contextWeight()).isEqualTo(0.15);
  }

  @Test
  void prebuiltIndex_roundTrips_andIsOptional() {
    Manifest m =
        published()
            .withIndex(
                new Manifest.Index(
                    "_index/1796292930123",
                    900,
                    32,
                    Map.of("_0.vex", "ffee0011", "segments_1", "7")));

    Manifest back = Manifest.fromMap(m.toMap());

    assertThat(back).isEqualTo(m);
    assertThat(back.index().files()).containsEntry("_0.vex", "ffee0011");
    assertThat(published().index()).isNull();
    assertThat(published().toMap()).doesNotContainKey("index");
  }

  @Test
  void experiments_roundTrip_andAreNoneWhenAbsent() {
    Experiments x = Experiments.fromMap(ExperimentsTest.TWO_LAYERS);
    Manifest m = published().withExperiments(x);

    assertThat(Manifest.fromMap(m.toMap()).experiments()).isEqualTo(x);
    assertThat(published().toMap()).doesNotContainKey("experiments");
    assertThat(Manifest.fromMap(published().toMap()).experiments()).isEqualTo(Experiments.NONE);
    Map<String, Object> broken = new java.util.LinkedHashMap<>(m.toMap());
    broken.put("experiments", Map.of("layers", List.of(Map.of("id", "Bad"))));
    assertThatThrownBy(() -> Manifest.fromMap(broken))
        .hasMessageContaining("manifest experiments.layers[0].id");
  }

  @Test
  void prebuiltIndex_badFields_areRefusedSayingWhich() {
    Map<String, String> files = Map.of("_0.vex", "ffee0011");

    assertThatThrownBy(() -> new Manifest.Index("../elsewhere", 1, 32, files))
        .hasMessageContaining("index.path must be a directory under _index/");
    assertThatThrownBy(() -> new Manifest.Index("_index/../../x", 1, 32, files))
        .hasMessageContaining("index.path");
    assertThatThrownBy(() -> new Manifest.Index("_index/a", 1, 32, Map.of()))
        .hasMessageContaining("lists no files");
    assertThatThrownBy(() -> new Manifest.Index("_index/a", 1, 32, Map.of("../x", "1")))
        .hasMessageContaining("bad entry ../x");
    assertThatThrownBy(() -> new Manifest.Index("_index/a", 1, 32, Map.of("x", "not-hex")))
        .hasMessageContaining("bad entry x");
    assertThatThrownBy(() -> published().withIndex(new Manifest.Index("_index/a", 1, 16, files)))
        .hasMessageContaining("vectors of length 16, the bundle 32");
  }

  @Test
  void withoutRankingSettings_theServiceConfigApplies() {
    Map<String, Object> map = new HashMap<>(published().toMap());
    map.remove("ranking");

    Manifest m = Manifest.fromMap(map);
    assertThat(m.ranking()).isNull();
    assertThat(m.contextWeight()).isNull();
    assertThat(m.toMap()).doesNotContainKey("ranking");
  }

  @Test
  void fromMap_refusesOtherFormatsAndBadFields_sayingWhich() {
    Map<String, Object> good = published().toMap();

    assertThatThrownBy(() -> Manifest.fromMap(with(good, "format_version", 2)))
        .hasMessageContaining("bundle format 2 is not supported");
    assertThatThrownBy(() -> Manifest.fromMap(with(good, "time_zone", null)))
        .hasMessage("manifest has no time_zone");
    assertThatThrownBy(() -> Manifest.fromMap(with(good, "time_zone", "Mars/Olympus")))
        .hasMessageContaining("'Mars/Olympus' is not a time zone");
    assertThatThrownBy(() -> Manifest.fromMap(with(good, "created_time", "yesterday")))
        .hasMessageContaining("created_time is not an ISO-8601 instant");
    assertThatThrownBy(() -> Manifest.fromMap(with(good, "vector_dim", "32")))
        .hasMessageContaining("vector_dim must be a number");
    assertThatThrownBy(
            () -> Manifest.fromMap(with(good, "ranking", Map.of("context_weight", -1.0))))
        .hasMessageContaining("ranking.context_weight must be a number >= 0");
  }

  private static Map<String, Object> with(Map<String, Object> m, String key, Object value) {
    Map<String, Object> out = new HashMap<>(m);
    out.put(key, value);
    return out;
  }
}
