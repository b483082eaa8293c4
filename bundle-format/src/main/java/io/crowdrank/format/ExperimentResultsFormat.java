package io.crowdrank.format;

import java.util.List;

/**
 * The A/B results the experiments job writes and the service's experiments page shows: one Delta
 * table, one row per (experiment, variant, day) and one per (experiment, variant) over every day
 * ({@link #DAY} null). Rates are per item shown; intervals are 95 %; lifts are relative to the
 * experiment's control ({@code 0.05} = 5 % more), null for the control itself.
 */
public final class ExperimentResultsFormat {
  private ExperimentResultsFormat() {}

  /** The results table, relative to the warehouse root. */
  public static final String TABLE_PATH = "gold/experiment_results";

  public static final String EXPERIMENT = ServingLogFormat.EXPERIMENT;
  public static final String VARIANT = ServingLogFormat.VARIANT;

  /** UTC date of the traffic; null on the row over every day. */
  public static final String DAY = "day";

  public static final String IS_CONTROL = "is_control";
  public static final String USERS = "users";
  public static final String IMPRESSIONS = "impressions";
  public static final String CLICKS = "clicks";
  public static final String USES = "uses";
  public static final String CTR = "ctr";
  public static final String CTR_LOW = "ctr_low";
  public static final String CTR_HIGH = "ctr_high";
  public static final String USE_RATE = "use_rate";
  public static final String USE_RATE_LOW = "use_rate_low";
  public static final String USE_RATE_HIGH = "use_rate_high";
  public static final String CTR_LIFT = "ctr_lift";
  public static final String CTR_LIFT_LOW = "ctr_lift_low";
  public static final String CTR_LIFT_HIGH = "ctr_lift_high";
  public static final String USE_LIFT = "use_lift";
  public static final String USE_LIFT_LOW = "use_lift_low";
  public static final String USE_LIFT_HIGH = "use_lift_high";

  /** The variant's share of the experiment's users by its definition. */
  public static final String EXPECTED_SHARE = "expected_share";

  /** Chi-square p-value of users per variant against the expected shares (same on every row). */
  public static final String SRM_P_VALUE = "srm_p_value";

  /** Below this p-value the users per variant do not match the shares: the split is broken. */
  public static final double SRM_ALARM = 0.001;

  /** Every column, in the table's order. */
  public static final List<String> COLUMNS =
      List.of(
          EXPERIMENT,
          VARIANT,
          DAY,
          IS_CONTROL,
          USERS,
          IMPRESSIONS,
          CLICKS,
          USES,
          CTR,
          CTR_LOW,
          CTR_HIGH,
          USE_RATE,
          USE_RATE_LOW,
          USE_RATE_HIGH,
          CTR_LIFT,
          CTR_LIFT_LOW,
          CTR_LIFT_HIGH,
          USE_LIFT,
          USE_LIFT_LOW,
          USE_LIFT_HIGH,
          EXPECTED_SHARE,
          SRM_P_VALUE);
}
