package io.crowdrank.batch.evaluate;

import io.crowdrank.batch.train.TrainJob;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The evaluation of one run for people: {@code index.md} and a self-contained {@code index.html}
 * with the metrics tables, the quality gate's numbers and two charts (NDCG by K per model against
 * the baseline; the session protocol with and without the time of day), written with the Hadoop
 * file system so the warehouse may be on object storage.
 */
public final class EvaluationReport {
  private EvaluationReport() {}

  static final String NDCG_BY_K = "ndcg-by-k.png";
  static final String CONTEXT = "context.png";
  static final String SERVED = "served.png";

  /** Writes the report and returns the HTML page's location. */
  static String write(
      SparkSession spark,
      String root,
      String runId,
      Evaluation.Options options,
      Evaluation.Result r,
      EvaluateJob.Gate gate,
      TrainJob.Params model,
      Optional<ServedBundle> served) {
    // Charts draw with AWT; a batch job has no display.
    System.setProperty("java.awt.headless", "true");
    Map<String, byte[]> charts = new LinkedHashMap<>();
    charts.put(
        NDCG_BY_K, png(ndcgByK(r.metrics(), Evaluation.PROTOCOL_USER, "NDCG@K per test user")));
    if (r.sessions() > 0) {
      charts.put(
          CONTEXT,
          png(
              ndcgByK(
                  r.metrics(),
                  Evaluation.PROTOCOL_SESSION,
                  "NDCG@K per session (user x hour of week)")));
    }
    if (r.servedSessions() > 0) {
      charts.put(
          SERVED,
          png(
              ndcgByK(
                  r.metrics(),
                  Evaluation.PROTOCOL_SERVED,
                  "NDCG@K of the served ranking (user x host app x hour of week)")));
    }
    String title = "crowdrank evaluation " + runId;
    StringBuilder md = new StringBuilder();
    md.append("# ").append(title).append("\n\n");
    md.append(summary(options, r, gate, model, served));
    for (String protocol :
        List.of(
            Evaluation.PROTOCOL_USER, Evaluation.PROTOCOL_SESSION, Evaluation.PROTOCOL_SERVED)) {
      String table = markdownTable(r, protocol);
      if (!table.isEmpty()) {
        md.append("\n## ")
            .append(
                switch (protocol) {
                  case Evaluation.PROTOCOL_USER ->
                      "Per test user (all their new items after the cut)";
                  case Evaluation.PROTOCOL_SESSION ->
                      "Per session: ranked at the hour of week of the use";
                  default ->
                      "Served: "
                          + r.servedSessions()
                          + " sampled sessions ranked by the service's ranker (context, filters,"
                          + " diversity, exploration, campaigns)";
                })
            .append("\n\n")
            .append(table);
      }
    }
    md.append("\n## Charts\n\n");
    charts
        .keySet()
        .forEach(name -> md.append("![").append(name).append("](").append(name).append(")\n\n"));

    StringBuilder html = new StringBuilder();
    html.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
        .append(escape(title))
        .append("</title><style>body{font-family:sans-serif;max-width:960px;margin:2em auto;}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;")
        .append(
            "text-align:right}th:first-child,td:first-child{text-align:left}</style></head><body>")
        .append(markdownToHtml(md.toString(), charts))
        .append("</body></html>\n");

    Path dir = new Path(root, "evaluation/" + runId);
    try {
      FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
      for (var e : charts.entrySet()) {
        write(fs, new Path(dir, e.getKey()), e.getValue());
      }
      write(fs, new Path(dir, "index.md"), md.toString().getBytes(StandardCharsets.UTF_8));
      Path page = new Path(dir, "index.html");
      write(fs, page, html.toString().getBytes(StandardCharsets.UTF_8));
      return fs.makeQualified(page).toString();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the evaluation report to " + dir, e);
    }
  }

  private static String summary(
      Evaluation.Options o,
      Evaluation.Result r,
      EvaluateJob.Gate gate,
      TrainJob.Params model,
      Optional<ServedBundle> served) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "- Split: %s, %.0f%% held out, seed %d; K = %s%n",
            o.split().id(),
            o.testFraction() * 100,
            o.seed(),
            o.ks()));
    b.append(
        String.format(
            Locale.ROOT,
            "- Train pairs %,d; test users %,d (%,d more had no training history); test sessions %,d;"
                + " served sessions %,d; items %,d%n",
            r.trainPairs(),
            r.testUsers(),
            r.coldTestUsers(),
            r.sessions(),
            r.servedSessions(),
            r.items()));
    b.append("- Model (`als`): ").append(describe(model)).append('\n');
    b.append("- Published (`published`): ")
        .append(
            served
                .map(s -> "bundle v" + s.version() + ", " + describe(s.params()))
                .orElse("nothing published yet, or the bundle is this model"))
        .append('\n');
    b.append(
        String.format(
            Locale.ROOT,
            "- Quality gate (%s): model %.4f vs published %s%n",
            gate.metric(),
            gate.model(),
            gate.served() == null ? "-" : String.format(Locale.ROOT, "%.4f", gate.served())));
    return b.toString();
  }

  private static String describe(TrainJob.Params p) {
    return String.format(
        Locale.ROOT,
        "rank %d, regParam %s, alpha %s, %d iterations, context weight %s, habit shrinkage %s",
        p.rank(),
        p.regParam(),
        p.alpha(),
        p.maxIter(),
        p.contextWeight(),
        p.habitShrinkage());
  }

  private static String markdownTable(Evaluation.Result r, String protocol) {
    List<Evaluation.Metrics> rows =
        r.metrics().stream().filter(m -> m.protocol().equals(protocol)).toList();
    if (rows.isEmpty()) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    b.append("| ").append(String.join(" | ", Evaluation.Metrics.TITLES)).append(" |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|\n");
    for (Evaluation.Metrics m : rows) {
      b.append("| ").append(String.join(" | ", m.cells())).append(" |\n");
    }
    return b.toString();
  }

  /** NDCG by K, one line per model, for one protocol: the report's chart. */
  public static XYChart ndcgByK(List<Evaluation.Metrics> metrics, String protocol, String title) {
    return byK(metrics, protocol, title, "NDCG@K", Evaluation.Metrics::ndcg);
  }

  /** A metric by K, one line per model, for one protocol (the report's and notebooks' charts). */
  public static XYChart byK(
      List<Evaluation.Metrics> metrics,
      String protocol,
      String title,
      String metricName,
      ToDoubleFunction<Evaluation.Metrics> metric) {
    XYChart chart =
        new XYChartBuilder()
            .width(640)
            .height(400)
            .title(title)
            .xAxisTitle("K")
            .yAxisTitle(metricName)
            .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    metrics.stream()
        .filter(m -> m.protocol().equals(protocol))
        .map(Evaluation.Metrics::model)
        .distinct()
        .forEach(
            model -> {
              List<Evaluation.Metrics> ms =
                  metrics.stream()
                      .filter(m -> m.protocol().equals(protocol) && m.model().equals(model))
                      .toList();
              chart.addSeries(
                  model,
                  ms.stream().mapToDouble(Evaluation.Metrics::k).toArray(),
                  ms.stream().mapToDouble(metric).toArray());
            });
    return chart;
  }

  private static byte[] png(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart) {
    try {
      return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot draw chart", e);
    }
  }

  /** Enough Markdown for what {@link #write} produces: headings, bullets, tables, images. */
  private static String markdownToHtml(String md, Map<String, byte[]> images) {
    StringBuilder b = new StringBuilder();
    boolean list = false;
    boolean table = false;
    for (String line : md.split("\n")) {
      if (list && !line.startsWith("- ")) {
        b.append("</ul>\n");
        list = false;
      }
      if (table && !line.startsWith("|")) {
        b.append("</table>\n");
        table = false;
      }
      if (line.startsWith("# ")) {
        b.append("<h1>").append(escape(line.substring(2))).append("</h1>\n");
      } else if (line.startsWith("## ")) {
        b.append("<h2>").append(escape(line.substring(3))).append("</h2>\n");
      } else if (line.startsWith("- ")) {
        if (!list) {
          b.append("<ul>\n");
          list = true;
        }
        b.append("<li>").append(escape(line.substring(2)).replace("`", "")).append("</li>\n");
      } else if (line.startsWith("|")) {
        if (line.startsWith("|---")) {
          continue;
        }
        String cell = table ? "td" : "th";
        if (!table) {
          b.append("<table>\n");
          table = true;
        }
        b.append("<tr>");
        for (String c : line.substring(1, line.length() - 1).split("\\|")) {
          b.append('<')
              .append(cell)
              .append('>')
              .append(escape(c.trim()))
              .append("</")
              .append(cell)
              .append('>');
        }
        b.append("</tr>\n");
      } else if (line.startsWith("![")) {
        String name = line.substring(line.indexOf('(') + 1, line.length() - 1);
        b.append("<p><img alt=\"")
            .append(escape(name))
            .append("\" src=\"data:image/png;base64,")
            .append(Base64.getEncoder().encodeToString(images.get(name)))
            .append("\"></p>\n");
      }
    }
    if (list) {
      b.append("</ul>\n");
    }
    if (table) {
      b.append("</table>\n");
    }
    return b.toString();
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static void write(FileSystem fs, Path p, byte[] bytes) throws IOException {
    try (OutputStream out = fs.create(p, true)) {
      out.write(bytes);
    }
  }
}
