package io.crowdrank.batch.common;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.actions.CommitInfo;
import scala.jdk.javaapi.OptionConverters;

/**
 * What a step's output commit was made from, kept in the Delta commit's user metadata: the step,
 * the Delta versions of its inputs and its parameters. A step whose newest output commit was made
 * from the same inputs and parameters has nothing to do, so re-running it commits nothing.
 */
public final class Lineage {
  private Lineage() {}

  private static final String USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata";

  public static final String STEP = "step";
  public static final String INPUTS = "inputs";
  public static final String PARAMS = "params";

  /** The lineage record of one step run, plus any extra facts worth keeping with the commit. */
  public static Map<String, Object> record(
      String step, Map<String, Long> inputs, Map<String, ?> params, Map<String, ?> extra) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(STEP, step);
    m.put(INPUTS, new TreeMap<>(inputs));
    m.put(PARAMS, new TreeMap<>(params));
    m.putAll(extra);
    return m;
  }

  /** The lineage of the table's newest commit, or an empty map if it has none or no table. */
  public static Map<String, Object> of(SparkSession spark, String path) {
    return of(Delta.newestCommitInfo(spark, path));
  }

  /** The lineage of the commit that made the given version of the table (empty if none). */
  public static Map<String, Object> at(SparkSession spark, String path, long version) {
    return of(Delta.commitInfo(spark, path, version));
  }

  private static Map<String, Object> of(Optional<CommitInfo> commit) {
    return commit
        .flatMap(c -> OptionConverters.toJava(c.userMetadata()))
        .map(Lineage::parse)
        .orElse(Map.of());
  }

  private static Map<String, Object> parse(String userMetadata) {
    try {
      return Json.readObject(userMetadata);
    } catch (IllegalArgumentException e) {
      return Map.of(); // written by something else: not ours to trust
    }
  }

  /** Whether the table's newest commit came from this step with these inputs and parameters. */
  public static boolean upToDate(
      SparkSession spark,
      String path,
      String step,
      Map<String, Long> inputs,
      Map<String, ?> params) {
    return madeBy(of(spark, path), step, inputs, params);
  }

  /**
   * Whether this lineage (as {@link #of} reads it) is of this step with these inputs and params.
   */
  public static boolean madeBy(
      Map<String, Object> last, String step, Map<String, Long> inputs, Map<String, ?> params) {
    // Round-trip ours through JSON so numbers compare as the stored ones do.
    Map<String, Object> now = Json.readObject(Json.write(record(step, inputs, params, Map.of())));
    return step.equals(last.get(STEP))
        && Objects.equals(now.get(INPUTS), last.get(INPUTS))
        && Objects.equals(now.get(PARAMS), last.get(PARAMS));
  }

  /** One lock per session: commit metadata lives in the session's conf, which its users share. */
  private static final Map<SparkSession, Object> LOCKS =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  /**
   * Runs the writes with this lineage as the user metadata of every commit they make. Delta reads
   * commit metadata from the session's conf (MERGE takes no write option), so steps or tests that
   * share a session take turns here, and whatever metadata was set before is put back after.
   */
  public static void committing(SparkSession spark, Map<String, Object> lineage, Runnable writes) {
    synchronized (LOCKS.computeIfAbsent(spark, s -> new Object())) {
      scala.Option<String> before = spark.conf().getOption(USER_METADATA);
      spark.conf().set(USER_METADATA, Json.write(lineage));
      try {
        writes.run();
      } finally {
        if (before.isDefined()) {
          spark.conf().set(USER_METADATA, before.get());
        } else {
          spark.conf().unset(USER_METADATA);
        }
      }
    }
  }
}
