package io.crowdrank.serving.web;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import com.github.mustachejava.MustacheFactory;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The service's web pages (merchant reports, operators' experiments): Mustache templates under
 * {@code web/templates}, every value HTML-escaped, and the sign-in form they share.
 */
public final class WebTemplates {
  private static final MustacheFactory TEMPLATES = new DefaultMustacheFactory("web/templates");
  private static final Mustache LOGIN = TEMPLATES.compile("login.mustache");

  /** Apache ECharts, served from its webjar: the pages draw their charts with it, as SVG. */
  public static final String ECHARTS = "/webjars/echarts/5.5.0/echarts.min.js";

  private WebTemplates() {}

  public static Mustache compile(String name) {
    return TEMPLATES.compile(name);
  }

  public static String render(Mustache template, Object scope) {
    StringWriter w = new StringWriter();
    template.execute(w, scope);
    return w.toString();
  }

  /** What a sign-in form asks for and where it posts. */
  public record SignInForm(
      String title,
      String heading,
      String intro,
      String action,
      String idName,
      String idLabel,
      String secretLabel) {}

  /** The form, with an error above it and the id typed so far (both may be null). */
  public static String login(SignInForm form, String error, String id) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("title", form.title());
    m.put("heading", form.heading());
    m.put("intro", form.intro());
    m.put("action", form.action());
    m.put("idName", form.idName());
    m.put("idLabel", form.idLabel());
    m.put("secretLabel", form.secretLabel());
    m.put("error", error);
    m.put("id", id);
    return render(LOGIN, m);
  }

  /** An export the browser saves as {@code filename} rather than shows. */
  public static jakarta.ws.rs.core.Response.ResponseBuilder download(
      String body, String type, String filename) {
    return jakarta.ws.rs.core.Response.ok(body, type)
        .header("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  }

  /** "1,234". */
  public static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** A number as Java prints it: -1.2E-4 too. */
  private static final java.util.regex.Pattern NUMBER =
      java.util.regex.Pattern.compile("-?[0-9.]+([eE][-+]?[0-9]+)?");

  /**
   * RFC 4180 quoting, and no leading formula characters for spreadsheets (numbers stay numbers).
   */
  public static String csvCell(String s) {
    String safe =
        !s.isEmpty() && "=+-@\t\r".indexOf(s.charAt(0)) >= 0 && !NUMBER.matcher(s).matches()
            ? "'" + s
            : s;
    return safe.matches("(?s).*[\",\n\r].*") ? "\"" + safe.replace("\"", "\"\"") + "\"" : safe;
  }
}
