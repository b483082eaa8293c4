package io.crowdrank.ranking.ann;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import java.util.function.IntToDoubleFunction;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ItemIndexTest {
  static final int DIM = 16;

  /** Random factors; every third item runs only in host app 1, the rest in 0 and 1. */
  record RandomItems(float[][] vectors) implements ItemIndex.Items {
    static RandomItems of(int n, long seed) {
      return of(n, DIM, seed);
    }

    static RandomItems of(int n, int dim, long seed) {
      SplittableRandom rnd = new SplittableRandom(seed);
      float[][] v = new float[n][dim];
      for (float[] row : v) {
        for (int d = 0; d < dim; d++) {
          row[d] = (float) rnd.nextGaussian();
        }
      }
      return new RandomItems(v);
    }

    @Override
    public int count() {
      return vectors.length;
    }

    @Override
    public int dim() {
      return vectors[0].length;
    }

    @Override
    public boolean hasVector(int item) {
      return item % 50 != 49; // a few new items without vectors
    }

    @Override
    public void vector(int item, float[] into) {
      System.arraycopy(vectors[item], 0, into, 0, dim());
    }

    @Override
    public String id(int item) {
      return "mp" + item;
    }

    @Override
    public int item(String id) {
      int i = id.startsWith("mp") ? Integer.parseInt(id.substring(2)) : -1;
      return i >= 0 && i < count() ? i : -1;
    }

    @Override
    public List<Integer> hostApps(int item) {
      return item % 3 == 0 ? List.of(1) : List.of(0, 1);
    }

    @Override
    public boolean runsIn(int item, int hostApp) {
      return hostApps(item).contains(hostApp);
    }
  }

  ItemIndex index;

  @AfterEach
  void close() {
    if (index != null) {
      index.close();
    }
  }

  private static float[] query(SplittableRandom rnd) {
    return query(rnd, DIM);
  }

  @Test
  void nearest_hnsw_recallsAtLeast95PercentOfTheExactTop20() {
    index = ItemIndex.build(RandomItems.of(20_000, 1), 1_000);
    SplittableRandom rnd = new SplittableRandom(2);
    int hits = 0;
    int total = 0;
    for (int q = 0; q < 50; q++) {
      float[] query = query(rnd);
      Set<Integer> exact = new HashSet<>();
      index.exact(query, 20, -1).forEach(n -> exact.add(n.item()));
      for (ItemIndex.Neighbour n : index.nearest(query, 20, -1)) {
        hits += exact.contains(n.item()) ? 1 : 0;
      }
      total += 20;
    }

    assertThat(index.approximate()).isTrue();
    assertThat(hits / (double) total).isGreaterThanOrEqualTo(0.95);
  }

  @Test
  void nearest_hnsw_scoresAreTheFloatProducts_notTheQuantisedGraphs() {
    RandomItems items = RandomItems.of(5_000, 5);
    index = ItemIndex.build(items, 1_000);
    float[] q = query(new SplittableRandom(6));

    List<ItemIndex.Neighbour> top = index.nearest(q, 50, -1);

    assertThat(index.approximate()).isTrue();
    assertThat(top).hasSize(50);
    assertThat(top)
        .allSatisfy(
            n -> assertThat(n.score()).isEqualTo(ItemIndex.dot(q, items.vectors()[n.item()])));
    assertThat(top.stream().map(ItemIndex.Neighbour::score).toList())
        .isSortedAccordingTo(java.util.Comparator.reverseOrder());
  }

  @Test
  void nearest_withHostApp_returnsOnlyItemsRunningThere_bestFirst_neverNewItems() {
    index = ItemIndex.build(RandomItems.of(5_000, 3), 1_000);

    List<ItemIndex.Neighbour> top = index.nearest(query(new SplittableRandom(4)), 30, 0);

    assertThat(top).hasSize(30);
    assertThat(top).allSatisfy(n -> assertThat(n.item() % 3).isNotZero());
    assertThat(top).allSatisfy(n -> assertThat(n.item() % 50).isNotEqualTo(49));
    assertThat(top.stream().map(ItemIndex.Neighbour::score).toList())
        .isSortedAccordingTo(java.util.Comparator.reverseOrder());
  }

  @Test
  void nearest_hostAppEveryItemRunsIn_needsNoFilter_andMatchesTheUnfilteredSearch() {
    index = ItemIndex.build(RandomItems.of(5_000, 3), 1_000);
    float[] q = query(new SplittableRandom(8));

    assertThat(index.nearest(q, 20, 1)).isEqualTo(index.nearest(q, 20, -1));
  }

  @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp;

  /** Recall@20 against the exact top 20 over queries drawn with this seed. */
  private double recallAt20(ItemIndex idx, int hostApp, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int hits = 0;
    for (int q = 0; q < 30; q++) {
      float[] query = query(rnd);
      Set<Integer> exact = new HashSet<>();
      idx.exact(query, 20, hostApp).forEach(n -> exact.add(n.item()));
      for (ItemIndex.Neighbour n : idx.nearest(query, 20, hostApp)) {
        hits += exact.contains(n.item()) ? 1 : 0;
      }
    }
    return hits / (30 * 20.0);
  }

  @Test
  void open_writtenIndex_isMappedNotRebuilt_andSearchesLikeABuiltOne() throws Exception {
    RandomItems items = RandomItems.of(8_000, 12);
    java.nio.file.Path dir = tmp.resolve("index");

    java.util.Map<String, String> files = ItemIndex.write(items, dir);
    index = ItemIndex.open(items, dir, files);

    assertThat(files).isNotEmpty().doesNotContainKey("write.lock");
    try (var listed = java.nio.file.Files.list(dir)) {
      assertThat(listed.map(f -> f.getFileName().toString())).hasSameElementsAs(files.keySet());
    }
    assertThat(index.method()).isEqualTo("hnsw-prebuilt");
    assertThat(recallAt20(index, -1, 13)).isGreaterThanOrEqualTo(0.95);
    assertThat(recallAt20(index, 0, 14)).isGreaterThanOrEqualTo(0.95);
    // The filter comes from the catalog at open: only items of host app 0, none without a vector.
    List<ItemIndex.Neighbour> top = index.nearest(query(new SplittableRandom(15)), 40, 0);
    assertThat(top).hasSize(40).allSatisfy(n -> assertThat(n.item() % 3).isNotZero());
    assertThat(top).allSatisfy(n -> assertThat(n.item() % 50).isNotEqualTo(49));
    assertThat(top)
        .allSatisfy(
            n ->
                assertThat(n.score())
                    .isEqualTo(
                        ItemIndex.dot(query(new SplittableRandom(15)), items.vectors()[n.item()])));
  }

  @Test
  void open_fileChangedAfterPublish_isRefusedNamingTheFile() throws Exception {
    RandomItems items = RandomItems.of(2_000, 16);
    java.nio.file.Path dir = tmp.resolve("index");
    java.util.Map<String, String> files = ItemIndex.write(items, dir);
    String largest =
        files.keySet().stream()
            .max(Comparator.comparingLong(f -> dir.resolve(f).toFile().length()))
            .orElseThrow();
    byte[] bytes = java.nio.file.Files.readAllBytes(dir.resolve(largest));
    bytes[bytes.length / 2] ^= 0x5a;
    java.nio.file.Files.write(dir.resolve(largest), bytes);

    assertThatThrownBy(() -> ItemIndex.open(items, dir, files))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(largest)
        .hasMessageContaining("checksum");
  }

  @Test
  void open_filesOtherThanTheManifestLists_orNoDirectory_isRefused() throws Exception {
    RandomItems items = RandomItems.of(2_000, 17);
    java.nio.file.Path dir = tmp.resolve("index");
    java.util.Map<String, String> files = ItemIndex.write(items, dir);
    java.util.Map<String, String> fewer = new java.util.TreeMap<>(files);
    fewer.remove(fewer.keySet().iterator().next());

    assertThatThrownBy(() -> ItemIndex.open(items, dir, fewer))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("the manifest lists");
    assertThatThrownBy(() -> ItemIndex.open(items, tmp.resolve("missing"), files))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no item index at");
  }

  @Test
  void open_indexOfOtherItems_isRefused() throws Exception {
    java.nio.file.Path dir = tmp.resolve("index");
    java.util.Map<String, String> files = ItemIndex.write(RandomItems.of(2_000, 18), dir);

    // Same ids, one item more: the catalog has a vector the index lacks.
    assertThatThrownBy(() -> ItemIndex.open(RandomItems.of(2_001, 18), dir, files))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("the item index has");
    // Fewer items: the index names items the catalog does not have.
    assertThatThrownBy(() -> ItemIndex.open(RandomItems.of(1_000, 18), dir, files))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("the item index has");
    // Vectors of another length.
    assertThatThrownBy(() -> ItemIndex.open(RandomItems.of(2_000, 8, 18), dir, files))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not of length 8");
  }

  @Test
  void write_intoADirectoryWithFiles_isRefused() throws Exception {
    java.nio.file.Path dir = tmp.resolve("index");
    ItemIndex.write(RandomItems.of(500, 19), dir);

    assertThatThrownBy(() -> ItemIndex.write(RandomItems.of(500, 19), dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not empty");
  }

  @Test
  void nearest_smallCatalog_isExact() {
    index = ItemIndex.build(RandomItems.of(300, 5), 1_000);
    float[] q = query(new SplittableRandom(6));

    assertThat(index.approximate()).isFalse();
    assertThat(index.nearest(q, 10, 1)).isEqualTo(index.exact(q, 10, 1));
  }

  /** Brute force: the n best eligible items by exact product plus extra, ties to lower index. */
  private static List<Integer> bruteTop(
      RandomItems items, float[] q, int n, IntToDoubleFunction extra, IntPredicate eligible) {
    return IntStream.range(0, items.count())
        .filter(eligible)
        .boxed()
        .sorted(
            Comparator.comparingDouble(
                    (Integer i) -> -(ItemIndex.dot(q, items.vectors()[i]) + extra.applyAsDouble(i)))
                .thenComparingInt(i -> i))
        .limit(n)
        .toList();
  }

  private static float[] query(SplittableRandom rnd, int dim) {
    float[] q = new float[dim];
    for (int d = 0; d < dim; d++) {
      q[d] = (float) rnd.nextGaussian();
    }
    return q;
  }

  @Test
  void build_inTheTestJvm_hasTheVectorModule_andUsesInt8WhereSupported() {
    // Surefire passes --add-modules=jdk.incubator.vector, as ./crowdrank serve does.
    assertThat(ModuleLayer.boot().findModule("jdk.incubator.vector")).isPresent();
    index = ItemIndex.build(RandomItems.of(500, 5), 1_000);

    assertThat(index.method()).isEqualTo(Simd.SUPPORTED ? "exact-int8" : "exact-float");
  }

  @ParameterizedTest(name = "int8 = {0}")
  @ValueSource(booleans = {true, false})
  void scan_exactIndex_everyProductWithinTheBound_zeroWithoutAVector(boolean int8) {
    assumeTrue(!int8 || Simd.SUPPORTED, "no SIMD Vector API in this JVM");
    // 7 dimensions and 3,000 items: neither fills whole SIMD blocks, so the tails run too.
    int dim = 7;
    RandomItems items = RandomItems.of(3_000, dim, 9);
    index = ItemIndex.build(items, 10_000, int8);
    float[] q = query(new SplittableRandom(10), dim);

    Scan scan = index.scan(q);

    assertThat(index.method()).isEqualTo(int8 ? "exact-int8" : "exact-float");
    assertThat(scan.scores()).hasSize(items.count());
    // Int8 is a grid of 1/127 of each dimension's largest factor: off by a visible amount.
    assertThat(scan.bound()).isGreaterThan(0f).isLessThan(int8 ? 0.1f : 1e-4f);
    double worst = 0;
    for (int i = 0; i < items.count(); i++) {
      double expected = items.hasVector(i) ? ItemIndex.dot(q, items.vectors()[i]) : 0;
      assertThat((double) scan.scores()[i])
          .as("item %d", i)
          .isCloseTo(expected, within((double) scan.bound()));
      worst = Math.max(worst, Math.abs(scan.scores()[i] - expected));
    }
    // The bound is a bound, not a guess much larger than the error.
    assertThat(worst).isGreaterThan(scan.bound() / (int8 ? 20 : 1e4));
  }

  @ParameterizedTest(name = "int8 = {0}")
  @ValueSource(booleans = {true, false})
  void scan_severalQueries_sameScoresAndBoundsAsOneByOne(boolean int8) {
    assumeTrue(!int8 || Simd.SUPPORTED, "no SIMD Vector API in this JVM");
    // 1 to 9 queries: whole passes of four, two or three padded to four, one left over; 3,000
    // items and 7 dimensions leave tails as well.
    int dim = 7;
    RandomItems items = RandomItems.of(3_000, dim, 23);
    index = ItemIndex.build(items, 10_000, int8);
    SplittableRandom rnd = new SplittableRandom(24);
    for (int n = 1; n <= 9; n++) {
      float[][] queries = new float[n][];
      for (int q = 0; q < n; q++) {
        queries[q] = query(rnd, dim);
      }

      Scan[] together = index.scan(queries);

      assertThat(together).hasSize(n);
      for (int q = 0; q < n; q++) {
        Scan alone = index.scan(queries[q]);
        // Bit for bit: the rankings built on them must not depend on how calls were batched.
        assertThat(together[q].scores()).as("%d queries, query %d", n, q).isEqualTo(alone.scores());
        assertThat(together[q].bound()).isEqualTo(alone.bound());
      }
    }
  }

  @ParameterizedTest(name = "int8 = {0}")
  @ValueSource(booleans = {true, false})
  void contenders_holdTheExactTopN_withExtraAndEligibility_andFewMore(boolean int8) {
    assumeTrue(!int8 || Simd.SUPPORTED, "no SIMD Vector API in this JVM");
    RandomItems items = RandomItems.of(10_000, 3);
    index = ItemIndex.build(items, 20_000, int8);
    IntToDoubleFunction extra = i -> (i % 7) * 0.05;
    IntPredicate eligible = i -> items.hasVector(i) && i % 5 != 0;
    List<Integer> asked = new ArrayList<>();
    SplittableRandom rnd = new SplittableRandom(12);
    for (int q = 0; q < 20; q++) {
      float[] query = query(rnd);
      asked.clear();

      int[] contenders =
          index
              .scan(query)
              .contenders(
                  40,
                  new Scan.Extra(extra, 0, 0.3),
                  i -> {
                    asked.add(i);
                    return eligible.test(i);
                  },
                  () -> {});

      assertThat(contenders)
          .as("query %d", q)
          .contains(bruteTop(items, query, 40, extra, eligible).stream().mapToInt(i -> i).toArray())
          .isSorted();
      assertThat(IntStream.of(contenders).allMatch(eligible)).as("query %d", q).isTrue();
      assertThat(contenders.length).as("query %d", q).isLessThan(int8 ? 120 : 45);
      // The filters ran only on items that could still make the top, not on all 10,000.
      assertThat(asked).hasSizeLessThan(1_000);
    }
  }

  @Test
  void contenders_checkpointThrows_stopsTheScan() {
    index = ItemIndex.build(RandomItems.of(20_000, 3), 30_000);
    int[] checks = new int[1];

    assertThatThrownBy(
            () ->
                index
                    .scan(query(new SplittableRandom(4)))
                    .contenders(
                        10,
                        Scan.Extra.NONE,
                        i -> true,
                        () -> {
                          if (++checks[0] == 3) {
                            throw new IllegalStateException("cancelled");
                          }
                        }))
        .hasMessage("cancelled");
    // 20,000 items are five blocks of 4,096: the third check was the last.
    assertThat(checks[0]).isEqualTo(3);
  }

  @Test
  void contenders_filtersRejectTheSampledTop_stillFindsTheExactTopN() {
    // Only every 97th item is eligible: the floor taken from the top groups is far too high for
    // them, so the choice starts again without it.
    RandomItems items = RandomItems.of(20_000, 15);
    index = ItemIndex.build(items, 30_000);
    float[] q = query(new SplittableRandom(16));
    IntPredicate eligible = i -> items.hasVector(i) && i % 97 == 0;

    int[] contenders = index.scan(q).contenders(40, Scan.Extra.NONE, eligible, () -> {});

    assertThat(contenders)
        .contains(bruteTop(items, q, 40, i -> 0, eligible).stream().mapToInt(i -> i).toArray());
    assertThat(IntStream.of(contenders).allMatch(eligible)).isTrue();
  }

  @Test
  void contenders_fewerEligibleThanN_returnsThemAll() {
    RandomItems items = RandomItems.of(20_000, 17);
    index = ItemIndex.build(items, 30_000);
    IntPredicate eligible = i -> i == 5 || i == 17_000;

    int[] contenders =
        index
            .scan(query(new SplittableRandom(18)))
            .contenders(40, Scan.Extra.NONE, eligible, () -> {});

    assertThat(contenders).containsExactly(5, 17_000);
  }

  @ParameterizedTest(name = "int8 = {0}")
  @ValueSource(booleans = {true, false})
  void exact_matchesBruteForce_exactScoresBestFirst(boolean int8) {
    assumeTrue(!int8 || Simd.SUPPORTED, "no SIMD Vector API in this JVM");
    RandomItems items = RandomItems.of(4_000, 13);
    index = ItemIndex.build(items, 10_000, int8);
    float[] q = query(new SplittableRandom(14));

    List<ItemIndex.Neighbour> top = index.exact(q, 25, 0);

    assertThat(top)
        .extracting(ItemIndex.Neighbour::item)
        .containsExactlyElementsOf(
            bruteTop(items, q, 25, i -> 0, i -> items.hasVector(i) && items.runsIn(i, 0)));
    assertThat(top)
        .allSatisfy(
            n -> assertThat(n.score()).isEqualTo(ItemIndex.dot(q, items.vectors()[n.item()])));
  }

  @Test
  void scanAll_hnswIndex_exactProductsItemByItem_checkpointEvery4096() {
    RandomItems items = RandomItems.of(10_000, 19);
    index = ItemIndex.build(items, 1_000);
    float[] q = query(new SplittableRandom(20));
    int[] checks = new int[1];

    Scan scan = index.scanAll(q, () -> checks[0]++);

    assertThat(index.approximate()).isTrue();
    assertThat(scan.bound()).isZero();
    for (int i = 0; i < items.count(); i++) {
      float expected = items.hasVector(i) ? ItemIndex.dot(q, items.vectors()[i]) : 0f;
      assertThat(scan.scores()[i]).as("item %d", i).isEqualTo(expected);
    }
    // Items 0, 4096 and 8192.
    assertThat(checks[0]).isEqualTo(3);
  }

  @Test
  void scan_hnswIndex_isRefused_oneQueryOrSeveral() {
    index = ItemIndex.build(RandomItems.of(2_000, 11), 1_000);

    assertThatThrownBy(() -> index.scan(new float[DIM]))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("HNSW");
    assertThatThrownBy(() -> index.scan(new float[][] {new float[DIM], new float[DIM]}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("HNSW");
  }
}
