package io.crowdrank.batch.segments;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Inputs;
import io.crowdrank.batch.common.StepJob;
import io.crowdrank.batch.common.StepOptions;
import io.crowdrank.batch.common.Tables;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Audiences: stores the segment and campaign definitions of a targeting file (when one is given) in
 * {@code gold/segment_definitions} and {@code gold/campaigns}, evaluates every segment over the
 * pinned profiles and AIPL stages, and writes {@code gold/segment_members} (segment_id, user_id)
 * and {@code gold/segment_stats} (size and platform overlap per segment). Publish puts members and
 * campaigns in the bundle, for {@code GetUserSegments} and campaign targeting.
 *
 * <p>A campaign must promote a mini-program of the catalog and may target only platform segments or
 * segments of the merchant that owns the mini-program.
 */
public final class SegmentsJob extends StepJob<SegmentsJob.Options, SegmentsJob.Result> {

  public static final StructType DEFINITIONS_SCHEMA =
      new StructType()
          .add(SEGMENT_ID, DataTypes.StringType, false)
          .add(NAME, DataTypes.StringType, false)
          .add(MERCHANT_ID, DataTypes.StringType, true)
          .add(DESCRIPTION, DataTypes.StringType, true)
          .add(EXPRESSION, DataTypes.StringType, false);

  public static final StructType CAMPAIGNS_SCHEMA =
      new StructType()
          .add(CAMPAIGN_ID, DataTypes.StringType, false)
          .add(NAME, DataTypes.StringType, false)
          .add(MINI_PROGRAM_ID, DataTypes.StringType, false)
          .add(SEGMENT_IDS, DataTypes.createArrayType(DataTypes.StringType, false), false)
          .add(HOST_APPS, DataTypes.createArrayType(DataTypes.StringType, false), false)
          .add(START_TIME, DataTypes.TimestampType, false)
          .add(END_TIME, DataTypes.TimestampType, false)
          .add(BOOST, DataTypes.DoubleType, false)
          .add(SLOT, DataTypes.IntegerType, false);

  /**
   * @param warehouse root of the Delta tables
   * @param targeting a targeting file to store before evaluating, or null to evaluate the stored
   *     definitions (none stored: no segments)
   */
  public record Options(String warehouse, Path targeting) implements StepOptions {
    public Options {
      if (warehouse == null) {
        throw new IllegalArgumentException("warehouse is required");
      }
    }
  }

  public record Result(long segments, long members, long campaigns, StepJob.Outcome outcome)
      implements StepJob.Report {
    @Override
    public Map<String, Long> counts() {
      return Map.of("segments", segments, "members", members, "campaigns", campaigns);
    }
  }

  static final String STEP = "segments";

  public SegmentsJob(SparkSession spark, Options options) {
    super(
        spark,
        options,
        STEP,
        List.of(
            Tables.USER_PROFILES, Tables.USER_AIPL, Tables.SEGMENT_DEFINITIONS, Tables.CAMPAIGNS),
        List.of(Tables.SEGMENT_MEMBERS, Tables.SEGMENT_STATS));
  }

  @Override
  protected void prepare() {
    if (options.targeting() != null) {
      store(Targeting.read(options.targeting()));
    } else {
      Delta.createIfNotExists(
          spark, path(Tables.SEGMENT_DEFINITIONS), DEFINITIONS_SCHEMA, List.of());
      Delta.createIfNotExists(spark, path(Tables.CAMPAIGNS), CAMPAIGNS_SCHEMA, List.of());
    }
  }

  @Override
  protected void compute(Inputs in, Commit commit) {
    Targeting targeting = stored(in);
    Dataset<Row> members =
        new SegmentCompiler(targeting.expressions())
            .members(in.read(Tables.USER_PROFILES), in.read(Tables.USER_AIPL));
    Dataset<Row> definitions = in.read(Tables.SEGMENT_DEFINITIONS);
    commit.commit(
        () -> {
          overwrite(members.repartition(col(SEGMENT_ID)), Tables.SEGMENT_MEMBERS);
          Dataset<Row> written = Delta.read(spark, warehouse, Tables.SEGMENT_MEMBERS);
          Dataset<Row> sizes =
              written
                  .join(in.read(Tables.USER_PROFILES), USER_ID)
                  .groupBy(SEGMENT_ID)
                  .agg(
                      count(lit(1)).as(SIZE),
                      count(when(col(IS_SHARED), 1)).as("shared"),
                      count(when(col(HAS_PAYMENT).and(not(col(HAS_SOCIAL))), 1)).as("payment_only"),
                      count(when(col(HAS_SOCIAL).and(not(col(HAS_PAYMENT))), 1)).as("social_only"));
          overwrite(
              definitions
                  .join(sizes, SEGMENT_ID, "left")
                  .select(
                      col(SEGMENT_ID),
                      col(NAME),
                      col(MERCHANT_ID),
                      coalesce(col(SIZE), lit(0L)).as(SIZE),
                      coalesce(col("shared"), lit(0L)).as("shared"),
                      coalesce(col("payment_only"), lit(0L)).as("payment_only"),
                      coalesce(col("social_only"), lit(0L)).as("social_only")),
              Tables.SEGMENT_STATS);
        });
  }

  /**
   * Writes the file's definitions unless the stored ones are the same (so re-runs commit nothing).
   */
  private void store(Targeting t) {
    Map<String, String> merchantOf = new HashMap<>();
    for (Row r :
        Delta.read(spark, warehouse, Tables.CATALOG)
            .select(MINI_PROGRAM_ID, MERCHANT_ID)
            .collectAsList()) {
      merchantOf.put(r.getString(0), r.getString(1));
    }
    Map<String, Targeting.Segment> segments = new LinkedHashMap<>();
    t.segments().forEach(s -> segments.put(s.id(), s));
    for (Targeting.Campaign c : t.campaigns()) {
      String merchant = merchantOf.get(c.miniProgramId());
      if (merchant == null) {
        throw new IllegalArgumentException(
            "campaign \""
                + c.id()
                + "\": mini-program "
                + c.miniProgramId()
                + " is not in the catalog");
      }
      for (String s : c.segments()) {
        String owner = segments.get(s).merchantId();
        if (owner != null && !owner.equals(merchant)) {
          throw new IllegalArgumentException(
              "campaign \""
                  + c.id()
                  + "\": segment \""
                  + s
                  + "\" belongs to merchant "
                  + owner
                  + ", not to "
                  + merchant
                  + " who owns "
                  + c.miniProgramId());
        }
      }
    }
    if (Delta.exists(spark, path(Tables.SEGMENT_DEFINITIONS))
        && Delta.exists(spark, path(Tables.CAMPAIGNS))
        && Objects.equals(read(), t.sorted())) {
      return;
    }
    List<Row> defs = new ArrayList<>();
    for (Targeting.Segment s : t.segments()) {
      defs.add(
          RowFactory.create(s.id(), s.name(), s.merchantId(), s.description(), s.expression()));
    }
    List<Row> camps = new ArrayList<>();
    for (Targeting.Campaign c : t.campaigns()) {
      camps.add(
          RowFactory.create(
              c.id(),
              c.name(),
              c.miniProgramId(),
              c.segments().toArray(String[]::new),
              c.hostApps().toArray(String[]::new),
              Timestamp.from(c.start()),
              Timestamp.from(c.end()),
              c.boost(),
              c.slot()));
    }
    overwrite(
        spark.createDataFrame(defs, DEFINITIONS_SCHEMA).coalesce(1), Tables.SEGMENT_DEFINITIONS);
    overwrite(spark.createDataFrame(camps, CAMPAIGNS_SCHEMA).coalesce(1), Tables.CAMPAIGNS);
  }

  /** The stored definitions, as of the pinned versions. */
  private Targeting stored(Inputs in) {
    return fromRows(
        in.read(Tables.SEGMENT_DEFINITIONS).collectAsList(),
        in.read(Tables.CAMPAIGNS).collectAsList());
  }

  private Targeting read() {
    return fromRows(
        Delta.read(spark, warehouse, Tables.SEGMENT_DEFINITIONS).collectAsList(),
        Delta.read(spark, warehouse, Tables.CAMPAIGNS).collectAsList());
  }

  /** Definitions back from their tables (rows of the two schemas above), in id order. */
  public static Targeting fromRows(List<Row> definitions, List<Row> campaigns) {
    List<Targeting.Segment> segs =
        definitions.stream()
            .map(
                r ->
                    new Targeting.Segment(
                        r.getAs(SEGMENT_ID),
                        r.getAs(NAME),
                        r.getAs(MERCHANT_ID),
                        r.getAs(DESCRIPTION),
                        r.getAs(EXPRESSION)))
            .sorted(java.util.Comparator.comparing(Targeting.Segment::id))
            .toList();
    List<Targeting.Campaign> camps =
        campaigns.stream()
            .map(
                r ->
                    new Targeting.Campaign(
                        r.getAs(CAMPAIGN_ID),
                        r.getAs(NAME),
                        r.getAs(MINI_PROGRAM_ID),
                        List.copyOf(r.<String>getList(r.fieldIndex(SEGMENT_IDS))),
                        List.copyOf(r.<String>getList(r.fieldIndex(HOST_APPS))),
                        r.<Timestamp>getAs(START_TIME).toInstant(),
                        r.<Timestamp>getAs(END_TIME).toInstant(),
                        r.<Double>getAs(BOOST),
                        r.<Integer>getAs(SLOT)))
            .sorted(java.util.Comparator.comparing(Targeting.Campaign::id))
            .toList();
    return new Targeting(segs, camps);
  }

  @Override
  protected Result result(Run run) {
    Dataset<Row> stats = Delta.read(spark, warehouse, Tables.SEGMENT_STATS);
    Row totals = stats.agg(count(lit(1)), coalesce(sum(SIZE), lit(0L))).first();
    return new Result(
        totals.getLong(0),
        totals.getLong(1),
        run.in().read(Tables.CAMPAIGNS).count(),
        run.outcome());
  }

  private void overwrite(Dataset<Row> rows, String table) {
    Delta.overwrite(rows, path(table));
  }
}
