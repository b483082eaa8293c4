package io.crowdrank.serving.bundle;

import io.crowdrank.ranking.bundle.BundleException;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.ranking.bundle.TestBundles;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/** Publishes small bundles 0..latest on demand, as a Delta table would by version. */
public final class FakeSource implements BundleSource {
  private final AtomicLong latest = new AtomicLong(-1);
  private final Map<Long, String> experiments = new ConcurrentHashMap<>();
  private final Set<Long> unreadable = ConcurrentHashMap.newKeySet();

  /** Versions read, in order. */
  public final List<Long> reads = new CopyOnWriteArrayList<>();

  /** A new version is "published". */
  public long publish() {
    return latest.incrementAndGet();
  }

  /** A new version is "published" with these experiments (the experiments file's JSON). */
  public long publish(String experimentsJson) {
    long v = latest.incrementAndGet();
    experiments.put(v, experimentsJson);
    return v;
  }

  /** This version can no longer be read (e.g. vacuumed). */
  public void lose(long version) {
    unreadable.add(version);
  }

  @Override
  public OptionalLong latestVersion(String tablePath) {
    long v = latest.get();
    return v < 0 ? OptionalLong.empty() : OptionalLong.of(v);
  }

  @Override
  public ModelBundle read(String tablePath, OptionalLong version) {
    long v = version.orElse(latest.get());
    if (v < 0 || v > latest.get() || unreadable.contains(v)) {
      throw new BundleException("no version " + v + " at " + tablePath);
    }
    reads.add(v);
    TestBundles bundle = TestBundles.version(v, 2);
    if (experiments.containsKey(v)) {
      bundle = bundle.experiments(experiments.get(v));
    }
    return bundle
        .item("coffee", "coffee_tea", List.of("alipay"), List.of(), 1f, 0f)
        .item("travel", "travel", List.of("alipay"), List.of(), 0f, 1f)
        .user("u1", "2088001", null, null, 1f, 0f)
        .popular("travel", "alipay", "*", 1.0)
        .build();
  }
}
