package io.crowdrank.serving.ranking;

import io.crowdrank.format.HostApps;
import io.crowdrank.format.UserBuckets;
import io.crowdrank.ranking.RankQuery;
import io.crowdrank.ranking.Ranker;
import io.crowdrank.ranking.Ranking;
import io.crowdrank.ranking.RankingConfig;
import io.crowdrank.ranking.ann.ItemIndex;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.serving.bundle.BundleReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The in-process serving benchmark ({@code ./crowdrank bench-serving}): for each bundle, load time
 * and heap, ANN recall@20 against the exact answer, and JMH's cost per request of the raw ANN
 * search and of the whole ranking pipeline; the difference between two bundles' heaps gives the
 * bytes per item and per user. Writes a Markdown report.
 *
 * <pre>
 * ServingBenchmark --report FILE [--recall-users 500] [--quick] [--shard s/S] [--load-only]
 *     [--candidates 100,200] BUNDLE_TABLE...
 * </pre>
 *
 * <p>With several candidate counts ({@link RankingConfig#annCandidates}), each gets its row with
 * its JMH costs and how much of the top 10 it returns agrees with a {@value
 * #REFERENCE_CANDIDATES}-candidate ranking; recall@20 is measured at each count as a beam.
 */
public final class ServingBenchmark {
  private ServingBenchmark() {}

  record Measured(
      String table,
      String shard,
      int items,
      int users,
      int dim,
      boolean approximate,
      String method,
      double loadSeconds,
      long heapBytes,
      Map<Integer, Double> recallByBeam,
      int candidates,
      double agreement,
      double annMicros,
      double rankMicros) {
    double overhead() {
      return (rankMicros - annMicros) / annMicros;
    }
  }

  public static void main(String[] args) throws Exception {
    Path report = null;
    int recallUsers = 500;
    boolean quick = false;
    boolean loadOnly = false;
    List<Integer> candidates = List.of(RankingConfig.DEFAULT_ANN_CANDIDATES);
    UserBuckets.Shard shard = UserBuckets.Shard.ALL;
    List<String> tables = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--report" -> report = Path.of(args[++i]);
        case "--recall-users" -> recallUsers = Integer.parseInt(args[++i]);
        case "--quick" -> quick = true;
        case "--load-only" -> loadOnly = true;
        case "--shard" -> shard = UserBuckets.Shard.parse(args[++i]);
        case "--candidates" -> candidates = counts(args[++i]);
        case "-h", "--help" -> {
          System.out.println(USAGE);
          return;
        }
        default -> tables.add(args[i]);
      }
    }
    if (report == null || tables.isEmpty() || recallUsers < 1 || candidates.isEmpty()) {
      System.err.println(USAGE);
      System.exit(2);
    }
    List<Measured> results = new ArrayList<>();
    for (String table : tables) {
      results.addAll(measure(table, recallUsers, quick, shard, loadOnly, candidates));
    }
    Files.createDirectories(report.toAbsolutePath().getParent());
    Files.writeString(report, markdown(results));
    System.out.print(Files.readString(report));
  }

  /** "100,200" as distinct counts, each at least 1; empty when the text is not that. */
  static List<Integer> counts(String text) {
    try {
      List<Integer> out = Stream.of(text.split(",")).map(Integer::valueOf).distinct().toList();
      return out.stream().allMatch(c -> c >= 1) ? out : List.of();
    } catch (NumberFormatException e) {
      return List.of();
    }
  }

  static final String USAGE =
      "usage: bench-serving --report FILE [--recall-users N] [--quick] [--shard s/S] [--load-only]"
          + " [--candidates N,N...] BUNDLE_TABLE...\n  --shard: load only that shard's users, as"
          + " serve --shard does; --load-only: load time and heap only (no recall, no JMH);"
          + " --candidates: the ranking's HNSW candidate counts to measure (default: the"
          + " service's)";

  static List<Measured> measure(
      String table,
      int recallUsers,
      boolean quick,
      UserBuckets.Shard shard,
      boolean loadOnly,
      List<Integer> candidates)
      throws RunnerException, IOException {
    long before = usedHeap();
    long t0 = System.nanoTime();
    ModelBundle b =
        new BundleReader(new org.apache.hadoop.conf.Configuration(), true, true, shard)
            .read(table, OptionalLong.empty());
    double load = (System.nanoTime() - t0) / 1e9;
    long heap = usedHeap() - before;
    System.err.printf(
        Locale.ROOT,
        "%s (shard %s): loaded %d items, %d users in %.1f s%n",
        table,
        shard,
        b.catalog().count(),
        b.users().count(),
        load);
    if (loadOnly) {
      return List.of(
          new Measured(
              table,
              shard.toString(),
              b.catalog().count(),
              b.users().count(),
              b.catalog().dim(),
              b.catalog().itemIndex().approximate(),
              b.catalog().itemIndex().method(),
              load,
              heap,
              Map.of(),
              candidates.get(0),
              Double.NaN,
              Double.NaN,
              Double.NaN));
    }

    int alipay = HostApps.ALL.indexOf("alipay");
    Map<Integer, Double> recall = new TreeMap<>();
    for (int beam : Stream.concat(BEAMS.stream(), candidates.stream()).distinct().toList()) {
      SplittableRandom rnd = new SplittableRandom(5);
      double hits = 0;
      for (int q = 0; q < recallUsers; q++) {
        int u;
        do {
          u = rnd.nextInt(b.users().count());
        } while (!b.users().hasVector(u));
        float[] v = b.users().vector(u);
        Set<Integer> exact = items(b.catalog().itemIndex().exact(v, 20, alipay));
        hits += overlap(exact, b.catalog().itemIndex().nearest(v, 20, alipay, beam));
      }
      recall.put(beam, hits / (20.0 * recallUsers));
    }
    int items = b.catalog().count();
    int users = b.users().count();
    int dim = b.catalog().dim();
    boolean approximate = b.catalog().itemIndex().approximate();
    RankingBenchmark.LOADED.put(table, b);
    Map<Integer, Double> agreement = agreement(b, candidates, recallUsers);

    // In this JVM (no fork): the bundle is loaded once; JIT warm-up iterations still come first.
    var options =
        new OptionsBuilder()
            .include(RankingBenchmark.class.getName())
            .param("bundle", table)
            .param("candidates", candidates.stream().map(String::valueOf).toArray(String[]::new))
            .forks(0)
            .warmupIterations(quick ? 1 : 3)
            .warmupTime(TimeValue.seconds(quick ? 2 : 5))
            .measurementIterations(quick ? 2 : 5)
            .measurementTime(TimeValue.seconds(quick ? 2 : 5))
            .threads(1)
            .build();
    Map<String, Double> micros = new TreeMap<>();
    for (RunResult r : new Runner(options).run()) {
      micros.put(
          r.getParams().getBenchmark().replaceAll(".*\\.", "")
              + "@"
              + r.getParams().getParam("candidates"),
          r.getPrimaryResult().getScore());
    }
    List<Measured> out = new ArrayList<>();
    for (int c : candidates) {
      out.add(
          new Measured(
              table,
              shard.toString(),
              items,
              users,
              dim,
              approximate,
              b.catalog().itemIndex().method(),
              load,
              heap,
              recall,
              c,
              agreement.get(c),
              micros.get("annSearch@" + c),
              micros.get("rank@" + c)));
    }
    return out;
  }

  /** The candidate count whose top 10 the others are compared with. */
  static final int REFERENCE_CANDIDATES = 1_000;

  /**
   * By candidate count: the share of the top 10 that a ranking with that many candidates returns
   * and one with {@value #REFERENCE_CANDIDATES} returns too, over {@code users} of the bundle's
   * users (as {@link RankingBenchmark} picks them); 1 on a catalog scored exactly.
   */
  static Map<Integer, Double> agreement(ModelBundle b, List<Integer> candidates, int users) {
    Ranker reference = new Ranker(RankingBenchmark.config(REFERENCE_CANDIDATES));
    List<Ranker> rankers =
        candidates.stream().map(c -> new Ranker(RankingBenchmark.config(c))).toList();
    long[] same = new long[candidates.size()];
    long total = 0;
    for (RankQuery q : RankingBenchmark.queries(b, users, 10, new SplittableRandom(7))) {
      Set<String> expected = new HashSet<>();
      reference.rank(b, q).items().forEach(i -> expected.add(i.id()));
      total += expected.size();
      for (int c = 0; c < rankers.size(); c++) {
        for (Ranking.Item i : rankers.get(c).rank(b, q).items()) {
          same[c] += expected.contains(i.id()) ? 1 : 0;
        }
      }
    }
    Map<Integer, Double> out = new TreeMap<>();
    for (int c = 0; c < candidates.size(); c++) {
      out.put(candidates.get(c), total == 0 ? Double.NaN : (double) same[c] / total);
    }
    return out;
  }

  /**
   * HNSW search beams (ef) recall is always measured at; the service's is its candidate count
   * ({@link RankingConfig#annCandidates}).
   */
  static final List<Integer> BEAMS =
      Stream.of(100, 200, 400, RankingConfig.DEFAULT_ANN_CANDIDATES).distinct().sorted().toList();

  private static String recallText(Map<Integer, Double> byBeam) {
    if (byBeam.isEmpty()) {
      return "—";
    }
    StringBuilder s = new StringBuilder();
    byBeam.forEach(
        (beam, r) ->
            s.append(s.length() == 0 ? "" : ", ")
                .append(String.format(Locale.ROOT, "%d: %.3f", beam, r)));
    return s.toString();
  }

  private static Set<Integer> items(List<ItemIndex.Neighbour> ns) {
    Set<Integer> s = new HashSet<>();
    ns.forEach(n -> s.add(n.item()));
    return s;
  }

  private static int overlap(Set<Integer> exact, List<ItemIndex.Neighbour> found) {
    int n = 0;
    for (ItemIndex.Neighbour f : found) {
      if (exact.contains(f.item())) {
        n++;
      }
    }
    return n;
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  static String markdown(List<Measured> results) {
    StringBuilder s = new StringBuilder();
    s.append("# Serving benchmark (in-process)\n\n");
    s.append("Java ")
        .append(System.getProperty("java.version"))
        .append(", ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" cores. JMH average time per request, one thread, in the JVM that loaded the")
        .append(" bundle; recall@20 over random users with a vector, host app alipay, against an")
        .append(" exact scan, at HNSW search beams (ef) ")
        .append(BEAMS)
        .append(" and the candidate counts measured (the service asks for ")
        .append(RankingConfig.DEFAULT_ANN_CANDIDATES)
        .append(" candidates, its search's beam; an exact index has recall 1). Agreement: share")
        .append(" of the top 10 a ranking with that many candidates returns that one with ")
        .append(REFERENCE_CANDIDATES)
        .append(" returns too, over the same users.\n\n");
    s.append(
        "| bundle | shard | items | users | dim | search | load s | heap MiB | recall@20 by beam"
            + " | candidates | top-10 agreement | ANN µs | Rank µs | pipeline overhead |\n");
    s.append("|---|---|---:|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---:|\n");
    for (Measured m : results) {
      s.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %,d | %,d | %d | %s | %.1f | %,d | %s | %d | %s | %s | %s | %s |%n",
              Path.of(m.table()).getParent() == null
                  ? m.table()
                  : Path.of(m.table()).getParent().getParent().getFileName(),
              m.shard(),
              m.items(),
              m.users(),
              m.dim(),
              m.method(),
              m.loadSeconds(),
              m.heapBytes() >> 20,
              m.approximate() ? recallText(m.recallByBeam()) : "1 (exact)",
              m.candidates(),
              Double.isNaN(m.agreement()) ? "—" : String.format(Locale.ROOT, "%.3f", m.agreement()),
              micros(m.annMicros()),
              micros(m.rankMicros()),
              Double.isNaN(m.overhead())
                  ? "—"
                  : String.format(Locale.ROOT, "%+.0f%%", 100 * m.overhead())));
    }
    if (results.size() >= 2) {
      Measured a = results.get(0);
      Measured z = results.get(results.size() - 1);
      if (a.users() == z.users() && a.items() != z.items()) {
        double perItem = (double) (z.heapBytes() - a.heapBytes()) / (z.items() - a.items());
        double perUser = (a.heapBytes() - perItem * a.items()) / a.users();
        s.append(
            String.format(
                Locale.ROOT,
                "%nMemory, from the two bundles' heaps (same users, different items): ≈ %,.0f bytes"
                    + " per item (vectors, HNSW graph and its copy of the vectors, catalog fields),"
                    + " ≈ %,.0f bytes per user (int8 vector, account keys, habits).%n",
                perItem,
                perUser));
      } else if (a.items() == z.items() && a.users() != z.users()) {
        s.append(
            String.format(
                Locale.ROOT,
                "%nMemory, from the two bundles' heaps (same items, different users): ≈ %,.0f"
                    + " bytes per user.%n",
                (double) (z.heapBytes() - a.heapBytes()) / (z.users() - a.users())));
      }
    }
    return s.toString();
  }

  private static String micros(double value) {
    return Double.isNaN(value) ? "—" : String.format(Locale.ROOT, "%.1f", value);
  }
}
