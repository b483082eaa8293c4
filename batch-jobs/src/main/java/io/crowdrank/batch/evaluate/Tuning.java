package io.crowdrank.batch.evaluate;

import io.crowdrank.batch.train.TrainJob;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hyper-parameter search on a validation split carved from the training side of the evaluation
 * split only, so the test side that judges the chosen model is never looked at while choosing it.
 *
 * <p>Stage 1 (ALS), successive halving: the given parameters plus a seeded sample of the {@link
 * Space} (rank; regularisation and alpha, log scale) are each trained for the first rung's
 * iterations and scored by NDCG at the primary K on the validation side; the best third go on to
 * the next rung's iterations, and so on. The chosen model is the cheapest (parameters, iterations)
 * pair of any rung within 1 % of the best ({@link #cheapestNearBest}). Stage 2 (context): with the
 * best ALS, the context weight and habit shrinkage that rank validation sessions best (when there
 * are sessions). Every trial is returned.
 *
 * <p>MLlib's ALS scales the regularisation by each user's and item's number of interactions
 * (ALS-WR), so its useful values are about a hundred times smaller than those of implementations
 * with one λ for everybody: 0.001-10 here covers both the lightly and the strongly regularised
 * ends.
 */
public final class Tuning {
  private static final Logger LOG = LoggerFactory.getLogger(Tuning.class);

  /**
   * What the ALS stage searches.
   *
   * @param ranks latent dimensions to choose from
   * @param regMin smallest regularisation (drawn log-uniform up to regMax)
   * @param alphaMin smallest implicit confidence scale (drawn log-uniform up to alphaMax)
   * @param rungs ALS iterations of each successive-halving rung
   */
  public record Space(
      List<Integer> ranks,
      double regMin,
      double regMax,
      double alphaMin,
      double alphaMax,
      List<Integer> rungs) {
    public Space {
      ranks = List.copyOf(ranks);
      rungs = List.copyOf(rungs);
      if (ranks.isEmpty() || rungs.isEmpty()) {
        throw new IllegalArgumentException("a search space needs ranks and rungs");
      }
      if (!(0 < regMin && regMin <= regMax) || !(0 < alphaMin && alphaMin <= alphaMax)) {
        throw new IllegalArgumentException("ranges must have 0 < min <= max");
      }
    }

    /**
     * Rank 16-256, regularisation 0.001-10, alpha 1-100, rungs of 5, 10 and 20 iterations: what
     * matters for implicit ALS, with MLlib's per-interaction scaling of the regularisation.
     */
    public static final Space DEFAULT =
        new Space(List.of(16, 32, 64, 128, 256), 0.001, 10, 1, 100, List.of(5, 10, 20));
  }

  /** One in this many trials of a rung goes on to the next. */
  static final int ETA = 3;

  static final List<Double> CONTEXT_WEIGHTS = List.of(0.0, 0.1, 0.2, 0.4, 0.8);
  static final List<Double> SHRINKAGES = List.of(3.0, 30.0);

  /** Default number of parameter sets in the first rung. */
  public static final int DEFAULT_TRIALS = 12;

  /**
   * @param evaluation the split whose training side is searched (validation carved the same way,
   *     with the next seed)
   * @param trials parameter sets in the first rung, the given parameters included (1..200)
   */
  public record Options(Evaluation.Options evaluation, int trials, Space space) {
    public Options {
      if (trials < 1 || trials > 200) {
        throw new IllegalArgumentException("tuning trials must be 1..200, got " + trials);
      }
    }

    public Options(Evaluation.Options evaluation, int trials) {
      this(evaluation, trials, Space.DEFAULT);
    }

    Map<String, Object> asMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("trials", trials);
      m.put("split", evaluation.split().id());
      m.put("test_fraction", evaluation.testFraction());
      m.put("seed", evaluation.seed());
      m.put("k", evaluation.primaryK());
      m.put("ranks", space.ranks());
      m.put("reg_param", List.of(space.regMin(), space.regMax()));
      m.put("alpha", List.of(space.alphaMin(), space.alphaMax()));
      m.put("rungs", space.rungs());
      return m;
    }
  }

  public static final String STAGE_ALS = "als";
  public static final String STAGE_CONTEXT = "context";

  /** One trial: its stage, parameters and validation NDCG and recall at the primary K. */
  public record Trial(
      String stage,
      int number,
      Map<String, Object> params,
      double ndcg,
      double recall,
      boolean chosen) {
    /** The parameters as {@code name=value} pairs, for tables. */
    public String label() {
      StringBuilder b = new StringBuilder();
      params.forEach((k, v) -> b.append(b.isEmpty() ? "" : " ").append(k).append('=').append(v));
      return b.toString();
    }
  }

  public record Result(TrainJob.Params best, int k, List<Trial> trials) {
    public Result {
      trials = List.copyOf(trials);
    }

    /** Every trial as a fixed-width table, chosen ones starred, then the chosen parameters. */
    public String table() {
      StringBuilder b = new StringBuilder();
      b.append(
          String.format(
              Locale.ROOT,
              "tuning trials (validation carved from the training side; NDCG@%d and recall@%d):%n",
              k,
              k));
      b.append(
          String.format(
              Locale.ROOT,
              "%-8s %5s  %-60s %8s %8s%n",
              "stage",
              "trial",
              "parameters",
              "NDCG",
              "Recall"));
      for (Trial t : trials) {
        b.append(
            String.format(
                Locale.ROOT,
                "%-8s %5d  %-60s %8.4f %8.4f%s%n",
                t.stage(),
                t.number(),
                t.label(),
                t.ndcg(),
                t.recall(),
                t.chosen() ? "  *" : ""));
      }
      Map<String, Object> chosen = new LinkedHashMap<>(alsParams(best));
      chosen.put("context_weight", best.contextWeight());
      chosen.put("habit_shrinkage", best.habitShrinkage());
      b.append("chosen: ").append(new Trial("", 0, chosen, 0, 0, true).label()).append('\n');
      return b.toString();
    }
  }

  private final SparkSession spark;
  private final Options options;

  public Tuning(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  /**
   * @param events evaluation events (see {@link Evaluation}) over all time; only the training side
   *     of the split is used
   * @param categories item → category pairs, or null (no context stage)
   * @param base the parameters to start from: trial 1, and every field the search does not vary
   */
  public Result run(Dataset<Row> events, Dataset<Row> categories, TrainJob.Params base) {
    // The training side, split again the same way: validation is carved from training only.
    Evaluation.Options eo = options.evaluation();
    Evaluation validation = new Evaluation(spark, eo.withSeed(eo.seed() + 1));
    int k = eo.primaryK();
    List<Trial> trials = new ArrayList<>();
    try (Evaluation.Prepared p =
        validation.prepare(new Evaluation(spark, eo).trainingSide(events), categories)) {
      List<TrainJob.Params> rung = sample(base);
      List<double[]> scores = new ArrayList<>();
      List<TrainJob.Params> tried = new ArrayList<>();
      for (int iterations : options.space().rungs()) {
        List<double[]> rungScores = new ArrayList<>();
        for (TrainJob.Params config : rung) {
          TrainJob.Params params = config.withIterations(iterations);
          Evaluation.Metrics m = at(p.userMetrics("trial", params), k);
          LOG.info(
              "tuning: ALS trial {} {} -> NDCG@{} {}",
              tried.size() + 1,
              alsParams(params),
              k,
              m.ndcg());
          tried.add(params);
          scores.add(new double[] {m.ndcg(), m.recall()});
          rungScores.add(new double[] {m.ndcg()});
        }
        rung = survivors(rung, rungScores);
      }
      TrainJob.Params best = cheapestNearBest(tried, scores);
      for (int t = 0; t < tried.size(); t++) {
        trials.add(
            new Trial(
                STAGE_ALS,
                t + 1,
                alsParams(tried.get(t)),
                scores.get(t)[0],
                scores.get(t)[1],
                tried.get(t).equals(best)));
      }
      if (p.hasSessions()) {
        List<Evaluation.ContextSetting> settings = new ArrayList<>();
        for (double w : CONTEXT_WEIGHTS) {
          for (double s : SHRINKAGES) {
            if (w > 0 || s == SHRINKAGES.get(0)) { // with weight 0 shrinkage does not matter
              settings.add(new Evaluation.ContextSetting(w + "/" + s, w, s, true));
            }
          }
        }
        List<Evaluation.Metrics> ms = p.sessionMetrics(best, settings, List.of(k));
        Evaluation.ContextSetting chosen = settings.get(0);
        double top = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < settings.size(); i++) {
          if (ms.get(i).ndcg() > top) {
            top = ms.get(i).ndcg();
            chosen = settings.get(i);
          }
        }
        best = best.withContext(chosen.weight(), chosen.shrinkage());
        for (int i = 0; i < settings.size(); i++) {
          Evaluation.ContextSetting s = settings.get(i);
          Map<String, Object> params = new LinkedHashMap<>();
          params.put("context_weight", s.weight());
          params.put("habit_shrinkage", s.shrinkage());
          trials.add(
              new Trial(
                  STAGE_CONTEXT, i + 1, params, ms.get(i).ndcg(), ms.get(i).recall(), s == chosen));
        }
        LOG.info(
            "tuning: context weight {} shrinkage {} -> session NDCG@{} {}",
            chosen.weight(),
            chosen.shrinkage(),
            k,
            top);
      }
      return new Result(best, k, trials);
    }
  }

  /**
   * Of the trials within {@link #NEAR_BEST} (relative) of the best validation NDCG, the cheapest to
   * train and serve: the smallest rank, then the fewest iterations, then the earliest trial. A
   * rank-256 model that beats a rank-64 one by 0.1 % on one validation split is not worth four
   * times the vectors in every replica.
   */
  static TrainJob.Params cheapestNearBest(List<TrainJob.Params> tried, List<double[]> scores) {
    double top = scores.stream().mapToDouble(s -> s[0]).max().orElseThrow();
    TrainJob.Params best = null;
    for (int t = 0; t < tried.size(); t++) {
      TrainJob.Params p = tried.get(t);
      if (scores.get(t)[0] >= top * (1 - NEAR_BEST)
          && (best == null
              || p.rank() < best.rank()
              || (p.rank() == best.rank() && p.maxIter() < best.maxIter()))) {
        best = p;
      }
    }
    return best;
  }

  /** How far below the best validation NDCG a cheaper trial may be and still be chosen. */
  static final double NEAR_BEST = 0.01;

  /**
   * The best third (rounded up) of a rung by validation NDCG, best first; ties keep trial order.
   */
  static List<TrainJob.Params> survivors(List<TrainJob.Params> rung, List<double[]> scores) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < rung.size(); i++) {
      order.add(i);
    }
    order.sort((a, b) -> Double.compare(scores.get(b)[0], scores.get(a)[0]));
    int keep = (rung.size() + ETA - 1) / ETA;
    return order.subList(0, keep).stream().map(rung::get).toList();
  }

  private static Evaluation.Metrics at(List<Evaluation.Metrics> metrics, int k) {
    return metrics.stream().filter(m -> m.k() == k).findFirst().orElseThrow();
  }

  static Map<String, Object> alsParams(TrainJob.Params p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rank", p.rank());
    m.put("reg_param", p.regParam());
    m.put("alpha", p.alpha());
    m.put("max_iter", p.maxIter());
    return m;
  }

  /**
   * The base parameters, then a seeded Latin-hypercube sample: the regularisation and alpha ranges
   * (log scale) are each cut into as many strata as there are draws and every stratum is used once,
   * ranks go round the space's ranks in a shuffled order, so even a dozen trials span the whole
   * space. Values to two significant digits.
   */
  List<TrainJob.Params> sample(TrainJob.Params base) {
    int n = options.trials() - 1;
    SplittableRandom rnd = new SplittableRandom(options.evaluation().seed());
    int[] regStrata = permutation(n, rnd);
    int[] alphaStrata = permutation(n, rnd);
    Space space = options.space();
    int[] rankOrder = permutation(space.ranks().size(), rnd);
    Set<TrainJob.Params> out = new LinkedHashSet<>();
    out.add(base);
    for (int t = 0; t < n; t++) {
      out.add(
          base.withAls(
              space.ranks().get(rankOrder[t % space.ranks().size()]),
              base.maxIter(),
              logStratum(rnd, space.regMin(), space.regMax(), regStrata[t], n),
              logStratum(rnd, space.alphaMin(), space.alphaMax(), alphaStrata[t], n)));
    }
    return List.copyOf(out);
  }

  private static int[] permutation(int n, SplittableRandom rnd) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** A log-uniform draw from stratum {@code s} of {@code n} equal (log-scale) parts of min..max. */
  private static double logStratum(SplittableRandom rnd, double min, double max, int s, int n) {
    double lo = Math.log(min);
    double width = (Math.log(max) - lo) / n;
    double v = Math.exp(lo + (s + rnd.nextDouble()) * width);
    return new BigDecimal(v).round(new MathContext(2)).doubleValue();
  }
}
