package io.crowdrank.ranking.ann;

import com.google.common.base.Preconditions;
import io.crowdrank.format.HostApps;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntPredicate;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.index.CodecReader;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.FieldInfos;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.StoredFieldVisitor;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.MMapDirectory;
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

  /** Stored field: the item's id, which ties a document to the catalog however it is ordered. */
  static final String ITEM_ID = "id";

  /**
   * Candidates an HNSW search explores at least (HNSW's "ef") when the caller names no beam; more
   * raises recall and cost. On a million clustered 64-dim vectors, with {@link #MAX_CONN} and
   * {@link #QUANTIZE_BITS}, recall@20 was 0.970-0.976 at 200 and 0.958-0.963 at 100 over four
   * builds (docs/BENCHMARKS.md). The ranking names its own ({@code RankingConfig.annCandidates}).
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

  /** What a graph is built from: the items' ids and learnt vectors. */
  public interface Source {
    int count();

    int dim();

    /** Whether the item has a vector to index (new items without one are left out). */
    boolean hasVector(int item);

    /** Copies the item's vector into {@code into}. */
    void vector(int item, float[] into);

    /** The item's id (unique). */
    String id(int item);

    /**
     * Items over arrays: ids, and their vectors one after another ({@code dim} floats each),
     * indexed where {@code hasVector} says.
     */
    static Source of(String[] ids, float[] vectors, int dim, IntPredicate hasVector) {
      Preconditions.checkArgument(
          vectors.length == (long) ids.length * dim,
          "%s ids but %s floats",
          ids.length,
          vectors.length);
      return new Source() {
        @Override
        public int count() {
          return ids.length;
        }

        @Override
        public int dim() {
          return dim;
        }

        @Override
        public boolean hasVector(int item) {
          return hasVector.test(item);
        }

        @Override
        public void vector(int item, float[] into) {
          System.arraycopy(vectors, item * dim, into, 0, dim);
        }

        @Override
        public String id(int item) {
          return ids[item];
        }
      };
    }
  }

  /** The item factors as the index sees them. */
  public interface Items extends Source {
    /** The index of the item with this id, or -1 if there is none. */
    int item(String id);

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

  /** Whether the graph is a prebuilt one mapped from files (else built in this process). */
  private final boolean mapped;

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
      VectorColumns columns,
      boolean mapped) {
    this.items = items;
    this.directory = directory;
    this.reader = reader;
    this.searcher = reader == null ? null : new IndexSearcher(reader);
    this.itemOfDoc = itemOfDoc;
    this.hostAppFilters = hostAppFilters;
    this.columns = columns;
    this.mapped = mapped;
  }

  /**
   * Builds the index in memory: exact when there are fewer than {@code exactBelow} items with
   * vectors, otherwise an HNSW graph ({@link #MAX_CONN} links per node, Lucene's default build beam
   * of 100, on {@link #QUANTIZE_BITS}-bit vectors), built on every core.
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
              : new FloatColumns(floats, items.count()),
          false);
    }
    Directory dir = new ByteBuffersDirectory();
    try {
      writeGraph(items, dir);
      return open(items, dir, false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the item index", e);
    }
  }

  /**
   * Writes the HNSW graph of these items' vectors (those that have one) as Lucene index files in an
   * empty directory, force-merged to one segment, and returns each file's name with its CRC-32 (the
   * checksum Lucene keeps in the file's footer, lower-case hex): what {@link #open(Items, Path,
   * Map)} checks before mapping them. Publish calls this, so that replicas do not build the graph.
   */
  public static Map<String, String> write(Source items, Path dir) {
    try (Directory d = FSDirectory.open(dir)) {
      if (d.listAll().length > 0) {
        throw new IllegalArgumentException("item index directory is not empty: " + dir);
      }
      writeGraph(items, d);
      Map<String, String> files = new TreeMap<>();
      for (String f : d.listAll()) {
        if (f.equals(IndexWriter.WRITE_LOCK_NAME)) {
          d.deleteFile(f);
          continue;
        }
        try (IndexInput in = d.openInput(f, IOContext.READONCE)) {
          files.put(f, Long.toHexString(CodecUtil.retrieveChecksum(in)));
        }
      }
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the item index to " + dir, e);
    }
  }

  /**
   * Opens an index that {@link #write} made, memory-mapped and without rebuilding anything, after
   * checking that the directory holds exactly the files listed, each with its CRC-32 (read through
   * to the end of every file), and that its documents are exactly these items' vectors.
   *
   * @throws IllegalStateException if a file is missing, extra, or corrupt, or the index does not
   *     match the items (the caller may build one instead)
   */
  public static ItemIndex open(Items items, Path dir, Map<String, String> files) {
    if (!java.nio.file.Files.isDirectory(dir)) {
      throw new IllegalStateException("no item index at " + dir);
    }
    Directory d = null;
    try {
      d = new MMapDirectory(dir);
      java.util.Set<String> present = new java.util.TreeSet<>(List.of(d.listAll()));
      present.remove(IndexWriter.WRITE_LOCK_NAME);
      if (!present.equals(new java.util.TreeSet<>(files.keySet()))) {
        throw new IllegalStateException(
            "item index " + dir + " holds " + present + ", the manifest lists " + files.keySet());
      }
      for (Map.Entry<String, String> f : files.entrySet()) {
        try (IndexInput in = d.openInput(f.getKey(), IOContext.READONCE)) {
          String crc = Long.toHexString(CodecUtil.checksumEntireFile(in));
          if (!crc.equals(f.getValue())) {
            throw new IllegalStateException(
                "item index file "
                    + dir.resolve(f.getKey())
                    + " has checksum "
                    + crc
                    + ", the manifest says "
                    + f.getValue());
          }
        }
      }
      return open(items, d, true);
    } catch (IOException | RuntimeException e) {
      closeQuietly(d);
      if (e instanceof IllegalStateException ise) {
        throw ise;
      }
      throw new IllegalStateException("cannot open the item index " + dir + ": " + e, e);
    }
  }

  private static void closeQuietly(Directory d) {
    if (d != null) {
      try {
        d.close();
      } catch (IOException suppressed) {
        // Already failing; the first error is the one to report.
      }
    }
  }

  /**
   * The graph on every core: each thread indexes a slice into its own segment (a graph of its own),
   * and the final merge into one segment joins them with as many merge workers.
   */
  private static void writeGraph(Source items, Directory dir) throws IOException {
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
                      doc.add(new StoredField(ITEM_ID, items.id(i)));
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
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building the item index", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot build the item index: " + e.getCause(), e.getCause());
    } finally {
      workers.shutdownNow();
    }
  }

  /**
   * A searcher over a written graph: each document mapped to its item by id, and per host app the
   * documents that run there.
   *
   * @throws IllegalStateException if the documents are not exactly the items with vectors
   */
  private static ItemIndex open(Items items, Directory dir, boolean mapped) throws IOException {
    DirectoryReader reader = DirectoryReader.open(dir);
    try {
      int expected = 0;
      for (int i = 0; i < items.count(); i++) {
        expected += items.hasVector(i) ? 1 : 0;
      }
      if (reader.maxDoc() != expected || reader.numDocs() != expected) {
        throw new IllegalStateException(
            "the item index has " + reader.numDocs() + " items, the catalog " + expected);
      }
      FieldInfo field = FieldInfos.getMergedFieldInfos(reader).fieldInfo(VECTOR);
      if (field == null || field.getVectorDimension() != items.dim()) {
        throw new IllegalStateException(
            "the item index's vectors are not of length " + items.dim());
      }
      int[] itemOfDoc = new int[reader.maxDoc()];
      FixedBitSet[] byApp = new FixedBitSet[HostApps.ALL.size()];
      for (int a = 0; a < byApp.length; a++) {
        byApp[a] = new FixedBitSet(itemOfDoc.length);
      }
      IdVisitor ids = new IdVisitor();
      for (LeafReaderContext leaf : reader.leaves()) {
        // Read in order, each compressed block once, as Lucene's merges read: the random-access
        // reader decompresses a block per document (1.6-1.8 s for 1 M items, against 60-110 ms).
        StoredFields stored =
            leaf.reader() instanceof CodecReader codec
                ? codec.getFieldsReader().getMergeInstance()
                : leaf.reader().storedFields();
        for (int local = 0; local < leaf.reader().maxDoc(); local++) {
          int d = leaf.docBase + local;
          String id = ids.read(stored, local);
          int item = id == null ? -1 : items.item(id);
          if (item < 0 || !items.hasVector(item)) {
            throw new IllegalStateException(
                "the item index has item " + id + ", which the catalog has no vector for");
          }
          itemOfDoc[d] = item;
          for (int app : items.hostApps(item)) {
            byApp[app].set(d);
          }
        }
      }
      DocSetQuery[] filters = new DocSetQuery[byApp.length];
      for (int a = 0; a < byApp.length; a++) {
        filters[a] =
            byApp[a].cardinality() == itemOfDoc.length
                ? null
                : new DocSetQuery(HostApps.ALL.get(a), byApp[a]);
      }
      return new ItemIndex(items, dir, reader, itemOfDoc, filters, null, mapped);
    } catch (IOException | RuntimeException e) {
      reader.close();
      throw e;
    }
  }

  /** Reads a document's item id and nothing else. */
  private static final class IdVisitor extends StoredFieldVisitor {
    private String id;

    String read(StoredFields stored, int doc) throws IOException {
      id = null;
      stored.document(doc, this);
      return id;
    }

    @Override
    public Status needsField(FieldInfo field) {
      return field.name.equals(ITEM_ID) ? Status.YES : id == null ? Status.NO : Status.STOP;
    }

    @Override
    public void stringField(FieldInfo field, String value) {
      id = value;
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

  /**
   * How the index searches: {@code hnsw} (a graph built here), {@code hnsw-prebuilt} (publish's
   * graph, mapped), {@code exact-int8} or {@code exact-float}.
   */
  public String method() {
    if (reader != null) {
      return mapped ? "hnsw-prebuilt" : "hnsw";
    }
    return columns instanceof Int8Columns ? "exact-int8" : "exact-float";
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
      // Explore at least minBeam candidates (HNSW's "ef"), then keep the n best by product.
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
