package io.crowdrank.batch.pipeline;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Json;
import io.crowdrank.batch.common.Tables;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The run record: one row per finished (or failed) step appended to the {@code _runs} Delta table
 * as soon as the step ends, so even a killed run leaves what it finished on record; and, at the
 * end, the whole run as JSON in {@code _run_reports/<run id>.json}. Both say where the run's
 * detailed log is ({@link RunLog}).
 */
final class RunRecorder {
  static final String REPORTS = "_run_reports";

  static final StructType SCHEMA =
      new StructType()
          .add("run_id", DataTypes.StringType, false)
          .add("step", DataTypes.StringType, false)
          .add("outcome", DataTypes.StringType, false)
          .add("started_at", DataTypes.TimestampType, false)
          .add("duration_ms", DataTypes.LongType, false)
          .add("input_versions", longMap(), true)
          .add("output_versions", longMap(), true)
          .add("counts", longMap(), true)
          .add("error", DataTypes.StringType, true)
          .add("log_file", DataTypes.StringType, true);

  private final SparkSession spark;
  private final String warehouse;
  private final String runId;
  private final Map<String, Object> options;
  private final String logFile;
  private final Instant started = Instant.now();
  private final List<Map<String, Object>> steps = new ArrayList<>();

  /**
   * @param logFile the run's detailed log, or null when it has none
   */
  RunRecorder(
      SparkSession spark,
      String warehouse,
      String runId,
      Map<String, Object> options,
      String logFile) {
    this.spark = spark;
    this.warehouse = warehouse;
    this.runId = runId;
    this.options = options;
    this.logFile = logFile;
  }

  void succeeded(String step, Instant at, long millis, StepReport result) {
    record(
        step,
        result.skipped() ? "skipped" : "succeeded",
        at,
        millis,
        result.inputVersions(),
        result.outputVersions(),
        result.counts(),
        null);
  }

  void failed(String step, Instant at, long millis, Throwable error) {
    record(step, "failed", at, millis, Map.of(), Map.of(), Map.of(), String.valueOf(error));
  }

  /** Writes the JSON report and returns its location. */
  String finish(String outcome) {
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("run_id", runId);
    run.put("outcome", outcome);
    run.put("started_at", started.toString());
    run.put("finished_at", Instant.now().toString());
    run.put("options", options);
    run.put("log_file", logFile);
    run.put("steps", steps);
    Path file = new Path(Tables.at(warehouse, REPORTS), runId + ".json");
    try {
      FileSystem fs = file.getFileSystem(spark.sparkContext().hadoopConfiguration());
      try (OutputStream os = fs.create(file, true)) {
        os.write(Json.write(run).getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the run report " + file, e);
    }
    return file.toString();
  }

  private void record(
      String step,
      String outcome,
      Instant at,
      long millis,
      Map<String, Long> in,
      Map<String, Long> out,
      Map<String, Long> counts,
      String error) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("step", step);
    entry.put("outcome", outcome);
    entry.put("started_at", at.toString());
    entry.put("duration_ms", millis);
    entry.put("input_versions", in);
    entry.put("output_versions", out);
    entry.put("counts", counts);
    if (error != null) {
      entry.put("error", error);
    }
    steps.add(entry);
    Row row =
        RowFactory.create(
            runId,
            step,
            outcome,
            Timestamp.from(at),
            millis,
            CollectionConverters.asScala(in),
            CollectionConverters.asScala(out),
            CollectionConverters.asScala(counts),
            error,
            logFile);
    Delta.append(spark.createDataFrame(List.of(row), SCHEMA), Tables.at(warehouse, Tables.RUNS));
  }

  private static org.apache.spark.sql.types.DataType longMap() {
    return DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType, false);
  }
}
