package io.crowdrank.ranking.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.ranking.bundle.UserStore.IdType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelBundleTest {
  @Test
  void build_partsShareOneVocabulary_ofItemsAndUsers() {
    // Popularity arrives before its item; the user's home city and interest no item has.
    ModelBundle b =
        TestBundles.version(9, 2)
            .popular("noodles", "alipay", "hangzhou", 1.0)
            .item(
                "noodles",
                "fast_food",
                List.of("food"),
                List.of("alipay"),
                List.of("hangzhou"),
                "active",
                1f,
                0f)
            .user("u1", "2088", null, "lhasa", Map.of("travel", 1f), List.of(), 1f, 0f)
            .segment("fans", null, "u1")
            .build();

    int user = b.users().find(IdType.PAYMENT_ACCOUNT, "2088");
    assertThat(b.version()).isEqualTo(9);
    assertThat(b.catalog().cityName(b.users().homeCity(user))).isEqualTo("lhasa");
    assertThat(b.catalog().city("hangzhou")).isNotEqualTo(b.users().homeCity(user));
    assertThat(b.catalog().verticalName(b.users().interests(user).verticals()[0]))
        .isEqualTo("travel");
    assertThat(b.context().popular("alipay", "hangzhou").items())
        .containsExactly(b.catalog().find("noodles").getAsInt());
    assertThat(b.targeting().userSegments(user)).containsExactly(0);
  }

  @Test
  void build_withoutManifest_fails() {
    assertThatThrownBy(() -> new ModelBundle.Builder(1).build())
        .isInstanceOf(BundleException.class)
        .hasMessage("bundle has no manifest");
  }
}
