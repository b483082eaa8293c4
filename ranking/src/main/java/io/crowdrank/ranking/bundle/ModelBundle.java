package io.crowdrank.ranking.bundle;

import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.Manifest;
import io.crowdrank.format.QuantizedVector;
import io.crowdrank.format.UserBuckets;
import io.crowdrank.ranking.ann.ItemIndex;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One published bundle in memory, laid out for ranking, composed of parts with one job each: the
 * {@link Catalog} (mini-programs and their nearest-neighbour index), the {@link UserStore}, the
 * {@link Targeting} (segments and campaigns) and the {@link ContextSignals} (hour-of-week lifts,
 * habits, popularity per host app and city). Immutable; the service swaps whole bundles, so a
 * request never sees the parts of two versions.
 *
 * @param shard the users this bundle holds: {@link UserBuckets.Shard#ALL}, or one shard's
 */
public record ModelBundle(
    long version,
    Manifest manifest,
    Catalog catalog,
    UserStore users,
    Targeting targeting,
    ContextSignals context,
    UserBuckets.Shard shard) {
  public ModelBundle {
    Objects.requireNonNull(shard, "bundle has no shard");
    Objects.requireNonNull(manifest, "bundle has no manifest");
    Objects.requireNonNull(catalog, "bundle has no catalog");
    Objects.requireNonNull(users, "bundle has no users");
    Objects.requireNonNull(targeting, "bundle has no targeting");
    Objects.requireNonNull(context, "bundle has no context signals");
  }

  static void checkDim(float[] v, int dim, String what) {
    if (v.length != dim) {
      throw new BundleException(
          what + " has a vector of length " + v.length + ", manifest says " + dim);
    }
  }

  // ------------------------------------------------------------------ building

  public record ItemRow(
      String id,
      String name,
      String category,
      List<String> verticals,
      List<String> hostApps,
      List<String> cities,
      String status,
      float[] vector,
      double popularity) {}

  public record UserRow(
      String id,
      String paymentAccount,
      String socialAccount,
      String city,
      QuantizedVector vector,
      List<String> interests,
      float[] interestShares,
      List<String> habitCategories,
      int[] habitHours,
      float[] habitCounts) {}

  public record CampaignRow(
      String id,
      String name,
      String itemId,
      List<String> segments,
      List<String> hostApps,
      Instant start,
      Instant end,
      double boost,
      int slot) {}

  /** A mini-program's popularity in one scope (a host app and a city, or every city). */
  record PopularityRow(String itemId, String hostApp, String city, double score) {}

  /**
   * Collects rows in any order (popularity may arrive before items), then builds. Rows may come
   * from several threads (a reader decoding files in parallel): each is taken under the builder's
   * lock.
   */
  public static final class Builder {
    private final long version;
    private boolean int8Scan = true;
    private UserBuckets.Shard shard = UserBuckets.Shard.ALL;
    private java.util.function.Function<Manifest.Index, java.nio.file.Path> indexes;
    private Manifest manifest;
    private final List<ItemRow> items = new ArrayList<>();
    private final UserStore.Builder users = new UserStore.Builder();
    private final ContextSignals.Habits habits = new ContextSignals.Habits();
    private final List<PopularityRow> popularity = new ArrayList<>();
    private final Map<String, float[]> lifts = new HashMap<>();
    private final List<Targeting.Segment> segments = new ArrayList<>();
    private final Map<String, List<String>> memberships = new HashMap<>();
    private final List<CampaignRow> campaigns = new ArrayList<>();

    public Builder(long version) {
      this.version = version;
    }

    /**
     * Loads only the users of this shard (each once, see {@link UserBuckets.Shard#takes}); default
     * {@link UserBuckets.Shard#ALL}.
     */
    public void shard(UserBuckets.Shard s) {
      this.shard = java.util.Objects.requireNonNull(s, "shard");
    }

    public UserBuckets.Shard shard() {
      return shard;
    }

    /** Whether the exact scan may use int8 columns (see {@link ItemIndex#build}); default yes. */
    public void int8Scan(boolean on) {
      this.int8Scan = on;
    }

    /**
     * Where the manifest's prebuilt item index is (its path resolved against the bundle table), so
     * that the catalog maps it instead of building one; without this, or without an index in the
     * manifest, or where {@code at} gives null, the catalog builds its own.
     */
    public void prebuiltIndexes(
        java.util.function.Function<Manifest.Index, java.nio.file.Path> at) {
      this.indexes = at;
    }

    public synchronized void manifest(Manifest m) {
      if (manifest != null) {
        throw new BundleException("bundle has more than one manifest");
      }
      manifest = m;
    }

    public synchronized void item(ItemRow row) {
      items.add(row);
    }

    /** Adds a user straight into the store's arrays: the row is not kept. */
    public synchronized void user(UserRow row) {
      users.add(row);
      habits.add(row);
    }

    public synchronized void segment(Targeting.Segment s) {
      segments.add(s);
    }

    /** Segments a user (by shared id) belongs to; adds to any given before. */
    public synchronized void memberships(String userId, List<String> segmentIds) {
      if (!segmentIds.isEmpty()) {
        memberships.computeIfAbsent(userId, u -> new ArrayList<>()).addAll(segmentIds);
      }
    }

    public synchronized void campaign(CampaignRow c) {
      campaigns.add(c);
    }

    public synchronized void popularity(String itemId, String hostApp, String city, double score) {
      popularity.add(new PopularityRow(itemId, hostApp, city, score));
    }

    /** A category's 168 lifts, or for {@link BundleFormat#ALL} the hour-of-week shares. */
    public synchronized void lifts(String category, float[] values) {
      if (values == null || values.length != BundleFormat.HOURS_PER_WEEK) {
        throw new BundleException(
            "context lifts of "
                + category
                + " have "
                + (values == null ? 0 : values.length)
                + " hours, want 168");
      }
      lifts.put(category, values);
    }

    private Catalog.PrebuiltIndex prebuilt(Manifest.Index index) {
      java.nio.file.Path dir = index == null || indexes == null ? null : indexes.apply(index);
      return dir == null ? null : new Catalog.PrebuiltIndex(dir, index.files());
    }

    public synchronized ModelBundle build() {
      if (manifest == null) {
        throw new BundleException("bundle has no manifest");
      }
      int dim = manifest.vectorDim();
      // Items and users share the city and vertical vocabularies: a user's home city or interest
      // is an index the catalog's items use too.
      List<String> cityNames = new ArrayList<>();
      List<String> verticalNames = new ArrayList<>();
      for (ItemRow it : items) {
        cityNames.addAll(it.cities());
        verticalNames.addAll(it.verticals());
      }
      cityNames.addAll(users.cities());
      verticalNames.addAll(users.verticals());
      Names cities = Names.sorted(cityNames);
      Names verticals = Names.sorted(verticalNames);
      Manifest.Index index = manifest.index();
      Catalog catalog = new Catalog(dim, items, cities, verticals, int8Scan, prebuilt(index));
      UserStore userStore = users.build(dim, cities, verticals);
      return new ModelBundle(
          version,
          manifest,
          catalog,
          userStore,
          Targeting.of(segments, memberships, campaigns, catalog, userStore),
          ContextSignals.of(catalog, lifts, habits, users.newIndex(), popularity),
          shard);
    }
  }
}
