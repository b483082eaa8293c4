package io.crowdrank.ranking.bundle;

import com.google.common.collect.ImmutableMap;
import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.HostApps;
import io.crowdrank.ranking.ann.ItemIndex;
import io.crowdrank.ranking.ann.Vectors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.IntStream;

/**
 * The mini-programs of a bundle, laid out for ranking: dense arrays by item index, flattened factor
 * vectors, ids resolved through a hash map, the popular lists fallback candidates come from, and
 * the nearest-neighbour index over the learnt vectors. A mini-program with no interactions yet (no
 * learnt vector) gets the mean vector of its category's mini-programs, so it can be scored for a
 * user like its peers. Also holds the bundle's city and vertical vocabularies, which users share.
 */
public final class Catalog {
  /** From this many items with vectors, candidates come from an HNSW graph, not a full scan. */
  public static final int ANN_MIN_ITEMS = 30_000;

  /** Length of the popular-overall and popular-per-vertical candidate lists. */
  public static final int POPULAR_LIST = 1_000;

  private final int dim;
  private final Names categories;
  private final Names cities;
  private final Names verticals;

  private final String[] ids;
  private final String[] names;
  private final int[] category;
  private final int[] hostApps;
  private final int[][] itemCities;
  private final boolean[] active;
  private final float[] vectors;
  private final boolean[] hasVector;
  private final boolean[] isNew;
  private final int[] newItems;
  private final int[][] itemVerticals;
  private final float[] popularity;
  private final Map<String, Integer> byId;

  /** Most popular established items overall, and per vertical: fallback candidates. */
  private final int[] popularOverall;

  private final int[][] popularByVertical;
  private final ItemIndex itemIndex;

  /** Lucene files of an item index that publish built, and the checksums the manifest lists. */
  public record PrebuiltIndex(java.nio.file.Path dir, Map<String, String> files) {}

  private static final System.Logger LOG = System.getLogger(Catalog.class.getName());

  /**
   * @param dim the manifest's vector dimension
   * @param cities every city of items and users, so a user's home city has an index here
   * @param verticals every vertical of items and users' interests
   * @param int8Scan whether the exact scan may use int8 columns (see {@link ItemIndex#build})
   * @param prebuilt the index publish built for these items, or null to build one here
   */
  Catalog(
      int dim,
      List<ModelBundle.ItemRow> rows,
      Names cities,
      Names verticals,
      boolean int8Scan,
      PrebuiltIndex prebuilt) {
    this.dim = dim;
    this.categories = Names.sorted(rows.stream().map(ModelBundle.ItemRow::category).toList());
    this.cities = cities;
    this.verticals = verticals;
    int n = rows.size();
    ids = new String[n];
    names = new String[n];
    category = new int[n];
    hostApps = new int[n];
    itemCities = new int[n][];
    active = new boolean[n];
    vectors = new float[n * dim];
    hasVector = new boolean[n];
    isNew = new boolean[n];
    itemVerticals = new int[n][];
    popularity = new float[n];
    Map<String, Integer> index = new HashMap<>(n * 2);
    for (int i = 0; i < n; i++) {
      ModelBundle.ItemRow it = rows.get(i);
      ids[i] = it.id();
      names[i] = it.name();
      category[i] = categories.require(it.category());
      hostApps[i] = hostAppMask(it.hostApps());
      itemCities[i] = it.cities().stream().mapToInt(cities::require).sorted().toArray();
      active[i] = BundleFormat.STATUS_ACTIVE.equals(it.status());
      itemVerticals[i] = it.verticals().stream().mapToInt(verticals::require).toArray();
      if (it.vector() != null) {
        ModelBundle.checkDim(it.vector(), dim, "item " + it.id());
        System.arraycopy(it.vector(), 0, vectors, i * dim, dim);
        hasVector[i] = true;
      }
      popularity[i] = (float) it.popularity();
      if (index.put(it.id(), i) != null) {
        throw new BundleException("duplicate item " + it.id());
      }
    }
    this.byId = ImmutableMap.copyOf(index);
    fillNewItemsWithCategoryMeans();
    this.newItems = IntStream.range(0, n).filter(i -> isNew[i]).toArray();
    int[] byPopularity =
        IntStream.range(0, n)
            .filter(i -> !isNew[i])
            .boxed()
            .sorted((x, y) -> Float.compare(popularity[y], popularity[x]))
            .mapToInt(Integer::intValue)
            .toArray();
    this.popularOverall = Arrays.copyOf(byPopularity, Math.min(POPULAR_LIST, byPopularity.length));
    this.popularByVertical = popularByVertical(byPopularity);
    this.itemIndex = index(prebuilt, int8Scan);
  }

  /**
   * The prebuilt index mapped if it checks out, else one built here (older bundles have none; a
   * corrupt or mismatched one is reported and replaced, so a replica still serves).
   */
  private ItemIndex index(PrebuiltIndex prebuilt, boolean int8Scan) {
    IndexedItems items = new IndexedItems();
    if (prebuilt != null) {
      try {
        return ItemIndex.open(items, prebuilt.dir(), prebuilt.files());
      } catch (IllegalStateException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "not using the prebuilt item index, building one instead (slow for a large catalog): "
                + e.getMessage());
      }
    }
    return ItemIndex.build(items, ANN_MIN_ITEMS, int8Scan);
  }

  /** Bit mask of the host apps ({@link HostApps#ALL} order) among the ids; unknown ones ignored. */
  static int hostAppMask(List<String> apps) {
    int mask = 0;
    for (String app : apps) {
      int a = HostApps.ALL.indexOf(app);
      if (a >= 0) {
        mask |= 1 << a;
      }
    }
    return mask;
  }

  private int[][] popularByVertical(int[] byPopularity) {
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
    return perVertical.stream()
        .map(l -> l.stream().mapToInt(Integer::intValue).toArray())
        .toArray(int[][]::new);
  }

  private void fillNewItemsWithCategoryMeans() {
    int c = categories.size();
    float[] sums = new float[c * dim];
    int[] counts = new int[c];
    for (int i = 0; i < ids.length; i++) {
      if (hasVector[i]) {
        counts[category[i]]++;
        for (int d = 0; d < dim; d++) {
          sums[category[i] * dim + d] += vectors[i * dim + d];
        }
      }
    }
    for (int i = 0; i < ids.length; i++) {
      if (!hasVector[i]) {
        isNew[i] = true;
        int cat = category[i];
        if (counts[cat] > 0) {
          for (int d = 0; d < dim; d++) {
            vectors[i * dim + d] = sums[cat * dim + d] / counts[cat];
          }
          hasVector[i] = true;
        }
      }
    }
  }

  public int dim() {
    return dim;
  }

  public int count() {
    return ids.length;
  }

  public String id(int item) {
    return ids[item];
  }

  public String name(int item) {
    return names[item];
  }

  /** The item's index, if the catalog has it. */
  public OptionalInt find(String id) {
    Integer i = byId.get(id);
    return i == null ? OptionalInt.empty() : OptionalInt.of(i);
  }

  public boolean isActive(int item) {
    return active[item];
  }

  /** Whether the item runs in the host app (an index into {@link HostApps#ALL}). */
  public boolean runsIn(int item, int hostApp) {
    return (hostApps[item] & (1 << hostApp)) != 0;
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
  public boolean hasVector(int item) {
    return hasVector[item];
  }

  /** Whether the item had no interactions when the model was trained (no learnt vector). */
  public boolean isNew(int item) {
    return isNew[item];
  }

  /** The new items in ascending order, so exploration need not scan the catalog; a copy. */
  public int[] newItems() {
    return newItems.clone();
  }

  /** The item's popularity over every host app and city. */
  public float popularity(int item) {
    return popularity[item];
  }

  /** The most popular established items, best first (at most {@link #POPULAR_LIST}); a copy. */
  public int[] popularOverall() {
    return popularOverall.clone();
  }

  /** The most popular established items of a vertical, best first; a copy. */
  public int[] popularInVertical(int vertical) {
    return popularByVertical[vertical].clone();
  }

  /** The item's verticals as indexes (see {@link #verticalName}); do not modify. */
  public int[] verticals(int item) {
    return itemVerticals[item];
  }

  public String verticalName(int vertical) {
    return verticals.name(vertical);
  }

  /** The item's category as an index, in the order of the sorted category names. */
  public int categoryOf(int item) {
    return category[item];
  }

  /** The item's category name. */
  public String category(int item) {
    return categories.name(category[item]);
  }

  /** City index, or -1 if the bundle knows no such city. */
  public int city(String name) {
    return cities.indexOf(name);
  }

  /** The city's name, or null for -1. */
  public String cityName(int city) {
    return city < 0 ? null : cities.name(city);
  }

  Names categories() {
    return categories;
  }

  /** Nearest learnt items by inner product (HNSW for large catalogs, exact for small ones). */
  public ItemIndex itemIndex() {
    return itemIndex;
  }

  /** The collaborative score: the user's factors · the item's. */
  public float dot(float[] userVector, int item) {
    return Vectors.dot(userVector, 0, vectors, item * dim, dim);
  }

  /** The items with learnt vectors, as the nearest-neighbour index reads them. */
  private final class IndexedItems implements ItemIndex.Items {
    private final ItemIndex.Source learnt =
        ItemIndex.Source.of(ids, vectors, dim, i -> hasVector[i] && !isNew[i]);

    @Override
    public int count() {
      return learnt.count();
    }

    @Override
    public int dim() {
      return learnt.dim();
    }

    @Override
    public boolean hasVector(int item) {
      return learnt.hasVector(item);
    }

    @Override
    public void vector(int item, float[] into) {
      learnt.vector(item, into);
    }

    @Override
    public String id(int item) {
      return learnt.id(item);
    }

    @Override
    public int item(String id) {
      Integer i = byId.get(id);
      return i == null ? -1 : i;
    }

    @Override
    public boolean runsIn(int item, int hostApp) {
      return Catalog.this.runsIn(item, hostApp);
    }

    @Override
    public List<Integer> hostApps(int item) {
      List<Integer> apps = new ArrayList<>();
      for (int a = 0; a < HostApps.ALL.size(); a++) {
        if (runsIn(item, a)) {
          apps.add(a);
        }
      }
      return apps;
    }
  }
}
