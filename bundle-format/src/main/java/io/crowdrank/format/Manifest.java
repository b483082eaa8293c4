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
    Map<String, Long> counts) {

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
        counts);
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
    return m;
  }

  /**
   * The manifest from parsed JSON.
   *
   * @throws IllegalArgumentException for a missing or invalid field, or another format version
   */
  public static Manifest fromMap(Map<String, ?> m) {
    int format = number(m, MANIFEST_FORMAT_VERSION).intValue();
    if (format != FORMAT_VERSION) {
      throw new IllegalArgumentException(
          "bundle format " + format + " is not supported (this reads " + FORMAT_VERSION + ")");
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
        counts);
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
