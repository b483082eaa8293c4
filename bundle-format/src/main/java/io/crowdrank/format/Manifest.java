package io.crowdrank.format;

import static io.crowdrank.format.BundleFormat.*;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bundle's manifest: the one typed shape that {@code publish} writes and the service reads. JSON
 * is each side's business (Spark's Jackson in the jobs, Quarkus's in the service): they go through
 * {@link #toMap()} and {@link #fromMap}, which hold the keys ({@code BundleFormat.MANIFEST_*}) and
 * the checks.
 *
 * @param formatVersion {@link BundleFormat#FORMAT_VERSION} when written
 * @param timeZone zone of the hour-of-week context
 * @param vectorDim length of every factor vector (the model's rank), &ge; 0
 * @param sources what the bundle was made from (input table versions, or a benchmark's settings)
 * @param training the model's training lineage (step, inputs, params)
 * @param metrics the evaluation of the model (empty if none)
 * @param ranking the ranking settings chosen with the model, or null (the service's config applies)
 * @param gate the quality gate's decision (empty if there was none)
 * @param counts items and users in the bundle
 * @param index the prebuilt item index published with the bundle, or null (the service builds one)
 * @param experiments the A/B experiments the service runs with this bundle ({@link
 *     Experiments#NONE} if none)
 */
public record Manifest(
    int formatVersion,
    Instant createdTime,
    String timeZone,
    int vectorDim,
    Map<String, Object> sources,
    Map<String, Object> training,
    Map<String, Object> metrics,
    Ranking ranking,
    Map<String, Object> gate,
    Map<String, Long> counts,
    Index index,
    Experiments experiments) {

  /**
   * An item index built by publish (an HNSW graph in Lucene's own files), so that a replica maps it
   * instead of building it.
   *
   * @param path directory of the Lucene files, relative to the bundle table, under {@link
   *     BundleFormat#INDEX_ROOT}
   * @param items items in the index (those with a learnt vector), &ge; 1
   * @param dim their vectors' length, &ge; 1
   * @param files every file of the index and its CRC-32 (Lucene's footer checksum), lower-case hex
   */
  public record Index(String path, long items, int dim, Map<String, String> files) {
    public Index {
      if (path == null
          || !path.startsWith(INDEX_ROOT + "/")
          || path.contains("..")
          || path.contains("\\")) {
        throw new IllegalArgumentException(
            "manifest "
                + MANIFEST_INDEX
                + "."
                + INDEX_PATH
                + " must be a directory under "
                + INDEX_ROOT
                + "/, got "
                + path);
      }
      if (items < 1 || dim < 1) {
        throw new IllegalArgumentException(
            "manifest "
                + MANIFEST_INDEX
                + " needs items >= 1 and dim >= 1, got "
                + items
                + ", "
                + dim);
      }
      if (files == null || files.isEmpty()) {
        throw new IllegalArgumentException("manifest " + MANIFEST_INDEX + " lists no files");
      }
      files.forEach(
          (name, crc) -> {
            if (name.isEmpty()
                || name.contains("/")
                || crc == null
                || !crc.matches("[0-9a-f]{1,8}")) {
              throw new IllegalArgumentException(
                  "manifest "
                      + MANIFEST_INDEX
                      + "."
                      + INDEX_FILES
                      + " has a bad entry "
                      + name
                      + ": "
                      + crc);
            }
          });
      files = Collections.unmodifiableMap(new java.util.TreeMap<>(files));
    }
  }

  /**
   * @param contextWeight weight of the hour-of-week term, &ge; 0, or null
   * @param habitShrinkage pseudo-count of everybody's habit against a user's own, &ge; 0, or null
   */
  public record Ranking(Double contextWeight, Double habitShrinkage) {
    public Ranking {
      check(contextWeight, RANKING_CONTEXT_WEIGHT);
      check(habitShrinkage, RANKING_HABIT_SHRINKAGE);
    }

    private static void check(Double v, String field) {
      if (v != null && !(v >= 0)) {
        throw new IllegalArgumentException(
            "manifest " + MANIFEST_RANKING + "." + field + " must be a number >= 0, got " + v);
      }
    }
  }

  public Manifest {
    if (createdTime == null) {
      throw new IllegalArgumentException("manifest has no " + MANIFEST_CREATED_TIME);
    }
    zone(timeZone);
    if (vectorDim < 0) {
      throw new IllegalArgumentException(
          "manifest " + MANIFEST_VECTOR_DIM + " must be >= 0, got " + vectorDim);
    }
    sources = frozen(sources);
    training = frozen(training);
    metrics = frozen(metrics);
    gate = frozen(gate);
    counts = frozen(counts);
    experiments = experiments == null ? Experiments.NONE : experiments;
    if (index != null && index.dim() != vectorDim) {
      throw new IllegalArgumentException(
          "manifest "
              + MANIFEST_INDEX
              + " has vectors of length "
              + index.dim()
              + ", the bundle "
              + vectorDim);
    }
  }

  /** This manifest with a prebuilt item index. */
  public Manifest withIndex(Index built) {
    return with(built, experiments);
  }

  /** This manifest with these experiments. */
  public Manifest withExperiments(Experiments running) {
    return with(index, running);
  }

  private Manifest with(Index index, Experiments experiments) {
    return new Manifest(
        formatVersion,
        createdTime,
        timeZone,
        vectorDim,
        sources,
        training,
        metrics,
        ranking,
        gate,
        counts,
        index,
        experiments);
  }

  /** A manifest of this format version. */
  public static Manifest of(
      Instant createdTime,
      String timeZone,
      int vectorDim,
      Map<String, Object> sources,
      Map<String, Object> training,
      Map<String, Object> metrics,
      Ranking ranking,
      Map<String, Object> gate,
      Map<String, Long> counts) {
    return new Manifest(
        FORMAT_VERSION,
        createdTime,
        timeZone,
        vectorDim,
        sources,
        training,
        metrics,
        ranking,
        gate,
        counts,
        null,
        Experiments.NONE);
  }

  public ZoneId zone() {
    return zone(timeZone);
  }

  /** The context weight chosen with the model, or null. */
  public Double contextWeight() {
    return ranking == null ? null : ranking.contextWeight();
  }

  /** The habit shrinkage chosen with the model, or null. */
  public Double habitShrinkage() {
    return ranking == null ? null : ranking.habitShrinkage();
  }

  /** The manifest as JSON-ready values (strings, numbers, maps), keyed as the format says. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(MANIFEST_FORMAT_VERSION, formatVersion);
    m.put(MANIFEST_CREATED_TIME, createdTime.toString());
    m.put(MANIFEST_TIME_ZONE, timeZone);
    m.put(MANIFEST_VECTOR_DIM, vectorDim);
    m.put(MANIFEST_SOURCES, sources);
    m.put(MANIFEST_TRAINING, training);
    m.put(MANIFEST_METRICS, metrics);
    if (ranking != null) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put(RANKING_CONTEXT_WEIGHT, ranking.contextWeight());
      r.put(RANKING_HABIT_SHRINKAGE, ranking.habitShrinkage());
      m.put(MANIFEST_RANKING, r);
    }
    m.put(MANIFEST_GATE, gate);
    m.put(MANIFEST_COUNTS, counts);
    if (index != null) {
      Map<String, Object> i = new LinkedHashMap<>();
      i.put(INDEX_PATH, index.path());
      i.put(INDEX_ITEMS, index.items());
      i.put(INDEX_DIM, index.dim());
      i.put(INDEX_FILES, index.files());
      m.put(MANIFEST_INDEX, i);
    }
    if (!experiments.layers().isEmpty()) {
      m.put(MANIFEST_EXPERIMENTS, experiments.toMap());
    }
    return m;
  }

  /**
   * The manifest from parsed JSON.
   *
   * @throws IllegalArgumentException for a missing or invalid field, or another format version
   */
  public static Manifest fromMap(Map<String, ?> m) {
    int format = number(m, MANIFEST_FORMAT_VERSION).intValue();
    if (format < OLDEST_READABLE_FORMAT || format > FORMAT_VERSION) {
      throw new IllegalArgumentException(
          "bundle format "
              + format
              + " is not supported (this reads "
              + OLDEST_READABLE_FORMAT
              + " to "
              + FORMAT_VERSION
              + ")");
    }
    Instant created;
    try {
      created = Instant.parse(string(m, MANIFEST_CREATED_TIME));
    } catch (DateTimeException e) {
      throw new IllegalArgumentException(
          "manifest " + MANIFEST_CREATED_TIME + " is not an ISO-8601 instant", e);
    }
    Ranking ranking = null;
    if (m.get(MANIFEST_RANKING) instanceof Map<?, ?> r) {
      ranking =
          new Ranking(
              optionalNumber(r, RANKING_CONTEXT_WEIGHT),
              optionalNumber(r, RANKING_HABIT_SHRINKAGE));
    }
    Index index = null;
    if (m.get(MANIFEST_INDEX) instanceof Map<?, ?> i) {
      @SuppressWarnings("unchecked")
      Map<String, ?> typed = (Map<String, ?>) i;
      Map<String, String> files = new LinkedHashMap<>();
      map(typed, INDEX_FILES).forEach((k, v) -> files.put(k, v == null ? null : v.toString()));
      index =
          new Index(
              string(typed, INDEX_PATH),
              number(typed, INDEX_ITEMS).longValue(),
              number(typed, INDEX_DIM).intValue(),
              files);
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    map(m, MANIFEST_COUNTS)
        .forEach(
            (k, v) -> {
              if (v instanceof Number n) {
                counts.put(k, n.longValue());
              }
            });
    return new Manifest(
        format,
        created,
        string(m, MANIFEST_TIME_ZONE),
        number(m, MANIFEST_VECTOR_DIM).intValue(),
        map(m, MANIFEST_SOURCES),
        map(m, MANIFEST_TRAINING),
        map(m, MANIFEST_METRICS),
        ranking,
        map(m, MANIFEST_GATE),
        counts,
        index,
        m.get(MANIFEST_EXPERIMENTS) instanceof Map<?, ?> e ? experiments(e) : Experiments.NONE);
  }

  @SuppressWarnings("unchecked")
  private static Experiments experiments(Map<?, ?> e) {
    try {
      return Experiments.fromMap((Map<String, ?>) e);
    } catch (Experiments.InvalidException x) {
      throw new IllegalArgumentException(
          "manifest " + MANIFEST_EXPERIMENTS + "." + x.getMessage(), x);
    }
  }

  private static ZoneId zone(String timeZone) {
    if (timeZone == null) {
      throw new IllegalArgumentException("manifest has no " + MANIFEST_TIME_ZONE);
    }
    try {
      return ZoneId.of(timeZone);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException(
          "manifest " + MANIFEST_TIME_ZONE + " '" + timeZone + "' is not a time zone", e);
    }
  }

  private static Number number(Map<String, ?> m, String key) {
    Object v = m.get(key);
    if (v == null) {
      throw new IllegalArgumentException("manifest has no " + key);
    }
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException("manifest " + key + " must be a number, got " + v);
    }
    return n;
  }

  private static Double optionalNumber(Map<?, ?> m, String key) {
    Object v = m.get(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException(
          "manifest " + MANIFEST_RANKING + "." + key + " must be a number >= 0, got " + v);
    }
    return n.doubleValue();
  }

  private static String string(Map<String, ?> m, String key) {
    Object v = m.get(key);
    if (v == null) {
      throw new IllegalArgumentException("manifest has no " + key);
    }
    return v.toString();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, ?> m, String key) {
    Object v = m.get(key);
    return v instanceof Map<?, ?> x ? (Map<String, Object>) x : Map.of();
  }

  /** An unmodifiable copy that keeps order and null values (a gate may say "served": null). */
  private static <V> Map<String, V> frozen(Map<String, V> m) {
    return m == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }
}
