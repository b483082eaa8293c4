package io.crowdrank.batch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.batch.common.Columns;
import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.testing.SparkTestBase;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RecommendationsTest extends SparkTestBase {
  static final StructType USERS =
      new StructType()
          .add(Columns.USER_ID, DataTypes.StringType)
          .add(Columns.VECTOR, DataTypes.createArrayType(DataTypes.FloatType));
  static final StructType ITEMS =
      new StructType()
          .add(Columns.MINI_PROGRAM_ID, DataTypes.StringType)
          .add(Columns.VECTOR, DataTypes.createArrayType(DataTypes.FloatType));
  static final StructType CATALOG =
      new StructType()
          .add(Columns.MINI_PROGRAM_ID, DataTypes.StringType)
          .add(Columns.NAME, DataTypes.StringType)
          .add(Columns.CATEGORY, DataTypes.StringType);

  @BeforeEach
  void tables() {
    write(
        USERS,
        Tables.USER_FACTORS,
        RowFactory.create("u1", new float[] {1f, 0f}),
        RowFactory.create("u2", new float[] {0f, 1f}));
    write(
        ITEMS,
        Tables.ITEM_FACTORS,
        RowFactory.create("a", new float[] {2f, 0f}),
        RowFactory.create("b", new float[] {1f, 3f}),
        RowFactory.create("c", new float[] {0.5f, 1f}));
    write(
        CATALOG,
        Tables.CATALOG,
        RowFactory.create("a", "Burger", "food"),
        RowFactory.create("b", "Trains", "travel"),
        RowFactory.create("c", "Clinic", "health"));
  }

  private void write(StructType schema, String table, Row... rows) {
    Delta.overwrite(spark.createDataFrame(List.of(rows), schema), Tables.at(warehouse(), table));
  }

  @Test
  void top_ranksByDotProduct_perUser_withCatalogNames_unknownUsersHaveNoRows() {
    List<Row> rows =
        Recommendations.top(spark, warehouse(), List.of("u1", "u2", "nobody"), 2).collectAsList();

    assertThat(rows)
        .extracting(
            r -> r.getString(0) + " " + r.getInt(1) + " " + r.getString(2) + " " + r.getString(3))
        .containsExactly("u1 1 a Burger", "u1 2 b Trains", "u2 1 b Trains", "u2 2 c Clinic");
    assertThat(rows.get(0).getDouble(5)).isEqualTo(2.0);
    assertThat(rows.get(2).getDouble(5)).isEqualTo(3.0);
  }

  @Test
  void top_noUsers_isRefused() {
    assertThatThrownBy(() -> Recommendations.top(spark, warehouse(), List.of(), 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one user");
  }
}
