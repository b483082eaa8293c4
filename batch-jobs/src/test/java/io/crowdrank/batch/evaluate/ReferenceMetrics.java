package io.crowdrank.batch.evaluate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The popularity baseline's ranking metrics computed in plain Java, without Spark, from a list of
 * events and the positions of the held-out ones: the independent computation the evaluation is
 * checked against.
 *
 * <p>Definitions (those of MLlib's {@code RankingMetrics}, written out here from the formulas):
 * training pairs are the distinct (user, item) of the events kept; a test user has training pairs
 * and held-out items not among them (the labels); popularity is the number of distinct training
 * users per item, ties going to the item that appears first in the input; each test user is
 * recommended the most popular items they did not use in training. Per user, with hits h among the
 * top K and L labels: precision h / K, recall h / L, NDCG the binary DCG over the ideal DCG of
 * min(L, K) hits, average precision the sum of precision at each hit over min(L, K). Coverage is
 * the share of all items in anybody's top K.
 */
final class ReferenceMetrics {
  private ReferenceMetrics() {}

  /** One input row: its position in the file, user and item. */
  record Event(long pos, String user, String item) {}

  /** The means over test users at one K. */
  record AtK(int k, double ndcg, double recall, double precision, double map, double coverage) {}

  /** Per K, the popularity baseline's metrics; and the number of test users scored. */
  record Result(Map<Integer, AtK> byK, int testUsers) {}

  static Result popularity(List<Event> events, Set<Long> heldOut, List<Integer> ks) {
    return popularity(events, heldOut, ks, user -> true);
  }

  /** As above, scoring only the test users {@code scored} accepts (training keeps everybody). */
  static Result popularity(
      List<Event> events,
      Set<Long> heldOut,
      List<Integer> ks,
      java.util.function.Predicate<String> scored) {
    Map<String, Set<String>> train = new HashMap<>();
    Map<String, Long> firstSeen = new HashMap<>();
    for (Event e : events) {
      firstSeen.merge(e.item(), e.pos(), Math::min);
      if (!heldOut.contains(e.pos())) {
        train.computeIfAbsent(e.user(), u -> new HashSet<>()).add(e.item());
      }
    }
    Map<String, Set<String>> labels = new LinkedHashMap<>();
    for (Event e : events) {
      Set<String> seen = train.get(e.user());
      if (heldOut.contains(e.pos())
          && seen != null
          && !seen.contains(e.item())
          && scored.test(e.user())) {
        labels.computeIfAbsent(e.user(), u -> new HashSet<>()).add(e.item());
      }
    }
    Map<String, Integer> users = new HashMap<>();
    train.values().forEach(items -> items.forEach(i -> users.merge(i, 1, Integer::sum)));
    List<String> order = new ArrayList<>(users.keySet());
    order.sort(Comparator.comparing((String i) -> -users.get(i)).thenComparing(firstSeen::get));

    int maxK = ks.stream().mapToInt(Integer::intValue).max().orElseThrow();
    Map<String, List<String>> rankings = new LinkedHashMap<>();
    for (String user : labels.keySet()) {
      Set<String> seen = train.get(user);
      List<String> top = new ArrayList<>();
      for (String i : order) {
        if (top.size() == maxK) {
          break;
        }
        if (!seen.contains(i)) {
          top.add(i);
        }
      }
      rankings.put(user, top);
    }
    return new Result(score(rankings, labels, ks, firstSeen.size()), labels.size());
  }

  /**
   * The means over the groups of {@code labels} (users, sessions) of each group's ranking, best
   * first, cut at each K; coverage over {@code itemCount} items.
   */
  static Map<Integer, AtK> score(
      Map<String, List<String>> rankings,
      Map<String, Set<String>> labels,
      List<Integer> ks,
      int itemCount) {
    Map<Integer, double[]> sums = new HashMap<>();
    Map<Integer, Set<String>> covered = new HashMap<>();
    for (int k : ks) {
      sums.put(k, new double[4]);
      covered.put(k, new HashSet<>());
    }
    for (Map.Entry<String, Set<String>> u : labels.entrySet()) {
      List<String> top = rankings.getOrDefault(u.getKey(), List.of());
      Set<String> relevant = u.getValue();
      for (int k : ks) {
        int hits = 0;
        double dcg = 0;
        double precisionSum = 0;
        for (int r = 0; r < Math.min(k, top.size()); r++) {
          covered.get(k).add(top.get(r));
          if (relevant.contains(top.get(r))) {
            hits++;
            dcg += 1 / log2(r + 2);
            precisionSum += hits / (double) (r + 1);
          }
        }
        double idcg = 0;
        for (int r = 0; r < Math.min(k, relevant.size()); r++) {
          idcg += 1 / log2(r + 2);
        }
        double[] s = sums.get(k);
        s[0] += dcg / idcg;
        s[1] += hits / (double) relevant.size();
        s[2] += hits / (double) k;
        s[3] += precisionSum / Math.min(k, relevant.size());
      }
    }
    int n = labels.size();
    Map<Integer, AtK> out = new LinkedHashMap<>();
    for (int k : ks) {
      double[] s = sums.get(k);
      out.put(
          k,
          new AtK(
              k,
              s[0] / n,
              s[1] / n,
              s[2] / n,
              s[3] / n,
              covered.get(k).size() / (double) itemCount));
    }
    return out;
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
