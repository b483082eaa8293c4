package io.crowdrank.batch.evaluate;

import io.crowdrank.batch.train.TrainJob;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
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
 * <p>Stage 1 (ALS): the given parameters plus a seeded random sample of the grid of rank, regParam,
 * alpha and iterations, each scored by NDCG at the primary K on the validation side. Stage 2
 * (context): with the best ALS, the context weight and habit shrinkage that rank validation
 * sessions best (when there are sessions). Every trial is returned.
 */
public final class Tuning {
  private static final Logger LOG = LoggerFactory.getLogger(Tuning.class);

  static final List<Integer> RANKS = List.of(8, 16, 32, 64);
  static final List<Double> REG_PARAMS = List.of(0.01, 0.05, 0.1, 0.3);
  static final List<Double> ALPHAS = List.of(1.0, 5.0, 20.0, 40.0);
  static final List<Integer> ITERATIONS = List.of(5, 10, 15);
  static final List<Double> CONTEXT_WEIGHTS = List.of(0.0, 0.1, 0.2, 0.4, 0.8);
  static final List<Double> SHRINKAGES = List.of(3.0, 30.0);

  /**
   * @param evaluation the split whose training side is searched (validation carved the same way)
   * @param trials ALS trials, the given parameters included (1..200)
   */
  public record Options(Evaluation.Options evaluation, int trials) {
    public Options {
      if (trials < 1 || trials > 200) {
        throw new IllegalArgumentException("tuning trials must be 1..200, got " + trials);
      }
    }

    Map<String, Object> asMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("trials", trials);
      m.put("split", evaluation.split().id());
      m.put("test_fraction", evaluation.testFraction());
      m.put("seed", evaluation.seed());
      m.put("k", evaluation.primaryK());
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
      boolean chosen) {}

  public record Result(TrainJob.Params best, int k, List<Trial> trials) {
    public Result {
      trials = List.copyOf(trials);
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
    Evaluation evaluation = new Evaluation(spark, options.evaluation());
    int k = options.evaluation().primaryK();
    List<Trial> trials = new ArrayList<>();
    try (Evaluation.Prepared p = evaluation.prepare(evaluation.trainingSide(events), categories)) {
      TrainJob.Params best = base;
      double bestNdcg = Double.NEGATIVE_INFINITY;
      List<TrainJob.Params> space = sample(base);
      List<double[]> scores = new ArrayList<>();
      for (int t = 0; t < space.size(); t++) {
        TrainJob.Params params = space.get(t);
        Evaluation.Metrics m = at(p.userMetrics("trial", params), k);
        scores.add(new double[] {m.ndcg(), m.recall()});
        LOG.info(
            "tuning: ALS trial {}/{} {} -> NDCG@{} {}",
            t + 1,
            space.size(),
            als(params),
            k,
            m.ndcg());
        if (m.ndcg() > bestNdcg) {
          bestNdcg = m.ndcg();
          best = params;
        }
      }
      for (int t = 0; t < space.size(); t++) {
        trials.add(
            new Trial(
                STAGE_ALS,
                t + 1,
                als(space.get(t)),
                scores.get(t)[0],
                scores.get(t)[1],
                space.get(t).equals(best)));
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

  private static Evaluation.Metrics at(List<Evaluation.Metrics> metrics, int k) {
    return metrics.stream().filter(m -> m.k() == k).findFirst().orElseThrow();
  }

  private static Map<String, Object> als(TrainJob.Params p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rank", p.rank());
    m.put("reg_param", p.regParam());
    m.put("alpha", p.alpha());
    m.put("max_iter", p.maxIter());
    return m;
  }

  /** The base parameters, then distinct grid points drawn with the evaluation's seed. */
  List<TrainJob.Params> sample(TrainJob.Params base) {
    Set<TrainJob.Params> out = new LinkedHashSet<>();
    out.add(base);
    int grid = RANKS.size() * REG_PARAMS.size() * ALPHAS.size() * ITERATIONS.size();
    int want = Math.min(options.trials(), grid + 1);
    SplittableRandom rnd = new SplittableRandom(options.evaluation().seed());
    while (out.size() < want) {
      out.add(
          base.withAls(
              RANKS.get(rnd.nextInt(RANKS.size())),
              ITERATIONS.get(rnd.nextInt(ITERATIONS.size())),
              REG_PARAMS.get(rnd.nextInt(REG_PARAMS.size())),
              ALPHAS.get(rnd.nextInt(ALPHAS.size()))));
    }
    return List.copyOf(out);
  }
}
