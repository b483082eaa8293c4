package io.crowdrank.serving.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.format.Manifest;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleReaderTest {
  @TempDir Path tmp;

  private static final Manifest.Index INDEX =
      new Manifest.Index("_index/1796292930000", 30_000, 8, Map.of("segments_1", "1f"));

  @Test
  void localIndex_onALocalTable_isTheDirectoryUnderTheTable_withOrWithoutAScheme() {
    BundleReader reader =
        new BundleReader(
            new Configuration(), true, true, io.crowdrank.format.UserBuckets.Shard.ALL);
    Path table = tmp.resolve("serving/bundle");
    Path expected = table.resolve("_index/1796292930000");

    assertThat(reader.localIndex(table.toString(), INDEX)).isEqualTo(expected);
    assertThat(reader.localIndex(table.toUri().toString(), INDEX)).isEqualTo(expected);
  }

  @Test
  void readsFile_aShardOpensOnlyItsBucketsFiles_aWholeReplicaOnlyFirstCopies() {
    java.util.function.BiFunction<String, String, java.util.Map<String, String>> user =
        (rem, first) ->
            java.util.Map.of(
                "part", "user", "bucket_mod", "16", "bucket_rem", rem, "bucket_first", first);
    java.util.Map<String, String> item = new java.util.HashMap<>();
    item.put("part", "item");
    item.put("bucket_mod", null);
    var all = io.crowdrank.format.UserBuckets.Shard.ALL;
    var one = new io.crowdrank.format.UserBuckets.Shard(1, 4);

    assertThat(BundleReader.readsFile(all, item)).isTrue();
    assertThat(BundleReader.readsFile(one, item)).isTrue();
    assertThat(BundleReader.readsFile(all, user.apply("6", "true"))).isTrue();
    assertThat(BundleReader.readsFile(all, user.apply("6", "false"))).isFalse();
    // Shard 1 of 4: buckets 1, 5, 9, 13 of 16, first copies or not.
    for (int rem = 0; rem < 16; rem++) {
      for (String first : new String[] {"true", "false"}) {
        assertThat(BundleReader.readsFile(one, user.apply(String.valueOf(rem), first)))
            .as("bucket_rem=%d bucket_first=%s", rem, first)
            .isEqualTo(rem % 4 == 1);
      }
    }
  }
}
