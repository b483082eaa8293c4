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
}
