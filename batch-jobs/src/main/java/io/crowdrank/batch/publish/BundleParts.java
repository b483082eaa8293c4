package io.crowdrank.batch.publish;

import static io.crowdrank.batch.common.Columns.*;
import static io.crowdrank.format.BundleFormat.ALL;
import static io.crowdrank.format.BundleFormat.ID;
import static io.crowdrank.format.BundleFormat.MANIFEST_JSON;
import static io.crowdrank.format.BundleFormat.PART;
import static io.crowdrank.format.BundleFormat.PART_CONTEXT;
import static io.crowdrank.format.BundleFormat.PART_ITEM;
import static io.crowdrank.format.BundleFormat.PART_MANIFEST;
import static io.crowdrank.format.BundleFormat.PART_POPULARITY;
import static io.crowdrank.format.BundleFormat.PART_USER;
import static io.crowdrank.format.BundleFormat.WEIGHTS;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.Json;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.Manifest;
import io.crowdrank.format.QuantizedVector;
import io.crowdrank.format.UserBuckets;
import io.crowdrank.ranking.bundle.BundleRows;
import io.crowdrank.ranking.bundle.ModelBundle;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The bundle's rows, made from model, profile and targeting tables: the one place that knows the
 * bundle table's schema and how each part is laid out in it. {@link PublishJob} writes them; the
 * evaluation's served protocol builds them from the training side of its split and loads them into
 * the service's {@link ModelBundle} through {@link BundleRows}, as the service does from Delta.
 *
 * @param catalog the mini-program catalog
 * @param itemFactors {@code mini_program_id, vector}
 * @param popularity {@code host_app, city, mini_program_id, score}, with the {@code *} scopes
 * @param context {@code category, lifts} (and the {@code *} row of hour shares)
 * @param accounts {@code user_id, account_type, account_id} (the identity map)
 * @param profiles {@code user_id, home_city, interests}
 * @param userFactors {@code user_id, vector}
 * @param habits {@code user_id, category, hour_of_week, weight}
 * @param segmentMembers {@code user_id, segment_id}; null for none
 * @param segments segment stats joined with their definitions; null for none
 * @param campaigns the campaigns table; null for none
 */
public record BundleParts(
    Dataset<Row> catalog,
    Dataset<Row> itemFactors,
    Dataset<Row> popularity,
    Dataset<Row> context,
    Dataset<Row> accounts,
    Dataset<Row> profiles,
    Dataset<Row> userFactors,
    Dataset<Row> habits,
    Dataset<Row> segmentMembers,
    Dataset<Row> segments,
    Dataset<Row> campaigns) {

  /** The bundle table's schema; every part uses a subset of the columns. */
  public static final StructType SCHEMA =
      new StructType()
          .add(PART, DataTypes.StringType, false)
          .add(BundleFormat.BUCKET_MOD, DataTypes.IntegerType, true)
          .add(BundleFormat.BUCKET_REM, DataTypes.IntegerType, true)
          .add(BundleFormat.BUCKET_FIRST, DataTypes.BooleanType, true)
          .add(BundleFormat.BUCKET, DataTypes.IntegerType, true)
          .add(ID, DataTypes.StringType, false)
          .add(BundleFormat.PAYMENT_ACCOUNT, DataTypes.StringType, true)
          .add(BundleFormat.SOCIAL_ACCOUNT, DataTypes.StringType, true)
          .add(BundleFormat.NAME, DataTypes.StringType, true)
          .add(BundleFormat.MERCHANT_ID, DataTypes.StringType, true)
          .add(BundleFormat.CATEGORY, DataTypes.StringType, true)
          .add(BundleFormat.VERTICALS, strings(), true)
          .add(BundleFormat.HOST_APPS, strings(), true)
          .add(BundleFormat.CITIES, strings(), true)
          .add(BundleFormat.STATUS, DataTypes.StringType, true)
          .add(BundleFormat.VECTOR, DataTypes.createArrayType(DataTypes.FloatType, true), true)
          .add(BundleFormat.VECTOR_CODES, DataTypes.BinaryType, true)
          .add(BundleFormat.VECTOR_SCALE, DataTypes.FloatType, true)
          .add(BundleFormat.HOST_APP, DataTypes.StringType, true)
          .add(BundleFormat.CITY, DataTypes.StringType, true)
          .add(BundleFormat.SCORE, DataTypes.DoubleType, true)
          .add(WEIGHTS, DataTypes.createArrayType(DataTypes.FloatType, true), true)
          .add(BundleFormat.HABIT_CATEGORIES, strings(), true)
          .add(
              BundleFormat.HABIT_HOURS,
              DataTypes.createArrayType(DataTypes.IntegerType, true),
              true)
          .add(
              BundleFormat.HABIT_WEIGHTS,
              DataTypes.createArrayType(DataTypes.FloatType, true),
              true)
          .add(BundleFormat.SEGMENTS, strings(), true)
          .add(BundleFormat.DESCRIPTION, DataTypes.StringType, true)
          .add(BundleFormat.ITEM_ID, DataTypes.StringType, true)
          .add(BundleFormat.START_TIME, DataTypes.TimestampType, true)
          .add(BundleFormat.END_TIME, DataTypes.TimestampType, true)
          .add(BundleFormat.SLOT, DataTypes.IntegerType, true)
          .add(MANIFEST_JSON, DataTypes.StringType, true);

  /** Catalog fields, the learnt vector (null for a new mini-program) and overall popularity. */
  public Dataset<Row> items() {
    Dataset<Row> overall =
        popularity
            .filter(col(HOST_APP).equalTo(ALL).and(col(CITY).equalTo(ALL)))
            .select(col(MINI_PROGRAM_ID), col(SCORE));
    return catalog
        .join(itemFactors, MINI_PROGRAM_ID, "left")
        .join(overall, MINI_PROGRAM_ID, "left")
        .select(
            lit(PART_ITEM).as(PART),
            col(MINI_PROGRAM_ID).as(ID),
            col(NAME),
            col(MERCHANT_ID),
            col(CATEGORY),
            col(VERTICALS),
            col(HOST_APPS),
            col(CITIES),
            col(STATUS),
            col(VECTOR),
            coalesce(col(SCORE), lit(0.0)).as(SCORE));
  }

  /** Users keyed by every account a host app may send, with what ranking knows of them. */
  public Dataset<Row> users() {
    Dataset<Row> ids =
        accounts
            .groupBy(USER_ID)
            .agg(
                max(when(col(ACCOUNT_TYPE).equalTo(ACCOUNT_PAYMENT), col(ACCOUNT_ID)))
                    .as(PAYMENT_ACCOUNT),
                max(when(col(ACCOUNT_TYPE).equalTo(ACCOUNT_SOCIAL), col(ACCOUNT_ID)))
                    .as(SOCIAL_ACCOUNT));
    Dataset<Row> habitCells =
        habits
            .groupBy(USER_ID)
            .agg(
                sort_array(collect_list(struct(col(CATEGORY), col(HOUR_OF_WEEK), col(WEIGHT))))
                    .as("h"));
    Dataset<Row> users =
        profiles
            .select(USER_ID, HOME_CITY, INTERESTS)
            .join(userFactors, USER_ID, "left")
            .join(habitCells, USER_ID, "left");
    users =
        segmentMembers == null
            ? users.withColumn(SEGMENT_IDS, lit(null).cast(strings()))
            : users.join(
                segmentMembers
                    .groupBy(USER_ID)
                    .agg(array_sort(collect_list(col(SEGMENT_ID))).as(SEGMENT_IDS)),
                USER_ID,
                "left");
    return quantizeUserVectors(
        users
            // A user with no vector, home city, interests or segment ranks exactly like an unknown
            // one.
            .filter(
                col(VECTOR)
                    .isNotNull()
                    .or(col(HOME_CITY).isNotNull())
                    .or(coalesce(size(col(INTERESTS)), lit(0)).gt(0))
                    .or(col(SEGMENT_IDS).isNotNull()))
            .join(ids, USER_ID)
            .select(
                lit(PART_USER).as(PART),
                col(USER_ID).as(ID),
                col(PAYMENT_ACCOUNT),
                col(SOCIAL_ACCOUNT),
                col(HOME_CITY).as(CITY),
                col(VECTOR),
                map_keys(col(INTERESTS)).as(VERTICALS),
                map_values(col(INTERESTS)).as(WEIGHTS),
                col("h." + CATEGORY).as(BundleFormat.HABIT_CATEGORIES),
                col("h." + HOUR_OF_WEEK).as(BundleFormat.HABIT_HOURS),
                col("h." + WEIGHT).as(BundleFormat.HABIT_WEIGHTS),
                col(SEGMENT_IDS).as(BundleFormat.SEGMENTS)));
  }

  /** What {@link #QUANTIZE} returns: a user vector's codes and their scale. */
  private static final StructType QUANTIZED =
      new StructType()
          .add("codes", DataTypes.BinaryType, false)
          .add("scale", DataTypes.FloatType, false);

  /** {@link QuantizedVector#of} over an {@code array<float>}: the service's own quantisation. */
  private static final UserDefinedFunction QUANTIZE =
      udf(
          (UDF1<scala.collection.Seq<Float>, Row>)
              v -> {
                if (v == null) {
                  return null;
                }
                float[] floats = new float[v.size()];
                for (int d = 0; d < floats.length; d++) {
                  floats[d] = v.apply(d);
                }
                QuantizedVector q = QuantizedVector.of(floats);
                return RowFactory.create(q.codes(), q.scale());
              },
          QUANTIZED);

  /**
   * User rows with their float {@link BundleFormat#VECTOR} replaced by the {@link
   * BundleFormat#VECTOR_CODES} and {@link BundleFormat#VECTOR_SCALE} the bundle stores (both null
   * for a user without a vector).
   */
  public static Dataset<Row> quantizeUserVectors(Dataset<Row> users) {
    String q = "quantized_vector";
    return users
        .withColumn(q, QUANTIZE.apply(col(VECTOR)))
        .withColumn(BundleFormat.VECTOR_CODES, col(q + ".codes"))
        .withColumn(BundleFormat.VECTOR_SCALE, col(q + ".scale"))
        .drop(q, VECTOR);
  }

  /**
   * Every part but the manifest and the users, conformed: the side every replica holds whole.
   * Absent targeting tables (null) give no segment or campaign rows.
   */
  public Dataset<Row> shared() {
    Dataset<Row> out =
        conform(items())
            .unionByName(
                conform(
                    popularity
                        .filter(col(HOST_APP).notEqual(ALL))
                        .select(
                            lit(PART_POPULARITY).as(PART),
                            col(MINI_PROGRAM_ID).as(ID),
                            col(HOST_APP),
                            col(CITY),
                            col(SCORE))))
            .unionByName(
                conform(
                    context.select(
                        lit(PART_CONTEXT).as(PART), col(CATEGORY).as(ID), col(LIFTS).as(WEIGHTS))));
    if (segments != null) {
      out =
          out.unionByName(
              conform(
                  segments.select(
                      lit(BundleFormat.PART_SEGMENT).as(PART),
                      col(SEGMENT_ID).as(ID),
                      col(NAME),
                      col(MERCHANT_ID),
                      col(DESCRIPTION),
                      col(SIZE).as(SCORE))));
    }
    if (campaigns != null) {
      out =
          out.unionByName(
              conform(
                  campaigns.select(
                      lit(BundleFormat.PART_CAMPAIGN).as(PART),
                      col(CAMPAIGN_ID).as(ID),
                      col(NAME),
                      col(MINI_PROGRAM_ID).as(BundleFormat.ITEM_ID),
                      col(SEGMENT_IDS).as(BundleFormat.SEGMENTS),
                      col(HOST_APPS),
                      col(START_TIME),
                      col(END_TIME),
                      col(BOOST).as(SCORE),
                      col(SLOT))));
    }
    return out;
  }

  /** The manifest part: one row holding the manifest's JSON. */
  public static Dataset<Row> manifest(SparkSession spark, Manifest manifest) {
    return conform(
        spark
            .range(1)
            .select(
                lit(PART_MANIFEST).as(PART),
                lit(PART_MANIFEST).as(ID),
                lit(Json.write(manifest.toMap())).as(MANIFEST_JSON)));
  }

  /** The whole bundle: every part and the manifest, conformed, ready for {@link #write}. */
  public Dataset<Row> all(Dataset<Row> manifestRow) {
    return shared().unionByName(conform(users())).unionByName(manifestRow);
  }

  /**
   * Collects conformed bundle rows to the driver and loads them the way the service loads a
   * published bundle. For bundles that fit in the driver: the evaluation's, a test's.
   */
  public static ModelBundle load(Dataset<Row> rows, long version) {
    return load(rows, version, null);
  }

  /**
   * As {@link #load(Dataset, long)}, mapping the manifest's prebuilt item index from where {@code
   * indexes} says it is (null: build one).
   */
  public static ModelBundle load(
      Dataset<Row> rows,
      long version,
      java.util.function.Function<Manifest.Index, java.nio.file.Path> indexes) {
    ModelBundle.Builder bundle = new ModelBundle.Builder(version);
    if (indexes != null) {
      bundle.prebuiltIndexes(indexes);
    }
    SparkFields fields = new SparkFields();
    for (Row r : rows.collectAsList()) {
      BundleRows.accept(fields.at(r), bundle);
    }
    return bundle.build();
  }

  /**
   * Accounts of one kind in these user rows ({@link #users}) that share a key, which the service
   * could not tell apart: one line per key, naming the kind and (up to three of) its accounts.
   *
   * @param keyOf the key function: {@link io.crowdrank.format.AccountKey#of}, except in tests
   */
  public static List<String> keyCollisions(
      Dataset<Row> users, org.apache.spark.sql.api.java.UDF1<String, Long> keyOf) {
    var key = udf(keyOf, DataTypes.LongType);
    List<String> out = new java.util.ArrayList<>();
    for (String kind : List.of(ID, BundleFormat.PAYMENT_ACCOUNT, BundleFormat.SOCIAL_ACCOUNT)) {
      users
          .select(col(kind).as("a"))
          .filter(col("a").isNotNull())
          .distinct()
          .groupBy(key.apply(col("a")).as("k"))
          .agg(count(lit(1)).as("n"), slice(sort_array(collect_list(col("a"))), 1, 3).as("some"))
          .filter(col("n").gt(1))
          .orderBy("k")
          .limit(5)
          .collectAsList()
          .forEach(
              r ->
                  out.add(
                      String.format(
                          java.util.Locale.ROOT,
                          "%s: %d accounts share the key %x, e.g. %s",
                          kind,
                          r.getLong(1),
                          r.getLong(0),
                          r.getList(2))));
    }
    return out;
  }

  /**
   * Writes a whole bundle (conformed parts) as one overwrite: one commit, one bundle version. Each
   * user row is written once into the bucket of each of its keys (see {@link UserBuckets}), so that
   * a shard's replica finds a user by any of its accounts among the files of its own buckets.
   *
   * @param users how many users the bundle has, which decides how finely user rows are split into
   *     files ({@link #bucketModulus})
   */
  public static void write(Dataset<Row> bundle, String out, long users) {
    write(bundle, out, bucketModulus(users));
  }

  /** As {@link #write(Dataset, String, long)}, user files holding the buckets equal modulo this. */
  static void write(Dataset<Row> bundle, String out, int modulus) {
    Column buckets =
        array_compact(
            array_distinct(
                array(
                    bucket(col(ID)),
                    bucket(col(BundleFormat.PAYMENT_ACCOUNT)),
                    bucket(col(BundleFormat.SOCIAL_ACCOUNT)))));
    Column isUser = col(PART).equalTo(PART_USER);
    // The user's buckets once, then a row per bucket that still knows the lowest of them.
    String all = "_buckets";
    io.crowdrank.batch.common.Delta.overwrite(
        bundle
            .withColumn(all, when(isUser, buckets))
            .withColumn(BundleFormat.BUCKET, explode_outer(col(all)))
            .withColumn(BundleFormat.BUCKET_MOD, when(isUser, lit(modulus)))
            .withColumn(BundleFormat.BUCKET_REM, pmod(col(BundleFormat.BUCKET), lit(modulus)))
            .withColumn(
                BundleFormat.BUCKET_FIRST,
                when(isUser, col(BundleFormat.BUCKET).equalTo(array_min(col(all)))))
            .drop(all),
        out,
        PART,
        BundleFormat.BUCKET_MOD,
        BundleFormat.BUCKET_REM,
        BundleFormat.BUCKET_FIRST);
  }

  /** User rows a publish puts in one file, about: small enough to prune, large enough to read. */
  static final long USER_ROWS_PER_FILE = 250_000;

  /**
   * How finely user rows are split into files: the least power of two (up to {@link
   * UserBuckets#BUCKETS}) that keeps files to about {@link #USER_ROWS_PER_FILE} rows, counting
   * three copies a user. One file for a demo's users (a thousand files of a few rows each would
   * cost a small publish half a minute), one per bucket from about 85 M users.
   */
  static int bucketModulus(long users) {
    int m = 1;
    while (m < UserBuckets.BUCKETS && m * USER_ROWS_PER_FILE < 3 * users) {
      m <<= 1;
    }
    return m;
  }

  /** {@link UserBuckets#bucket} as a Spark expression (null for a null key). */
  static Column bucket(Column key) {
    return pmod(
            shiftrightunsigned(crc32(key.cast(DataTypes.BinaryType)), 16).bitwiseAND(0x7fff),
            lit(UserBuckets.BUCKETS))
        .cast(DataTypes.IntegerType);
  }

  /** Gives a part every bundle column, in order, nulls where the part has none. */
  public static Dataset<Row> conform(Dataset<Row> part) {
    List<String> present = List.of(part.columns());
    Column[] columns = new Column[SCHEMA.size()];
    for (int i = 0; i < SCHEMA.size(); i++) {
      String name = SCHEMA.fields()[i].name();
      DataType type = SCHEMA.fields()[i].dataType();
      columns[i] = (present.contains(name) ? col(name).cast(type) : lit(null).cast(type)).as(name);
    }
    return part.select(columns);
  }

  /** The manifest's ranking settings: those chosen with the model, which the service applies. */
  public static Manifest.Ranking rankingSettings(TrainJob.Params model) {
    return new Manifest.Ranking(model.contextWeight(), model.habitShrinkage());
  }

  /** The vectors' length (the model's rank), 0 for no factors. */
  public static int vectorDim(Dataset<Row> factors) {
    Row r = factors.select(size(col(VECTOR))).first();
    return r == null ? 0 : r.getInt(0);
  }

  private static DataType strings() {
    return DataTypes.createArrayType(DataTypes.StringType, true);
  }

  /** {@link BundleRows.Fields} over Spark rows of {@link #SCHEMA}. */
  private static final class SparkFields extends BundleRows.OrdinalFields {
    private Row row;

    SparkFields() {
      super(List.of(SCHEMA.fieldNames()));
    }

    SparkFields at(Row r) {
      this.row = r;
      return this;
    }

    @Override
    protected boolean isNull(int ordinal) {
      return row.isNullAt(ordinal);
    }

    @Override
    protected String stringAt(int ordinal) {
      return row.getString(ordinal);
    }

    @Override
    protected double doubleAt(int ordinal) {
      return ((Number) row.get(ordinal)).doubleValue();
    }

    @Override
    protected byte[] bytesAt(int ordinal) {
      return (byte[]) row.get(ordinal);
    }

    @Override
    protected int intAt(int ordinal) {
      return row.getInt(ordinal);
    }

    @Override
    protected java.time.Instant timeAt(int ordinal) {
      Object t = row.get(ordinal);
      return t instanceof java.sql.Timestamp ts ? ts.toInstant() : (java.time.Instant) t;
    }

    @Override
    protected List<?> arrayAt(int ordinal) {
      return row.getList(ordinal);
    }
  }
}
