package io.crowdrank.serving.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.ranking.bundle.BundleException;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class BundleHolderTest {
  final FakeSource source = new FakeSource();
  final BundleHolder holder = new BundleHolder(source, "t", b -> {});

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
