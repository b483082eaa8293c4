package io.crowdrank.batch.common;

import static org.apache.spark.sql.functions.*;

import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * A plain interactions file — public benchmarks, a customer's own logs — as training or evaluation
 * input: CSV, TSV or Parquet with a user column, an item column and optionally a weight and a
 * timestamp (epoch seconds, epoch milliseconds or ISO-8601). Rows with no user or item, or a weight
 * that is not a positive number, are counted and left out, never silently.
 *
 * @param format csv, tsv or parquet ("auto": from the file name)
 * @param separator field separator for CSV (TSV is a tab)
 * @param header whether text files start with a header; without one, columns are 0, 1, 2, ...
 * @param weightColumn null: every interaction weighs 1
 * @param timeColumn null: no timestamps (only a random split is possible)
 */
public record InteractionsFile(
    String path,
    String format,
    String separator,
    boolean header,
    String userColumn,
    String itemColumn,
    String weightColumn,
    String timeColumn) {

  /**
   * Columns of {@link Read#events()}: user and item ids, weight (&gt; 0), timestamp or null, and
   * the row's position in the file.
   */
  public static final String USER = "user";

  public static final String ITEM = "item";
  public static final String WEIGHT = "weight";
  public static final String TS = "ts";

  /**
   * The row's 0-based position in the file: what a random split draws by, so that it does not
   * depend on how the ids are spelt.
   */
  public static final String POS = "pos";

  /** The events read, and how many rows were left out as malformed. */
  public record Read(Dataset<Row> events, long rows, long rejected) {}

  public Read read(SparkSession spark) {
    String f = resolvedFormat();
    Dataset<Row> raw =
        switch (f) {
          case "parquet" -> spark.read().parquet(path);
          case "csv", "tsv" ->
              spark
                  .read()
                  .option("header", header)
                  .option("sep", f.equals("tsv") ? "\\t" : separator)
                  .option("mode", "PERMISSIVE")
                  .csv(path);
          default ->
              throw new IllegalArgumentException(
                  "format must be csv, tsv or parquet, got " + format);
        };
    List<String> columns = List.of(raw.columns());
    Column user = column(raw, columns, userColumn, "user").cast("string");
    Column item = column(raw, columns, itemColumn, "item").cast("string");
    // try_cast: a malformed value becomes null and is counted below, instead of failing the run.
    Column weight =
        weightColumn == null
            ? lit(1.0)
            : column(raw, columns, weightColumn, "weight").try_cast("double");
    Column ts =
        timeColumn == null
            ? lit(null).cast("timestamp")
            : timestamp(column(raw, columns, timeColumn, "time"));
    Dataset<Row> typed =
        withPosition(spark, raw.select(user.as(USER), item.as(ITEM), weight.as(WEIGHT), ts.as(TS)));
    Column ok =
        col(USER)
            .isNotNull()
            .and(col(ITEM).isNotNull())
            .and(col(WEIGHT).isNotNull())
            .and(col(WEIGHT).gt(0))
            .and(timeColumn == null ? lit(true) : col(TS).isNotNull());
    long rows = typed.count();
    Dataset<Row> good = typed.filter(ok);
    long rejected = rows - good.count();
    return new Read(good, rows, rejected);
  }

  /** Adds {@link #POS}: zipWithIndex numbers rows in file order whatever the partitioning. */
  private static Dataset<Row> withPosition(SparkSession spark, Dataset<Row> rows) {
    int width = rows.columns().length;
    JavaRDD<Row> numbered =
        rows.javaRDD()
            .zipWithIndex()
            .map(
                t -> {
                  Object[] values = new Object[width + 1];
                  for (int c = 0; c < width; c++) {
                    values[c] = t._1().get(c);
                  }
                  values[width] = t._2();
                  return RowFactory.create(values);
                });
    return spark.createDataFrame(numbered, rows.schema().add(POS, DataTypes.LongType, false));
  }

  private String resolvedFormat() {
    if (!format.equals("auto")) {
      return format.toLowerCase(Locale.ROOT);
    }
    String p = path.toLowerCase(Locale.ROOT);
    if (p.endsWith(".parquet")) {
      return "parquet";
    }
    return p.endsWith(".tsv") || p.endsWith(".tab") ? "tsv" : "csv";
  }

  /** A column by name, or by 0-based position when the file has no header. */
  private static Column column(Dataset<Row> raw, List<String> columns, String name, String role) {
    if (columns.contains(name)) {
      return raw.col(name);
    }
    if (name.matches("\\d+") && Integer.parseInt(name) < columns.size()) {
      return raw.col(columns.get(Integer.parseInt(name)));
    }
    throw new IllegalArgumentException(
        "no "
            + role
            + " column '"
            + name
            + "' in the file; its columns are "
            + columns
            + " (give a name, or a 0-based position for files without a header)");
  }

  /** Epoch seconds, epoch milliseconds (values past year 5138 in seconds) or ISO-8601 text. */
  private static Column timestamp(Column c) {
    Column asNumber = c.try_cast("double");
    return when(
            asNumber.isNotNull().and(asNumber.gt(1e11)), timestamp_seconds(asNumber.divide(1000)))
        .when(asNumber.isNotNull(), timestamp_seconds(asNumber))
        .otherwise(try_to_timestamp(c.cast("string")));
  }
}
