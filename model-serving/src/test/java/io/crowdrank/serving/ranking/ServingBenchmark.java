package io.crowdrank.serving.ranking;

import io.crowdrank.format.HostApps;
import io.crowdrank.format.UserBuckets;
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
 *     BUNDLE_TABLE...
 * </pre>
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
    UserBuckets.Shard shard = UserBuckets.Shard.ALL;
    List<String> tables = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--report" -> report = Path.of(args[++i]);
        case "--recall-users" -> recallUsers = Integer.parseInt(args[++i]);
        case "--quick" -> quick = true;
        case "--load-only" -> loadOnly = true;
        case "--shard" -> shard = UserBuckets.Shard.parse(args[++i]);
        case "-h", "--help" -> {
          System.out.println(USAGE);
          return;
        }
        default -> tables.add(args[i]);
      }
    }
    if (report == null || tables.isEmpty() || recallUsers < 1) {
      System.err.println(USAGE);
      System.exit(2);
    }
    List<Measured> results = new ArrayList<>();
    for (String table : tables) {
      results.add(measure(table, recallUsers, quick, shard, loadOnly));
    }
    Files.createDirectories(report.toAbsolutePath().getParent());
    Files.writeString(report, markdown(results));
    System.out.print(Files.readString(report));
  }

  static final String USAGE =
      "usage: bench-serving --report FILE [--recall-users N] [--quick] [--shard s/S] [--load-only]"
          + " BUNDLE_TABLE...\n  --shard: load only that shard's users, as serve --shard does;"
          + " --load-only: load time and heap only (no recall, no JMH)";

  static Measured measure(
      String table, int recallUsers, boolean quick, UserBuckets.Shard shard, boolean loadOnly)
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
      return new Measured(
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
          Double.NaN,
          Double.NaN);
    }

    int alipay = HostApps.ALL.indexOf("alipay");
    Map<Integer, Double> recall = new TreeMap<>();
    for (int beam : BEAMS) {
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

    // In this JVM (no fork): the bundle is loaded once; JIT warm-up iterations still come first.
    var options =
        new OptionsBuilder()
            .include(RankingBenchmark.class.getName())
            .param("bundle", table)
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
          r.getParams().getBenchmark().replaceAll(".*\\.", ""), r.getPrimaryResult().getScore());
    }
    return new Measured(
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
        micros.get("annSearch"),
        micros.get("rank"));
  }

  /**
   * HNSW search beams (ef) recall is measured at; the service uses {@link ItemIndex#SEARCH_BEAM}.
   */
  static final List<Integer> BEAMS =
      Stream.of(100, 200, 400, ItemIndex.SEARCH_BEAM).distinct().sorted().toList();

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
        .append(" (the service uses ")
        .append(ItemIndex.SEARCH_BEAM)
        .append("; an exact index has recall 1).\n\n");
    s.append(
        "| bundle | shard | items | users | dim | search | load s | heap MiB | recall@20 by beam"
            + " | ANN µs | Rank µs | pipeline overhead |\n");
    s.append("|---|---|---:|---:|---:|---|---:|---:|---|---:|---:|---:|\n");
    for (Measured m : results) {
      s.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %,d | %,d | %d | %s | %.1f | %,d | %s | %s | %s | %s |%n",
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
