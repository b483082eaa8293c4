package io.crowdrank.ranking;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Why a mini-program is in a ranking, as a value: its kind and the facts it names (ids, not words).
 * The API edge puts it into words, so wording never sits in scoring code and one reason can be
 * worded for whoever reads it.
 *
 * @param args as many as the kind takes, in the order its documentation gives; a null where the
 *     bundle had none (a campaign without a name)
 */
public record Reason(Kind kind, List<String> args) {
  /** What a reason says, and the arguments it takes. */
  public enum Kind {
    /** A campaign promotes it. Args: the campaign's name. */
    CAMPAIGN(1),
    /** Users with factors like the user's use its category. Args: the category id. */
    SIMILAR_USERS(1),
    /**
     * Its category is used more at this hour of week. Args: category id, hour of week (0..167, in
     * decimal).
     */
    POPULAR_AT_HOUR(2),
    /** It is available in a few cities only, the request's among them. Args: the city. */
    LOCAL_FAVOURITE(1),
    /** Popular in the city on the host app. Args: city, host app. */
    POPULAR_IN_CITY(2),
    /** Popular on the host app in every city. Args: host app. */
    POPULAR_ON_HOST_APP(1),
    /** Popular over every host app and city. No args. */
    POPULAR_OVERALL(0),
    /** In the vertical the user is most interested in. Args: the vertical. */
    MATCHES_INTEREST(1),
    /** New, and scored like the mini-programs of its category. Args: host app, category id. */
    NEW_LIKE_YOURS(2),
    /** New, for a user without a vector. Args: host app. */
    NEW_ARRIVAL(1);

    private final int arity;

    Kind(int arity) {
      this.arity = arity;
    }

    public int arity() {
      return arity;
    }
  }

  public Reason {
    if (kind == null) {
      throw new IllegalArgumentException("a reason needs a kind");
    }
    if (args.size() != kind.arity()) {
      throw new IllegalArgumentException(
          kind + " takes " + kind.arity() + " arguments, got " + args.size() + ": " + args);
    }
    args = Collections.unmodifiableList(new ArrayList<>(args));
  }

  /** A reason of the kind with its arguments, in the order the kind's documentation gives. */
  public static Reason of(Kind kind, String... args) {
    return new Reason(kind, Arrays.asList(args));
  }

  /** The i-th argument. */
  public String arg(int i) {
    return args.get(i);
  }
}
