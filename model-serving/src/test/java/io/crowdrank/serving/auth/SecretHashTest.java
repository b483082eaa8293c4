package io.crowdrank.serving.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SecretHashTest {
  /** SHA-256("abc"), from FIPS 180-2, appendix B.1. */
  static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

  @Test
  void of_isTheSha256OfTheSecretInLowerCaseHex() {
    assertThat(SecretHash.of("abc").hex()).isEqualTo(ABC);
    assertThat(SecretHash.of("abc")).isEqualTo(SecretHash.parse(ABC, "test"));
  }

  @Test
  void matches_onlyTheSecretItself() {
    SecretHash h = SecretHash.parse(ABC, "test");
    assertThat(h.matches("abc")).isTrue();
    assertThat(h.matches("abd")).isFalse();
    assertThat(h.matches("")).isFalse();
    assertThat(h.matches(null)).isFalse();
  }

  @Test
  void parse_refusesAnythingButSixtyFourLowerCaseHexDigits_namingWhose() {
    assertThatThrownBy(() -> SecretHash.parse(ABC.toUpperCase(), "token hash of m1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("token hash of m1 must be 64 lower-case hex digits (sha256sum of the secret)");
    assertThatThrownBy(() -> SecretHash.parse(ABC.substring(1), "admin key hash"))
        .hasMessageStartingWith("admin key hash must be 64");
    assertThatThrownBy(() -> SecretHash.parse(null, "x")).hasMessageStartingWith("x must be");
  }
}
