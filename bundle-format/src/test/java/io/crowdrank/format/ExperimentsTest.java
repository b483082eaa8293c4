package io.crowdrank.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExperimentsTest {
  static Map<String, Object> variant(String id, double share, Map<String, Object> settings) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", id);
    v.put("share", share);
    if (settings != null) {
      v.put("settings", settings);
    }
    return v;
  }

  static Map<String, Object> experiment(String id, double traffic, Object... variants) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("id", id);
    e.put("traffic", traffic);
    e.put("variants", List.of(variants));
    return e;
  }

  static Map<String, Object> layer(String id, Object... experiments) {
    return new LinkedHashMap<>(Map.of("id", id, "experiments", List.of(experiments)));
  }

  static Map<String, Object> file(Object... layers) {
    return new LinkedHashMap<>(Map.of("layers", List.of(layers)));
  }

  static final Map<String, Object> TWO_LAYERS =
      file(
          layer(
              "ranking",
              experiment(
                  "context",
                  0.5,
                  variant("control", 0.5, null),
                  variant("more_context", 0.5, Map.of("context_weight", 0.4))),
              experiment(
                  "diversity",
                  0.3,
                  variant("control", 0.2, null),
                  variant("tight", 0.8, Map.of("max_per_category", 2)))),
          layer(
              "exploration",
              experiment(
                  "explore",
                  1.0,
                  variant("control", 0.5, null),
                  variant("more", 0.5, Map.of("exploration_share", 0.2)))));

  @Test
  void arms_followTheBucketRangesWorkedOutByHand() {
    Experiments x = Experiments.fromMap(TWO_LAYERS);

    for (int i = 0; i < 2_000; i++) {
      String key = "user-" + i;
      int b = Experiments.bucket("ranking", key);
      // ranking: context takes buckets 0-499 (control 0-249), diversity 500-799 (control
      // 500-559, tight 560-799), nobody's experiment 800-999.
      String expected =
          b < 250
              ? "context/control"
              : b < 500
                  ? "context/more_context"
                  : b < 560 ? "diversity/control" : b < 800 ? "diversity/tight" : null;
      int e = Experiments.bucket("exploration", key);
      String explore = e < 500 ? "explore/control" : "explore/more";
      List<String> arms =
          x.arms(key).stream().map(a -> a.experiment() + "/" + a.variant()).toList();
      List<String> want = new ArrayList<>();
      if (expected != null) {
        want.add(expected);
      }
      want.add(explore);
      assertThat(arms).as(key).isEqualTo(want);
    }
    assertThat(Experiments.expectedShares(x.experiment("diversity")))
        .containsExactly(Map.entry("control", 0.2), Map.entry("tight", 0.8));
  }

  @Test
  void settings_ofTheArms_combineAcrossLayers() {
    Experiments x = Experiments.fromMap(TWO_LAYERS);
    String key =
        java.util.stream.IntStream.range(0, 10_000)
            .mapToObj(i -> "u" + i)
            .filter(
                k ->
                    Experiments.bucket("ranking", k) >= 250
                        && Experiments.bucket("ranking", k) < 500
                        && Experiments.bucket("exploration", k) >= 500)
            .findFirst()
            .orElseThrow();

    assertThat(Experiments.settings(x.arms(key)))
        .isEqualTo(Experiments.Settings.ranking(0.4, null, 0.2));
  }

  @Test
  void buckets_areBalanced_chiSquare() {
    int n = 200_000;
    long[] counts = new long[Experiments.BUCKETS];
    for (int i = 0; i < n; i++) {
      counts[Experiments.bucket("layer_a", "2088" + (1_000_000 + i))]++;
    }
    double expected = n / (double) Experiments.BUCKETS;
    double chi2 = 0;
    for (long c : counts) {
      chi2 += (c - expected) * (c - expected) / expected;
    }
    // 999 degrees of freedom: the 99.9th percentile is about 1,139.
    assertThat(chi2).isLessThan(1_139);
  }

  @Test
  void layers_splitIndependently_chiSquare() {
    int n = 200_000;
    long[][] table = new long[10][10];
    for (int i = 0; i < n; i++) {
      String key = "5600" + (2_000_000 + i);
      table[Experiments.bucket("layer_a", key) / 100][Experiments.bucket("layer_b", key) / 100]++;
    }
    double chi2 = 0;
    for (int a = 0; a < 10; a++) {
      for (int b = 0; b < 10; b++) {
        double expected = n / 100.0;
        chi2 += (table[a][b] - expected) * (table[a][b] - expected) / expected;
      }
    }
    // 81 degrees of freedom (independence of two 10-way splits): the 99.9th percentile is 124.8.
    assertThat(chi2).isLessThan(124.8);
  }

  @Test
  void roundTrip_throughTheMap_keepsEverything() {
    Experiments x = Experiments.fromMap(TWO_LAYERS);

    assertThat(Experiments.fromMap(x.toMap())).isEqualTo(x);
    assertThat(x.experiment("context").control()).isEqualTo("control");
  }

  @Test
  void fromMap_brokenRules_sayWhereAndWhy() {
    assertInvalid(
        file(
            layer(
                "l",
                experiment(
                    "e",
                    0.5,
                    variant("a", 0.5, Map.of("diversty_cap", 2)),
                    variant("b", 0.5, null)))),
        "layers[0].experiments[0].variants[0].settings.diversty_cap",
        "unknown field (known: bundle_version, context_weight, exploration_share, max_per_category)");
    assertInvalid(
        file(layer("l", experiment("e", 0.5, variant("a", 0.5, null), variant("b", 0.4, null)))),
        "layers[0].experiments[0].variants",
        "the variants' shares add up to 0.9, not 1");
    assertInvalid(
        file(
            layer(
                "l",
                experiment("e", 0.6, variant("a", 0.5, null), variant("b", 0.5, null)),
                experiment("f", 0.5, variant("a", 0.5, null), variant("b", 0.5, null)))),
        "layers[0].experiments[1].traffic",
        "take more than all of its traffic");
    assertInvalid(
        file(
            layer(
                "l",
                experiment(
                    "e",
                    0.5,
                    variant("a", 0.5, null),
                    variant("b", 0.5, Map.of("context_weight", 1)))),
            layer(
                "m",
                experiment(
                    "f",
                    0.5,
                    variant("a", 0.5, null),
                    variant("b", 0.5, Map.of("context_weight", 2))))),
        "layers[1].experiments[0].variants[1].settings.context_weight",
        "varied in layer \"l\" too");
    assertInvalid(
        file(layer("l", experiment("e", 0.0005, variant("a", 0.5, null), variant("b", 0.5, null)))),
        "layers[0].experiments[0].traffic",
        "multiple of 0.001");
    Map<String, Object> badControl =
        experiment("e", 0.5, variant("a", 0.5, null), variant("b", 0.5, null));
    badControl.put("control", "c");
    assertInvalid(file(layer("l", badControl)), "layers[0].experiments[0].control", "\"c\"");
    assertInvalid(
        file(layer("l", experiment("e", 0.5, variant("a", 1.0, null)))),
        "layers[0].experiments[0].variants",
        "at least two variants");
    assertInvalid(
        file(
            layer(
                "l",
                experiment(
                    "e",
                    0.5,
                    variant("a", 0.5, null),
                    variant("b", 0.5, Map.of("bundle_version", 2.5))))),
        "layers[0].experiments[0].variants[1].settings.bundle_version",
        "must be a whole number >= 0");
  }

  static final Map<String, Object> MODELS =
      file(
          layer(
              "ranking",
              experiment(
                  "context",
                  0.5,
                  variant("control", 0.5, null),
                  variant("more_context", 0.5, Map.of("context_weight", 0.4)))),
          layer(
              "model",
              experiment(
                  "new_model",
                  1.0,
                  variant("previous", 0.5, Map.of("bundle_version", 7)),
                  variant("current", 0.5, null))));

  @Test
  void bundleVersion_isASettingOfItsOwnLayer_listed_andKeptApartFromTheRankers() {
    Experiments x = Experiments.fromMap(MODELS);

    assertThat(x.bundleVersions()).containsExactly(7L);
    assertThat(Experiments.fromMap(x.toMap())).isEqualTo(x);
    Experiments.Settings previous = x.arm("new_model", "previous").settings();
    assertThat(previous).isEqualTo(new Experiments.Settings(null, null, null, 7L));
    assertThat(previous.ranker()).isEqualTo(Experiments.Settings.NONE);
    // Combined with another layer's arm: each keeps its own setting.
    assertThat(
            Experiments.settings(
                List.of(x.arm("context", "more_context"), x.arm("new_model", "previous"))))
        .isEqualTo(new Experiments.Settings(0.4, null, null, 7L));
  }

  @Test
  void checkBundleVersions_namesTheVariantOfAVersionThatCannotBeLoaded() {
    Experiments x = Experiments.fromMap(MODELS);

    x.checkBundleVersions(v -> v <= 7, "published: 0..7");
    assertThatThrownBy(() -> x.checkBundleVersions(v -> v < 7, "published: 0..6"))
        .isInstanceOfSatisfying(
            Experiments.InvalidException.class,
            e -> {
              assertThat(e.path())
                  .isEqualTo("layers[1].experiments[0].variants[0].settings.bundle_version");
              assertThat(e.getMessage())
                  .endsWith("bundle version 7 cannot be served side by side: published: 0..6");
            });
  }

  static void assertInvalid(Map<String, Object> m, String path, String message) {
    assertThatThrownBy(() -> Experiments.fromMap(m))
        .isInstanceOfSatisfying(
            Experiments.InvalidException.class,
            e -> {
              assertThat(e.path()).isEqualTo(path);
              assertThat(e.getMessage()).contains(message);
            });
  }
}
