package io.crowdrank.batch.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.format.AccountKey;
import io.crowdrank.format.BundleFormat;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class BundlePartsTest extends SparkTestBase {
  private Dataset<Row> users() {
    StructType schema =
        new StructType()
            .add(BundleFormat.ID, DataTypes.StringType)
            .add(BundleFormat.PAYMENT_ACCOUNT, DataTypes.StringType)
            .add(BundleFormat.SOCIAL_ACCOUNT, DataTypes.StringType);
    return spark.createDataFrame(
        List.of(
            RowFactory.create("u1", "2088001", "abc"),
            RowFactory.create("u2", "2088002", "xyz"),
            RowFactory.create("u3", null, "de")),
        schema);
  }

  @Test
  void keyCollisions_nameTheKindAndTheAccountsSharingAKey() {
    // Keys by length: every shared id collides (2 letters), the payment accounts (7 digits), and
    // of the social accounts "abc" and "xyz".
    List<String> found = BundleParts.keyCollisions(users(), a -> (long) a.length());

    assertThat(found)
        .containsExactly(
            "id: 3 accounts share the key 2, e.g. [u1, u2, u3]",
            "payment_account: 2 accounts share the key 7, e.g. [2088001, 2088002]",
            "social_account: 2 accounts share the key 3, e.g. [abc, xyz]");
  }

  @Test
  void keyCollisions_realKeys_noneHere() {
    assertThat(BundleParts.keyCollisions(users(), AccountKey::of)).isEmpty();
  }
}
