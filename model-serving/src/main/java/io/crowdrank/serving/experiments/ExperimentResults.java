package io.crowdrank.serving.experiments;

import static io.crowdrank.format.ExperimentResultsFormat.*;

import io.crowdrank.format.ExperimentResultsFormat;
import io.crowdrank.serving.delta.KernelTables;
import io.crowdrank.serving.delta.LatestTable;
import io.delta.kernel.Snapshot;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.StructType;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The A/B results of the newest {@code gold/experiment_results} version ({@link
 * ExperimentResultsFormat}), read with Delta Kernel and held in memory; looked for again at most
 * every {@code refresh}.
 */
public final class ExperimentResults {
  /** A rate or a lift with its 95 % interval. */
  public record Estimate(double value, double low, double high) {
    /** Which side of {@code zero} the whole interval lies on: 1 above, -1 below, 0 across. */
    public int side(double zero) {
      return low > zero ? 1 : high < zero ? -1 : 0;
    }
  }

  /**
   * One variant on one day, or over every day ({@code day} null).
   *
   * @param ctr clicks per item shown; null without impressions or with fewer than two users
   * @param ctrLift relative to control (0.05 = 5 % more); null for the control
   * @param expectedShare the variant's share of users by the experiment's definition
   * @param srmPValue chi-square p-value of users per variant against the shares
   */
  public record Variant(
      String experiment,
      String variant,
      LocalDate day,
      boolean control,
      long users,
      long impressions,
      long clicks,
      long uses,
      Estimate ctr,
      Estimate useRate,
      Estimate ctrLift,
      Estimate useLift,
      Double expectedShare,
      Double srmPValue) {}

  /** One experiment: its variants over every day (control first) and by day. */
  public record Experiment(String id, List<Variant> overall, List<Variant> daily) {
    public Experiment {
      overall = List.copyOf(overall);
      daily = List.copyOf(daily);
    }

    /** The sample-ratio test's p-value over every day, if there is one. */
    public Optional<Double> srmPValue() {
      return overall.stream().map(Variant::srmPValue).filter(p -> p != null).findFirst();
    }

    /** Users per variant do not match the shares: the split is broken, the lifts untrustworthy. */
    public boolean sampleRatioMismatch() {
      return srmPValue().map(p -> p < SRM_ALARM).orElse(false);
    }

    public List<LocalDate> days() {
      return daily.stream().map(Variant::day).distinct().sorted().toList();
    }

    public long users() {
      return overall.stream().mapToLong(Variant::users).sum();
    }
  }

  private final LatestTable<Map<String, Experiment>> table;

  public ExperimentResults(Engine engine, String warehouse, Duration refresh, Clock clock) {
    this.table =
        new LatestTable<>(
            engine, warehouse, TABLE_PATH, refresh, clock, s -> load(engine, s), Map.of());
  }

  /** Every experiment with results, in order of id. */
  public List<Experiment> experiments() {
    return List.copyOf(table.get().values());
  }

  public Optional<Experiment> experiment(String id) {
    return Optional.ofNullable(table.get().get(id));
  }

  /** The table version the results come from, -1 before there were any. */
  public long version() {
    return table.version();
  }

  private static Map<String, Experiment> load(Engine engine, Snapshot snapshot) {
    List<Variant> rows = new ArrayList<>();
    KernelTables.scan(engine, snapshot, (row, schema) -> rows.add(variant(row, schema)));
    return group(rows);
  }

  /** The rows grouped by experiment, control first, then by variant and day. */
  static Map<String, Experiment> group(List<Variant> rows) {
    Comparator<Variant> order =
        Comparator.comparing((Variant v) -> !v.control())
            .thenComparing(Variant::variant)
            .thenComparing(Variant::day, Comparator.nullsFirst(Comparator.naturalOrder()));
    Map<String, List<Variant>> byExperiment = new TreeMap<>();
    rows.forEach(v -> byExperiment.computeIfAbsent(v.experiment(), e -> new ArrayList<>()).add(v));
    Map<String, Experiment> out = new TreeMap<>();
    byExperiment.forEach(
        (id, vs) -> {
          vs.sort(order);
          out.put(
              id,
              new Experiment(
                  id,
                  vs.stream().filter(v -> v.day() == null).toList(),
                  vs.stream().filter(v -> v.day() != null).toList()));
        });
    return java.util.Collections.unmodifiableMap(out); // sorted by id
  }

  private static Variant variant(Row row, StructType schema) {
    return new Variant(
        row.getString(schema.indexOf(EXPERIMENT)),
        row.getString(schema.indexOf(VARIANT)),
        row.isNullAt(schema.indexOf(DAY))
            ? null
            : LocalDate.ofEpochDay(row.getInt(schema.indexOf(DAY))),
        row.getBoolean(schema.indexOf(IS_CONTROL)),
        row.getLong(schema.indexOf(USERS)),
        row.getLong(schema.indexOf(IMPRESSIONS)),
        row.getLong(schema.indexOf(CLICKS)),
        row.getLong(schema.indexOf(USES)),
        estimate(row, schema, CTR, CTR_LOW, CTR_HIGH),
        estimate(row, schema, USE_RATE, USE_RATE_LOW, USE_RATE_HIGH),
        estimate(row, schema, CTR_LIFT, CTR_LIFT_LOW, CTR_LIFT_HIGH),
        estimate(row, schema, USE_LIFT, USE_LIFT_LOW, USE_LIFT_HIGH),
        number(row, schema, EXPECTED_SHARE),
        number(row, schema, SRM_P_VALUE));
  }

  private static Estimate estimate(
      Row row, StructType schema, String value, String low, String high) {
    Double v = number(row, schema, value);
    Double l = number(row, schema, low);
    Double h = number(row, schema, high);
    return v == null || l == null || h == null ? null : new Estimate(v, l, h);
  }

  private static Double number(Row row, StructType schema, String column) {
    int i = schema.indexOf(column);
    return row.isNullAt(i) ? null : row.getDouble(i);
  }
}
