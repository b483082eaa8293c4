package io.crowdrank.format;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Which replicas hold a user: every user key (an account id exactly as a host app sends it in a
 * request, or the shared id) falls into one of {@link #BUCKETS} buckets, and shard {@code s} of
 * {@code S} holds the buckets {@code b} with {@code b % S == s}.
 *
 * <p>The bucket is {@code ((crc32(key) >>> 16) & 0x7fff) % 1024}, over the key's UTF-8 bytes:
 * nginx's {@code hash $http_x_user_key} (without {@code consistent}) picks upstream server {@code
 * ((crc32(key) >>> 16) & 0x7fff) % N} among N equal servers, so with the shards listed in order and
 * N a power of two, nginx sends a key to exactly the shard holding its bucket. The 1,024 buckets
 * are fixed by the bundle, so doubling S splits each shard's buckets between it and one new shard;
 * no other user moves. ({@code consistent} would place keys by hashes of the servers' addresses,
 * which {@code publish} cannot know.)
 *
 * <p>{@code publish} writes a user's row once into the bucket of each of its keys (so that a
 * request by any of its accounts finds it where the proxy sends it); a replica takes the copy in
 * the lowest bucket it holds ({@link Shard#takes}).
 */
public final class UserBuckets {
  private UserBuckets() {}

  /** The number of buckets; a shard count must divide it. */
  public static final int BUCKETS = 1024;

  /**
   * The gRPC metadata key a host app sets to the user's key (the account id of its request) so that
   * the proxy routes the call to that user's shard.
   */
  public static final String ROUTING_HEADER = "x-user-key";

  /** The response header a sharded replica answers with: its shard, as {@code s/S}. */
  public static final String SHARD_HEADER = "crowdrank-shard";

  /** The key's bucket, in [0, {@link #BUCKETS}). */
  public static int bucket(String key) {
    CRC32 crc = new CRC32();
    crc.update(key.getBytes(StandardCharsets.UTF_8));
    return (int) (((crc.getValue() >>> 16) & 0x7fff) % BUCKETS);
  }

  /**
   * One shard of a sharded deployment: shard {@code index} of {@code count}, or {@link #ALL}.
   *
   * @param index the shard, 0 to count - 1
   * @param count the number of shards, a power of two from 1 to {@link #BUCKETS}
   */
  public record Shard(int index, int count) {
    /** The whole user side: one shard of one. */
    public static final Shard ALL = new Shard(0, 1);

    public Shard {
      if (count < 1 || count > BUCKETS || Integer.bitCount(count) != 1) {
        throw new IllegalArgumentException(
            "shard count must be a power of two from 1 to " + BUCKETS + ", got " + count);
      }
      if (index < 0 || index >= count) {
        throw new IllegalArgumentException(
            "shard must be from 0 to " + (count - 1) + " of " + count + ", got " + index);
      }
    }

    /** Parses {@code s/S}, e.g. {@code 0/2}. */
    public static Shard parse(String text) {
      String[] parts = text.trim().split("/", -1);
      try {
        if (parts.length == 2) {
          return new Shard(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(
          "shard must be written s/S (this shard, of how many), e.g. 0/2; got '" + text + "'");
    }

    public boolean owns(int bucket) {
      return bucket % count == index;
    }

    /**
     * Whether any bucket {@code b} with {@code b % modulus == remainder} is this shard's: the test
     * for a file of user rows (both powers of two, so they agree modulo the smaller).
     */
    public boolean ownsAny(int modulus, int remainder) {
      int m = Math.min(modulus, count);
      return remainder % m == index % m;
    }

    /** Whether this shard holds the user (or unknown user) with this key. */
    public boolean ownsKey(String key) {
      return count == 1 || owns(bucket(key));
    }

    /** The shard a key's requests belong to. */
    public static int of(String key, int count) {
      return bucket(key) % count;
    }

    /**
     * Whether this shard loads a user row: it holds one of the user's keys and, where the row is
     * one of the copies {@code publish} writes per bucket ({@code rowBucket} not null), the row is
     * the copy in the lowest of those buckets it holds, so that each user is loaded once.
     *
     * @param rowBucket the row's bucket, or null for a row written without one
     * @param keys the user's keys; null entries are skipped
     */
    public boolean takes(Integer rowBucket, String... keys) {
      int lowest = Integer.MAX_VALUE;
      for (String key : keys) {
        if (key != null) {
          int b = bucket(key);
          if (owns(b)) {
            lowest = Math.min(lowest, b);
          }
        }
      }
      return lowest != Integer.MAX_VALUE && (rowBucket == null || rowBucket == lowest);
    }

    @Override
    public String toString() {
      return index + "/" + count;
    }
  }
}
