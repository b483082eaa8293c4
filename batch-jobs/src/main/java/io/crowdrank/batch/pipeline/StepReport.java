package io.crowdrank.batch.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** What every step reports for the run record: what it read, what it wrote, what it counted. */
public interface StepReport {
  /** Delta tables read, with the version read. */
  Map<String, Long> inputVersions();

  /** Delta tables written, with the version written. */
  Map<String, Long> outputVersions();

  /** Row counts and other measures, by name (e.g. {@code payments.quarantined}). */
  Map<String, Long> counts();

  /**
   * The few counts a person reads when the step ends (the console's summary line): every count by
   * name but timings, which the line shows itself. Steps with many counts pick their own.
   */
  default Map<String, Long> headline() {
    Map<String, Long> out = new TreeMap<>(counts());
    out.keySet().removeIf(name -> name.endsWith("_millis"));
    return out;
  }

  /** The sums over every {@code <part>.<measure>} count of each measure named, in that order. */
  static Map<String, Long> totals(Map<String, Long> counts, String... measures) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String measure : measures) {
      out.put(
          measure,
          counts.entrySet().stream()
              .filter(e -> e.getKey().endsWith("." + measure))
              .mapToLong(Map.Entry::getValue)
              .sum());
    }
    return out;
  }

  /** True if the step found its outputs already built from the same inputs and wrote nothing. */
  default boolean skipped() {
    return false;
  }
}
