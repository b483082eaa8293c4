package io.crowdrank.serving.bundle;

import io.crowdrank.ranking.bundle.BundleException;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.ranking.bundle.TestBundles;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

/** Publishes small bundles 0..latest on demand, as a Delta table would by version. */
public final class FakeSource implements BundleSource {
  private final AtomicLong latest = new AtomicLong(-1);

  /** A new version is "published". */
  public long publish() {
    return latest.incrementAndGet();
  }

  @Override
  public OptionalLong latestVersion(String tablePath) {
    long v = latest.get();
    return v < 0 ? OptionalLong.empty() : OptionalLong.of(v);
  }

  @Override
  public ModelBundle read(String tablePath, OptionalLong version) {
    long v = version.orElse(latest.get());
    if (v < 0 || v > latest.get()) {
      throw new BundleException("no version " + v + " at " + tablePath);
    }
    return TestBundles.version(v, 2)
        .item("coffee", "coffee_tea", List.of("alipay"), List.of(), 1f, 0f)
        .item("travel", "travel", List.of("alipay"), List.of(), 0f, 1f)
        .user("u1", "2088001", null, null, 1f, 0f)
        .popular("travel", "alipay", "*", 1.0)
        .build();
  }
}
