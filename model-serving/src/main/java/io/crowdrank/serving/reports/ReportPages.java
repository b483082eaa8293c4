package io.crowdrank.serving.reports;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.mustachejava.Mustache;
import io.crowdrank.serving.web.WebTemplates;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The merchant report pages and exports: HTML from Mustache templates (every value HTML-escaped),
 * CSV and JSON of the same numbers. A suppressed number (null in the report) is shown as "fewer
 * than k" and exported as {@code suppressed}; the charts (Apache ECharts, drawn as SVG in the
 * browser) leave it out.
 */
public final class ReportPages {
  private static final WebTemplates.SignInForm SIGN_IN =
      new WebTemplates.SignInForm(
          "merchant sign-in",
          "crowdrank audience reports",
          "Sign in with your merchant id and the token your platform contact gave you.",
          "/reports/login",
          "merchant",
          "Merchant id",
          "Token");

  private final Mustache index = WebTemplates.compile("reports-index.mustache");
  private final Mustache report = WebTemplates.compile("report.mustache");

  public String login(String error, String merchant) {
    return WebTemplates.login(SIGN_IN, error, merchant);
  }

  public String index(String merchant, List<ReportStore.Report> reports) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (ReportStore.Report r : reports) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("segment", r.segmentId());
      row.put("name", r.name());
      row.put("size", size(r.json()));
      rows.add(row);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("merchant", merchant);
    m.put("reports", rows);
    m.put("none", rows.isEmpty());
    return render(index, m);
  }

  public String report(ReportStore.Report r, String echartsPath) {
    JsonNode j = r.json();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("merchant", r.merchantId());
    m.put("segment", r.segmentId());
    m.put("name", r.name());
    m.put(
        "description", j.path("description").isNull() ? null : j.path("description").asText(null));
    m.put("size", size(j));
    m.put("k", j.path("k").asInt());
    m.put("suppressed", r.suppressed());
    m.put("json", j.toString());
    m.put("echarts", echartsPath);
    List<Map<String, Object>> numbers = new ArrayList<>();
    for (String section : List.of("platforms", "aipl")) {
      Iterator<Map.Entry<String, JsonNode>> it = j.path(section).fields();
      while (it.hasNext()) {
        var e = it.next();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("section", section);
        row.put("key", e.getKey().replace('_', ' '));
        row.put("value", e.getValue().isNull() ? null : e.getValue().asLong());
        row.put("hidden", e.getValue().isNull());
        numbers.add(row);
      }
    }
    m.put("numbers", numbers);
    return render(report, m);
  }

  /** "1,234", or "fewer than k" when suppressed. */
  private static String size(JsonNode j) {
    JsonNode s = j.path("size");
    return s.isNull() || s.isMissingNode()
        ? "fewer than " + j.path("k").asInt()
        : WebTemplates.count(s.asLong());
  }

  /**
   * The report as CSV rows {@code section,item,value}: nested objects become dotted items, list
   * entries are named by their first field (a city, a vertical), suppressed numbers read {@code
   * suppressed}.
   */
  public String csv(ReportStore.Report r) {
    StringBuilder out = new StringBuilder("section,item,value\n");
    Iterator<Map.Entry<String, JsonNode>> it = r.json().fields();
    while (it.hasNext()) {
      var e = it.next();
      flatten(e.getKey(), "", e.getValue(), out);
    }
    return out.toString();
  }

  private static void flatten(String section, String item, JsonNode v, StringBuilder out) {
    if (v.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = v.fields();
      while (it.hasNext()) {
        var e = it.next();
        flatten(section, join(item, e.getKey()), e.getValue(), out);
      }
    } else if (v.isArray()) {
      for (int i = 0; i < v.size(); i++) {
        JsonNode e = v.get(i);
        if (e.isObject() && e.size() > 0) {
          Iterator<Map.Entry<String, JsonNode>> fields = e.fields();
          String label = fields.next().getValue().asText();
          while (fields.hasNext()) {
            var f = fields.next();
            flatten(section, join(join(item, label), f.getKey()), f.getValue(), out);
          }
        } else {
          flatten(section, join(item, Integer.toString(i)), e, out);
        }
      }
    } else {
      out.append(WebTemplates.csvCell(section))
          .append(',')
          .append(WebTemplates.csvCell(item))
          .append(',')
          .append(WebTemplates.csvCell(v.isNull() ? "suppressed" : v.asText()))
          .append('\n');
    }
  }

  private static String join(String a, String b) {
    return a.isEmpty() ? b : a + "." + b;
  }

  private static String render(Mustache template, Object scope) {
    return WebTemplates.render(template, scope);
  }
}
