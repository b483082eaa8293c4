package io.crowdrank.ranking.bundle;

import static io.crowdrank.format.BundleFormat.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    rows.add(manifest(0));
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

  @Test
  void accept_userVector_codesOfFormat5AndFloatsOfFormat4_loadTheSame() {
    float[] floats = {0.5f, -2f, 1.5f};
    // Format 5, as publish writes it: 2/127 a step (hand-worked: 31.75 → 32, -127, 95.25 → 95).
    ModelBundle.Builder five = new ModelBundle.Builder(1);
    BundleRows.accept(new MapFields(manifest(3)), five);
    BundleRows.accept(
        new MapFields(
            Map.of(
                PART,
                PART_USER,
                ID,
                "u1",
                VECTOR_CODES,
                new byte[] {32, -127, 95},
                VECTOR_SCALE,
                2f / 127f)),
        five);
    // Format 4: the floats, quantised by the service.
    ModelBundle.Builder four = new ModelBundle.Builder(1);
    BundleRows.accept(new MapFields(manifest(3)), four);
    BundleRows.accept(new MapFields(Map.of(PART, PART_USER, ID, "u1", VECTOR, floats)), four);

    for (ModelBundle b : List.of(five.build(), four.build())) {
      UserStore users = b.users();
      int u = users.find(IdType.SHARED_ID, "u1");
      assertThat(users.vector(u))
          .containsExactly(32 * (2f / 127f), -127 * (2f / 127f), 95 * (2f / 127f));
    }
  }

  @Test
  void accept_userVector_codesWithoutScaleOrNotFinite_refusedNamingTheUser() {
    ModelBundle.Builder b = new ModelBundle.Builder(1);

    assertThatThrownBy(
            () ->
                BundleRows.accept(
                    new MapFields(
                        Map.of(PART, PART_USER, ID, "u7", VECTOR_CODES, new byte[] {1, 2})),
                    b))
        .isInstanceOf(BundleException.class)
        .hasMessage("bundle user row u7 has vector codes without a scale");
    assertThatThrownBy(
            () ->
                BundleRows.accept(
                    new MapFields(
                        Map.of(PART, PART_USER, ID, "u8", VECTOR, new float[] {Float.NaN})),
                    b))
        .isInstanceOf(BundleException.class)
        .hasMessage("bundle user row u8: vector component is not finite: NaN");
  }

  private static Map<String, Object> manifest(int dim) {
    return Map.of(
        PART,
        PART_MANIFEST,
        MANIFEST_JSON,
        "{\"format_version\":"
            + FORMAT_VERSION
            + ",\"created_time\":\"2026-12-06T00:00:00Z\",\"time_zone\":\"UTC\","
            + "\"vector_dim\":"
            + dim
            + "}");
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
      return (float[]) row.get(column);
    }

    @Override
    public byte[] bytes(String column) {
      return (byte[]) row.get(column);
    }

    @Override
    public int[] ints(String column) {
      return new int[0];
    }

    @Override
    public Double number(String column) {
      return row.get(column) instanceof Number n ? n.doubleValue() : null;
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
