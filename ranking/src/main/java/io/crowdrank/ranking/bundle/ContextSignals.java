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
   * Every user's habit in flat arrays: user u's sparse cells (category · 168 + hour, ascending) and
   * their uses are at {@code habitStart[u]} until {@code habitStart[u + 1]}: 4 bytes a user and 4 a
   * cell, the cell and its uses in 16 bits each (a 32-bit cell and float uses took 8). A catalog of
   * more than 390 categories has 32-bit cells ({@link #wideCells}).
   */
  private final int[] habitStart;

  /** The cells, where every cell fits in 16 bits; else null. */
  private final char[] habitCells;

  /** The cells, where {@link #habitCells} is null. */
  private final int[] wideCells;

  /** Uses per cell, as {@link Bfloat16}. */
  private final char[] habitCounts;

  private final Map<String, Scope> popularity;

  private ContextSignals(
      float[][] lifts,
      float[] hourShares,
      int[] habitStart,
      char[] habitCells,
      int[] wideCells,
      char[] habitCounts,
      Map<String, Scope> popularity) {
    this.lifts = lifts;
    this.hourShares = hourShares;
    this.habitStart = habitStart;
    this.habitCells = habitCells;
    this.wideCells = wideCells;
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
    return of(catalog, lifts, habits, null, popularity);
  }

  /**
   * As above, with the users' habits as they were collected while the users were read.
   *
   * @param newIndex for each user as collected, its index in the {@link UserStore} ({@link
   *     UserStore.Builder#newIndex}), -1 for a user left out; null: the same order
   */
  static ContextSignals of(
      Catalog catalog,
      Map<String, float[]> lifts,
      Habits habits,
      int[] newIndex,
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
    return habits.build(categories, newIndex, byCategory, shares, scopes(catalog, popularity));
  }

  /**
   * Users' habits, taken one user at a time in the order they come, in flat arrays from the start
   * (uses already 16-bit); categories are numbered as they arrive (items may come later) and mapped
   * to the catalog's at {@link #build}.
   */
  static final class Habits {
    private int[] start = new int[1025];
    private int[] cells = new int[1024];
    private char[] counts = new char[1024];
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
          counts[size] = Bfloat16.of(row.habitCounts()[x]);
          size++;
        }
      }
      if (users + 1 >= start.length) {
        start = Arrays.copyOf(start, start.length * 2);
      }
      start[++users] = size;
    }

    /**
     * The signals, each user's cells in the catalog's categories, ascending, the users in the
     * store's order; cells of categories no longer in the catalog dropped. Once. Reads the
     * collected arrays in the order they were added and writes each user at its place in the store:
     * at 10 M users, reading them in the store's order instead cost seconds of cache misses.
     *
     * @param newIndex for each user as added, its index in the {@link UserStore} ({@link
     *     UserStore.Builder#newIndex}), -1 for a user left out; null: the same order
     */
    private ContextSignals build(
        Names catalogCategories,
        int[] newIndex,
        float[][] lifts,
        float[] shares,
        Map<String, Scope> popularity) {
      if (built) {
        throw new IllegalStateException("habits already built");
      }
      built = true;
      int[] category = categories.in(catalogCategories);
      int stored = 0;
      for (int c = 0; c < users; c++) {
        stored = Math.max(stored, where(newIndex, c) + 1);
      }
      // First each user's kept cells, sorted at the start of its own cells; then where each user's
      // cells start in the store's order.
      int[] from = new int[stored + 1];
      for (int c = 0; c < users; c++) {
        int u = where(newIndex, c);
        int out = start[c];
        for (int x = start[c]; x < start[c + 1]; x++) {
          int cat = category[cells[x] / HOURS];
          if (cat >= 0) {
            cells[out] = cat * HOURS + cells[x] % HOURS;
            counts[out] = counts[x];
            out++;
          }
        }
        sortCells(cells, counts, start[c], out);
        if (u >= 0) {
          from[u + 1] = out - start[c];
        }
      }
      for (int u = 0; u < stored; u++) {
        from[u + 1] += from[u];
      }
      boolean narrow = (long) catalogCategories.size() * HOURS <= Character.MAX_VALUE + 1L;
      char[] narrowCells = narrow ? new char[from[stored]] : null;
      int[] wide = narrow ? null : new int[from[stored]];
      char[] uses = new char[from[stored]];
      for (int c = 0; c < users; c++) {
        int u = where(newIndex, c);
        if (u < 0) {
          continue;
        }
        int n = from[u + 1] - from[u];
        for (int y = 0; y < n; y++) {
          if (narrow) {
            narrowCells[from[u] + y] = (char) cells[start[c] + y];
          } else {
            wide[from[u] + y] = cells[start[c] + y];
          }
        }
        System.arraycopy(counts, start[c], uses, from[u], n);
      }
      cells = null;
      counts = null;
      start = null;
      return new ContextSignals(lifts, shares, from, narrowCells, wide, uses, popularity);
    }

    private static int where(int[] newIndex, int user) {
      return newIndex == null ? user : newIndex[user];
    }

    /** Sorts one user's few cells ascending, counts alongside (insertion sort). */
    private static void sortCells(int[] cells, char[] counts, int from, int to) {
      for (int i = from + 1; i < to; i++) {
        int cell = cells[i];
        char count = counts[i];
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
        int at = habitCells != null ? habitCells[x] : wideCells[x];
        int cat = at / HOURS;
        float uses = Bfloat16.value(habitCounts[x]);
        total[cat] += uses;
        if (at % HOURS == hourOfWeek) {
          cell[cat] += uses;
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
