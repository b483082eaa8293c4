package io.crowdrank.batch.common;

import static io.crowdrank.batch.common.Columns.INGESTED_AT;
import static io.crowdrank.batch.common.Columns.RAW;
import static io.crowdrank.batch.common.Columns.REASON;
import static io.crowdrank.batch.common.Columns.RUN_ID;
import static io.crowdrank.batch.common.Columns.SOURCE;
import static io.crowdrank.batch.common.Columns.SOURCE_FILE;
import static io.crowdrank.batch.common.Columns.SOURCE_OFFSET;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.lit;

import io.delta.tables.DeltaTable;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code bronze/quarantine}: every line a step could not accept, with its source, file, byte
 * offset, raw text, reason and run. Keyed on where the line is, so re-reading a file quarantines
 * nothing twice.
 */
public final class Quarantine {
  private Quarantine() {}

  public static StructType schema() {
    return new StructType()
        .add(SOURCE, DataTypes.StringType, false)
        .add(SOURCE_FILE, DataTypes.StringType, false)
        .add(SOURCE_OFFSET, DataTypes.LongType, false)
        .add(RAW, DataTypes.StringType, true)
        .add(REASON, DataTypes.StringType, false)
        .add(RUN_ID, DataTypes.StringType, false)
        .add(INGESTED_AT, DataTypes.TimestampType, false);
  }

  /** The warehouse's quarantine table, created if missing. */
  public static DeltaTable table(SparkSession spark, String warehouse) {
    return Delta.createIfNotExists(spark, path(warehouse), schema(), List.of(SOURCE));
  }

  public static String path(String warehouse) {
    return Tables.at(warehouse, Tables.QUARANTINE);
  }

  /**
   * Adds rejected lines that are not there yet.
   *
   * @param rejected rows with {@code SOURCE_FILE}, {@code SOURCE_OFFSET}, {@code RAW} and {@code
   *     REASON}
   */
  public static void add(
      DeltaTable quarantine, Dataset<Row> rejected, String source, String runId) {
    Dataset<Row> rows =
        rejected.select(
            lit(source).as(SOURCE),
            col(SOURCE_FILE),
            col(SOURCE_OFFSET),
            col(RAW),
            col(REASON),
            lit(runId).as(RUN_ID),
            current_timestamp().as(INGESTED_AT));
    quarantine
        .as("t")
        .merge(
            rows.as("s"),
            "t.source = s.source AND t._source_file = s._source_file"
                + " AND t._source_offset = s._source_offset")
        .whenNotMatched()
        .insertAll()
        .execute();
  }
}
