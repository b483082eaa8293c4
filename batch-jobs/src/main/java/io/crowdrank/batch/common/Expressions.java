package io.crowdrank.batch.common;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.crowdrank.format.HourOfWeek;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.spark.sql.Column;

/** Column expressions shared by the steps. */
public final class Expressions {
  private Expressions() {}

  /**
   * The sum of a 168-cell hour-of-week array as one generated-code expression; a higher-order
   * {@code aggregate} over the cells would be interpreted, row by row.
   */
  public static Column hourOfWeekTotal(Column cells) {
    return sumOfCells(cells, IntStream.range(0, HourOfWeek.HOURS));
  }

  /**
   * The sum of the given cells of an array, as plain additions in generated code (0 for none): an
   * hour-of-week range, a day part every day, the weekend.
   */
  public static Column sumOfCells(Column cells, IntStream indices) {
    return indices.mapToObj(cells::getItem).reduce(lit(0L), Column::plus);
  }

  /**
   * The 168-cell hour-of-week array (0 where a cell is missing) of a map from hour of week to a
   * count, as one generated-code expression; {@code transform(sequence(0, 167), ...)} is
   * interpreted row by row (the profiles step's slowest stage at 1 M users).
   */
  public static Column hourOfWeekCells(Column counts) {
    Column[] cells = new Column[HourOfWeek.HOURS];
    for (int h = 0; h < HourOfWeek.HOURS; h++) {
      cells[h] = coalesce(element_at(counts, lit(h)), lit(0L));
    }
    return array(cells);
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
