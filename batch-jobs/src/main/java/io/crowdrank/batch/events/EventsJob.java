package io.crowdrank.batch.events;

import static io.crowdrank.batch.common.Columns.EVENT_DATE;
import static io.crowdrank.batch.common.Columns.INGESTED_AT;
import static io.crowdrank.batch.common.Columns.RAW;
import static io.crowdrank.batch.common.Columns.REASON;
import static io.crowdrank.batch.common.Columns.SOURCE_FILE;
import static io.crowdrank.batch.common.Columns.SOURCE_OFFSET;
import static io.crowdrank.format.ServingLogFormat.ARMS;
import static io.crowdrank.format.ServingLogFormat.CITY;
import static io.crowdrank.format.ServingLogFormat.CLIENT_EVENT_ID;
import static io.crowdrank.format.ServingLogFormat.EVENT_ID;
import static io.crowdrank.format.ServingLogFormat.EVENT_TIME;
import static io.crowdrank.format.ServingLogFormat.EXPERIMENT;
import static io.crowdrank.format.ServingLogFormat.FORCED;
import static io.crowdrank.format.ServingLogFormat.HOST_APP;
import static io.crowdrank.format.ServingLogFormat.ITEMS;
import static io.crowdrank.format.ServingLogFormat.ITEM_ID;
import static io.crowdrank.format.ServingLogFormat.KIND;
import static io.crowdrank.format.ServingLogFormat.LAYER;
import static io.crowdrank.format.ServingLogFormat.LOGGED_AT;
import static io.crowdrank.format.ServingLogFormat.MODEL_VERSION;
import static io.crowdrank.format.ServingLogFormat.POSITION;
import static io.crowdrank.format.ServingLogFormat.REPLICA;
import static io.crowdrank.format.ServingLogFormat.REQUEST_ID;
import static io.crowdrank.format.ServingLogFormat.SCORE;
import static io.crowdrank.format.ServingLogFormat.SEGMENT;
import static io.crowdrank.format.ServingLogFormat.STRATEGY;
import static io.crowdrank.format.ServingLogFormat.TOKEN;
import static io.crowdrank.format.ServingLogFormat.TORN_BYTES;
import static io.crowdrank.format.ServingLogFormat.TYPE;
import static io.crowdrank.format.ServingLogFormat.USER_ID;
import static io.crowdrank.format.ServingLogFormat.USER_TYPE;
import static io.crowdrank.format.ServingLogFormat.VARIANT;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Quarantine;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.common.TextLines;
import io.crowdrank.batch.pipeline.StepReport;
import io.crowdrank.format.ServingLogFormat;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving replicas' records to Delta, exactly once: every record ({@link ServingLogFormat}) is
 * parsed by Spark's JSON parser against the declared schema, checked, and inserted into {@code
 * bronze/serving_events} unless the table holds its key already; lines that are not valid records
 * go to the quarantine with their reason. The key is the host app's own event id where it sent one
 * (so a retried stream counts once), otherwise the replica's event id.
 *
 * <p>Two sources, as the replicas were configured: their folders of closed segments (the default),
 * removed only after the commit, so a run that dies in between leaves them to the next run; or a
 * Kafka topic ({@code kafka://host:port[,host:port]/topic}), read by Structured Streaming's Kafka
 * source up to the offsets there are when the run starts ({@code availableNow}), with the offsets
 * landed kept in a checkpoint under the warehouse. A micro-batch replayed after a crash inserts
 * nothing twice (the same keys) and quarantines nothing twice (the same topic, partition and
 * offset).
 */
public final class EventsJob {
  private static final Logger LOG = LoggerFactory.getLogger(EventsJob.class);

  /** The quarantine's source name for lines of the serving log. */
  public static final String QUARANTINE_SOURCE = "serving_log";

  /** The table's key: the host app's event id (scoped by host app) or the replica's. */
  public static final String EVENT_KEY = "event_key";

  private static final String PARSED = "_record";
  private static final String CORRUPT = "_corrupt_record";

  /** The scheme of a Kafka source. */
  public static final String KAFKA_SCHEME = "kafka://";

  private static final java.util.regex.Pattern KAFKA =
      java.util.regex.Pattern.compile("kafka://([^/\\s]+)/([A-Za-z0-9._-]{1,249})");

  /**
   * A source as given, if it is a folder or a well-formed Kafka source.
   *
   * @throws IllegalArgumentException saying what a Kafka source looks like
   */
  public static String checked(String source) {
    if (source.startsWith(KAFKA_SCHEME) && !KAFKA.matcher(source).matches()) {
      throw new IllegalArgumentException(
          "--events-source '"
              + source
              + "' is not kafka://HOST:PORT[,HOST:PORT]/TOPIC (a topic is 1-249 of letters,"
              + " digits, '.', '_' and '-')");
    }
    return source;
  }

  /**
   * @param warehouse root of the Delta tables
   * @param source the folder with one sub-folder per replica, or {@code
   *     kafka://host:port[,host:port]/topic}; null for the warehouse's {@code _serving_log}
   * @param runId identifies this run in the quarantine table
   */
  public record Options(String warehouse, String source, String runId) {
    public Options {
      if (warehouse == null || runId == null) {
        throw new IllegalArgumentException("warehouse and runId are required");
      }
      source = source == null ? Tables.at(warehouse, ServingLogFormat.DIRECTORY) : checked(source);
    }

    /** The Kafka topic, or null when the source is a folder. */
    Kafka kafka() {
      var m = KAFKA.matcher(source);
      return m.matches() ? new Kafka(m.group(1), m.group(2)) : null;
    }
  }

  /** A Kafka source: {@code host:port[,host:port]} and a topic. */
  record Kafka(String servers, String topic) {}

  /**
   * What one run did: lines read = accepted + quarantined; accepted = inserted + duplicates.
   *
   * @param segments closed segments read (and removed after the commit)
   * @param batches micro-batches landed from Kafka
   * @param served Rank answers among the inserted records
   * @param events host-app events among them
   * @param tornBytes what replicas reported cutting from unfinished segments at restart
   */
  public record Result(
      int segments,
      int batches,
      long read,
      long accepted,
      long quarantined,
      long inserted,
      long served,
      long events,
      long tornBytes,
      long tableVersion,
      long quarantineVersion)
      implements StepReport {
    /** Nothing was closed or sent since the last run: nothing was done. */
    @Override
    public boolean skipped() {
      return segments == 0 && batches == 0;
    }

    /** Events reads log files, not Delta tables. */
    @Override
    public Map<String, Long> inputVersions() {
      return Map.of();
    }

    @Override
    public Map<String, Long> outputVersions() {
      Map<String, Long> out = new LinkedHashMap<>();
      out.put(ServingLogFormat.TABLE_PATH, tableVersion);
      out.put(Tables.QUARANTINE, quarantineVersion);
      return out;
    }

    @Override
    public Map<String, Long> counts() {
      Map<String, Long> out = new LinkedHashMap<>();
      out.put("segments", (long) segments);
      out.put("kafka_batches", (long) batches);
      out.put("read", read);
      out.put("accepted", accepted);
      out.put("quarantined", quarantined);
      out.put("inserted", inserted);
      out.put("duplicates", accepted - inserted);
      out.put("served", served);
      out.put("events", events);
      out.put("torn_bytes", tornBytes);
      return out;
    }

    @Override
    public Map<String, Long> headline() {
      Map<String, Long> out = new LinkedHashMap<>();
      out.put("segments", (long) segments);
      out.put("inserted", inserted);
      out.put("quarantined", quarantined);
      return out;
    }
  }

  /** One line of the log as Spark's JSON parser reads it; timestamps are checked after. */
  static StructType recordSchema() {
    StructType item =
        new StructType()
            .add(ITEM_ID, DataTypes.StringType)
            .add(POSITION, DataTypes.IntegerType)
            .add(SCORE, DataTypes.DoubleType);
    return new StructType()
        .add(TYPE, DataTypes.StringType)
        .add(EVENT_ID, DataTypes.StringType)
        .add(REPLICA, DataTypes.StringType)
        .add(LOGGED_AT, DataTypes.StringType)
        .add(USER_TYPE, DataTypes.StringType)
        .add(USER_ID, DataTypes.StringType)
        .add(HOST_APP, DataTypes.StringType)
        .add(EVENT_TIME, DataTypes.StringType)
        .add(TOKEN, DataTypes.StringType)
        .add(REQUEST_ID, DataTypes.StringType)
        .add(MODEL_VERSION, DataTypes.LongType)
        .add(STRATEGY, DataTypes.StringType)
        .add(
            ARMS,
            DataTypes.createArrayType(
                new StructType()
                    .add(LAYER, DataTypes.StringType)
                    .add(EXPERIMENT, DataTypes.StringType)
                    .add(VARIANT, DataTypes.StringType)))
        .add(FORCED, DataTypes.BooleanType)
        .add(CITY, DataTypes.StringType)
        .add(ITEMS, DataTypes.createArrayType(item))
        .add(ITEM_ID, DataTypes.StringType)
        .add(KIND, DataTypes.StringType)
        .add(CLIENT_EVENT_ID, DataTypes.StringType)
        .add(SEGMENT, DataTypes.StringType)
        .add(TORN_BYTES, DataTypes.LongType)
        .add(CORRUPT, DataTypes.StringType);
  }

  /** The Delta table: one row per record, partitioned by the UTC date of its event time. */
  static StructType tableSchema() {
    StructType record = recordSchema();
    StructType out = new StructType().add(EVENT_KEY, DataTypes.StringType, false);
    for (var f : record.fields()) {
      if (f.name().equals(CORRUPT)) {
        continue;
      }
      boolean time = f.name().equals(LOGGED_AT) || f.name().equals(EVENT_TIME);
      out = out.add(f.name(), time ? DataTypes.TimestampType : f.dataType(), true);
    }
    return out.add(SOURCE_FILE, DataTypes.StringType, false)
        .add(SOURCE_OFFSET, DataTypes.LongType, false)
        .add(EVENT_DATE, DataTypes.DateType, true)
        .add(INGESTED_AT, DataTypes.TimestampType, true);
  }

  private final SparkSession spark;
  private final Options options;

  public EventsJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Result execute() {
    Kafka kafka = options.kafka();
    return kafka == null ? fromFolder() : fromKafka(kafka);
  }

  /** Every closed segment of every replica's folder; each removed once its rows are committed. */
  private Result fromFolder() {
    List<Path> segments = closedSegments();
    if (segments.isEmpty()) {
      // Nothing to land: no table is created or touched (a DAG with no service yet pays nothing).
      LOG.info("events: no closed segments under {}", options.source());
      return result(0, 0, Landed.NONE);
    }
    Landed landed =
        land(TextLines.read(spark, segments.stream().map(Path::toString).toList()), targets());
    // Committed: only now may the segments go.
    remove(segments);
    LOG.info(
        "events: {} segments, {} lines: {} served lists, {} events, {} inserted, {} quarantined",
        segments.size(),
        landed.read(),
        landed.served(),
        landed.events(),
        landed.inserted(),
        landed.quarantined());
    return result(segments.size(), 0, landed);
  }

  /**
   * What the topic holds beyond the checkpoint's offsets, in micro-batches, each landed like a
   * folder's segments; the checkpoint moves on only after a batch's commit.
   */
  private Result fromKafka(Kafka kafka) {
    String servers = kafka.servers();
    String topic = kafka.topic();
    Targets targets = targets();
    String checkpoint =
        Tables.at(options.warehouse(), "_checkpoints/serving_events/kafka-" + topic);
    Dataset<Row> lines =
        spark
            .readStream()
            .format("kafka")
            .option("kafka.bootstrap.servers", servers)
            .option("subscribe", topic)
            .option("startingOffsets", "earliest")
            // Records removed by the topic's retention before they were landed: fail, not skip.
            .option("failOnDataLoss", "true")
            .load()
            .select(
                col("value").cast(DataTypes.StringType).as(TextLines.LINE),
                concat(lit("kafka:" + topic + "/"), col("partition").cast(DataTypes.StringType))
                    .as(SOURCE_FILE),
                col("offset").as(SOURCE_OFFSET));
    List<Landed> batches = new ArrayList<>();
    try {
      StreamingQuery query =
          lines
              .writeStream()
              .queryName("events-from-kafka-" + topic)
              .trigger(Trigger.AvailableNow())
              .option("checkpointLocation", checkpoint)
              .foreachBatch(
                  (VoidFunction2<Dataset<Row>, Long>)
                      (batch, id) -> {
                        if (!batch.isEmpty()) {
                          batches.add(land(batch, targets));
                        }
                      })
              .start();
      query.awaitTermination();
    } catch (java.util.concurrent.TimeoutException | StreamingQueryException e) {
      throw new IllegalStateException(
          "events: landing Kafka topic " + topic + " at " + servers + " failed: " + e.getMessage(),
          e);
    }
    Landed landed = batches.stream().reduce(Landed.NONE, Landed::plus);
    LOG.info(
        "events: {} batches from Kafka topic {}, {} records: {} served lists, {} events, {}"
            + " inserted, {} quarantined",
        batches.size(),
        topic,
        landed.read(),
        landed.served(),
        landed.events(),
        landed.inserted(),
        landed.quarantined());
    return result(0, batches.size(), landed);
  }

  /** Where landed lines go: the events table and the quarantine. */
  private record Targets(DeltaTable events, DeltaTable quarantine) {}

  /** The events table and the quarantine, created if missing, once per run. */
  private Targets targets() {
    return new Targets(
        Delta.createIfNotExists(
            spark,
            Tables.at(options.warehouse(), ServingLogFormat.TABLE_PATH),
            tableSchema(),
            List.of(EVENT_DATE)),
        Quarantine.table(spark, options.warehouse()));
  }

  private Result result(int segments, int batches, Landed landed) {
    return new Result(
        segments,
        batches,
        landed.read(),
        landed.read() - landed.quarantined(),
        landed.quarantined(),
        landed.inserted(),
        landed.served(),
        landed.events(),
        landed.torn(),
        Delta.version(spark, Tables.at(options.warehouse(), ServingLogFormat.TABLE_PATH)),
        Delta.version(spark, Quarantine.path(options.warehouse())));
  }

  /** What landing some lines did; lines read = accepted + quarantined. */
  private record Landed(
      long read, long quarantined, long inserted, long served, long events, long torn) {
    static final Landed NONE = new Landed(0, 0, 0, 0, 0, 0);

    Landed plus(Landed o) {
      return new Landed(
          read + o.read,
          quarantined + o.quarantined,
          inserted + o.inserted,
          served + o.served,
          events + o.events,
          torn + o.torn);
    }
  }

  /**
   * Parses, checks and lands lines: (LINE, SOURCE_FILE, SOURCE_OFFSET) rows, from segment files or
   * Kafka messages alike.
   */
  private Landed land(Dataset<Row> lines, Targets targets) {
    Dataset<Row> parsed =
        lines
            .select(
                from_json(
                        col(TextLines.LINE),
                        recordSchema(),
                        Map.of("mode", "PERMISSIVE", "columnNameOfCorruptRecord", CORRUPT))
                    .as(PARSED),
                col(TextLines.LINE).as(RAW),
                col(SOURCE_FILE),
                col(SOURCE_OFFSET))
            .select(col(PARSED + ".*"), col(RAW), col(SOURCE_FILE), col(SOURCE_OFFSET))
            .withColumn(EVENT_TIME, col(EVENT_TIME).cast(DataTypes.TimestampType).as(EVENT_TIME))
            .withColumn(LOGGED_AT, col(LOGGED_AT).cast(DataTypes.TimestampType))
            .withColumn(REASON, reason())
            .cache();
    try {
      long read = 0;
      long quarantined = 0;
      for (Row r : parsed.groupBy(col(REASON).isNull()).count().collectAsList()) {
        read += r.getLong(1);
        quarantined += r.getBoolean(0) ? 0 : r.getLong(1);
      }
      if (quarantined > 0) {
        Quarantine.add(
            targets.quarantine(),
            parsed.filter(col(REASON).isNotNull()),
            QUARANTINE_SOURCE,
            options.runId());
      }
      Dataset<Row> accepted =
          parsed
              .filter(col(REASON).isNull())
              .withColumn(
                  EVENT_KEY,
                  when(
                          coalesce(col(CLIENT_EVENT_ID), lit("")).notEqual(""),
                          concat(col(HOST_APP), lit(":"), col(CLIENT_EVENT_ID)))
                      .otherwise(col(EVENT_ID)))
              .withColumn(EVENT_DATE, to_date(coalesce(col(EVENT_TIME), col(LOGGED_AT))))
              .withColumn(INGESTED_AT, current_timestamp());
      Dataset<Row> unique =
          accepted
              .dropDuplicates(EVENT_KEY)
              .select(
                  java.util.Arrays.stream(tableSchema().fieldNames())
                      .map(c -> col(c))
                      .toArray(Column[]::new));
      long inserted =
          Delta.insertNew(targets.events(), unique, List.of(EVENT_KEY), EVENT_DATE, null);
      long served = 0;
      long events = 0;
      long torn = 0;
      for (Row r :
          accepted
              .groupBy(TYPE)
              .agg(
                  org.apache.spark.sql.functions.count(lit(1)),
                  org.apache.spark.sql.functions.sum(coalesce(col(TORN_BYTES), lit(0L))))
              .collectAsList()) {
        switch (r.getString(0)) {
          case ServingLogFormat.SERVED -> served = r.getLong(1);
          case ServingLogFormat.EVENT -> events = r.getLong(1);
          default -> torn = r.getLong(2);
        }
      }
      return new Landed(read, quarantined, inserted, served, events, torn);
    } finally {
      parsed.unpersist();
    }
  }

  /** Why a line is not a valid record, or null when it is. */
  private static Column reason() {
    Column type = col(TYPE);
    Column userRecord = type.isin(ServingLogFormat.SERVED, ServingLogFormat.EVENT);
    return when(
            col(CORRUPT).isNotNull(),
            lit("not a JSON record of the serving log (cut short or damaged)"))
        .when(
            type.isNull().or(type.isin(ServingLogFormat.TYPES.toArray()).unary_$bang()),
            concat(lit("unknown record type '"), coalesce(type, lit("")), lit("'")))
        .when(blank(EVENT_ID), lit("event_id is missing"))
        .when(col(LOGGED_AT).isNull(), lit("logged_at is not an ISO-8601 instant"))
        .when(
            userRecord.and(
                coalesce(
                        col(USER_TYPE)
                            .isin(
                                ServingLogFormat.PAYMENT,
                                ServingLogFormat.SOCIAL,
                                ServingLogFormat.SHARED),
                        lit(false))
                    .unary_$bang()),
            lit("user_type must be payment, social or shared"))
        .when(userRecord.and(blank(USER_ID)), lit("user_id is missing"))
        .when(userRecord.and(blank(HOST_APP)), lit("host_app is missing"))
        .when(
            userRecord.and(col(EVENT_TIME).isNull()),
            lit("event_time is missing or not an ISO-8601 instant"))
        .when(
            type.equalTo(ServingLogFormat.SERVED).and(col(ITEMS).isNull()), lit("items is missing"))
        .when(
            type.equalTo(ServingLogFormat.EVENT).and(blank(ITEM_ID)),
            lit("mini_program_id is missing"))
        .when(
            type.equalTo(ServingLogFormat.EVENT)
                .and(
                    coalesce(
                            col(KIND)
                                .isin(
                                    ServingLogFormat.IMPRESSION,
                                    ServingLogFormat.CLICK,
                                    ServingLogFormat.USE),
                            lit(false))
                        .unary_$bang()),
            lit("kind must be impression, click or use"));
  }

  private static Column blank(String column) {
    return coalesce(col(column), lit("")).equalTo("");
  }

  /** The closed segments of every replica's folder, in name order. */
  private List<Path> closedSegments() {
    Path root = new Path(options.source());
    try {
      FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(root)) {
        return List.of();
      }
      List<Path> out = new ArrayList<>();
      for (FileStatus replica : fs.listStatus(root)) {
        if (!replica.isDirectory()) {
          continue;
        }
        for (FileStatus f : fs.listStatus(replica.getPath())) {
          var segment = ServingLogFormat.Segment.parse(f.getPath().getName());
          if (f.isFile() && segment.isPresent() && segment.get().closed()) {
            out.add(f.getPath());
          }
        }
      }
      out.sort(null);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the serving log " + root, e);
    }
  }

  private void remove(List<Path> segments) {
    try {
      FileSystem fs = segments.get(0).getFileSystem(spark.sparkContext().hadoopConfiguration());
      for (Path p : segments) {
        if (!fs.delete(p, false)) {
          LOG.warn("events: could not remove {} (its rows are committed)", p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove landed segments", e);
    }
  }
}
