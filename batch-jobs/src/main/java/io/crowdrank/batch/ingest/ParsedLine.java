package io.crowdrank.batch.ingest;

/**
 * The outcome of parsing one raw line: typed values in the source's schema order, or a reason why
 * the line was rejected. Header lines are neither and are skipped.
 */
record ParsedLine(Object[] values, String error, boolean header) {
  static final ParsedLine HEADER = new ParsedLine(null, null, true);

  static ParsedLine ok(Object... values) {
    return new ParsedLine(values, null, false);
  }

  static ParsedLine rejected(String reason) {
    return new ParsedLine(null, reason, false);
  }
}
