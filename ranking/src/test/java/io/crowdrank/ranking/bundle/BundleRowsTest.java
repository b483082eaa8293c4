package io.crowdrank.ranking.bundle;

import static io.crowdrank.format.BundleFormat.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.format.UserBuckets.Shard;
import io.crowdrank.ranking.bundle.UserStore.IdType;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

class BundleRowsTest {
  /** Users u0..u59 with a payment account p<i>, and a social account s<i> for even i. */
  static final int USERS = 60;

  @Test
  void accept_userCopiesPerBucket_eachShardLoadsItsUsersOnce() {
    List<Map<String, Object>> rows = new ArrayList<>();
    rows.add(
        Map.of(
            PART,
            PART_MANIFEST,
            MANIFEST_JSON,
            "{\"format_version\":"
                + FORMAT_VERSION
                + ",\"created_time\":\"2026-12-06T00:00:00Z\",\"time_zone\":\"UTC\","
                + "\"vector_dim\":0}"));
    for (int i = 0; i < USERS; i++) {
      // One copy per distinct bucket of the user's keys, as publish writes them.
      for (int bucket : new TreeSet<>(bucketsOf(keys(i)))) {
        Map<String, Object> r = new HashMap<>();
        r.put(PART, PART_USER);
        r.put(ID, "u" + i);
        r.put(PAYMENT_ACCOUNT, "p" + i);
        if (i % 2 == 0) {
          r.put(SOCIAL_ACCOUNT, "s" + i);
        }
        r.put(CITY, "hangzhou");
        r.put(BUCKET, bucket);
        rows.add(r);
      }
    }

    for (Shard shard : List.of(Shard.ALL, new Shard(0, 2), new Shard(1, 2), new Shard(3, 4))) {
      ModelBundle.Builder b = new ModelBundle.Builder(1);
      b.shard(shard);
      rows.forEach(r -> BundleRows.accept(new MapFields(r), b));
      ModelBundle bundle = b.build();

      // Expected apart from UserBuckets: nginx's ((crc32 >> 16) & 0x7fff) % count per key.
      int expected = 0;
      for (int i = 0; i < USERS; i++) {
        boolean held = false;
        for (String key : keys(i)) {
          boolean mine = nginxServer(key, shard.count()) == shard.index();
          held |= mine;
          IdType kind =
              key.startsWith("u")
                  ? IdType.SHARED_ID
                  : key.startsWith("p") ? IdType.PAYMENT_ACCOUNT : IdType.SOCIAL_ACCOUNT;
          if (mine) {
            assertThat(bundle.users().find(kind, key)).as("%s on %s", key, shard).isNotNegative();
          }
        }
        expected += held ? 1 : 0;
      }
      assertThat(bundle.users().count()).as("users of %s", shard).isEqualTo(expected);
      assertThat(bundle.shard()).isEqualTo(shard);
    }
  }

  private static List<String> keys(int i) {
    return i % 2 == 0 ? List.of("u" + i, "p" + i, "s" + i) : List.of("u" + i, "p" + i);
  }

  private static List<Integer> bucketsOf(List<String> keys) {
    return keys.stream().map(k -> (int) ((crc32(k) >>> 16) & 0x7fff) % 1024).toList();
  }

  private static int nginxServer(String key, int servers) {
    return (int) (((crc32(key) >>> 16) & 0x7fff) % servers);
  }

  private static long crc32(String s) {
    CRC32 c = new CRC32();
    c.update(s.getBytes(StandardCharsets.UTF_8));
    return c.getValue();
  }

  /** A bundle row as a map of column to value; absent columns read as null. */
  private record MapFields(Map<String, Object> row) implements BundleRows.Fields {
    @Override
    public String string(String column) {
      return (String) row.get(column);
    }

    @Override
    public List<String> strings(String column) {
      return List.of();
    }

    @Override
    public float[] floats(String column) {
      return null;
    }

    @Override
    public int[] ints(String column) {
      return new int[0];
    }

    @Override
    public Double number(String column) {
      return null;
    }

    @Override
    public Integer integer(String column) {
      return (Integer) row.get(column);
    }

    @Override
    public Instant time(String column) {
      return null;
    }
  }
}
