package io.crowdrank.batch.common;

/** Column names shared by more than one step. */
public final class Columns {
  private Columns() {}

  // raw / bronze
  public static final String TXN_ID = "txn_id";
  public static final String PAYER_ACCOUNT = "payer_account";
  public static final String MERCHANT_ID = "merchant_id";
  public static final String MINI_PROGRAM_ID = "mini_program_id";
  public static final String AMOUNT_FEN = "amount_fen";
  public static final String CATEGORY = "category";
  public static final String CITY = "city";
  public static final String HOST_APP = "host_app";
  public static final String EVENT_TIME = "event_time";
  public static final String EVENT_DATE = "event_date";
  public static final String STATUS = "status";
  public static final String EVENT_ID = "event_id";
  public static final String SOCIAL_ACCOUNT = "social_account";
  public static final String ACTION = "action";
  public static final String VERTICAL = "vertical";
  public static final String PAYMENT_ACCOUNT = "payment_account";
  public static final String MARKETING_CONSENT = "marketing_consent";
  public static final String LINK_TIME = "link_time";
  public static final String LINK_DATE = "link_date";
  public static final String NAME = "name";
  public static final String VERTICALS = "verticals";
  public static final String HOST_APPS = "host_apps";
  public static final String CITIES = "cities";
  public static final String UPDATED_TIME = "updated_time";

  // lineage, on every bronze row and in the quarantine
  public static final String SOURCE_FILE = "_source_file";
  public static final String SOURCE_OFFSET = "_source_offset";
  public static final String INGESTED_AT = "_ingested_at";

  // quarantine
  public static final String SOURCE = "source";
  public static final String RAW = "raw";
  public static final String REASON = "reason";
  public static final String RUN_ID = "run_id";

  // identity
  public static final String ACCOUNT_TYPE = "account_type";
  public static final String ACCOUNT_ID = "account_id";
  public static final String USER_ID = "user_id";
  public static final String IS_SHARED = "is_shared";

  // profiles
  public static final String HAS_PAYMENT = "has_payment";
  public static final String HAS_SOCIAL = "has_social";
  public static final String HOME_CITY = "home_city";
  public static final String RECENCY_DAYS = "recency_days";
  public static final String FREQUENCY = "frequency";
  public static final String MONETARY_FEN = "monetary_fen";
  public static final String R_SCORE = "r_score";
  public static final String F_SCORE = "f_score";
  public static final String M_SCORE = "m_score";
  public static final String CATEGORY_SPEND_SHARE = "category_spend_share";
  public static final String INTERESTS = "interests";
  public static final String HOUR_OF_WEEK = "hour_of_week";
  public static final String HOUR_OF_WEEK_ACTIVITY = "hour_of_week_activity";
  public static final String LAST_ACTIVE = "last_active";
  public static final String AS_OF = "as_of";
  public static final String FINGERPRINT = "_fingerprint";

  // AIPL
  public static final String SCOPE = "scope";
  public static final String SCOPE_ID = "scope_id";
  public static final String STAGE = "stage";
  public static final String STAGE_LEVEL = "stage_level";

  // silver/user_exposure
  public static final String SERVED = "served";
  public static final String IMPRESSIONS = "impressions";
  public static final String CLICKS = "clicks";
  public static final String USES = "uses";
  public static final String FIRST_SEEN = "first_seen";
  public static final String LAST_SEEN = "last_seen";
  public static final String SCOPE_MINI_PROGRAM = "mini_program";
  public static final String SCOPE_MERCHANT = "merchant";

  // segments and campaigns
  public static final String SEGMENT_ID = "segment_id";
  public static final String SEGMENT_IDS = "segment_ids";
  public static final String DESCRIPTION = "description";
  public static final String EXPRESSION = "expression";
  public static final String CAMPAIGN_ID = "campaign_id";
  public static final String START_TIME = "start_time";
  public static final String END_TIME = "end_time";
  public static final String BOOST = "boost";
  public static final String SLOT = "slot";
  public static final String SIZE = "size";
  public static final String PERSONA_ID = "persona_id";
  public static final String SIMILARITY = "similarity";

  // lookalikes
  public static final String CENTRE = "centre";
  public static final String CELL = "cell";

  // model
  public static final String VECTOR = "vector";
  public static final String WEIGHT = "weight";
  public static final String SCORE = "score";
  public static final String LIFTS = "lifts";

  /** Account types in the identity map. */
  public static final String ACCOUNT_PAYMENT = "payment";

  public static final String ACCOUNT_SOCIAL = "social";
}
