package io.crowdrank.batch.common;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/** Dense int ids (as ALS needs), assigned without collecting the ids to the driver. */
public final class Indexing {
  private Indexing() {}

  /**
   * Numbers the distinct string ids in {@code idColumn} 0..n-1 into {@code indexColumn}; the result
   * is persisted (the caller unpersists it).
   */
  public static Dataset<Row> withIndex(
      SparkSession spark, Dataset<Row> ids, String idColumn, String indexColumn) {
    StructType schema =
        new StructType()
            .add(idColumn, DataTypes.StringType, false)
            .add(indexColumn, DataTypes.IntegerType, false);
    var rows =
        ids.javaRDD()
            .zipWithIndex()
            .map(
                t -> {
                  if (t._2() > Integer.MAX_VALUE) {
                    throw new IllegalStateException("more than 2^31 ids for ALS");
                  }
                  return RowFactory.create(t._1().getString(0), (int) (long) t._2());
                });
    return spark.createDataFrame(rows, schema).persist(StorageLevel.MEMORY_AND_DISK());
  }
}
