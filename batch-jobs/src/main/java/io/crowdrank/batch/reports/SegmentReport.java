package io.crowdrank.batch.reports;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One merchant segment's report, built from aggregated facts with every number about fewer than
 * {@code k} people suppressed (null, shown as "fewer than k"): size and platform overlap, the extra
 * reach through the social network, AIPL funnel and movement since the previous period, RFM
 * composition, cities, hour-of-week heatmap, interests with TGI against the whole population,
 * personas and the merchant's lookalike curve (how many of its top N lookalikes are at each
 * similarity). Only counts go in: no report ever lists a person.
 */
public final class SegmentReport {
  private SegmentReport() {}

  /** One aggregated number: metric (e.g. "city"), key (e.g. "hangzhou"), value. */
  public record Fact(String metric, String key, double value) {}

  /** Stages of the AIPL funnel, in order, and "none" for members with no stage. */
  static final List<String> STAGES = List.of("awareness", "interest", "purchase", "loyalty");

  static final int TOP = 10;

  /**
   * @param facts this segment's facts
   * @param population facts over everybody (metric "size" and "interest")
   * @param lookalike the merchant's lookalike sizes by threshold (metric "lookalike"), counted
   *     within its top N
   * @param lookalikeTopN most lookalikes kept per merchant (the N)
   * @param personaNames persona id to name
   */
  public static Map<String, Object> build(
      String merchantId,
      String segmentId,
      String name,
      String description,
      List<Fact> facts,
      List<Fact> population,
      List<Fact> lookalike,
      Map<String, String> personaNames,
      int lookalikeTopN,
      int k) {
    Map<String, Map<String, Double>> m = byMetric(facts);
    double size = m.getOrDefault("size", Map.of()).getOrDefault("", 0.0);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("merchant_id", merchantId);
    r.put("segment_id", segmentId);
    r.put("name", name);
    r.put("description", description);
    r.put("k", k);
    r.put("size", count(size, k));
    r.put("suppressed", size < k);
    if (size < k) {
      // Too small to describe at all: every breakdown would describe fewer than k people.
      return r;
    }
    Map<String, Double> platform = m.getOrDefault("platform", Map.of());
    r.put("platforms", ordered(platform, List.of("shared", "payment_only", "social_only"), k));
    r.put("social_reach_extra", count(platform.getOrDefault("social_only", 0.0), k));
    r.put("aipl", ordered(m.getOrDefault("aipl", Map.of()), withNone(STAGES), k));
    List<Map<String, Object>> movement = new ArrayList<>();
    m.getOrDefault("movement", Map.of())
        .forEach(
            (key, n) -> {
              String[] fromTo = key.split(">", 2);
              Map<String, Object> e = new LinkedHashMap<>();
              e.put("from", fromTo[0]);
              e.put("to", fromTo[1]);
              e.put("users", count(n, k));
              movement.add(e);
            });
    r.put("aipl_movement", movement);
    Map<String, Object> rfm = new LinkedHashMap<>();
    for (String score : List.of("r_score", "f_score", "m_score")) {
      rfm.put(
          score,
          ordered(m.getOrDefault(score, Map.of()), List.of("1", "2", "3", "4", "5", "none"), k));
    }
    r.put("rfm", rfm);
    r.put("cities", top(m.getOrDefault("city", Map.of()), "city", k));
    double[] heat = new double[168];
    m.getOrDefault("heat", Map.of()).forEach((h, v) -> heat[Integer.parseInt(h)] = v / size);
    List<Double> heatmap = new ArrayList<>();
    for (double v : heat) {
      heatmap.add(Math.round(v * 1e5) / 1e5);
    }
    r.put("heatmap", heatmap);
    r.put("interests", interests(m.getOrDefault("interest", Map.of()), size, population, k));
    Map<String, Object> personas = new LinkedHashMap<>();
    m.getOrDefault("persona", Map.of())
        .forEach(
            (id, n) -> personas.put(personaNames.getOrDefault(id, "persona " + id), count(n, k)));
    r.put("personas", personas);
    List<Map<String, Object>> curve = new ArrayList<>();
    byMetric(lookalike).getOrDefault("lookalike", Map.of()).entrySet().stream()
        .sorted(
            Comparator.comparingDouble(
                (Map.Entry<String, Double> e) -> -Double.parseDouble(e.getKey())))
        .forEach(
            e -> {
              Map<String, Object> p = new LinkedHashMap<>();
              p.put("similarity", Double.parseDouble(e.getKey()));
              p.put("users", count(e.getValue(), k));
              curve.add(p);
            });
    r.put("lookalike", curve);
    r.put("lookalike_top_n", lookalikeTopN);
    return r;
  }

  /** A people count, or null when it describes fewer than k people (0 is not a person). */
  static Long count(double n, int k) {
    return n > 0 && n < k ? null : Math.round(n);
  }

  private static List<String> withNone(List<String> keys) {
    List<String> out = new ArrayList<>(keys);
    out.add("none");
    return out;
  }

  private static Map<String, Long> ordered(Map<String, Double> values, List<String> keys, int k) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String key : keys) {
      out.put(key, count(values.getOrDefault(key, 0.0), k));
    }
    return out;
  }

  private static List<Map<String, Object>> top(Map<String, Double> values, String label, int k) {
    List<Map<String, Object>> out = new ArrayList<>();
    values.entrySet().stream()
        .sorted(
            Map.Entry.<String, Double>comparingByValue()
                .reversed()
                .thenComparing(Map.Entry.comparingByKey()))
        .limit(TOP)
        .forEach(
            e -> {
              Map<String, Object> row = new LinkedHashMap<>();
              row.put(label, e.getKey());
              row.put("users", count(e.getValue(), k));
              out.add(row);
            });
    return out;
  }

  /**
   * Interests of the segment with TGI = 100 × (share of members interested) / (share of everybody
   * interested), the most over-represented first; a vertical with fewer than k interested members
   * is left out (its share and TGI would describe them).
   */
  private static List<Map<String, Object>> interests(
      Map<String, Double> interested, double size, List<Fact> population, int k) {
    Map<String, Map<String, Double>> pop = byMetric(population);
    double popSize = pop.getOrDefault("size", Map.of()).getOrDefault("", 0.0);
    Map<String, Double> popInterested = pop.getOrDefault("interest", Map.of());
    List<Map<String, Object>> out = new ArrayList<>();
    for (var e : interested.entrySet()) {
      double n = e.getValue();
      double base = popInterested.getOrDefault(e.getKey(), 0.0);
      if (n < k || base <= 0 || popSize <= 0) {
        continue;
      }
      double share = n / size;
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("vertical", e.getKey());
      row.put("users", Math.round(n));
      row.put("share", Math.round(share * 1000) / 1000.0);
      row.put("tgi", Math.round(100 * share / (base / popSize)));
      out.add(row);
    }
    out.sort(Comparator.comparingLong((Map<String, Object> row) -> -(Long) row.get("tgi")));
    return out.size() > TOP ? new ArrayList<>(out.subList(0, TOP)) : out;
  }

  private static Map<String, Map<String, Double>> byMetric(List<Fact> facts) {
    Map<String, Map<String, Double>> m = new TreeMap<>();
    for (Fact f : facts) {
      m.computeIfAbsent(f.metric(), x -> new TreeMap<>()).merge(f.key(), f.value(), Double::sum);
    }
    return m;
  }
}
