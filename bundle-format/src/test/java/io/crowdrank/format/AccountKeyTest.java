package io.crowdrank.format;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AccountKeyTest {
  @Test
  void of_isFnv1a64_asPublished() {
    // Test vectors of the FNV reference (Fowler, Noll, Vo: "FNV-1a 64-bit").
    assertThat(AccountKey.of("")).isEqualTo(0xcbf29ce484222325L);
    assertThat(AccountKey.of("a")).isEqualTo(0xaf63dc4c8601ec8cL);
    assertThat(AccountKey.of("foobar")).isEqualTo(0x85944171f73967e8L);
  }

  @Test
  void of_hashesUtf8Bytes_notChars() {
    // "é" is two UTF-8 bytes: FNV-1a over 0xc3 then 0xa9.
    long h = 0xcbf29ce484222325L;
    for (int b : new int[] {0xc3, 0xa9}) {
      h ^= b;
      h *= 0x100000001b3L;
    }
    assertThat(AccountKey.of("é")).isEqualTo(h);
  }
}
