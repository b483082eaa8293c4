package io.crowdrank.ranking.ann;

import com.google.common.base.Preconditions;
import io.crowdrank.format.HostApps;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.FixedBitSet;

/**
 * The mini-programs nearest to a user vector by inner product (the collaborative score), among
 * those running in a host app: a Lucene HNSW graph over the item factors, searched with the host
 * app as a pre-filter, or — for a catalog smaller than {@code exactBelow} — an exact scan, which is
 * faster there and has perfect recall. Built once per bundle; immutable and thread-safe after.
 *
 * <p>The exact scan keeps its own copy of the factors dimension-major: as bytes scored with the
 * Vector API ({@link Int8Columns}) where the JVM has it, else as floats ({@link FloatColumns}).
 * Either way a {@link Scan} states how far its products may be off, and {@link Scan#contenders}
 * keeps every item that could make a top n within that bound, for the caller to re-score exactly.
 */
public final class ItemIndex implements AutoCloseable {
  static final String VECTOR = "v";
  static final String ITEM = "item";

  /**
   * Candidates an HNSW search explores at least (HNSW's "ef"); more raises recall and cost. On a
   * million clustered 64-dim vectors, with {@link #MAX_CONN} and {@link #QUANTIZE_BITS}, recall@20
   * was 0.970-0.976 at 200 and 0.958-0.963 at 100 over three builds; Rank asks for 200 candidates,
   * so 200 is the least a search explores anyway (docs/BENCHMARKS.md).
   */
  public static final int SEARCH_BEAM = 200;

  /**
   * Links per node in the graph (HNSW's M; Lucene's default is 16). At 16 recall@20 at a million
   * items was 0.938-0.954 at beam 200 and levelled off at 0.951-0.960 however wide the search; at
   * 32 it is 0.97.
   */
  static final int MAX_CONN = 32;

  /**
   * Bits per dimension of the vectors the graph is built and searched on (Lucene's scalar
   * quantisation). A search is bound by memory latency, not arithmetic: 64 bytes per visited node
   * instead of 256 pay for M = 32's extra links, at the same search time as floats at M = 16. The
   * candidates are then re-scored on the float vectors.
   */
  static final int QUANTIZE_BITS = 7;

  /** The item factors as the index sees them. */
  public interface Items {
    int count();

    int dim();

    /** Whether the item has a vector to index (new items without one are left out). */
    boolean hasVector(int item);

    /** Copies the item's vector into {@code into}. */
    void vector(int item, float[] into);

    /** Host-app indexes ({@link HostApps#ALL} order) the item runs in. */
    List<Integer> hostApps(int item);

    /** Whether the item runs in the host app (index in {@link HostApps#ALL}). */
    boolean runsIn(int item, int hostApp);
  }

  /** One neighbour: item index and inner product with the query. */
  public record Neighbour(int item, float score) {}

  private final Items items;
  private final Directory directory;
  private final DirectoryReader reader;
  private final IndexSearcher searcher;
  private final int[] itemOfDoc;

  /** Exact mode only: the factors laid out for the scan. */
  private final VectorColumns columns;

  /**
   * Per host app: the documents that run in it, or null where that is every document (no filter
   * needed).
   */
  private final DocSetQuery[] hostAppFilters;

  private ItemIndex(
      Items items,
      Directory directory,
      DirectoryReader reader,
      int[] itemOfDoc,
      DocSetQuery[] hostAppFilters,
      VectorColumns columns) {
    this.items = items;
    this.directory = directory;
    this.reader = reader;
    this.searcher = reader == null ? null : new IndexSearcher(reader);
    this.itemOfDoc = itemOfDoc;
    this.hostAppFilters = hostAppFilters;
    this.columns = columns;
  }

  /**
   * Builds the index: exact when there are fewer than {@code exactBelow} items with vectors,
   * otherwise an HNSW graph ({@link #MAX_CONN} links per node, Lucene's default build beam of 100,
   * on {@link #QUANTIZE_BITS}-bit vectors). The graph is built on every core: each thread indexes a
   * slice into its own segment (a graph of its own), and the final merge into one segment joins
   * them with as many merge workers.
   */
  public static ItemIndex build(Items items, int exactBelow) {
    return build(items, exactBelow, true);
  }

  /**
   * As {@link #build(Items, int)}; {@code int8} false keeps the exact scan on float columns even
   * where the JVM could run the int8 one (to compare them, or to rule the Vector API out).
   */
  public static ItemIndex build(Items items, int exactBelow, boolean int8) {
    int indexed = 0;
    for (int i = 0; i < items.count(); i++) {
      if (items.hasVector(i)) {
        indexed++;
      }
    }
    if (indexed < exactBelow) {
      float[][] floats = columns(items);
      return new ItemIndex(
          items,
          null,
          null,
          null,
          null,
          int8 && Simd.SUPPORTED
              ? Int8Columns.of(floats, items.count())
              : new FloatColumns(floats, items.count()));
    }
    Directory dir = new ByteBuffersDirectory();
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    ExecutorService workers = Executors.newFixedThreadPool(threads);
    try {
      KnnVectorsFormat hnsw =
          new Lucene99HnswScalarQuantizedVectorsFormat(
              MAX_CONN,
              Lucene99HnswVectorsFormat.DEFAULT_BEAM_WIDTH,
              threads,
              QUANTIZE_BITS,
              /* compress= */ false,
              /* confidenceInterval (null: Lucene's default) = */ null,
              threads > 1 ? workers : null);
      IndexWriterConfig config =
          new IndexWriterConfig()
              .setCodec(
                  new Lucene912Codec() {
                    @Override
                    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                      return hnsw;
                    }
                  })
              .setRAMBufferSizeMB(1024)
              .setUseCompoundFile(false);
      try (IndexWriter writer = new IndexWriter(dir, config)) {
        List<Future<?>> slices = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int slice = t;
          slices.add(
              workers.submit(
                  () -> {
                    float[] v = new float[items.dim()];
                    for (int i = slice; i < items.count(); i += threads) {
                      if (!items.hasVector(i)) {
                        continue;
                      }
                      items.vector(i, v);
                      Document doc = new Document();
                      doc.add(
                          new KnnFloatVectorField(
                              VECTOR, v.clone(), VectorSimilarityFunction.MAXIMUM_INNER_PRODUCT));
                      doc.add(new StoredField(ITEM, i));
                      writer.addDocument(doc);
                    }
                    return null;
                  }));
        }
        for (Future<?> f : slices) {
          f.get();
        }
        writer.forceMerge(1);
      }
      DirectoryReader reader = DirectoryReader.open(dir);
      int[] itemOfDoc = new int[reader.maxDoc()];
      StoredFields stored = reader.storedFields();
      FixedBitSet[] byApp = new FixedBitSet[HostApps.ALL.size()];
      for (int a = 0; a < byApp.length; a++) {
        byApp[a] = new FixedBitSet(itemOfDoc.length);
      }
      for (int d = 0; d < itemOfDoc.length; d++) {
        itemOfDoc[d] = stored.document(d).getField(ITEM).numericValue().intValue();
        for (int app : items.hostApps(itemOfDoc[d])) {
          byApp[app].set(d);
        }
      }
      DocSetQuery[] filters = new DocSetQuery[byApp.length];
      for (int a = 0; a < byApp.length; a++) {
        filters[a] =
            byApp[a].cardinality() == itemOfDoc.length
                ? null
                : new DocSetQuery(HostApps.ALL.get(a), byApp[a]);
      }
      return new ItemIndex(items, dir, reader, itemOfDoc, filters, null);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the item index", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building the item index", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot build the item index: " + e.getCause(), e.getCause());
    } finally {
      workers.shutdownNow();
    }
  }

  private static float[][] columns(Items items) {
    float[][] columns = new float[items.dim()][items.count()];
    float[] v = new float[items.dim()];
    for (int i = 0; i < items.count(); i++) {
      if (items.hasVector(i)) {
        items.vector(i, v);
        for (int d = 0; d < v.length; d++) {
          columns[d][i] = v[d];
        }
      }
    }
    return columns;
  }

  /** Whether searches are approximate (HNSW) rather than exact. */
  public boolean approximate() {
    return reader != null;
  }

  /** Whether this JVM can run the int8 exact scan (Vector API module present, 256-bit SIMD). */
  public static boolean int8Supported() {
    return Simd.SUPPORTED;
  }

  /** How the index searches: {@code hnsw}, {@code exact-int8} or {@code exact-float}. */
  public String method() {
    return reader != null ? "hnsw" : columns instanceof Int8Columns ? "exact-int8" : "exact-float";
  }

  /**
   * Up to {@code n} items with the largest inner product with {@code query} that run in the host
   * app (-1: any), best first.
   */
  public List<Neighbour> nearest(float[] query, int n, int hostApp) {
    return nearest(query, n, hostApp, SEARCH_BEAM);
  }

  /** As {@link #nearest(float[], int, int)}, exploring at least {@code beam} candidates. */
  public List<Neighbour> nearest(float[] query, int n, int hostApp, int beam) {
    Preconditions.checkArgument(query.length == items.dim(), "query has the wrong dimension");
    Preconditions.checkArgument(n >= 1, "n must be >= 1");
    return reader == null ? exact(query, n, hostApp) : approximate(query, n, hostApp, beam);
  }

  /**
   * Every item's inner product with {@code query}, by item index, each within {@link Scan#bound} of
   * the exact product; items without a vector score about 0 and are the caller's to skip. Exact
   * mode only: the small catalogs where scoring everything is the search.
   *
   * @throws IllegalStateException on an HNSW index, which keeps no columns
   */
  public Scan scan(float[] query) {
    Preconditions.checkState(columns != null, "an HNSW index does not score every item");
    Preconditions.checkArgument(query.length == items.dim(), "query has the wrong dimension");
    return new Scan(columns.scores(query), columns.bound(query));
  }

  /**
   * {@link #scan} for several queries at once, in their order, with the same scores: concurrent
   * requests share the pass over the columns (and its reads from memory).
   *
   * @throws IllegalStateException on an HNSW index, which keeps no columns
   */
  public Scan[] scan(float[][] queries) {
    Preconditions.checkState(columns != null, "an HNSW index does not score every item");
    for (float[] q : queries) {
      Preconditions.checkArgument(q.length == items.dim(), "query has the wrong dimension");
    }
    float[][] scores = columns.scores(queries);
    Scan[] out = new Scan[queries.length];
    for (int q = 0; q < queries.length; q++) {
      out[q] = new Scan(scores[q], columns.bound(queries[q]));
    }
    return out;
  }

  /**
   * As {@link #scan} on an exact index. On an HNSW index, every item's exact product computed item
   * by item (bound 0), calling {@code checkpoint} before every {@value Scan#CHECK_EVERY} items: the
   * fallback when a search leaves too few candidates, and the reference for recall.
   */
  public Scan scanAll(float[] query, Runnable checkpoint) {
    if (columns != null) {
      return scan(query);
    }
    Preconditions.checkArgument(query.length == items.dim(), "query has the wrong dimension");
    float[] all = new float[items.count()];
    float[] v = new float[items.dim()];
    for (int i = 0; i < all.length; i++) {
      if ((i & (Scan.CHECK_EVERY - 1)) == 0) {
        checkpoint.run();
      }
      if (items.hasVector(i)) {
        items.vector(i, v);
        all[i] = dot(query, v);
      }
    }
    return new Scan(all, 0);
  }

  /** The exact answer by scanning every item: the reference for recall. */
  public List<Neighbour> exact(float[] query, int n, int hostApp) {
    TopK top = new TopK(n);
    float[] v = new float[items.dim()];
    for (int item :
        scanAll(query, () -> {})
            .contenders(
                n,
                Scan.Extra.NONE,
                i -> items.hasVector(i) && (hostApp < 0 || items.runsIn(i, hostApp)),
                () -> {})) {
      items.vector(item, v);
      top.offer(item, dot(query, v));
    }
    List<Neighbour> out = new ArrayList<>(top.size());
    for (TopK.Entry e : top.best()) {
      out.add(new Neighbour(e.item(), (float) e.score()));
    }
    return out;
  }

  private List<Neighbour> approximate(float[] query, int n, int hostApp, int minBeam) {
    Query filter = hostApp < 0 ? null : hostAppFilters[hostApp];
    try {
      // Explore at least SEARCH_BEAM candidates (HNSW's "ef"), then keep the n best by product.
      int beam = Math.max(n, minBeam);
      TopDocs top = searcher.search(new KnnFloatVectorQuery(VECTOR, query, beam, filter), beam);
      List<Neighbour> out = new ArrayList<>(top.scoreDocs.length);
      float[] v = new float[items.dim()];
      for (ScoreDoc d : top.scoreDocs) {
        int item = itemOfDoc[d.doc];
        items.vector(item, v);
        // Lucene's score comes from the quantised vectors; rank by the exact product.
        out.add(new Neighbour(item, dot(query, v)));
      }
      out.sort((a, b) -> Float.compare(b.score(), a.score()));
      return out.size() > n ? List.copyOf(out.subList(0, n)) : out;
    } catch (IOException e) {
      throw new UncheckedIOException("item index search failed", e);
    }
  }

  static float dot(float[] a, float[] b) {
    return Vectors.dot(a, 0, b, 0, a.length);
  }

  @Override
  public void close() {
    try {
      if (reader != null) {
        reader.close();
        directory.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
