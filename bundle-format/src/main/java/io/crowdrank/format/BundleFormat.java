package io.crowdrank.format;

import java.util.List;

/**
 * The published model bundle: one Delta table whose every version is one complete bundle.
 *
 * <p>Delta has no multi-table transactions, so every part of a bundle (items, users, popularity,
 * context, manifest) lives in this one table, partitioned by {@link #PART} and (user rows) by
 * {@link #BUCKET_MOD}, {@link #BUCKET_REM} and {@link #BUCKET_FIRST}, and a publish overwrites the
 * whole table in a single commit. A reader therefore sees a whole bundle or the previous one, the
 * Delta version is the bundle version, and rollback is reading an older version.
 *
 * <p>Columns not used by a part are null in its rows.
 */
public final class BundleFormat {
  private BundleFormat() {}

  /** Bundle format version written into the manifest; the service refuses versions it lacks. */
  public static final int FORMAT_VERSION = 5;

  /**
   * The oldest format this code reads: format 3 has no {@link #BUCKET}s (a user row is there once,
   * read as if written without a bucket); format 4 writes a user's row into each of its buckets, so
   * a service that reads only 3 must refuse it rather than load users twice; format 5 stores user
   * vectors as {@link #VECTOR_CODES} and {@link #VECTOR_SCALE} instead of {@link #VECTOR}, which a
   * service that reads only 4 would not see.
   */
  public static final int OLDEST_READABLE_FORMAT = 3;

  /** The bundle table's directory, relative to the warehouse root. */
  public static final String TABLE_PATH = "serving/bundle";

  // ---- columns ----
  /** Which part of the bundle a row belongs to; the partition column. One of the PART_* values. */
  public static final String PART = "part";

  /**
   * User part: the {@link UserBuckets#bucket} this copy of the user's row is filed under, one copy
   * per distinct bucket of its keys (shared id and accounts); null in the other parts.
   */
  public static final String BUCKET = "bucket";

  /**
   * User part, the second and third partition columns: the row's file holds the buckets {@code b}
   * with {@code b % bucket_mod == bucket_rem}, {@code bucket_mod} a power of two up to {@link
   * UserBuckets#BUCKETS} that publish chooses by the number of users (one file per bucket of a
   * large bundle, a single file for a small one), so that a shard's replica opens only the files
   * that can hold its buckets; null in the other parts.
   */
  public static final String BUCKET_MOD = "bucket_mod";

  public static final String BUCKET_REM = "bucket_rem";

  /**
   * User part, the fourth partition column: whether this copy is the one in the lowest of the
   * user's buckets, so that a replica holding every user reads each user's row once and skips the
   * other copies' files; null in the other parts.
   */
  public static final String BUCKET_FIRST = "bucket_first";

  /** Row key: mini-program id (item, popularity), user id (user), category (context). */
  public static final String ID = "id";

  /** User part: the payment account that maps to this user, if any. */
  public static final String PAYMENT_ACCOUNT = "payment_account";

  /** User part: the social account that maps to this user, if any. */
  public static final String SOCIAL_ACCOUNT = "social_account";

  /** Item part: display name. */
  public static final String NAME = "name";

  /** Item and segment parts: owning merchant id (null on a platform segment). */
  public static final String MERCHANT_ID = "merchant_id";

  /** Item part: category id. */
  public static final String CATEGORY = "category";

  /**
   * Item part: social-network verticals the mini-program belongs to; user part: the verticals of
   * the user's social interests, with their shares in {@link #WEIGHTS}.
   */
  public static final String VERTICALS = "verticals";

  /** Item part: host apps it runs in. */
  public static final String HOST_APPS = "host_apps";

  /** Item part: cities where it is available; empty means everywhere. */
  public static final String CITIES = "cities";

  /** Item part: catalog status; only {@code active} items may be ranked. */
  public static final String STATUS = "status";

  /**
   * Item part (and user part before format 5): the latent factor vector (length = manifest
   * vector_dim), or null.
   */
  public static final String VECTOR = "vector";

  /**
   * User part: the latent factor vector as int8 codes, one byte per component (length = manifest
   * vector_dim), with the step in {@link #VECTOR_SCALE} ({@link QuantizedVector}); both null for a
   * user without a vector. A quarter of the floats' bytes, and one value a user for a reader to
   * decode instead of vector_dim.
   */
  public static final String VECTOR_CODES = "vector_codes";

  /** User part: the step of {@link #VECTOR_CODES} (component = code × scale), ≥ 0. */
  public static final String VECTOR_SCALE = "vector_scale";

  /** Popularity part: host app the popularity was measured in. */
  public static final String HOST_APP = "host_app";

  /** Popularity part: city scope ({@link #ALL} for the whole host app); user part: home city. */
  public static final String CITY = "city";

  /**
   * Popularity: normalised popularity score in (0, 1]; item: global popularity in (0, 1]; segment:
   * member count; campaign: score boost in (0, 1].
   */
  public static final String SCORE = "score";

  /**
   * Context part: 168 multiplicative lifts of the category per hour of week (Monday 00:00 = 0), or
   * for id {@link #ALL} the share of all activity in each hour; user part: interest shares, one per
   * entry of {@link #VERTICALS}.
   */
  public static final String WEIGHTS = "weights";

  /**
   * User part: the user's own hour-of-week habit as sparse cells, three parallel arrays: category,
   * hour of week (0..167) and confidence-weighted uses (see {@link ContextScoring}).
   */
  public static final String HABIT_CATEGORIES = "habit_categories";

  public static final String HABIT_HOURS = "habit_hours";
  public static final String HABIT_WEIGHTS = "habit_weights";

  /** User part: ids of the segments the user belongs to; campaign part: the segments it targets. */
  public static final String SEGMENTS = "segments";

  /** Segment part: what the segment is, for people. */
  public static final String DESCRIPTION = "description";

  /** Campaign part: the mini-program it promotes. */
  public static final String ITEM_ID = "item_id";

  /** Campaign part: first instant it runs (inclusive) and when it stops (exclusive), UTC. */
  public static final String START_TIME = "start_time";

  public static final String END_TIME = "end_time";

  /** Campaign part: position promoted to (1 = top), 0 for a score boost only. */
  public static final String SLOT = "slot";

  /** Manifest part: the manifest as a JSON object (see the MANIFEST_* keys). */
  public static final String MANIFEST_JSON = "manifest_json";

  // ---- parts ----
  public static final String PART_MANIFEST = "manifest";
  public static final String PART_ITEM = "item";
  public static final String PART_USER = "user";
  public static final String PART_POPULARITY = "popularity";
  public static final String PART_CONTEXT = "context";

  /** An audience segment: id, name, owning merchant (null = platform), description, size. */
  public static final String PART_SEGMENT = "segment";

  /** A campaign: id, name, item id, segments, host apps, start/end time, boost, slot. */
  public static final String PART_CAMPAIGN = "campaign";

  public static final List<String> PARTS =
      List.of(
          PART_MANIFEST,
          PART_ITEM,
          PART_USER,
          PART_POPULARITY,
          PART_CONTEXT,
          PART_SEGMENT,
          PART_CAMPAIGN);

  /** Host-app or city value of a popularity scope that covers all of them. */
  public static final String ALL = "*";

  /** Catalog status of a mini-program that may be shown. */
  public static final String STATUS_ACTIVE = "active";

  /** Hours in a week; hour-of-week index = (ISO day-of-week - 1) * 24 + hour, in local time. */
  public static final int HOURS_PER_WEEK = 168;

  // ---- manifest keys ----
  public static final String MANIFEST_FORMAT_VERSION = "format_version";
  public static final String MANIFEST_CREATED_TIME = "created_time";
  public static final String MANIFEST_TIME_ZONE = "time_zone";
  public static final String MANIFEST_VECTOR_DIM = "vector_dim";
  public static final String MANIFEST_SOURCES = "sources";
  public static final String MANIFEST_TRAINING = "training";
  public static final String MANIFEST_METRICS = "metrics";
  public static final String MANIFEST_COUNTS = "counts";

  /**
   * The prebuilt item index, if publish built one: {@link #INDEX_PATH} (a directory relative to the
   * bundle table), {@link #INDEX_ITEMS}, {@link #INDEX_DIM} and {@link #INDEX_FILES} (each Lucene
   * file's name and its CRC-32 as Lucene records it in the file's footer, hex).
   */
  public static final String MANIFEST_INDEX = "index";

  /** The A/B experiments served with the bundle ({@link Experiments#toMap()}); absent: none. */
  public static final String MANIFEST_EXPERIMENTS = "experiments";

  public static final String INDEX_PATH = "path";
  public static final String INDEX_ITEMS = "items";
  public static final String INDEX_DIM = "dim";
  public static final String INDEX_FILES = "files";

  /** Where prebuilt item indexes sit in the bundle table (Delta ignores directories named _*). */
  public static final String INDEX_ROOT = "_index";

  /** Ranking settings chosen with the model: {@code context_weight}, {@code habit_shrinkage}. */
  public static final String MANIFEST_RANKING = "ranking";

  public static final String RANKING_CONTEXT_WEIGHT = "context_weight";
  public static final String RANKING_HABIT_SHRINKAGE = "habit_shrinkage";

  /** The quality gate's decision on this bundle: metric, model, served, passed, forced. */
  public static final String MANIFEST_GATE = "gate";
}
