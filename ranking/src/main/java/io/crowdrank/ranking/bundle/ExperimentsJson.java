package io.crowdrank.ranking.bundle;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crowdrank.format.Experiments;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * An experiments file ({@link Experiments}) from its JSON. A broken rule is reported with the line
 * and the field it is at: {@code experiments.json:14: layers[0].experiments[0].variants[1]
 * .settings.diversty_cap: unknown field (known: ...)}.
 */
public final class ExperimentsJson {
  private ExperimentsJson() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Reads and checks an experiments file.
   *
   * @throws IllegalArgumentException naming the file, the line and the field
   */
  public static Experiments read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read experiments file " + file + ": " + e, e);
    }
    return parse(text, file.toString());
  }

  /**
   * Parses and checks an experiments file's text.
   *
   * @param source what to call it in errors (the file's name)
   */
  public static Experiments parse(String text, String source) {
    Map<String, Object> m;
    Map<String, Integer> lines = new HashMap<>();
    try {
      m = JSON.readValue(text, new TypeReference<Map<String, Object>>() {});
      try (JsonParser p = JSON.getFactory().createParser(text)) {
        while (p.nextToken() != null) {
          lines.putIfAbsent(path(p.getParsingContext()), p.currentLocation().getLineNr());
        }
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(
          source + ": not an experiments file (JSON): " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(source + ": cannot be read: " + e, e);
    }
    if (m == null) {
      throw new IllegalArgumentException(source + ": not an experiments file (JSON): null");
    }
    try {
      return Experiments.fromMap(m);
    } catch (Experiments.InvalidException e) {
      throw new IllegalArgumentException(
          source + ":" + line(lines, e.path()) + ": " + e.getMessage(), e);
    }
  }

  /** The line of a path, or of the nearest enclosing one that has a line. */
  private static int line(Map<String, Integer> lines, String path) {
    String p = path;
    while (!p.isEmpty()) {
      Integer line = lines.get(p);
      if (line != null) {
        return line;
      }
      int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      p = cut < 0 ? "" : p.substring(0, cut);
    }
    return 1;
  }

  /** The parser's place as {@link Experiments.InvalidException#path()} spells it. */
  private static String path(JsonStreamContext c) {
    Deque<String> parts = new ArrayDeque<>();
    for (; c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inArray()) {
        parts.push("[" + Math.max(0, c.getCurrentIndex()) + "]");
      } else if (c.getCurrentName() != null) {
        parts.push("." + c.getCurrentName());
      }
    }
    String s = String.join("", parts);
    return s.startsWith(".") ? s.substring(1) : s;
  }
}
