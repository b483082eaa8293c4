package io.crowdrank.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.format.UserBuckets.Shard;
import org.junit.jupiter.api.Test;

class UserBucketsTest {
  @Test
  void bucket_isNginxHashOfTheKey_moduloBuckets() {
    // crc32 computed apart (Python's zlib.crc32); "123456789" is CRC-32's check value cbf43926.
    // nginx's hash: ((crc32 >> 16) & 0x7fff), here modulo 1024.
    assertThat(UserBuckets.bucket("123456789")).isEqualTo(0x4bf4 % 1024).isEqualTo(1012);
    assertThat(UserBuckets.bucket("2088000000001234")).isEqualTo(898); // crc db82a78d
    assertThat(UserBuckets.bucket("5600001234")).isEqualTo(553); // crc 0229eee9
    assertThat(UserBuckets.bucket("u42")).isEqualTo(646); // crc de86d1de
  }

  @Test
  void shard_ofKey_isWhatNginxPicksAmongShardCountServers() {
    // nginx picks server ((crc32 >> 16) & 0x7fff) % N: 0x4bf4 = 19444, 19444 % 2 = 0, % 8 = 4.
    assertThat(Shard.of("123456789", 2)).isZero();
    assertThat(Shard.of("123456789", 8)).isEqualTo(19444 % 8);
    assertThat(new Shard(4, 8).ownsKey("123456789")).isTrue();
    assertThat(new Shard(0, 8).ownsKey("123456789")).isFalse();
    assertThat(Shard.ALL.ownsKey("anything")).isTrue();
  }

  @Test
  void parse_readsSOfS_andRefusesWithTheForm() {
    assertThat(Shard.parse("1/4")).isEqualTo(new Shard(1, 4));
    assertThat(Shard.parse(" 0/1 ")).isEqualTo(Shard.ALL);
    assertThat(new Shard(3, 4)).hasToString("3/4");
    assertThatThrownBy(() -> Shard.parse("1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("s/S");
    assertThatThrownBy(() -> Shard.parse("a/2")).hasMessageContaining("e.g. 0/2");
    assertThatThrownBy(() -> Shard.parse("2/2")).hasMessageContaining("from 0 to 1 of 2");
    assertThatThrownBy(() -> Shard.parse("0/3")).hasMessageContaining("power of two");
    assertThatThrownBy(() -> Shard.parse("0/2048")).hasMessageContaining("power of two");
  }

  @Test
  void takes_loadsEachUserOnce_fromTheLowestBucketTheShardHolds() {
    // Keys with buckets 1012 (even), 898 (even) and 553 (odd).
    String[] keys = {"123456789", "2088000000001234", "5600001234"};
    Shard even = new Shard(0, 2);
    Shard odd = new Shard(1, 2);
    // Shard 0 holds buckets 898 and 1012: it takes the copy in 898 only.
    assertThat(even.takes(898, keys)).isTrue();
    assertThat(even.takes(1012, keys)).isFalse();
    assertThat(even.takes(553, keys)).isFalse();
    // Shard 1 holds 553.
    assertThat(odd.takes(553, keys)).isTrue();
    assertThat(odd.takes(898, keys)).isFalse();
    // The whole side takes the lowest copy, 553, once.
    assertThat(Shard.ALL.takes(553, keys)).isTrue();
    assertThat(Shard.ALL.takes(898, keys)).isFalse();
    // A row written without a bucket: taken where any of its keys is held.
    assertThat(odd.takes(null, keys)).isTrue();
    assertThat(odd.takes(null, "123456789", null)).isFalse();
    assertThat(Shard.ALL.takes(null, "123456789", null)).isTrue();
  }

  @Test
  void ownsAny_aFileOfBucketsModM_isReadWhereItCanHoldTheShardsBuckets() {
    Shard three = new Shard(3, 8); // buckets 3, 11, 19, ...
    // Files finer than the shards: b % 16 == 11 holds 11, 27, ... all 3 mod 8.
    assertThat(three.ownsAny(16, 11)).isTrue();
    assertThat(three.ownsAny(16, 3)).isTrue();
    assertThat(three.ownsAny(16, 4)).isFalse();
    // Coarser: b % 4 == 3 holds 3, 7, 11, ...: some are this shard's.
    assertThat(three.ownsAny(4, 3)).isTrue();
    assertThat(three.ownsAny(4, 1)).isFalse();
    // One file of every bucket.
    assertThat(three.ownsAny(1, 0)).isTrue();
    // Brute force over every bucket, for every modulus and shard count.
    for (int count = 1; count <= 64; count *= 2) {
      for (int mod = 1; mod <= UserBuckets.BUCKETS; mod *= 2) {
        for (int s = 0; s < count; s++) {
          for (int r = 0; r < mod; r++) {
            boolean any = false;
            for (int b = r; b < UserBuckets.BUCKETS; b += mod) {
              any |= b % count == s;
            }
            assertThat(new Shard(s, count).ownsAny(mod, r)).isEqualTo(any);
          }
        }
      }
    }
  }
}
