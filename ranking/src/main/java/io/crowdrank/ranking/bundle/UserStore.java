package io.crowdrank.ranking.bundle;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableMap;
import io.crowdrank.format.AccountKey;
import io.crowdrank.format.QuantizedVector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The users of a bundle, laid out for ranking: dense arrays by user index, flattened factor
 * vectors, home cities and social interests, and the lookup of every account kind a host app may
 * identify a user by. Users are ordered by the 64-bit key of their shared id ({@link AccountKey}),
 * so that the keys' array is both each user's key and, by bisection, the lookup of shared ids; the
 * payment and social accounts are their keys sorted beside their users (12 bytes per account, where
 * a map of strings took about 120). Vectors are kept as int8 codes with a scale per user ({@link
 * QuantizedVector}).
 */
public final class UserStore {
  /** A user account kind a host app may identify a user by. */
  public enum IdType {
    PAYMENT_ACCOUNT,
    SOCIAL_ACCOUNT,
    SHARED_ID
  }

  /** An account a host app may name a user by. */
  public record Account(IdType type, String id) {}

  /** The most accounts {@link #sample} holds. */
  public static final int SAMPLE = 2048;

  /** {@link #homeCity} of a user without one; cities are indexes below it. */
  private static final char NO_CITY = Character.MAX_VALUE;

  private final int dim;

  /**
   * Each user's shared-id key ({@link AccountKey}): the user's identity across account kinds,
   * ascending (the users' order), each key once.
   */
  private final long[] sharedKeys;

  /** The home city's index in the catalog's cities, or {@link #NO_CITY}. */
  private final char[] homeCity;

  /** Vectors as int8 codes, {@code dim} per user, each user's scaled by {@link #scales}. */
  private final byte[] codes;

  /** The step of each user's codes; NaN for a user without a vector. */
  private final float[] scales;

  private final UserInterests[] interests;

  /** Payment and social accounts (shared ids are {@link #sharedKeys}). */
  private final Map<IdType, Accounts> byAccount;

  private final List<Account> sample;

  /**
   * @param dim the manifest's vector dimension
   * @param cities the catalog's cities (every user's home city among them)
   * @param verticals the catalog's verticals (every user's interests among them)
   */
  static UserStore of(int dim, List<ModelBundle.UserRow> rows, Names cities, Names verticals) {
    Builder b = new Builder();
    rows.forEach(b::add);
    return b.build(dim, cities, verticals);
  }

  private UserStore(
      int dim,
      long[] sharedKeys,
      char[] homeCity,
      byte[] codes,
      float[] scales,
      UserInterests[] interests,
      Map<IdType, Accounts> byAccount,
      List<Account> sample) {
    this.dim = dim;
    this.sharedKeys = sharedKeys;
    this.homeCity = homeCity;
    this.codes = codes;
    this.scales = scales;
    this.interests = interests;
    this.byAccount = byAccount;
    this.sample = sample;
  }

  /**
   * Accounts of up to {@link #SAMPLE} users spread evenly over the order the bundle listed them
   * (each by its payment account, else its social account, else its shared id): known users for a
   * replica's warm-up calls to itself, the only place the store keeps an account as text.
   */
  public List<Account> sample() {
    return sample;
  }

  /**
   * Takes users one row at a time into arrays in the order they come, so that a load holds a user's
   * row only while it is added (at 10 M users the rows themselves would take more heap than the
   * store). Home cities and interests are numbered as they arrive and mapped to the catalog's
   * vocabulary at {@link #build}, which also puts the users in the order of their shared ids' keys
   * ({@link #newIndex}); the vectors' length is the first vector's (the manifest, which says it,
   * may come later) and is checked against the manifest's at {@link #build}.
   */
  static final class Builder {
    private int dim = -1;
    private String firstWithVector;
    private int n;
    private int[] homeCity = new int[1024];
    private byte[] codes = new byte[0];
    private float[] scales = new float[1024];
    private UserInterests[] interests = new UserInterests[1024];
    private final Names.Seen cities = new Names.Seen();
    private final Names.Seen verticals = new Names.Seen();
    private final Map<IdType, Accounts.Builder> accounts = new EnumMap<>(IdType.class);
    private int[] newIndex;

    /** Every {@code sampleStride}-th user added, halved each time it would outgrow SAMPLE. */
    private final List<Account> sample = new ArrayList<>();

    private int sampleStride = 1;

    Builder() {
      for (IdType t : IdType.values()) {
        accounts.put(t, new Accounts.Builder(t, 1024));
      }
    }

    /** Adds the user as the next of the order they come in, which it returns. */
    int add(ModelBundle.UserRow row) {
      if (n == homeCity.length) {
        int size = Math.addExact(n, n / 2); // by half: less to spare at the peak than doubling
        homeCity = Arrays.copyOf(homeCity, size);
        codes = Arrays.copyOf(codes, Math.multiplyExact(size, Math.max(dim, 0)));
        scales = Arrays.copyOf(scales, size);
        interests = Arrays.copyOf(interests, size);
      }
      int u = n;
      homeCity[u] = row.city() == null ? -1 : cities.id(row.city());
      scales[u] = Float.NaN;
      QuantizedVector v = row.vector();
      if (v != null) {
        if (dim < 0) {
          dim = v.dim();
          firstWithVector = row.id();
          codes = new byte[Math.multiplyExact(homeCity.length, dim)];
        }
        if (v.dim() != dim) {
          throw new BundleException(
              "user "
                  + row.id()
                  + " has a vector of length "
                  + v.dim()
                  + ", user "
                  + firstWithVector
                  + " one of "
                  + dim);
        }
        v.copyCodesInto(codes, u * dim);
        scales[u] = v.scale();
      }
      if (row.interestShares().length != row.interests().size()) {
        throw new BundleException(
            "user " + row.id() + " has interests and shares of unequal length");
      }
      interests[u] =
          row.interests().isEmpty()
              ? UserInterests.NONE
              : new UserInterests(
                  row.interests().stream().mapToInt(verticals::id).toArray(), row.interestShares());
      accounts.get(IdType.SHARED_ID).add(row.id(), u);
      if (row.paymentAccount() != null) {
        accounts.get(IdType.PAYMENT_ACCOUNT).add(row.paymentAccount(), u);
      }
      if (row.socialAccount() != null) {
        accounts.get(IdType.SOCIAL_ACCOUNT).add(row.socialAccount(), u);
      }
      if (u % sampleStride == 0) {
        if (sample.size() == SAMPLE) {
          // Keep every other one, and take every other one from now on: still evenly spread.
          for (int i = 0; i < SAMPLE / 2; i++) {
            sample.set(i, sample.get(2 * i));
          }
          sample.subList(SAMPLE / 2, SAMPLE).clear();
          sampleStride *= 2;
        }
        if (u % sampleStride == 0) {
          sample.add(
              row.paymentAccount() != null
                  ? new Account(IdType.PAYMENT_ACCOUNT, row.paymentAccount())
                  : row.socialAccount() != null
                      ? new Account(IdType.SOCIAL_ACCOUNT, row.socialAccount())
                      : new Account(IdType.SHARED_ID, row.id()));
        }
      }
      n++;
      return u;
    }

    /** The home cities seen so far, for the bundle's vocabulary. */
    List<String> cities() {
      return cities.names();
    }

    /** The interest verticals seen so far, for the bundle's vocabulary. */
    List<String> verticals() {
      return verticals.names();
    }

    /**
     * After {@link #build}: for each user in the order added, its index in the store; -1 for a user
     * left out (its shared id came again later).
     */
    int[] newIndex() {
      Preconditions.checkState(newIndex != null, "users not built yet");
      return newIndex;
    }

    /**
     * Once: the collected arrays are let go as they are laid out. Each is read in the order the
     * users were added and written at the user's place in the store (reading in the store's order
     * instead costs a cache miss per user and array: seconds at 10 M users).
     *
     * @param cityNames the catalog's cities, every user's home city among them
     * @param verticalNames the catalog's verticals, every user's interests among them
     */
    UserStore build(int vectorDim, Names cityNames, Names verticalNames) {
      Preconditions.checkState(newIndex == null, "users already built");
      if (dim >= 0 && dim != vectorDim) {
        throw new BundleException(
            "user "
                + firstWithVector
                + " has a vector of length "
                + dim
                + ", manifest says "
                + vectorDim);
      }
      if (cityNames.size() >= NO_CITY) {
        throw new BundleException(
            "the catalog has "
                + cityNames.size()
                + " cities; a bundle holds at most "
                + (NO_CITY - 1));
      }
      // Users by their shared id's key: the last of a shared id given twice kept.
      Accounts.Builder shared = accounts.remove(IdType.SHARED_ID);
      int[] kept = shared.kept();
      int m = kept.length;
      long[] keys = new long[m];
      newIndex = new int[n];
      Arrays.fill(newIndex, -1);
      for (int x = 0; x < m; x++) {
        keys[x] = shared.keys[kept[x]];
        newIndex[shared.users[kept[x]]] = x;
      }
      // One array at a time, each let go once laid out, so that the load's peak holds one spare
      // array (at 10 M users the codes alone are 640 MB).
      int[] city = cities.in(cityNames);
      char[] home = new char[m];
      for (int c = 0; c < n; c++) {
        if (newIndex[c] >= 0) {
          home[newIndex[c]] = homeCity[c] < 0 ? NO_CITY : (char) city[homeCity[c]];
        }
      }
      homeCity = null;
      int[] vertical = verticals.in(verticalNames);
      UserInterests[] mapped = new UserInterests[m];
      for (int c = 0; c < n; c++) {
        UserInterests i = interests[c];
        if (newIndex[c] < 0) {
          continue;
        }
        if (!i.isEmpty()) {
          int[] v = i.verticals();
          for (int y = 0; y < v.length; y++) {
            v[y] = vertical[v[y]];
          }
          i = new UserInterests(v, i.shares());
        }
        mapped[newIndex[c]] = i;
      }
      interests = null;
      int d = Math.max(dim, 0);
      byte[] vectors = new byte[Math.multiplyExact(m, d)];
      float[] scale = new float[m];
      for (int c = 0; c < n; c++) {
        if (newIndex[c] >= 0) {
          System.arraycopy(codes, c * d, vectors, newIndex[c] * d, d);
          scale[newIndex[c]] = scales[c];
        }
      }
      codes = null;
      scales = null;
      ImmutableMap.Builder<IdType, Accounts> byAccount = ImmutableMap.builder();
      for (IdType t : List.of(IdType.PAYMENT_ACCOUNT, IdType.SOCIAL_ACCOUNT)) {
        byAccount.put(t, accounts.remove(t).build(newIndex));
      }
      return new UserStore(
          vectorDim, keys, home, vectors, scale, mapped, byAccount.build(), List.copyOf(sample));
    }
  }

  public int count() {
    return sharedKeys.length;
  }

  /**
   * The user's index, or -1 if no user has this account, found by the account's key (see {@link
   * AccountKey} for the odds of a false match).
   */
  public int find(IdType type, String account) {
    long key = AccountKey.of(account);
    if (type == IdType.SHARED_ID) {
      int at = Arrays.binarySearch(sharedKeys, key);
      return at < 0 ? -1 : at;
    }
    return byAccount.get(type).find(key);
  }

  /** One account kind: keys ascending, each beside its user. */
  static final class Accounts {
    private final long[] keys;
    private final int[] users;

    private Accounts(long[] keys, int[] users) {
      this.keys = keys;
      this.users = users;
    }

    int find(long key) {
      int at = Arrays.binarySearch(keys, key);
      return at < 0 ? -1 : users[at];
    }

    /**
     * Collects (account, user) pairs; an account given twice keeps its last user. Keeps each
     * account's {@link String#hashCode} beside its key, not the account, so that two accounts
     * sharing a key are told from one account given twice without holding every account string.
     */
    static final class Builder {
      private final IdType type;
      private final java.util.function.ToLongFunction<String> keyOf;
      private long[] keys;
      private int[] users;
      private int[] checks;
      private int n;

      Builder(IdType type, int expected) {
        this(type, expected, AccountKey::of);
      }

      /** With another key function: tests make keys collide with it. */
      Builder(IdType type, int expected, java.util.function.ToLongFunction<String> keyOf) {
        this.type = type;
        this.keyOf = keyOf;
        keys = new long[Math.max(expected, 1)];
        users = new int[keys.length];
        checks = new int[keys.length];
      }

      /** Adds the pair; returns the account's key. */
      long add(String account, int user) {
        if (n == keys.length) {
          keys = Arrays.copyOf(keys, n + n / 2 + 1);
          users = Arrays.copyOf(users, n + n / 2 + 1);
          checks = Arrays.copyOf(checks, n + n / 2 + 1);
        }
        keys[n] = keyOf.applyAsLong(account);
        users[n] = user;
        checks[n] = account.hashCode();
        return keys[n++];
      }

      /**
       * Positions 0..n-1 ordered by key (signed), then position: a least-significant-digit radix
       * sort of the keys beside their positions, a byte a pass, stable. At 10 M accounts a merge
       * sort comparing through the positions took a tenth of the load, and one of keys beside
       * positions still 24 passes with a mispredicted branch a comparison.
       */
      private int[] sortedByKey() {
        long[] k = Arrays.copyOf(keys, n);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
          order[i] = i;
        }
        long[] kTo = new long[n];
        int[] oTo = new int[n];
        int[] count = new int[257];
        for (int shift = 0; shift < Long.SIZE; shift += Byte.SIZE) {
          // The top byte with its sign bit flipped: negative keys first.
          int flip = shift == Long.SIZE - Byte.SIZE ? 0x80 : 0;
          Arrays.fill(count, 0);
          for (int i = 0; i < n; i++) {
            count[digit(k[i], shift, flip) + 1]++;
          }
          if (n == 0 || count[digit(k[0], shift, flip) + 1] == n) {
            continue; // every key has this byte: the pass would not move anything
          }
          for (int d = 0; d < 256; d++) {
            count[d + 1] += count[d];
          }
          for (int i = 0; i < n; i++) {
            int at = count[digit(k[i], shift, flip)]++;
            kTo[at] = k[i];
            oTo[at] = order[i];
          }
          long[] kSwap = k;
          k = kTo;
          kTo = kSwap;
          int[] oSwap = order;
          order = oTo;
          oTo = oSwap;
        }
        return order;
      }

      private static int digit(long key, int shift, int flip) {
        return ((int) (key >>> shift) & 0xFF) ^ flip;
      }

      /**
       * The positions of the pairs to keep, by key ascending: of an account given twice, the last.
       *
       * @throws BundleException if two different accounts share a key (publish refuses such a
       *     bundle, so this one was not made by publish)
       */
      int[] kept() {
        // Sorted by key, ties by order added, so the last of an account's users is kept.
        int[] order = sortedByKey();
        int out = 0;
        for (int x = 0; x < n; x++) {
          int i = order[x];
          if (out > 0 && keys[order[out - 1]] == keys[i]) {
            int previous = order[out - 1];
            if (checks[previous] != checks[i]) {
              throw new BundleException(
                  "bundle "
                      + type
                      + " accounts of users "
                      + users[previous]
                      + " and "
                      + users[i]
                      + " differ but share the key "
                      + Long.toHexString(keys[i])
                      + ": publish refuses such a bundle");
            }
            order[out - 1] = i;
            continue;
          }
          order[out++] = i;
        }
        return Arrays.copyOf(order, out);
      }

      /**
       * @param newIndex each user's index in the store, -1 for a user left out; null: as added
       */
      Accounts build(int[] newIndex) {
        int[] kept = kept();
        long[] k = new long[kept.length];
        int[] u = new int[kept.length];
        int out = 0;
        for (int i : kept) {
          int user = newIndex == null ? users[i] : newIndex[users[i]];
          if (user >= 0) {
            k[out] = keys[i];
            u[out] = user;
            out++;
          }
        }
        return new Accounts(Arrays.copyOf(k, out), Arrays.copyOf(u, out));
      }
    }
  }

  /**
   * The key of the user's shared id: the same for every account of the user and across bundle
   * versions, so it can key what is kept about a person between requests.
   */
  public long sharedKey(int user) {
    return sharedKeys[user];
  }

  /** The home city's index in the catalog's cities, or -1. */
  public int homeCity(int user) {
    char c = homeCity[user];
    return c == NO_CITY ? -1 : c;
  }

  public boolean hasVector(int user) {
    return !Float.isNaN(scales[user]);
  }

  /**
   * The user's factor vector, from its int8 codes: each component within half a step (the largest
   * component's magnitude / 254) of the published float.
   */
  public float[] vector(int user) {
    Preconditions.checkArgument(hasVector(user), "user %s has no vector", user);
    float[] v = new float[dim];
    float scale = scales[user];
    for (int d = 0; d < dim; d++) {
      v[d] = codes[user * dim + d] * scale;
    }
    return v;
  }

  /** The user's social interests; {@link UserInterests#NONE} for -1. */
  public UserInterests interests(int user) {
    return user < 0 ? UserInterests.NONE : interests[user];
  }
}
