package io.crowdrank.serving.ranking;

import io.crowdrank.format.HostApps;
import io.crowdrank.ranking.RankQuery;
import io.crowdrank.ranking.Ranker;
import io.crowdrank.ranking.RankingConfig;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.ranking.bundle.UserStore;
import io.crowdrank.serving.bundle.BundleReader;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * In-process cost of the raw nearest-neighbour search against the whole ranking pipeline that uses
 * it (filters, context scoring, campaigns, diversity, reasons), per request, on a published bundle.
 * Run through {@link ServingBenchmark}, which writes the report.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RankingBenchmark {
  /** The bundle table to load (a warehouse's serving/bundle). */
  @Param("")
  public String bundle;

  /** Top k asked of the ranking. */
  @Param("10")
  public int k;

  /** {@link RankingConfig#annCandidates}; 0: the service's default. */
  @Param("0")
  public int candidates;

  static final int QUERIES = 1024;
  static final Instant AT = Instant.parse("2026-11-25T04:00:00Z"); // Wednesday lunch in Shanghai

  ModelBundle served;
  Ranker ranker;
  RankQuery[] queries;
  float[][] vectors;
  int hostApp;
  int next;

  /**
   * Bundles already loaded in this JVM, by table: {@link ServingBenchmark} runs JMH in its own JVM
   * so a million-item bundle (minutes to index) is loaded once for recall and both benchmarks.
   */
  static final java.util.Map<String, ModelBundle> LOADED =
      new java.util.concurrent.ConcurrentHashMap<>();

  @Setup
  public void load() {
    served = LOADED.computeIfAbsent(bundle, t -> new BundleReader().read(t, OptionalLong.empty()));
    ranker = new Ranker(config(candidates));
    hostApp = HostApps.ALL.indexOf("alipay");
    queries = queries(served, QUERIES, k, new SplittableRandom(11));
    vectors = new float[QUERIES][];
    for (int q = 0; q < QUERIES; q++) {
      vectors[q] =
          served
              .users()
              .vector(served.users().find(UserStore.IdType.SHARED_ID, queries[q].userId()));
    }
  }

  /** Top-k queries in alipay for {@code count} random users of a bench bundle with a vector. */
  static RankQuery[] queries(ModelBundle served, int count, int k, SplittableRandom rnd) {
    RankQuery[] out = new RankQuery[count];
    for (int q = 0; q < count; q++) {
      // bench-bundle's users are u0, u1, ...
      String id;
      int u;
      do {
        id = "u" + rnd.nextInt(served.users().count());
        u = served.users().find(UserStore.IdType.SHARED_ID, id);
        if (u < 0) {
          throw new IllegalArgumentException("not a bench-bundle bundle (no user " + id + ")");
        }
      } while (!served.users().hasVector(u));
      out[q] = new RankQuery(UserStore.IdType.SHARED_ID, id, "alipay", k, AT, null, Set.of());
    }
    return out;
  }

  /** The raw candidate search the pipeline starts with: as many neighbours as it asks for. */
  @Benchmark
  public Object annSearch() {
    int q = next++ & (QUERIES - 1);
    int n = ranker.candidates(k);
    return served.catalog().itemIndex().nearest(vectors[q], n, hostApp, n);
  }

  /** The service's ranking settings with {@code candidates} (0: as they are). */
  static RankingConfig config(int candidates) {
    RankingConfig d = RankingConfig.defaults();
    return candidates > 0 ? d.withAnnCandidates(candidates) : d;
  }

  /** The whole pipeline for the same users: candidates, filters, scoring, re-ranking, reasons. */
  @Benchmark
  public Object rank() {
    int q = next++ & (QUERIES - 1);
    return ranker.rank(served, queries[q]);
  }
}
