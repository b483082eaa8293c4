package io.crowdrank.batch.common;

import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.crowdrank.format.HourOfWeek;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;

/** Column expressions shared by the steps. */
public final class Expressions {
  private Expressions() {}

  /**
   * The sum of a 168-cell hour-of-week array as one generated-code expression; a higher-order
   * {@code aggregate} over the cells would be interpreted, row by row.
   */
  public static Column hourOfWeekTotal(Column cells) {
    Column total = lit(0L);
    for (int h = 0; h < HourOfWeek.HOURS; h++) {
      total = total.plus(cells.getItem(h));
    }
    return total;
  }

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
