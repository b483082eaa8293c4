package io.crowdrank.batch.common;

import io.crowdrank.format.BundleFormat;

/**
 * Every Delta table the jobs read or write, as a path relative to the warehouse root. Tables are
 * addressed by path (no metastore needed), so the same layout works on a local disk and on object
 * storage.
 */
public final class Tables {
  private Tables() {}

  // bronze: raw sources, schema-checked, deduplicated
  public static final String PAYMENTS = "bronze/payments";
  public static final String SOCIAL = "bronze/social_interactions";
  public static final String ACCOUNT_LINKS = "bronze/account_links";
  public static final String CATALOG = "bronze/mini_program_catalog";
  public static final String QUARANTINE = "bronze/quarantine";

  // silver: identity and profiles
  public static final String IDENTITY_MAP = "silver/identity_map";
  public static final String USER_PROFILES = "silver/user_profiles";
  public static final String USER_AIPL = "silver/user_aipl";

  /** Per user and mini-program: how often rankings showed it and what the user did with it. */
  public static final String USER_EXPOSURE = "silver/user_exposure";

  // gold: audiences and campaigns
  public static final String SEGMENT_DEFINITIONS = "gold/segment_definitions";
  public static final String SEGMENT_MEMBERS = "gold/segment_members";
  public static final String SEGMENT_STATS = "gold/segment_stats";
  public static final String CAMPAIGNS = "gold/campaigns";
  public static final String PERSONAS = "gold/personas";
  public static final String USER_PERSONAS = "gold/user_personas";
  public static final String LOOKALIKES = "gold/lookalikes";
  public static final String EXPERIMENT_RESULTS =
      io.crowdrank.format.ExperimentResultsFormat.TABLE_PATH;
  public static final String MERCHANT_REPORTS = io.crowdrank.format.ReportsFormat.TABLE_PATH;

  // model: what train produces
  public static final String USER_FACTORS = "model/user_factors";
  public static final String ITEM_FACTORS = "model/item_factors";
  public static final String POPULARITY = "model/popularity";
  public static final String CONTEXT_AFFINITY = "model/context_affinity";
  public static final String USER_HABITS = "model/user_habits";
  public static final String EVALUATIONS = "model/evaluations";
  public static final String TUNING_TRIALS = "model/tuning_trials";

  // operations: one row per step of every run
  public static final String RUNS = "_runs";

  /** Scratch space of a running step (Parquet, removed when the step ends). */
  public static final String STAGING = "_staging";

  // serving: the published bundle
  public static final String BUNDLE = BundleFormat.TABLE_PATH;

  private static final java.util.regex.Pattern SCHEME =
      java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*:.*");

  /**
   * Whether a location is a URI with a scheme ({@code s3a://…}, {@code file:/…}, {@code
   * kafka://…}).
   */
  public static boolean hasScheme(String location) {
    return SCHEME.matcher(location).matches();
  }

  /**
   * A location as Delta and Spark need it: a URI as given, a local path made absolute (Delta reads
   * a relative table location as a table name and refuses it).
   */
  public static String absolute(String location) {
    return hasScheme(location)
        ? location
        : java.nio.file.Path.of(location).toAbsolutePath().normalize().toString();
  }

  /** The absolute location of a table under a warehouse root (local path or URI). */
  public static String at(String warehouse, String table) {
    return warehouse.endsWith("/") ? warehouse + table : warehouse + "/" + table;
  }
}
