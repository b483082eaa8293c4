package io.crowdrank.format;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the service logs and the {@code events} job lands in Delta: every Rank answer (a "served"
 * record: the list shown, with positions and scores) and every event a host app sent through
 * RecordEvents, one JSON object per line in segment files, one folder per replica.
 *
 * <p>A replica appends to {@code <boot>-<segment>.open} and renames it to {@code
 * <boot>-<segment>.jsonl} once it is complete and on disk; the job reads only closed segments and
 * removes them only after their rows are committed. {@code boot} is the replica's start time in
 * epoch milliseconds, so ids stay unique across restarts even after old segments are removed.
 */
public final class ServingLogFormat {
  private ServingLogFormat() {}

  /** Where replicas write by default: one folder per replica under this, below the warehouse. */
  public static final String DIRECTORY = "_serving_log";

  /** The Delta table the events job writes, relative to the warehouse root. */
  public static final String TABLE_PATH = "bronze/serving_events";

  public static final String OPEN_SUFFIX = ".open";
  public static final String CLOSED_SUFFIX = ".jsonl";

  // Record kinds (field TYPE).
  /** One Rank answer: the items shown, in order. */
  public static final String SERVED = "served";

  /** One event from RecordEvents. */
  public static final String EVENT = "event";

  /** Written first after a start that found an unfinished segment: what was lost there. */
  public static final String RECOVERY = "recovery";

  public static final List<String> TYPES = List.of(SERVED, EVENT, RECOVERY);

  // Event kinds (field KIND of an event record), as in the API.
  public static final String IMPRESSION = "impression";
  public static final String CLICK = "click";
  public static final String USE = "use";

  // Fields of every record.
  public static final String TYPE = "type";

  /** Unique per replica and start: {@code <replica>.<boot>.<n>}. */
  public static final String EVENT_ID = "event_id";

  public static final String REPLICA = "replica";

  /** When the replica logged it (ISO-8601 UTC). */
  public static final String LOGGED_AT = "logged_at";

  // Served and event records.
  /** {@code payment}, {@code social} or {@code shared}: which id the host app sent. */
  public static final String USER_TYPE = "user_type";

  public static final String PAYMENT = "payment";
  public static final String SOCIAL = "social";
  public static final String SHARED = "shared";

  public static final String USER_ID = "user_id";
  public static final String HOST_APP = "host_app";

  /** When it happened (ISO-8601 UTC): the ranking's context time, or the event's time. */
  public static final String EVENT_TIME = "event_time";

  /**
   * The attribution token: a served record's own event id, which Rank returns and events carry back
   * (empty when the host app sent none).
   */
  public static final String TOKEN = "attribution_token";

  // Served records.
  public static final String REQUEST_ID = "request_id";
  public static final String MODEL_VERSION = "model_version";
  public static final String STRATEGY = "strategy";

  /** Array of {LAYER, EXPERIMENT, VARIANT}: the experiments the answer was part of. */
  public static final String ARMS = "experiments";

  public static final String LAYER = "layer";
  public static final String EXPERIMENT = "experiment";
  public static final String VARIANT = "variant";

  /** True when an operator forced the variant (debugging): left out of experiment results. */
  public static final String FORCED = "forced";

  public static final String CITY = "city";

  /** Array of {ITEM_ID, POSITION, SCORE}, best first. */
  public static final String ITEMS = "items";

  public static final String ITEM_ID = "mini_program_id";

  /** 1-based position in the ranking (across pages). */
  public static final String POSITION = "position";

  public static final String SCORE = "score";

  // Event records.
  /** IMPRESSION, CLICK or USE. */
  public static final String KIND = "kind";

  /** The host app's own id of the event (empty if none): repeats of it are dropped. */
  public static final String CLIENT_EVENT_ID = "client_event_id";

  // Recovery records.
  /** Bytes cut from the end of an unfinished segment (a record being written at the crash). */
  public static final String TORN_BYTES = "torn_bytes";

  /** The segment the torn bytes were cut from. */
  public static final String SEGMENT = "segment";

  /**
   * A segment file: the replica's start it belongs to, its number in that start, whether closed.
   */
  public record Segment(long boot, long number, boolean closed) {
    public Segment {
      if (boot < 0 || boot > 9_999_999_999_999L || number < 0 || number > 99_999_999L) {
        throw new IllegalArgumentException("boot or segment number out of range");
      }
    }

    /** Zero-padded, so that names sort in write order. */
    public String fileName() {
      return String.format("%013d-%08d%s", boot, number, closed ? CLOSED_SUFFIX : OPEN_SUFFIX);
    }

    public Segment close() {
      return new Segment(boot, number, true);
    }

    private static final Pattern NAME = Pattern.compile("(\\d{13})-(\\d{8})(\\.open|\\.jsonl)");

    /** The segment a file name is, or empty if it is not a segment's. */
    public static Optional<Segment> parse(String fileName) {
      Matcher m = NAME.matcher(fileName);
      if (!m.matches()) {
        return Optional.empty();
      }
      return Optional.of(
          new Segment(
              Long.parseLong(m.group(1)),
              Long.parseLong(m.group(2)),
              m.group(3).equals(CLOSED_SUFFIX)));
    }
  }

  /** An event id: replica, boot and the record's number in that boot. */
  public static String eventId(String replica, long boot, long n) {
    return replica + "." + boot + "." + n;
  }

  /** A replica id: letters, digits, '-' and '_', 1-64 characters (it names a folder). */
  public static boolean isValidReplica(String replica) {
    return replica != null && replica.matches("[A-Za-z0-9_-]{1,64}");
  }
}
