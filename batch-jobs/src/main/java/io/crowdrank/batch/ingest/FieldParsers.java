package io.crowdrank.batch.ingest;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Field-level parsing with precise rejection reasons; a failure throws {@link Reject}. */
final class FieldParsers {
  private FieldParsers() {}

  /** A rejected field; the message is the quarantine reason. */
  static final class Reject extends RuntimeException {
    Reject(String message) {
      super(message, null, false, false);
    }
  }

  static String requiredId(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new Reject("missing " + field);
    }
    if (value.length() > 128) {
      throw new Reject(field + " longer than 128 characters");
    }
    return value;
  }

  static String optionalId(String field, String value) {
    return value == null || value.isBlank() ? null : requiredId(field, value);
  }

  static Timestamp timestamp(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new Reject("missing " + field);
    }
    try {
      return Timestamp.from(Instant.parse(value));
    } catch (DateTimeParseException e) {
      throw new Reject("bad " + field + " '" + abbreviate(value) + "' (want ISO-8601 UTC)");
    }
  }

  static long nonNegativeLong(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new Reject("missing " + field);
    }
    long v;
    try {
      v = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new Reject("bad " + field + " '" + abbreviate(value) + "' (want an integer)");
    }
    if (v < 0) {
      throw new Reject("negative " + field + " " + v);
    }
    return v;
  }

  static boolean bool(String field, String value) {
    if ("true".equals(value)) {
      return true;
    }
    if ("false".equals(value)) {
      return false;
    }
    throw new Reject("bad " + field + " '" + abbreviate(value) + "' (want true or false)");
  }

  static String oneOf(String field, String value, Set<String> allowed) {
    if (value == null || value.isBlank()) {
      throw new Reject("missing " + field);
    }
    if (!allowed.contains(value)) {
      throw new Reject("unknown " + field + " '" + abbreviate(value) + "'");
    }
    return value;
  }

  static String abbreviate(String value) {
    return value.length() <= 40 ? value : value.substring(0, 40) + "...";
  }

  /**
   * Splits one CSV record (RFC 4180: commas, double-quoted fields with doubled quotes inside).
   * Records never span lines in our sources, so an unterminated quote is a truncated line.
   */
  static List<String> splitCsv(String line) {
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
            field.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        fields.add(field.toString());
        field.setLength(0);
      } else {
        field.append(c);
      }
    }
    if (quoted) {
      throw new Reject("unterminated quoted field (truncated line?)");
    }
    fields.add(field.toString());
    return fields;
  }
}
