package io.crowdrank.ranking.bundle;

import com.google.common.collect.ImmutableMap;
import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.ContextScoring;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * What a request's context says about what will be used: when — each category's lift per hour of
 * week, everybody's activity share per hour, and each user's own hour-of-week habit — and where —
 * the popular mini-programs per (host app, city) scope.
 */
public final class ContextSignals {
  private static final int HOURS = BundleFormat.HOURS_PER_WEEK;

  /** Popular mini-programs of one scope, best first. */
  public record Scope(int[] items, float[] scores) {}

  /** Lifts per category index, 168 hours each. */
  private final float[][] lifts;

  private final float[] hourShares;

  /**
   * Every user's habit in three flat arrays: user u's sparse cells (category · 168 + hour,
   * ascending) and their uses are at {@code habitStart[u]} until {@code habitStart[u + 1]} (4 bytes
   * a user and 8 a cell, where two arrays per user took about 48 bytes more).
   */
  private final int[] habitStart;

  private final int[] habitCells;
  private final float[] habitCounts;
  private final Map<String, Scope> popularity;

  private ContextSignals(
      float[][] lifts,
      float[] hourShares,
      int[] habitStart,
      int[] habitCells,
      float[] habitCounts,
      Map<String, Scope> popularity) {
    this.lifts = lifts;
    this.hourShares = hourShares;
    this.habitStart = habitStart;
    this.habitCells = habitCells;
    this.habitCounts = habitCounts;
    this.popularity = popularity;
  }

  /**
   * @param lifts 168 lifts per category name, and under {@link BundleFormat#ALL} the hour-of-week
   *     shares; a category without lifts has 1 everywhere, missing shares are uniform
   * @param users the users in the order of the bundle's {@link UserStore}, for their habits
   * @param popularity rows of mini-programs that left the catalog are left out
   */
  static ContextSignals of(
      Catalog catalog,
      Map<String, float[]> lifts,
      List<ModelBundle.UserRow> users,
      List<ModelBundle.PopularityRow> popularity) {
    Habits habits = new Habits();
    users.forEach(habits::add);
    return of(catalog, lifts, habits, popularity);
  }

  /** As above, with the users' habits as they were collected while the users were read. */
  static ContextSignals of(
      Catalog catalog,
      Map<String, float[]> lifts,
      Habits habits,
      List<ModelBundle.PopularityRow> popularity) {
    Names categories = catalog.categories();
    float[] shares = lifts.get(BundleFormat.ALL);
    if (shares == null) {
      shares = new float[HOURS];
      Arrays.fill(shares, 1f / HOURS);
    }
    float[][] byCategory = new float[categories.size()][];
    for (int c = 0; c < byCategory.length; c++) {
      float[] l = lifts.get(categories.name(c));
      if (l == null) {
        l = new float[HOURS];
        Arrays.fill(l, 1f);
      }
      byCategory[c] = l;
    }
    return habits.build(categories, byCategory, shares, scopes(catalog, popularity));
  }

  /**
   * Users' habits, taken one user at a time in the order of the bundle's {@link UserStore}, in flat
   * arrays from the start; categories are numbered as they arrive (items may come later) and mapped
   * to the catalog's at {@link #build}.
   */
  static final class Habits {
    private int[] start = new int[1025];
    private int[] cells = new int[1024];
    private float[] counts = new float[1024];
    private int size;
    private int users;
    private final Names.Seen categories = new Names.Seen();
    private boolean built;

    /** The user's cells; those of impossible hours are dropped. */
    void add(ModelBundle.UserRow row) {
      int n = row.habitCategories().size();
      if (row.habitHours().length != n || row.habitCounts().length != n) {
        throw new BundleException("user " + row.id() + " has habit arrays of unequal length");
      }
      for (int x = 0; x < n; x++) {
        int hour = row.habitHours()[x];
        if (hour >= 0 && hour < HOURS) {
          if (size == cells.length) {
            cells = Arrays.copyOf(cells, size + size / 2);
            counts = Arrays.copyOf(counts, size + size / 2);
          }
          cells[size] = categories.id(row.habitCategories().get(x)) * HOURS + hour;
          counts[size] = row.habitCounts()[x];
          size++;
        }
      }
      if (users + 1 >= start.length) {
        start = Arrays.copyOf(start, start.length * 2);
      }
      start[++users] = size;
    }

    /**
     * The signals, each user's cells in the catalog's categories, ascending; cells of categories no
     * longer in the catalog dropped. Once: the collected cells are rewritten.
     */
    private ContextSignals build(
        Names catalogCategories, float[][] lifts, float[] shares, Map<String, Scope> popularity) {
      if (built) {
        throw new IllegalStateException("habits already built");
      }
      built = true;
      int[] category = categories.in(catalogCategories);
      // In place: a kept cell never moves right, so the arrays are rewritten as they are read
      // (at 10 M users a second set of arrays would be another 800 MB at the load's peak).
      int out = 0;
      int from = 0;
      for (int u = 0; u < users; u++) {
        int first = out;
        int to = start[u + 1];
        for (int x = from; x < to; x++) {
          int c = category[cells[x] / HOURS];
          if (c >= 0) {
            cells[out] = c * HOURS + cells[x] % HOURS;
            counts[out] = counts[x];
            out++;
          }
        }
        sortCells(cells, counts, first, out);
        from = to;
        start[u + 1] = out;
      }
      return new ContextSignals(
          lifts,
          shares,
          Arrays.copyOf(start, users + 1),
          Arrays.copyOf(cells, out),
          Arrays.copyOf(counts, out),
          popularity);
    }

    /** Sorts one user's few cells ascending, counts alongside (insertion sort). */
    private static void sortCells(int[] cells, float[] counts, int from, int to) {
      for (int i = from + 1; i < to; i++) {
        int cell = cells[i];
        float count = counts[i];
        int j = i - 1;
        while (j >= from && cells[j] > cell) {
          cells[j + 1] = cells[j];
          counts[j + 1] = counts[j];
          j--;
        }
        cells[j + 1] = cell;
        counts[j + 1] = count;
      }
    }
  }

  private static Map<String, Scope> scopes(
      Catalog catalog, List<ModelBundle.PopularityRow> popularity) {
    Map<String, List<ModelBundle.PopularityRow>> byScope = new HashMap<>();
    for (ModelBundle.PopularityRow r : popularity) {
      if (catalog.find(r.itemId()).isPresent()) { // else popular before it left the catalog
        byScope.computeIfAbsent(scopeKey(r.hostApp(), r.city()), k -> new ArrayList<>()).add(r);
      }
    }
    Map<String, Scope> out = new HashMap<>();
    byScope.forEach(
        (key, rows) -> {
          // Stable: equal scores keep the order the rows came in.
          rows.sort((x, y) -> Float.compare((float) y.score(), (float) x.score()));
          int[] items = new int[rows.size()];
          float[] scores = new float[rows.size()];
          for (int k = 0; k < rows.size(); k++) {
            OptionalInt item = catalog.find(rows.get(k).itemId());
            items[k] = item.getAsInt();
            scores[k] = (float) rows.get(k).score();
          }
          out.put(key, new Scope(items, scores));
        });
    return ImmutableMap.copyOf(out);
  }

  private static String scopeKey(String hostApp, String city) {
    return hostApp + '|' + city;
  }

  /** Popular items of a scope ({@link BundleFormat#ALL} city for the whole host app), or null. */
  public Scope popular(String hostApp, String city) {
    return popularity.get(scopeKey(hostApp, city));
  }

  /**
   * The lift of every category (by index) at this hour of week for this user (-1: everybody's), the
   * user's own habit shrunk towards everybody's ({@link ContextScoring#userLift}).
   */
  public double[] categoryLifts(int user, int hourOfWeek, double shrinkage) {
    int c = lifts.length;
    double[] cell = new double[c];
    double[] total = new double[c];
    if (user >= 0) {
      for (int x = habitStart[user]; x < habitStart[user + 1]; x++) {
        int cat = habitCells[x] / HOURS;
        total[cat] += habitCounts[x];
        if (habitCells[x] % HOURS == hourOfWeek) {
          cell[cat] += habitCounts[x];
        }
      }
    }
    double[] out = new double[c];
    for (int cat = 0; cat < c; cat++) {
      out[cat] =
          ContextScoring.userLift(
              lifts[cat][hourOfWeek], hourShares[hourOfWeek], cell[cat], total[cat], shrinkage);
    }
    return out;
  }
}
