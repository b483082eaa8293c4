package io.crowdrank.ranking.bundle;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A sorted vocabulary (categories, cities, verticals): names to dense indexes and back, so the
 * bundle's arrays hold ints and the parts that share a vocabulary agree on its indexes.
 */
record Names(List<String> all, Map<String, Integer> indexes) {
  Names {
    all = ImmutableList.copyOf(all);
    indexes = ImmutableMap.copyOf(indexes);
  }

  /** The distinct names, sorted; nulls are left out. */
  static Names sorted(Collection<String> names) {
    TreeSet<String> distinct = new TreeSet<>();
    for (String n : names) {
      if (n != null) {
        distinct.add(n);
      }
    }
    List<String> all = List.copyOf(distinct);
    ImmutableMap.Builder<String, Integer> indexes = ImmutableMap.builder();
    for (int i = 0; i < all.size(); i++) {
      indexes.put(all.get(i), i);
    }
    return new Names(all, indexes.build());
  }

  int size() {
    return all.size();
  }

  String name(int index) {
    return all.get(index);
  }

  /** The name's index, or -1 for null or a name not in the vocabulary. */
  int indexOf(String name) {
    Integer i = name == null ? null : indexes.get(name);
    return i == null ? -1 : i;
  }

  /** The name's index; the name must be in the vocabulary (it was built from the same rows). */
  int require(String name) {
    int i = indexOf(name);
    if (i < 0) {
      throw new BundleException("'" + name + "' is not among " + all);
    }
    return i;
  }

  /**
   * Names numbered as they first arrive, for rows read before the vocabulary they belong to is
   * known (a bundle's files come in any order); {@link #in} maps the numbers to the final indexes.
   */
  static final class Seen {
    private final Map<String, Integer> ids = new java.util.HashMap<>();
    private final List<String> names = new java.util.ArrayList<>();

    int id(String name) {
      Integer id = ids.get(name);
      if (id == null) {
        id = names.size();
        ids.put(name, id);
        names.add(name);
      }
      return id;
    }

    List<String> names() {
      return names;
    }

    /** Each number's index in the vocabulary, -1 where it lacks the name. */
    int[] in(Names vocabulary) {
      int[] out = new int[names.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = vocabulary.indexOf(names.get(i));
      }
      return out;
    }
  }
}
