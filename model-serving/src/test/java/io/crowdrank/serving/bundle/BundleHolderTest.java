package io.crowdrank.serving.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.ranking.RankingConfig;
import io.crowdrank.ranking.bundle.BundleException;
import io.crowdrank.ranking.bundle.TestBundles;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class BundleHolderTest {
  final FakeSource source = new FakeSource();
  final BundleHolder holder =
      new BundleHolder(
          source, "t", b -> {}, BundleHolder.WarmUp.searches(RankingConfig.DEFAULT_ANN_CANDIDATES));

  private long served() {
    return holder.current().orElseThrow().version();
  }

  @Test
  void refresh_followsPublishes() {
    assertThat(holder.refresh()).isFalse();
    source.publish();
    assertThat(holder.refresh()).isTrue();
    source.publish();
    holder.refresh();

    assertThat(served()).isEqualTo(1);
    assertThat(holder.refresh()).isFalse();
  }

  @Test
  void warmUp_searchesForEveryStrideOfUsersWithVectors_withinItsCountAndBudget() {
    var b =
        TestBundles.version(0, 2)
            .item("coffee", "coffee_tea", List.of("alipay"), List.of(), 1f, 0f)
            .item("travel", "travel", List.of("alipay"), List.of(), 0f, 1f);
    for (int u = 0; u < 10; u++) {
      // Users 0, 3, 6 and 9 (by id, not by place in the store) have no vector.
      b =
          u % 3 == 0
              ? b.user("u" + u, "p" + u, null, null)
              : b.user("u" + u, "p" + u, null, null, 1f, u);
    }
    var bundle = b.build();
    int withVectors = 0;
    for (int u = 0; u < bundle.users().count(); u++) {
      withVectors += bundle.users().hasVector(u) ? 1 : 0;
    }
    Duration minute = Duration.ofMinutes(1);

    assertThat(withVectors).isEqualTo(6);
    assertThat(BundleHolder.warmUp(bundle, 50, 100, minute)).isEqualTo(6);
    // Every 10 / 4 = 2nd user of the store, of which those with a vector, at most 4 searches.
    int everySecond = 0;
    for (int u = 0; u < bundle.users().count(); u += 2) {
      everySecond += bundle.users().hasVector(u) ? 1 : 0;
    }
    assertThat(BundleHolder.warmUp(bundle, 50, 4, minute)).isEqualTo(Math.min(4, everySecond));
    assertThat(BundleHolder.warmUp(bundle, 50, 100, Duration.ZERO)).isZero();
  }

  @Test
  void firstBundle_isServedDuringTheWarmUpCalls_andReadyOnlyAfterThem_swapsRunNone() {
    List<String> seen = new java.util.ArrayList<>();
    BundleHolder[] self = new BundleHolder[1];
    self[0] =
        new BundleHolder(
            source,
            "t",
            b -> seen.add("swapped to " + b.version() + ", ready " + self[0].ready()),
            new BundleHolder.WarmUp(
                RankingConfig.DEFAULT_ANN_CANDIDATES,
                b ->
                    seen.add(
                        "warm-up calls on "
                            + b.version()
                            + ", serving "
                            + self[0].current().orElseThrow().version()
                            + ", ready "
                            + self[0].ready())));
    assertThat(self[0].ready()).isFalse();
    source.publish();
    self[0].refresh();
    source.publish();
    self[0].refresh();

    assertThat(seen)
        .containsExactly(
            "warm-up calls on 0, serving 0, ready false",
            "swapped to 0, ready true",
            "swapped to 1, ready true");
  }

  static String onVersion(long version) {
    return """
        {"layers": [{"id": "model", "experiments": [{"id": "new_model", "traffic": 1.0,
          "variants": [{"id": "current", "share": 0.5},
                       {"id": "previous", "share": 0.5, "settings": {"bundle_version": %d}}]}]}]}
        """
        .formatted(version);
  }

  @Test
  void refresh_loadsTheVersionsExperimentsRankOn_besideTheBundle_keepingOnesAlreadyServed() {
    source.publish(); // 0
    holder.refresh();
    source.publish(onVersion(0)); // 1, with a variant on 0
    holder.refresh();

    ServedBundles served = holder.served().orElseThrow();
    assertThat(served.bundle().version()).isEqualTo(1);
    assertThat(served.rankOn(0L).version()).isZero();
    assertThat(served.rankOn(null).version()).isEqualTo(1);
    assertThat(source.reads).containsExactly(0L, 1L); // 0 was served already: kept, not read

    source.publish(onVersion(0)); // 2, still against 0
    holder.refresh();
    assertThat(holder.served().orElseThrow().rankOn(0L)).isSameAs(served.rankOn(0L));
    assertThat(source.reads).containsExactly(0L, 1L, 2L);

    source.publish(); // 3, the experiment is over
    holder.refresh();
    assertThat(holder.served().orElseThrow().sideBySide()).isEmpty();
  }

  @Test
  void refresh_whenAVersionAVariantRanksOnCannotBeRead_keepsServingTheCurrentBundle() {
    source.publish(); // 0
    source.publish(); // 1
    holder.refresh();
    source.lose(0);
    source.publish(onVersion(0)); // 2

    assertThatThrownBy(holder::refresh)
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("bundle version 2 is not served")
        .hasMessageContaining("rank some users on version 0, which cannot be read");
    assertThat(served()).isEqualTo(1);
  }

  @Test
  void rollback_servesThePreviousVersion_andHoldsUntilANewerPublish() {
    source.publish();
    holder.refresh();
    source.publish();
    source.publish();
    holder.refresh(); // 0 -> 2

    holder.rollback(OptionalLong.empty());
    assertThat(served()).isZero();
    assertThat(holder.refresh()).isFalse(); // the watcher leaves 1 and 2 alone
    assertThat(served()).isZero();

    source.publish(); // 3
    holder.refresh();
    assertThat(served()).isEqualTo(3);
  }

  @Test
  void rollback_toAVersion_andReloadEndsIt() {
    for (int i = 0; i < 4; i++) {
      source.publish();
    }
    holder.refresh(); // 3

    holder.rollback(OptionalLong.of(1));
    assertThat(served()).isEqualTo(1);
    holder.reload();
    assertThat(served()).isEqualTo(3);
  }

  @Test
  void rollback_withoutAnEarlierVersion_orOfAMissingOne_isRefused_andServingGoesOn() {
    assertThatThrownBy(() -> holder.rollback(OptionalLong.empty()))
        .hasMessageContaining("nothing is served yet");
    source.publish();
    holder.refresh();

    assertThatThrownBy(() -> holder.rollback(OptionalLong.empty()))
        .hasMessageContaining("there is no earlier version");
    assertThatThrownBy(() -> holder.rollback(OptionalLong.of(9)))
        .isInstanceOf(BundleException.class);
    assertThat(served()).isZero();
  }
}
