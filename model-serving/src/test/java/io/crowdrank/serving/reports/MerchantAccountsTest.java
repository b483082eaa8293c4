package io.crowdrank.serving.reports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.serving.auth.ApiKeys;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MerchantAccountsTest {
  @Test
  void verify_acceptsOnlyTheMerchantsOwnToken() {
    MerchantAccounts a =
        MerchantAccounts.of(Map.of("m1", ApiKeys.sha256("t1"), "m2", ApiKeys.sha256("t2")));

    assertThat(a.verify("m1", "t1")).isTrue();
    assertThat(a.verify("m1", "t2")).isFalse();
    assertThat(a.verify("m3", "t1")).isFalse();
    assertThat(a.verify("m1", "")).isFalse();
    assertThat(a.verify("m1", null)).isFalse();
  }

  @Test
  void of_refusesPlainTokens() {
    assertThatThrownBy(() -> MerchantAccounts.of(Map.of("m1", "plain")))
        .hasMessageContaining("64 lower-case hex digits");
  }

  @Test
  void sessions_areRandomAndClosable() {
    Sessions s = new Sessions(Duration.ofHours(1), 10);
    String a = s.open("m1");
    String b = s.open("m1");

    assertThat(a).isNotEqualTo(b).hasSizeGreaterThanOrEqualTo(40);
    assertThat(s.merchant(a)).contains("m1");
    s.close(a);
    assertThat(s.merchant(a)).isEmpty();
    assertThat(s.merchant(null)).isEmpty();
  }
}
