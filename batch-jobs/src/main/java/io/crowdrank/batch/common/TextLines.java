package io.crowdrank.batch.common;

import static io.crowdrank.batch.common.Columns.SOURCE_FILE;
import static io.crowdrank.batch.common.Columns.SOURCE_OFFSET;

import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * Lines of text files with where each one is: the key under which a bad line is quarantined, so
 * re-reading a file quarantines nothing twice. Hadoop's line reader gives the offsets, which
 * Spark's text source drops; parsing is left to Spark SQL.
 */
public final class TextLines {
  private TextLines() {}

  /** The line's text (without its newline). */
  public static final String LINE = "_line";

  /** (LINE, SOURCE_FILE, SOURCE_OFFSET) rows of every line of these files or folders. */
  public static Dataset<Row> read(SparkSession spark, List<String> paths) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration conf = new Configuration(jsc.hadoopConfiguration());
    JavaPairRDD<LongWritable, Text> lines =
        jsc.newAPIHadoopFile(
            String.join(",", paths), TextInputFormat.class, LongWritable.class, Text.class, conf);
    JavaRDD<Row> rows =
        ((JavaNewHadoopRDD<LongWritable, Text>) lines)
            .mapPartitionsWithInputSplit(
                (split, it) -> withFile(((FileSplit) split).getPath().toString(), it), false);
    return spark.createDataFrame(
        rows,
        new StructType()
            .add(LINE, DataTypes.StringType, false)
            .add(SOURCE_FILE, DataTypes.StringType, false)
            .add(SOURCE_OFFSET, DataTypes.LongType, false));
  }

  /** (line, file, offset) rows; static, so the task captures nothing else. */
  private static Iterator<Row> withFile(String file, Iterator<Tuple2<LongWritable, Text>> lines) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return lines.hasNext();
      }

      @Override
      public Row next() {
        Tuple2<LongWritable, Text> t = lines.next();
        return RowFactory.create(t._2().toString(), file, t._1().get());
      }
    };
  }
}
