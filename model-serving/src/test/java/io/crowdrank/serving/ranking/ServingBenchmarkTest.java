package io.crowdrank.serving.ranking;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServingBenchmarkTest {
  static ServingBenchmark.Measured loaded(String shard, int users, long heapBytes) {
    return new ServingBenchmark.Measured(
        "/w/b/serving/bundle",
        shard,
        10_000,
        users,
        64,
        false,
        "exact-int8",
        1.5,
        heapBytes,
        Map.of(),
        200,
        Double.NaN,
        Double.NaN,
        Double.NaN);
  }

  @Test
  void markdown_loadOnly_showsTheShardAndDashes_andBytesPerUserFromTwoUserCounts() {
    // 131,156 and 1,000,000 users over the same items: (234 - 61) MiB / 868,844 users.
    String md =
        ServingBenchmark.markdown(
            List.of(loaded("0/16", 131_156, 61L << 20), loaded("0/1", 1_000_000, 234L << 20)));

    assertThat(md)
        .contains(
            "| b | 0/16 | 10,000 | 131,156 | 64 | exact-int8 | 1.5 | 61 | 1 (exact) | 200 | — | — | — |"
                + " — |")
        .contains(
            String.format(
                java.util.Locale.ROOT,
                "≈ %,.0f bytes per user",
                (234.0 - 61.0) * 1024 * 1024 / (1_000_000 - 131_156)));
    assertThat((234.0 - 61.0) * 1024 * 1024 / (1_000_000 - 131_156)).isBetween(208.0, 209.0);
  }

  @Test
  void counts_distinctPositiveNumbers_elseNothingSoTheUsageIsShown() {
    assertThat(ServingBenchmark.counts("100,200,100")).containsExactly(100, 200);
    assertThat(ServingBenchmark.counts("100,0")).isEmpty();
    assertThat(ServingBenchmark.counts("100,many")).isEmpty();
  }
}
