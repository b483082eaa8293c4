package io.crowdrank.batch.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.testing.SparkTestBase;
import io.crowdrank.format.AccountKey;
import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.UserBuckets;
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

  @Test
  void bucket_sparkExpression_agreesWithUserBuckets() {
    // The serving side's function is the reference (itself checked against CRC-32 values computed
    // apart): publish must file every key where a replica and the proxy look for it.
    java.util.Random random = new java.util.Random(7);
    List<Row> keys = new java.util.ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      StringBuilder k = new StringBuilder();
      int length = 1 + random.nextInt(20);
      for (int c = 0; c < length; c++) {
        // Digits, letters and some characters outside ASCII (2- and 3-byte UTF-8).
        k.appendCodePoint(
            switch (random.nextInt(4)) {
              case 0 -> '0' + random.nextInt(10);
              case 1 -> 'a' + random.nextInt(26);
              case 2 -> 0xe0 + random.nextInt(32);
              default -> 0x4e00 + random.nextInt(500);
            });
      }
      keys.add(RowFactory.create(k.toString()));
    }
    keys.add(RowFactory.create((Object) null));
    Dataset<Row> df = spark.createDataFrame(keys, new StructType().add("k", DataTypes.StringType));

    List<Row> got =
        df.select(
                org.apache.spark.sql.functions.col("k"),
                BundleParts.bucket(org.apache.spark.sql.functions.col("k")))
            .collectAsList();
    assertThat(got).hasSize(keys.size());
    for (Row r : got) {
      if (r.isNullAt(0)) {
        assertThat(r.isNullAt(1)).isTrue();
      } else {
        assertThat(r.getInt(1)).as(r.getString(0)).isEqualTo(UserBuckets.bucket(r.getString(0)));
      }
    }
  }

  @Test
  void write_filesEachUserOncePerBucketOfItsKeys_andLoadsEachUserOnce() throws Exception {
    String table = warehouse() + "/bundle";
    Dataset<Row> userRows =
        BundleParts.conform(
            users()
                .withColumn(
                    BundleFormat.PART, org.apache.spark.sql.functions.lit(BundleFormat.PART_USER))
                .withColumn(BundleFormat.CITY, org.apache.spark.sql.functions.lit("hangzhou")));
    io.crowdrank.format.Manifest manifest =
        io.crowdrank.format.Manifest.of(
            java.time.Instant.parse("2026-12-06T00:00:00Z"),
            "UTC",
            0,
            java.util.Map.of(),
            java.util.Map.of(),
            java.util.Map.of(),
            null,
            java.util.Map.of(),
            java.util.Map.of());
    // One file per bucket, as for a bundle of 85 M users or more.
    BundleParts.write(
        userRows.unionByName(BundleParts.manifest(spark, manifest)), table, UserBuckets.BUCKETS);

    Dataset<Row> written = spark.read().format("delta").load(table);
    for (Row u : users().collectAsList()) {
      java.util.Set<Integer> expected = new java.util.TreeSet<>();
      for (int i = 0; i < 3; i++) {
        if (!u.isNullAt(i)) {
          expected.add(UserBuckets.bucket(u.getString(i)));
        }
      }
      List<Integer> buckets =
          written
              .filter(org.apache.spark.sql.functions.col(BundleFormat.ID).equalTo(u.getString(0)))
              .select(BundleFormat.BUCKET)
              .as(org.apache.spark.sql.Encoders.INT())
              .collectAsList();
      assertThat(new java.util.TreeSet<>(buckets)).isEqualTo(expected);
      assertThat(buckets).hasSameSizeAs(expected);
      // Partitioned by part and bucket: a shard's replica reads only its buckets' files.
      for (int b : expected) {
        // The copy in the user's lowest bucket is marked first: a whole replica reads only those.
        boolean first = b == expected.iterator().next();
        assertThat(
                java.nio.file.Path.of(
                    table,
                    "part=user",
                    "bucket_mod=1024",
                    "bucket_rem=" + b,
                    "bucket_first=" + first))
            .isDirectory();
      }
    }
    assertThat((Object) written.filter("part = 'manifest'").first().getAs(BundleFormat.BUCKET))
        .isNull();

    io.crowdrank.ranking.bundle.ModelBundle loaded = BundleParts.load(written, 0);
    assertThat(loaded.users().count()).isEqualTo(3);
  }

  @Test
  void bucketModulus_aFileForSmallBundles_aBucketPerFileForTheLargest() {
    assertThat(BundleParts.bucketModulus(0)).isEqualTo(1);
    assertThat(BundleParts.bucketModulus(80_000)).isEqualTo(1); // 240 k copies
    assertThat(BundleParts.bucketModulus(100_000)).isEqualTo(2);
    assertThat(BundleParts.bucketModulus(1_000_000)).isEqualTo(16); // 3 M copies, 12 files' worth
    assertThat(BundleParts.bucketModulus(250_000_000)).isEqualTo(UserBuckets.BUCKETS);
  }
}
