package io.crowdrank.ranking.bundle;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.ContextScoring;
import io.crowdrank.format.HostApps;
import io.crowdrank.format.Manifest;
import io.crowdrank.ranking.ann.ItemIndex;
import io.crowdrank.ranking.ann.Vectors;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * One published bundle in memory, laid out for ranking: items and users in dense arrays with
 * flattened factor vectors, ids resolved through hash maps, popularity per (host app, city) scope,
 * category lifts per hour of week, users' interests and own hour-of-week habits. A mini-program
 * with no interactions yet (no learnt vector) gets the mean vector of its category's mini-programs,
 * so it can be scored for a user like its peers. Immutable; the service swaps whole bundles.
 */
public final class ModelBundle {
  /** From this many items with vectors, candidates come from an HNSW graph, not a full scan. */
  public static final int ANN_MIN_ITEMS = 30_000;

  /** Length of the popular-overall and popular-per-vertical candidate lists. */
  public static final int POPULAR_LIST = 1_000;

  /** A user account kind a host app may identify a user by. */
  public enum IdType {
    PAYMENT_ACCOUNT,
    SOCIAL_ACCOUNT,
    SHARED_ID
  }

  /** Popular mini-programs of one scope, best first. */
  public record Scope(int[] items, float[] scores) {}

  /**
   * An audience segment.
   *
   * @param merchantId the merchant that owns it, or null for a platform segment
   * @param size members when it was published
   */
  public record Segment(String id, String name, String merchantId, String description, long size) {}

  /**
   * A campaign, resolved against this bundle's items and segments.
   *
   * @param item the promoted mini-program
   * @param segments the targeted segments (sorted indexes)
   * @param hostApps bit mask of host apps ({@link HostApps#ALL} order); 0 = wherever the item runs
   * @param boost added to the score, times the service's campaign weight, in (0, 1]
   * @param slot position promoted to (1 = top), 0 for a boost only
   */
  public record Campaign(
      String id,
      String name,
      int item,
      int[] segments,
      int hostApps,
      Instant start,
      Instant end,
      double boost,
      int slot) {
    public boolean runsAt(Instant t) {
      return !t.isBefore(start) && t.isBefore(end);
    }

    public boolean runsIn(int hostApp) {
      return hostApps == 0 || (hostApp >= 0 && (hostApps & (1 << hostApp)) != 0);
    }
  }

  private final long version;
  private final Manifest manifest;
  private final int dim;

  private final String[] itemIds;
  private final String[] itemNames;
  private final int[] itemCategory;
  private final int[] itemHostApps;
  private final int[][] itemCities;
  private final boolean[] itemActive;
  private final float[] itemVectors;
  private final boolean[] itemHasVector;
  private final boolean[] itemNew;
  private final int[] newItems;

  /** Most popular established items overall, and per vertical: fallback candidates. */
  private final int[] popularOverall;

  private final int[][] popularByVertical;
  private final int[][] itemVerticals;
  private final float[] itemPopularity;
  private final Map<String, Integer> itemsById;
  private final ItemIndex itemIndex;

  private final ImmutableList<String> categories;
  private final ImmutableList<String> cities;
  private final Map<String, Integer> cityIndex;
  private final ImmutableList<String> verticals;

  private final String[] userIds;
  private final int[] userCity;
  private final float[] userVectors;
  private final boolean[] userHasVector;
  private final int[][] userInterestVerticals;
  private final float[][] userInterestShares;
  private final int[][] userHabitCells;
  private final float[][] userHabitCounts;
  private final Map<IdType, Map<String, Integer>> userIndex;

  private final ImmutableList<Segment> segments;
  private final Map<String, Integer> segmentIndex;
  private final int[][] userSegments;
  private final ImmutableList<Campaign> campaigns;

  private final Map<String, Scope> popularity;
  private final float[][] lifts;
  private final float[] hourShares;

  private ModelBundle(Builder b) {
    this.version = b.version;
    this.manifest = b.manifest;
    this.dim = b.manifest.vectorDim();
    int n = b.items.size();
    this.categories = ImmutableList.copyOf(b.categoryIndex.keySet().stream().sorted().toList());
    Map<String, Integer> catIdx = index(categories);
    List<String> cityNames = new ArrayList<>();
    for (ItemRow it : b.items) {
      for (String c : it.cities()) {
        if (!cityNames.contains(c)) {
          cityNames.add(c);
        }
      }
    }
    for (UserRow u : b.users) {
      if (u.city() != null && !cityNames.contains(u.city())) {
        cityNames.add(u.city());
      }
    }
    cityNames.sort(null);
    this.cities = ImmutableList.copyOf(cityNames);
    this.cityIndex = index(cities);
    java.util.TreeSet<String> verticalNames = new java.util.TreeSet<>();
    b.items.forEach(it -> verticalNames.addAll(it.verticals()));
    b.users.forEach(u -> verticalNames.addAll(u.interests()));
    this.verticals = ImmutableList.copyOf(verticalNames);
    Map<String, Integer> verticalIdx = index(verticals);

    itemIds = new String[n];
    itemNames = new String[n];
    itemCategory = new int[n];
    itemHostApps = new int[n];
    itemCities = new int[n][];
    itemActive = new boolean[n];
    itemVectors = new float[n * dim];
    itemHasVector = new boolean[n];
    itemNew = new boolean[n];
    itemVerticals = new int[n][];
    itemPopularity = new float[n];
    Map<String, Integer> items = new HashMap<>(n * 2);
    for (int i = 0; i < n; i++) {
      ItemRow it = b.items.get(i);
      itemIds[i] = it.id();
      itemNames[i] = it.name();
      itemCategory[i] = catIdx.get(it.category());
      int mask = 0;
      for (String app : it.hostApps()) {
        int a = HostApps.ALL.indexOf(app);
        if (a >= 0) {
          mask |= 1 << a;
        }
      }
      itemHostApps[i] = mask;
      itemCities[i] = it.cities().stream().mapToInt(cityIndex::get).sorted().toArray();
      itemActive[i] = BundleFormat.STATUS_ACTIVE.equals(it.status());
      itemVerticals[i] = it.verticals().stream().mapToInt(verticalIdx::get).toArray();
      if (it.vector() != null) {
        checkDim(it.vector(), "item " + it.id());
        System.arraycopy(it.vector(), 0, itemVectors, i * dim, dim);
        itemHasVector[i] = true;
      }
      itemPopularity[i] = (float) it.popularity();
      if (items.put(it.id(), i) != null) {
        throw new BundleException("duplicate item " + it.id());
      }
    }
    this.itemsById = ImmutableMap.copyOf(items);
    fillNewItemsWithCategoryMeans();
    this.newItems = java.util.stream.IntStream.range(0, n).filter(i -> itemNew[i]).toArray();
    Integer[] byPopularity =
        java.util.stream.IntStream.range(0, n)
            .filter(i -> !itemNew[i])
            .boxed()
            .sorted((x, y) -> Float.compare(itemPopularity[y], itemPopularity[x]))
            .toArray(Integer[]::new);
    this.popularOverall =
        Arrays.stream(byPopularity).limit(POPULAR_LIST).mapToInt(Integer::intValue).toArray();
    List<List<Integer>> perVertical = new ArrayList<>();
    for (int v = 0; v < verticals.size(); v++) {
      perVertical.add(new ArrayList<>());
    }
    for (int i : byPopularity) {
      for (int v : itemVerticals[i]) {
        if (perVertical.get(v).size() < POPULAR_LIST) {
          perVertical.get(v).add(i);
        }
      }
    }
    this.popularByVertical =
        perVertical.stream()
            .map(l -> l.stream().mapToInt(Integer::intValue).toArray())
            .toArray(int[][]::new);
    this.itemIndex = ItemIndex.build(new IndexedItems(), ANN_MIN_ITEMS, b.int8Scan);

    int m = b.users.size();
    userIds = new String[m];
    userCity = new int[m];
    userVectors = new float[m * dim];
    userHasVector = new boolean[m];
    userInterestVerticals = new int[m][];
    userInterestShares = new float[m][];
    userHabitCells = new int[m][];
    userHabitCounts = new float[m][];
    Map<String, Integer> byPayment = new HashMap<>(m * 2);
    Map<String, Integer> bySocial = new HashMap<>(m * 2);
    Map<String, Integer> byShared = new HashMap<>(m * 2);
    for (int u = 0; u < m; u++) {
      UserRow row = b.users.get(u);
      userIds[u] = row.id();
      userCity[u] = row.city() == null ? -1 : cityIndex.get(row.city());
      if (row.vector() != null) {
        checkDim(row.vector(), "user " + row.id());
        System.arraycopy(row.vector(), 0, userVectors, u * dim, dim);
        userHasVector[u] = true;
      }
      userInterestVerticals[u] = row.interests().stream().mapToInt(verticalIdx::get).toArray();
      userInterestShares[u] = row.interestShares();
      if (userInterestShares[u].length != userInterestVerticals[u].length) {
        throw new BundleException(
            "user " + row.id() + " has interests and shares of unequal length");
      }
      habits(u, row, catIdx);
      byShared.put(row.id(), u);
      if (row.paymentAccount() != null) {
        byPayment.put(row.paymentAccount(), u);
      }
      if (row.socialAccount() != null) {
        bySocial.put(row.socialAccount(), u);
      }
    }
    this.userIndex =
        ImmutableMap.of(
            IdType.PAYMENT_ACCOUNT, ImmutableMap.copyOf(byPayment),
            IdType.SOCIAL_ACCOUNT, ImmutableMap.copyOf(bySocial),
            IdType.SHARED_ID, ImmutableMap.copyOf(byShared));

    this.segments =
        ImmutableList.sortedCopyOf(java.util.Comparator.comparing(Segment::id), b.segments);
    this.segmentIndex = index(segments.stream().map(Segment::id).toList());
    this.userSegments = new int[m][];
    for (int u = 0; u < m; u++) {
      userSegments[u] = segmentIndexes(b.memberships.getOrDefault(userIds[u], List.of()));
    }
    List<Campaign> resolved = new ArrayList<>();
    for (CampaignRow c : b.campaigns) {
      Integer item = itemsById.get(c.itemId());
      int[] targets = segmentIndexes(c.segments());
      if (item == null || targets.length == 0) {
        continue; // its mini-program left the catalog, or its audiences are gone
      }
      int mask = 0;
      for (String app : c.hostApps()) {
        int a = HostApps.ALL.indexOf(app);
        if (a >= 0) {
          mask |= 1 << a;
        }
      }
      resolved.add(
          new Campaign(
              c.id(), c.name(), item, targets, mask, c.start(), c.end(), c.boost(), c.slot()));
    }
    this.campaigns = ImmutableList.copyOf(resolved);

    Map<String, Scope> pop = new HashMap<>();
    for (var e : b.popularity.entrySet()) {
      List<PopularRow> rows = e.getValue();
      rows.sort((x, y) -> Float.compare(y.score(), x.score()));
      int[] ids = new int[rows.size()];
      float[] scores = new float[rows.size()];
      for (int k = 0; k < rows.size(); k++) {
        ids[k] = rows.get(k).item();
        scores[k] = rows.get(k).score();
      }
      pop.put(e.getKey(), new Scope(ids, scores));
    }
    this.popularity = ImmutableMap.copyOf(pop);

    float[] shares = b.lifts.get(BundleFormat.ALL);
    if (shares == null) {
      shares = new float[BundleFormat.HOURS_PER_WEEK];
      Arrays.fill(shares, 1f / BundleFormat.HOURS_PER_WEEK);
    }
    this.hourShares = shares;
    this.lifts = new float[categories.size()][];
    for (int c = 0; c < categories.size(); c++) {
      float[] l = b.lifts.get(categories.get(c));
      if (l == null) {
        l = new float[BundleFormat.HOURS_PER_WEEK];
        Arrays.fill(l, 1f);
      }
      lifts[c] = l;
    }
  }

  /** Sparse cells (category · 168 + hour, sorted) of the user's own habit. */
  private void habits(int u, UserRow row, Map<String, Integer> catIdx) {
    int cells = row.habitCategories().size();
    if (row.habitHours().length != cells || row.habitCounts().length != cells) {
      throw new BundleException("user " + row.id() + " has habit arrays of unequal length");
    }
    long[] packed = new long[cells];
    int kept = 0;
    for (int x = 0; x < cells; x++) {
      Integer c = catIdx.get(row.habitCategories().get(x));
      int hour = row.habitHours()[x];
      if (c == null || hour < 0 || hour >= BundleFormat.HOURS_PER_WEEK) {
        continue; // a category no longer in the catalog
      }
      packed[kept++] = ((long) (c * BundleFormat.HOURS_PER_WEEK + hour) << 32) | x;
    }
    packed = Arrays.copyOf(packed, kept);
    Arrays.sort(packed);
    userHabitCells[u] = new int[kept];
    userHabitCounts[u] = new float[kept];
    for (int x = 0; x < kept; x++) {
      userHabitCells[u][x] = (int) (packed[x] >>> 32);
      userHabitCounts[u][x] = row.habitCounts()[(int) packed[x]];
    }
  }

  /** Sorted indexes of the known segments among the ids. */
  private int[] segmentIndexes(List<String> ids) {
    return ids.stream()
        .map(segmentIndex::get)
        .filter(java.util.Objects::nonNull)
        .mapToInt(Integer::intValue)
        .sorted()
        .distinct()
        .toArray();
  }

  private void fillNewItemsWithCategoryMeans() {
    int c = categories.size();
    float[] sums = new float[c * dim];
    int[] counts = new int[c];
    for (int i = 0; i < itemIds.length; i++) {
      if (itemHasVector[i]) {
        counts[itemCategory[i]]++;
        for (int d = 0; d < dim; d++) {
          sums[itemCategory[i] * dim + d] += itemVectors[i * dim + d];
        }
      }
    }
    for (int i = 0; i < itemIds.length; i++) {
      if (!itemHasVector[i]) {
        itemNew[i] = true;
        int cat = itemCategory[i];
        if (counts[cat] > 0) {
          for (int d = 0; d < dim; d++) {
            itemVectors[i * dim + d] = sums[cat * dim + d] / counts[cat];
          }
          itemHasVector[i] = true;
        }
      }
    }
  }

  private void checkDim(float[] v, String what) {
    if (v.length != dim) {
      throw new BundleException(
          what + " has a vector of length " + v.length + ", manifest says " + dim);
    }
  }

  private static Map<String, Integer> index(List<String> values) {
    Map<String, Integer> m = new HashMap<>();
    for (int i = 0; i < values.size(); i++) {
      m.put(values.get(i), i);
    }
    return ImmutableMap.copyOf(m);
  }

  static String scopeKey(String hostApp, String city) {
    return hostApp + '|' + city;
  }

  // ------------------------------------------------------------------ accessors

  public long version() {
    return version;
  }

  public Manifest manifest() {
    return manifest;
  }

  public int dim() {
    return dim;
  }

  public int itemCount() {
    return itemIds.length;
  }

  public int userCount() {
    return userIds.length;
  }

  public String itemId(int item) {
    return itemIds[item];
  }

  public String itemName(int item) {
    return itemNames[item];
  }

  public String itemCategory(int item) {
    return categories.get(itemCategory[item]);
  }

  public OptionalInt item(String id) {
    Integer i = itemsById.get(id);
    return i == null ? OptionalInt.empty() : OptionalInt.of(i);
  }

  public boolean isActive(int item) {
    return itemActive[item];
  }

  /** Whether the item runs in the host app (an id from {@link HostApps#ALL}). */
  public boolean runsIn(int item, int hostAppIndex) {
    return (itemHostApps[item] & (1 << hostAppIndex)) != 0;
  }

  /** Whether the item is available in the city; -1 (unknown city) matches everything. */
  public boolean availableIn(int item, int city) {
    int[] c = itemCities[item];
    return city < 0 || c.length == 0 || Arrays.binarySearch(c, city) >= 0;
  }

  /** Whether the item is available in every city. */
  public boolean isNationwide(int item) {
    return itemCities[item].length == 0;
  }

  /** Whether the item is limited to a set of cities that includes this one (a local favourite). */
  public boolean isLocalTo(int item, int city) {
    int[] c = itemCities[item];
    return city >= 0 && c.length > 0 && Arrays.binarySearch(c, city) >= 0;
  }

  /** Whether the item can be scored against a user vector (learnt, or its category's mean). */
  public boolean itemHasVector(int item) {
    return itemHasVector[item];
  }

  /** Whether the item had no interactions when the model was trained (no learnt vector). */
  public boolean isNew(int item) {
    return itemNew[item];
  }

  /** How many items are new; with {@link #newItem} exploration need not scan the catalog. */
  public int newItemCount() {
    return newItems.length;
  }

  /** The i-th new item (ascending item order), 0 &le; i &lt; {@link #newItemCount()}. */
  public int newItem(int i) {
    return newItems[i];
  }

  /**
   * The user's interest in the item: the sum of the user's interest shares (0..1) over the item's
   * verticals; 0 when they share none.
   */
  public double interestIn(int user, int item) {
    double s = 0;
    for (int v : itemVerticals[item]) {
      s += userInterest(user, v);
    }
    return s;
  }

  /** The user's interest share (0..1) in a vertical (index into the item verticals). */
  public double userInterest(int user, int vertical) {
    int[] uv = userInterestVerticals[user];
    for (int x = 0; x < uv.length; x++) {
      if (uv[x] == vertical) {
        return userInterestShares[user][x];
      }
    }
    return 0;
  }

  /** The item's verticals as indexes (see {@link #userInterest}); do not modify. */
  public int[] itemVerticals(int item) {
    return itemVerticals[item];
  }

  /** The verticals the user has an interest in (indexes, as {@link #itemVerticals}). */
  public int[] userVerticals(int user) {
    return userInterestVerticals[user].clone();
  }

  /** The most popular established items, best first (at most {@link #POPULAR_LIST}). */
  public int[] popularOverall() {
    return popularOverall.clone();
  }

  /** The most popular established items of a vertical, best first. */
  public int[] popularInVertical(int vertical) {
    return popularByVertical[vertical].clone();
  }

  public boolean userHasInterests(int user) {
    return userInterestVerticals[user].length > 0;
  }

  /** The vertical the user is most interested in that the item belongs to, or null. */
  public String topSharedVertical(int user, int item) {
    int[] uv = userInterestVerticals[user];
    int best = -1;
    float bestShare = 0;
    for (int v : itemVerticals[item]) {
      for (int x = 0; x < uv.length; x++) {
        if (uv[x] == v && userInterestShares[user][x] > bestShare) {
          bestShare = userInterestShares[user][x];
          best = v;
        }
      }
    }
    return best < 0 ? null : verticals.get(best);
  }

  public int categoryCount() {
    return categories.size();
  }

  public int categoryOf(int item) {
    return itemCategory[item];
  }

  public String categoryName(int category) {
    return categories.get(category);
  }

  /**
   * Lift of every category at this hour of week for this user (-1: everybody's), with the user's
   * own habit shrunk towards everybody's ({@link ContextScoring#userLift}).
   */
  public double[] categoryLifts(int user, int hourOfWeek, double shrinkage) {
    int c = categories.size();
    double[] cell = new double[c];
    double[] total = new double[c];
    if (user >= 0) {
      int[] cells = userHabitCells[user];
      for (int x = 0; x < cells.length; x++) {
        int cat = cells[x] / BundleFormat.HOURS_PER_WEEK;
        total[cat] += userHabitCounts[user][x];
        if (cells[x] % BundleFormat.HOURS_PER_WEEK == hourOfWeek) {
          cell[cat] += userHabitCounts[user][x];
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

  public float itemPopularity(int item) {
    return itemPopularity[item];
  }

  /** City index, or -1 if the bundle knows no such city. */
  public int city(String name) {
    Integer c = name == null ? null : cityIndex.get(name);
    return c == null ? -1 : c;
  }

  public String cityName(int city) {
    return city < 0 ? null : cities.get(city);
  }

  /** User index, or -1 if unknown. */
  public int user(IdType type, String id) {
    Integer u = userIndex.get(type).get(id);
    return u == null ? -1 : u;
  }

  public String userId(int user) {
    return userIds[user];
  }

  public int userHomeCity(int user) {
    return userCity[user];
  }

  public boolean userHasVector(int user) {
    return userHasVector[user];
  }

  /** Nearest learnt items by inner product (HNSW for large catalogs, exact for small ones). */
  public ItemIndex itemIndex() {
    return itemIndex;
  }

  /** The user's factor vector (a copy). */
  public float[] userVector(int user) {
    Preconditions.checkArgument(userHasVector[user], "user %s has no vector", userIds[user]);
    return Arrays.copyOfRange(userVectors, user * dim, (user + 1) * dim);
  }

  /** The items with learnt vectors, as the nearest-neighbour index reads them. */
  private final class IndexedItems implements ItemIndex.Items {
    @Override
    public int count() {
      return itemIds.length;
    }

    @Override
    public int dim() {
      return dim;
    }

    @Override
    public boolean hasVector(int item) {
      return itemHasVector[item] && !itemNew[item];
    }

    @Override
    public void vector(int item, float[] into) {
      System.arraycopy(itemVectors, item * dim, into, 0, dim);
    }

    @Override
    public boolean runsIn(int item, int hostApp) {
      return ModelBundle.this.runsIn(item, hostApp);
    }

    @Override
    public List<Integer> hostApps(int item) {
      List<Integer> apps = new ArrayList<>();
      for (int a = 0; a < HostApps.ALL.size(); a++) {
        if ((itemHostApps[item] & (1 << a)) != 0) {
          apps.add(a);
        }
      }
      return apps;
    }
  }

  /** The collaborative score: dot product of the user's and the item's factors. */
  public float dot(int user, int item) {
    Preconditions.checkArgument(userHasVector[user], "user %s has no vector", userIds[user]);
    return Vectors.dot(userVectors, user * dim, itemVectors, item * dim, dim);
  }

  /** Every segment, in id order. */
  public List<Segment> segments() {
    return segments;
  }

  /** Indexes into {@link #segments()} of the segments the user belongs to, ascending. */
  public int[] userSegments(int user) {
    return userSegments[user].clone();
  }

  public boolean inSegment(int user, int segment) {
    return user >= 0 && Arrays.binarySearch(userSegments[user], segment) >= 0;
  }

  /** Every campaign whose mini-program and audiences are in this bundle. */
  public List<Campaign> campaigns() {
    return campaigns;
  }

  /** Popular items of a scope ({@link BundleFormat#ALL} city for the whole host app), or null. */
  public Scope popular(String hostApp, String city) {
    return popularity.get(scopeKey(hostApp, city));
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

  private record PopularRow(int item, float score) {}

  public record UserRow(
      String id,
      String paymentAccount,
      String socialAccount,
      String city,
      float[] vector,
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

  /** Collects rows in any order (popularity may arrive before items), then builds. */
  public static final class Builder {
    private final long version;
    private boolean int8Scan = true;
    private Manifest manifest;
    private final List<ItemRow> items = new ArrayList<>();
    private final Map<String, Integer> categoryIndex = new HashMap<>();
    private final List<UserRow> users = new ArrayList<>();
    private final List<String[]> pendingPopularity = new ArrayList<>();
    private final List<Double> pendingScores = new ArrayList<>();
    private final Map<String, List<PopularRow>> popularity = new HashMap<>();
    private final Map<String, float[]> lifts = new HashMap<>();
    private final List<Segment> segments = new ArrayList<>();
    private final Map<String, List<String>> memberships = new HashMap<>();
    private final List<CampaignRow> campaigns = new ArrayList<>();

    public Builder(long version) {
      this.version = version;
    }

    /** Whether the exact scan may use int8 columns (see {@link ItemIndex#build}); default yes. */
    public void int8Scan(boolean on) {
      this.int8Scan = on;
    }

    public void manifest(Manifest m) {
      if (manifest != null) {
        throw new BundleException("bundle has more than one manifest");
      }
      manifest = m;
    }

    public void item(ItemRow row) {
      items.add(row);
      categoryIndex.putIfAbsent(row.category(), categoryIndex.size());
    }

    public void user(UserRow row) {
      users.add(row);
    }

    public void segment(Segment s) {
      segments.add(s);
    }

    /** Segments a user (by shared id) belongs to; adds to any given before. */
    public void memberships(String userId, List<String> segmentIds) {
      if (!segmentIds.isEmpty()) {
        memberships.computeIfAbsent(userId, u -> new ArrayList<>()).addAll(segmentIds);
      }
    }

    public void campaign(CampaignRow c) {
      campaigns.add(c);
    }

    public void popularity(String itemId, String hostApp, String city, double score) {
      pendingPopularity.add(new String[] {itemId, hostApp, city});
      pendingScores.add(score);
    }

    /** A category's 168 lifts, or for {@link BundleFormat#ALL} the hour-of-week shares. */
    public void lifts(String category, float[] values) {
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

    public ModelBundle build() {
      if (manifest == null) {
        throw new BundleException("bundle has no manifest");
      }
      Map<String, Integer> ids = new HashMap<>(items.size() * 2);
      for (int i = 0; i < items.size(); i++) {
        ids.put(items.get(i).id(), i);
      }
      for (int p = 0; p < pendingPopularity.size(); p++) {
        String[] r = pendingPopularity.get(p);
        Integer item = ids.get(r[0]);
        if (item == null) {
          continue; // popular before it left the catalog: nothing to show
        }
        popularity
            .computeIfAbsent(scopeKey(r[1], r[2]), k -> new ArrayList<>())
            .add(new PopularRow(item, pendingScores.get(p).floatValue()));
      }
      return new ModelBundle(this);
    }
  }
}
