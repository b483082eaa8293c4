package io.crowdrank.batch.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.bench.SyntheticBundle;
import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.format.Manifest;
import io.crowdrank.ranking.ann.ItemIndex;
import io.crowdrank.ranking.bundle.Catalog;
import io.crowdrank.ranking.bundle.ModelBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class BundleIndexTest extends SparkTestBase {
  private static final int DIM = 16;

  /** Indexed from this many items, so that a small bundle has a graph (the service's is 30,000). */
  private static final long INDEX_FROM = 3_000;

  private String bundle(long items) {
    new SyntheticBundle(
            spark, new SyntheticBundle.Options(warehouse(), items, 200, DIM, 20, 3, 4, INDEX_FROM))
        .execute();
    return Tables.at(warehouse(), Tables.BUNDLE);
  }

  private ModelBundle load(String table) {
    return BundleParts.load(
        Delta.read(spark, warehouse(), Tables.BUNDLE),
        Delta.version(spark, table),
        index -> Path.of(table).resolve(index.path()));
  }

  /**
   * Recall@20 of the bundle's search for its users against an exact scan of its float vectors, in
   * plain Java.
   */
  private static double recallAt20(ModelBundle b) {
    Catalog c = b.catalog();
    int hits = 0;
    int queries = 50;
    for (int q = 0; q < queries; q++) {
      float[] query = b.users().vector(q);
      float[] scores = new float[c.count()];
      for (int i = 0; i < scores.length; i++) {
        scores[i] = c.dot(query, i);
      }
      Set<Integer> exact = new HashSet<>();
      java.util.stream.IntStream.range(0, scores.length)
          .boxed()
          .sorted((x, y) -> Float.compare(scores[y], scores[x]))
          .limit(20)
          .forEach(exact::add);
      for (ItemIndex.Neighbour n : c.itemIndex().nearest(query, 20, -1)) {
        hits += exact.contains(n.item()) ? 1 : 0;
      }
    }
    return hits / (queries * 20.0);
  }

  @Test
  void publishedIndex_isNamedByTheManifest_andMappedInsteadOfBuilt() throws Exception {
    String table = bundle(INDEX_FROM);

    ModelBundle b = load(table);

    Manifest.Index index = b.manifest().index();
    assertThat(index).isNotNull();
    assertThat(index.items()).isEqualTo(INDEX_FROM);
    assertThat(index.dim()).isEqualTo(DIM);
    try (Stream<Path> files = Files.list(Path.of(table).resolve(index.path()))) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .hasSameElementsAs(index.files().keySet());
    }
    assertThat(b.catalog().itemIndex().method()).isEqualTo("hnsw-prebuilt");
    assertThat(recallAt20(b)).isGreaterThanOrEqualTo(0.95);
  }

  @Test
  void damagedIndex_isNotUsed_theCatalogBuildsItsOwn() throws Exception {
    String table = bundle(INDEX_FROM);
    Manifest.Index index = load(table).manifest().index();
    Path dir = Path.of(table).resolve(index.path());
    Path victim = dir.resolve(index.files().keySet().iterator().next());
    byte[] bytes = Files.readAllBytes(victim);
    bytes[bytes.length / 2] ^= 0x01;
    Files.write(victim, bytes);

    ModelBundle b = load(table);

    // Below the service's threshold, the catalog it builds itself is an exact scan.
    assertThat(b.catalog().itemIndex().method()).startsWith("exact");
    assertThat(recallAt20(b)).isEqualTo(1.0);
  }

  @Test
  void catalogBelowTheThreshold_getsNoIndex() {
    String table = bundle(INDEX_FROM - 1);

    ModelBundle b = load(table);

    assertThat(b.manifest().index()).isNull();
    assertThat(Path.of(table).resolve("_index")).doesNotExist();
    assertThat(b.catalog().itemIndex().approximate()).isFalse();
  }
}
