package io.crowdrank.batch.common;

import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;

/** Column expressions shared by the steps. */
public final class Expressions {
  private Expressions() {}

  /** {@code CASE key WHEN k1 THEN v1 ... ELSE otherwise END}, from a small weight table. */
  public static Column lookup(Column key, Map<String, Double> values, double otherwise) {
    Column out = lit(otherwise);
    // Sorted, so the plan (and its string form in logs) is the same every run.
    for (var e : new TreeMap<>(values).entrySet()) {
      out = when(key.equalTo(e.getKey()), lit(e.getValue())).otherwise(out);
    }
    return out;
  }
}
