package io.crowdrank.serving.bundle;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.HostApps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * One published bundle in memory, laid out for ranking: items and users in dense arrays with
 * flattened factor vectors, ids resolved through hash maps, popularity per (host app, city) scope
 * and category lifts per hour of week. Immutable; the service swaps whole bundles.
 */
public final class ModelBundle {

  /** A user account kind a host app may identify a user by. */
  public enum IdType {
    PAYMENT_ACCOUNT,
    SOCIAL_ACCOUNT,
    SHARED_ID
  }

  /** Popular mini-programs of one scope, best first. */
  public record Scope(int[] items, float[] scores) {}

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
  private final float[] itemPopularity;
  private final Map<String, Integer> itemIndex;

  private final ImmutableList<String> categories;
  private final ImmutableList<String> cities;
  private final Map<String, Integer> cityIndex;

  private final String[] userIds;
  private final int[] userCity;
  private final float[] userVectors;
  private final boolean[] userHasVector;
  private final Map<IdType, Map<String, Integer>> userIndex;

  private final Map<String, Scope> popularity;
  private final float[][] lifts;

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

    itemIds = new String[n];
    itemNames = new String[n];
    itemCategory = new int[n];
    itemHostApps = new int[n];
    itemCities = new int[n][];
    itemActive = new boolean[n];
    itemVectors = new float[n * dim];
    itemHasVector = new boolean[n];
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
    this.itemIndex = ImmutableMap.copyOf(items);

    int m = b.users.size();
    userIds = new String[m];
    userCity = new int[m];
    userVectors = new float[m * dim];
    userHasVector = new boolean[m];
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
    Integer i = itemIndex.get(id);
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

  public boolean itemHasVector(int item) {
    return itemHasVector[item];
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

  /** The collaborative score: dot product of the user's and the item's factors. */
  public float dot(int user, int item) {
    Preconditions.checkArgument(userHasVector[user], "user %s has no vector", userIds[user]);
    int u = user * dim;
    int v = item * dim;
    float s = 0;
    for (int d = 0; d < dim; d++) {
      s += userVectors[u + d] * itemVectors[v + d];
    }
    return s;
  }

  /** Lift of the item's category at this hour of week (1 = no different from any other hour). */
  public float lift(int item, int hourOfWeek) {
    return lifts[itemCategory[item]][hourOfWeek];
  }

  /** Popular items of a scope ({@link BundleFormat#ALL} city for the whole host app), or null. */
  public Scope popular(String hostApp, String city) {
    return popularity.get(scopeKey(hostApp, city));
  }

  // ------------------------------------------------------------------ building

  record ItemRow(
      String id,
      String name,
      String category,
      List<String> hostApps,
      List<String> cities,
      String status,
      float[] vector,
      double popularity) {}

  private record PopularRow(int item, float score) {}

  record UserRow(
      String id, String paymentAccount, String socialAccount, String city, float[] vector) {}

  /** Collects rows in any order (popularity may arrive before items), then builds. */
  static final class Builder {
    private final long version;
    private Manifest manifest;
    private final List<ItemRow> items = new ArrayList<>();
    private final Map<String, Integer> categoryIndex = new HashMap<>();
    private final List<UserRow> users = new ArrayList<>();
    private final List<String[]> pendingPopularity = new ArrayList<>();
    private final List<Double> pendingScores = new ArrayList<>();
    private final Map<String, List<PopularRow>> popularity = new HashMap<>();
    private final Map<String, float[]> lifts = new HashMap<>();

    Builder(long version) {
      this.version = version;
    }

    void manifest(Manifest m) {
      if (manifest != null) {
        throw new BundleException("bundle has more than one manifest");
      }
      manifest = m;
    }

    void item(ItemRow row) {
      items.add(row);
      categoryIndex.putIfAbsent(row.category(), categoryIndex.size());
    }

    void user(UserRow row) {
      users.add(row);
    }

    void popularity(String itemId, String hostApp, String city, double score) {
      pendingPopularity.add(new String[] {itemId, hostApp, city});
      pendingScores.add(score);
    }

    void lifts(String category, float[] values) {
      if (values.length != BundleFormat.HOURS_PER_WEEK) {
        throw new BundleException(
            "context lifts of " + category + " have " + values.length + " hours, want 168");
      }
      lifts.put(category, values);
    }

    ModelBundle build() {
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
