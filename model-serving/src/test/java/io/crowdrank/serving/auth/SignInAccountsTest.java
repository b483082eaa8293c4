package io.crowdrank.serving.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SignInAccountsTest {
  @Test
  void verify_acceptsOnlyTheIdsOwnSecret() {
    SignInAccounts a =
        SignInAccounts.of(
            Map.of("m1", ApiKeys.sha256("t1"), "m2", ApiKeys.sha256("t2")), "merchant");

    assertThat(a.verify("m1", "t1")).isTrue();
    assertThat(a.verify("m1", "t2")).isFalse();
    assertThat(a.verify("m3", "t1")).isFalse();
    assertThat(a.verify("m1", "")).isFalse();
    assertThat(a.verify("m1", null)).isFalse();
  }

  @Test
  void of_refusesPlainTokens() {
    assertThatThrownBy(() -> SignInAccounts.of(Map.of("m1", "plain"), "merchant"))
        .hasMessageContaining("64 lower-case hex digits");
  }

  @Test
  void sessions_areRandomAndClosable() {
    Sessions s = new Sessions(Duration.ofHours(1), 10);
    String a = s.open("m1");
    String b = s.open("m1");

    assertThat(a).isNotEqualTo(b).hasSizeGreaterThanOrEqualTo(40);
    assertThat(s.who(a)).contains("m1");
    s.close(a);
    assertThat(s.who(a)).isEmpty();
    assertThat(s.who(null)).isEmpty();
  }
}
