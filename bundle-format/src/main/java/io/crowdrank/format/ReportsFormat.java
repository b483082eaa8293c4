package io.crowdrank.format;

/**
 * The merchant segment reports the jobs write and the service shows: one Delta table, one row per
 * (merchant, segment), the report as JSON with every number about fewer than k people already
 * suppressed (null).
 */
public final class ReportsFormat {
  private ReportsFormat() {}

  /** The reports table, relative to the warehouse root. */
  public static final String TABLE_PATH = "gold/merchant_reports";

  public static final String MERCHANT_ID = "merchant_id";
  public static final String SEGMENT_ID = "segment_id";
  public static final String NAME = "name";

  /** The report: JSON object (see the batch job's SegmentReport for the fields). */
  public static final String REPORT_JSON = "report_json";
}
