package io.crowdrank.serving.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.mustachejava.Mustache;
import io.crowdrank.format.ExperimentResultsFormat;
import io.crowdrank.serving.experiments.ExperimentResults.Estimate;
import io.crowdrank.serving.experiments.ExperimentResults.Experiment;
import io.crowdrank.serving.experiments.ExperimentResults.Variant;
import io.crowdrank.serving.web.WebTemplates;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The operators' experiment pages: the list of experiments with each variant's verdict, one
 * experiment's numbers over every day and by day with their 95 % intervals (charts drawn in the
 * browser from the same numbers), and CSV and JSON of them.
 */
public final class ExperimentPages {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final WebTemplates.SignInForm SIGN_IN =
      new WebTemplates.SignInForm(
          "operator sign-in",
          "crowdrank experiments",
          "Sign in with your operator name and admin key to see the A/B experiments' results.",
          "/experiments/login",
          "operator",
          "Operator",
          "Admin key");

  private final Mustache index = WebTemplates.compile("experiments-index.mustache");
  private final Mustache experiment = WebTemplates.compile("experiment.mustache");

  public String login(String error, String operator) {
    return WebTemplates.login(SIGN_IN, error, operator);
  }

  public String index(String operator, List<Experiment> experiments, long version) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Experiment e : experiments) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("id", e.id());
      row.put("users", WebTemplates.count(e.users()));
      row.put("days", e.days().size());
      row.put("srm", e.sampleRatioMismatch());
      row.put(
          "verdicts", e.overall().stream().filter(v -> !v.control()).map(this::verdict).toList());
      rows.add(row);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("operator", operator);
    m.put("experiments", rows);
    m.put("none", rows.isEmpty());
    m.put("version", version);
    return WebTemplates.render(index, m);
  }

  public String experiment(String operator, Experiment e, String echartsPath) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("operator", operator);
    m.put("id", e.id());
    m.put("echarts", echartsPath);
    m.put("users", WebTemplates.count(e.users()));
    m.put("days", e.days().size());
    m.put("srm", e.sampleRatioMismatch());
    m.put("srmP", e.srmPValue().map(p -> String.format(Locale.ROOT, "%.3g", p)).orElse("–"));
    m.put("srmAlarm", ExperimentResultsFormat.SRM_ALARM);
    m.put("verdicts", e.overall().stream().filter(v -> !v.control()).map(this::verdict).toList());
    m.put("overall", e.overall().stream().map(v -> cells(v, e)).toList());
    m.put("daily", e.daily().stream().map(v -> cells(v, e)).toList());
    m.put("json", json(e));
    return WebTemplates.render(experiment, m);
  }

  /** A variant's outcome against control in words, on both rates. */
  Map<String, Object> verdict(Variant v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("variant", v.variant());
    m.put("ctr", lift("CTR", v.ctrLift()));
    m.put("ctrSide", side(v.ctrLift()));
    m.put("use", lift("use rate", v.useLift()));
    m.put("useSide", side(v.useLift()));
    return m;
  }

  private static String side(Estimate lift) {
    return lift == null
        ? "unknown"
        : switch (lift.side(0)) {
          case 1 -> "better";
          case -1 -> "worse";
          default -> "unclear";
        };
  }

  /** "CTR −18.2 % [−23.8 %, −12.2 %]: worse than control". */
  static String lift(String metric, Estimate lift) {
    if (lift == null) {
      return metric + ": no estimate (no clicks or too few users)";
    }
    String what =
        switch (lift.side(0)) {
          case 1 -> "better than control";
          case -1 -> "worse than control";
          default -> "no clear difference from control";
        };
    return String.format(
        Locale.ROOT,
        "%s %s [%s, %s]: %s",
        metric,
        percent(lift.value()),
        percent(lift.low()),
        percent(lift.high()),
        what);
  }

  /** "+5.1 %", "−18.2 %" (a real minus sign). */
  static String percent(double share) {
    return String.format(Locale.ROOT, "%+.1f %%", 100 * share).replace('-', '\u2212');
  }

  private static String rate(Estimate r) {
    return r == null
        ? "–"
        : String.format(Locale.ROOT, "%.4f [%.4f, %.4f]", r.value(), r.low(), r.high());
  }

  private static String liftCell(Estimate l) {
    return l == null
        ? "–"
        : percent(l.value()) + " [" + percent(l.low()) + ", " + percent(l.high()) + "]";
  }

  private Map<String, Object> cells(Variant v, Experiment e) {
    long total =
        (v.day() == null ? e.overall() : e.daily())
            .stream()
                .filter(o -> java.util.Objects.equals(o.day(), v.day()))
                .mapToLong(Variant::users)
                .sum();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("day", v.day() == null ? "every day" : v.day().toString());
    m.put("variant", v.variant());
    m.put("control", v.control());
    m.put("users", WebTemplates.count(v.users()));
    m.put(
        "share",
        String.format(
            Locale.ROOT,
            "%.1f %% (%s)",
            total == 0 ? 0.0 : 100.0 * v.users() / total,
            v.expectedShare() == null
                ? "no share defined"
                : String.format(Locale.ROOT, "expected %.1f %%", 100 * v.expectedShare())));
    m.put("impressions", WebTemplates.count(v.impressions()));
    m.put("clicks", WebTemplates.count(v.clicks()));
    m.put("uses", WebTemplates.count(v.uses()));
    m.put("ctr", rate(v.ctr()));
    m.put("useRate", rate(v.useRate()));
    m.put("ctrLift", v.control() ? "control" : liftCell(v.ctrLift()));
    m.put("useLift", v.control() ? "control" : liftCell(v.useLift()));
    return m;
  }

  /** The experiment's rows, every column of the table, as JSON (the page's charts draw it). */
  public String json(Experiment e) {
    ObjectNode root = JSON.createObjectNode();
    root.put("experiment", e.id());
    e.srmPValue()
        .ifPresentOrElse(p -> root.put("srm_p_value", p), () -> root.putNull("srm_p_value"));
    root.put("sample_ratio_mismatch", e.sampleRatioMismatch());
    ArrayNode rows = root.putArray("rows");
    for (Variant v : all(e)) {
      ObjectNode r = rows.addObject();
      values(v).forEach((k, val) -> r.putPOJO(k, val));
    }
    return root.toString();
  }

  /**
   * The experiment's rows as CSV, one per variant and day ("" = every day), the table's columns.
   */
  public String csv(Experiment e) {
    StringBuilder out = new StringBuilder(String.join(",", ExperimentResultsFormat.COLUMNS));
    out.append('\n');
    for (Variant v : all(e)) {
      List<String> cells = new ArrayList<>();
      for (Object val : values(v).values()) {
        cells.add(WebTemplates.csvCell(val == null ? "" : String.valueOf(val)));
      }
      out.append(String.join(",", cells)).append('\n');
    }
    return out.toString();
  }

  private static List<Variant> all(Experiment e) {
    List<Variant> all = new ArrayList<>(e.overall());
    all.addAll(e.daily());
    return all;
  }

  /** The row's values by {@link ExperimentResultsFormat#COLUMNS}, in its order. */
  static Map<String, Object> values(Variant v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(ExperimentResultsFormat.EXPERIMENT, v.experiment());
    m.put(ExperimentResultsFormat.VARIANT, v.variant());
    m.put(ExperimentResultsFormat.DAY, v.day() == null ? null : v.day().toString());
    m.put(ExperimentResultsFormat.IS_CONTROL, v.control());
    m.put(ExperimentResultsFormat.USERS, v.users());
    m.put(ExperimentResultsFormat.IMPRESSIONS, v.impressions());
    m.put(ExperimentResultsFormat.CLICKS, v.clicks());
    m.put(ExperimentResultsFormat.USES, v.uses());
    estimate(m, v.ctr(), ExperimentResultsFormat.CTR);
    estimate(m, v.useRate(), ExperimentResultsFormat.USE_RATE);
    estimate(m, v.ctrLift(), ExperimentResultsFormat.CTR_LIFT);
    estimate(m, v.useLift(), ExperimentResultsFormat.USE_LIFT);
    m.put(ExperimentResultsFormat.EXPECTED_SHARE, v.expectedShare());
    m.put(ExperimentResultsFormat.SRM_P_VALUE, v.srmPValue());
    return m;
  }

  private static void estimate(Map<String, Object> m, Estimate e, String column) {
    m.put(column, e == null ? null : e.value());
    m.put(column + "_low", e == null ? null : e.low());
    m.put(column + "_high", e == null ? null : e.high());
  }
}
