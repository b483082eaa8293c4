package io.crowdrank.ranking.bundle;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableMap;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The users of a bundle, laid out for ranking: dense arrays by user index, flattened factor
 * vectors, home cities and social interests, and the lookup of every account kind a host app may
 * identify a user by.
 */
public final class UserStore {
  /** A user account kind a host app may identify a user by. */
  public enum IdType {
    PAYMENT_ACCOUNT,
    SOCIAL_ACCOUNT,
    SHARED_ID
  }

  private final int dim;
  private final String[] ids;
  private final int[] homeCity;
  private final float[] vectors;
  private final boolean[] hasVector;
  private final UserInterests[] interests;
  private final Map<IdType, Map<String, Integer>> byAccount;

  /**
   * @param dim the manifest's vector dimension
   * @param cities the catalog's cities (every user's home city among them)
   * @param verticals the catalog's verticals (every user's interests among them)
   */
  static UserStore of(int dim, List<ModelBundle.UserRow> rows, Names cities, Names verticals) {
    return new UserStore(dim, rows, cities, verticals);
  }

  private UserStore(int dim, List<ModelBundle.UserRow> rows, Names cities, Names verticals) {
    this.dim = dim;
    int m = rows.size();
    ids = new String[m];
    homeCity = new int[m];
    vectors = new float[m * dim];
    hasVector = new boolean[m];
    interests = new UserInterests[m];
    Map<IdType, Map<String, Integer>> accounts = new EnumMap<>(IdType.class);
    for (IdType t : IdType.values()) {
      accounts.put(t, new HashMap<>(m * 2));
    }
    for (int u = 0; u < m; u++) {
      ModelBundle.UserRow row = rows.get(u);
      ids[u] = row.id();
      homeCity[u] = row.city() == null ? -1 : cities.require(row.city());
      if (row.vector() != null) {
        ModelBundle.checkDim(row.vector(), dim, "user " + row.id());
        System.arraycopy(row.vector(), 0, vectors, u * dim, dim);
        hasVector[u] = true;
      }
      if (row.interestShares().length != row.interests().size()) {
        throw new BundleException(
            "user " + row.id() + " has interests and shares of unequal length");
      }
      interests[u] =
          new UserInterests(
              row.interests().stream().mapToInt(verticals::require).toArray(),
              row.interestShares());
      accounts.get(IdType.SHARED_ID).put(row.id(), u);
      if (row.paymentAccount() != null) {
        accounts.get(IdType.PAYMENT_ACCOUNT).put(row.paymentAccount(), u);
      }
      if (row.socialAccount() != null) {
        accounts.get(IdType.SOCIAL_ACCOUNT).put(row.socialAccount(), u);
      }
    }
    ImmutableMap.Builder<IdType, Map<String, Integer>> byAccount = ImmutableMap.builder();
    accounts.forEach((t, m2) -> byAccount.put(t, ImmutableMap.copyOf(m2)));
    this.byAccount = byAccount.build();
  }

  public int count() {
    return ids.length;
  }

  /** The user's index, or -1 if no user has this account. */
  public int find(IdType type, String account) {
    Integer u = byAccount.get(type).get(account);
    return u == null ? -1 : u;
  }

  /** The user's shared id. */
  public String id(int user) {
    return ids[user];
  }

  /** The home city's index in the catalog's cities, or -1. */
  public int homeCity(int user) {
    return homeCity[user];
  }

  public boolean hasVector(int user) {
    return hasVector[user];
  }

  /** The user's factor vector (a copy). */
  public float[] vector(int user) {
    Preconditions.checkArgument(hasVector[user], "user %s has no vector", ids[user]);
    return Arrays.copyOfRange(vectors, user * dim, (user + 1) * dim);
  }

  /** The user's social interests; {@link UserInterests#NONE} for -1. */
  public UserInterests interests(int user) {
    return user < 0 ? UserInterests.NONE : interests[user];
  }
}
