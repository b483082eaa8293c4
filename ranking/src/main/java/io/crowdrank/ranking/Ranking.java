package io.crowdrank.ranking;

import com.google.common.collect.ImmutableList;
import java.util.List;

/** A ranked answer: items best first, how the user was recognised, and the bundle version. */
public record Ranking(List<Item> items, Strategy strategy, long modelVersion) {
  public Ranking {
    items = ImmutableList.copyOf(items);
  }

  /** How the ranking was produced. */
  public enum Strategy {
    /** From the user's model vector plus context. */
    PERSONALIZED,
    /** No vector but social interests: popularity weighted by interest in the verticals. */
    INTERESTS,
    /** Unknown user or nothing known: popularity in host app, city and hour of week. */
    POPULAR;

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * One ranked mini-program with the reasons to show it, most important first (values: the API edge
   * words them).
   */
  public record Item(String id, String name, String category, double score, List<Reason> reasons) {
    public Item {
      reasons = ImmutableList.copyOf(reasons);
    }
  }
}
