package io.crowdrank.ranking.bundle;

import java.util.Arrays;

/**
 * A user's social interests: a share (0..1) per vertical they care about, verticals as indexes of
 * the catalog's vocabulary ({@link Catalog#verticals}).
 */
public record UserInterests(int[] verticals, float[] shares) {
  /** Nobody's interests: an unknown user, or one known only by payments. */
  public static final UserInterests NONE = new UserInterests(new int[0], new float[0]);

  public UserInterests {
    if (verticals.length != shares.length) {
      throw new IllegalArgumentException(
          verticals.length + " interest verticals but " + shares.length + " shares");
    }
    verticals = verticals.clone();
    shares = shares.clone();
  }

  public boolean isEmpty() {
    return verticals.length == 0;
  }

  /** The verticals the user has an interest in; a copy. */
  @Override
  public int[] verticals() {
    return verticals.clone();
  }

  /** The share in a vertical, 0 when the user has none there. */
  public double share(int vertical) {
    for (int x = 0; x < verticals.length; x++) {
      if (verticals[x] == vertical) {
        return shares[x];
      }
    }
    return 0;
  }

  /** The interest in a mini-program: the sum of the shares in its verticals, 0 if none shared. */
  public double in(int[] itemVerticals) {
    double s = 0;
    for (int v : itemVerticals) {
      s += share(v);
    }
    return s;
  }

  /** Of a mini-program's verticals, the one with the largest share (the first on ties), or -1. */
  public int strongestAmong(int[] itemVerticals) {
    int best = -1;
    float bestShare = 0;
    for (int v : itemVerticals) {
      for (int x = 0; x < verticals.length; x++) {
        if (verticals[x] == v && shares[x] > bestShare) {
          bestShare = shares[x];
          best = v;
        }
      }
    }
    return best;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UserInterests other
        && Arrays.equals(verticals, other.verticals)
        && Arrays.equals(shares, other.shares);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(verticals) + Arrays.hashCode(shares);
  }

  @Override
  public String toString() {
    return "UserInterests" + Arrays.toString(verticals) + Arrays.toString(shares);
  }
}
