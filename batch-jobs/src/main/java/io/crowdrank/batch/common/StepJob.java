package io.crowdrank.batch.common;

import io.crowdrank.batch.pipeline.StepReport;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The skeleton every lineage-tracked batch step shares: pin the inputs, skip the step if its
 * outputs were already built from the same inputs and parameters, otherwise compute and commit the
 * outputs with their lineage, then report. Subclasses say what they read, what they write, what
 * decides their output and how to compute it; the order and the bookkeeping live here once.
 *
 * <p>While it runs, every Spark job the step starts carries the step's name as its description, so
 * the Spark UI and event log show which step a stage belongs to (the caller's job group, such as
 * the pipeline's run, is kept).
 *
 * <p>A job object runs once: {@link #execute()} may keep per-run state in fields set by the hooks.
 *
 * @param <O> the step's typed options
 * @param <R> the step's typed result
 */
public abstract class StepJob<O extends StepOptions, R extends StepJob.Report> {
  /** The local property {@code SparkContext.setJobDescription} sets (its constant is private). */
  private static final String JOB_DESCRIPTION = "spark.job.description";

  protected final SparkSession spark;
  protected final O options;
  protected final String warehouse;
  private final String step;
  private final List<String> inputs;
  private final Set<String> optional;
  private final List<String> outputs;

  /**
   * @param step the step's name in the lineage of its commits
   * @param inputs the tables the step reads, pinned at their current versions
   * @param outputs the tables the step writes, in the order it commits them. The last is written
   *     last on every run, so its newest lineage says whether the step has anything left to do.
   */
  protected StepJob(
      SparkSession spark, O options, String step, List<String> inputs, List<String> outputs) {
    this(spark, options, step, inputs, Set.of(), outputs);
  }

  /**
   * As above, with inputs that may not exist yet ({@code optional}, a part of {@code inputs}): each
   * is pinned once it exists, and a run before then reads without it.
   */
  protected StepJob(
      SparkSession spark,
      O options,
      String step,
      List<String> inputs,
      Set<String> optional,
      List<String> outputs) {
    this.spark = Objects.requireNonNull(spark, "spark");
    this.options = Objects.requireNonNull(options, "options");
    this.warehouse = Objects.requireNonNull(options.warehouse(), "warehouse");
    this.step = Objects.requireNonNull(step, "step");
    this.inputs = List.copyOf(inputs);
    this.optional = Set.copyOf(optional);
    if (!this.inputs.containsAll(this.optional)) {
      throw new IllegalArgumentException(step + ": optional inputs must be among its inputs");
    }
    this.outputs = List.copyOf(outputs);
    if (this.outputs.isEmpty()) {
      throw new IllegalArgumentException(step + " must write at least one table");
    }
  }

  /** The step's name, as recorded in the lineage of its commits. */
  public final String step() {
    return step;
  }

  /**
   * The tables the step reads, as given (a step may add to them per run, see {@link #inputs()}).
   */
  public final List<String> inputTables() {
    return inputs;
  }

  /**
   * What one run saw and did, for the step's result.
   *
   * @param lineage the lineage of the step's newest commit, as stored: written by this run, or by
   *     the run that built the outputs when the outcome says skipped
   */
  public record Run(Inputs in, Map<String, Object> lineage, Outcome outcome) {
    public Run {
      lineage = Collections.unmodifiableMap(new LinkedHashMap<>(lineage));
    }

    /** A number the run recorded with its commit (-1 if absent). */
    public long fact(String name) {
      return lineage.get(name) instanceof Number n ? n.longValue() : -1;
    }
  }

  /**
   * What every step's result says of its run (see {@link StepReport}).
   *
   * @param inputVersions the input versions the lineage records
   * @param outputVersions the current version of every output table
   */
  public record Outcome(
      boolean skipped, Map<String, Long> inputVersions, Map<String, Long> outputVersions) {
    public Outcome {
      inputVersions = Collections.unmodifiableMap(new LinkedHashMap<>(inputVersions));
      outputVersions = Collections.unmodifiableMap(new LinkedHashMap<>(outputVersions));
    }
  }

  /** A step result that keeps its run's {@link Outcome}. */
  public interface Report extends StepReport {
    Outcome outcome();

    @Override
    default boolean skipped() {
      return outcome().skipped();
    }

    @Override
    default Map<String, Long> inputVersions() {
      return outcome().inputVersions();
    }

    @Override
    default Map<String, Long> outputVersions() {
      return outcome().outputVersions();
    }
  }

  /** Runs before the inputs are pinned, e.g. to create or update a table the step also reads. */
  protected void prepare() {}

  /**
   * The tables to pin: those given, the optional ones only once they exist, unless the step decides
   * more per run.
   */
  protected List<String> inputs() {
    return inputs.stream()
        .filter(t -> !optional.contains(t) || Delta.exists(spark, path(t)))
        .toList();
  }

  /**
   * The input versions the lineage records: the pinned ones, plus anything the step reads outside
   * them (e.g. which bundle is served).
   */
  protected Map<String, Long> lineageInputs(Inputs in) {
    return in.versions();
  }

  /** Everything besides the inputs that decides the output (part of the up-to-date check). */
  protected Map<String, ?> params() {
    return Map.of();
  }

  /**
   * Computes the outputs and writes them through {@code commit}, exactly once; whatever the step
   * holds (cached datasets) it releases here, after the commit.
   */
  protected abstract void compute(Inputs in, Commit commit);

  /** The step's result. */
  protected abstract R result(Run run);

  /** Writes the step's outputs as one logical commit, recording the lineage and these facts. */
  @FunctionalInterface
  protected interface Commit {
    void commit(Map<String, ?> facts, Runnable writes);

    default void commit(Runnable writes) {
      commit(Map.of(), writes);
    }
  }

  public final R execute() {
    SparkContext sc = spark.sparkContext();
    String before = sc.getLocalProperty(JOB_DESCRIPTION);
    sc.setJobDescription("crowdrank " + step);
    try {
      prepare();
      Inputs in = Inputs.pin(spark, warehouse, inputs());
      Map<String, Long> versions = lineageInputs(in);
      Map<String, ?> params = params();
      Map<String, Object> last = Lineage.of(spark, path(outputs.get(outputs.size() - 1)));
      if (Lineage.madeBy(last, step, versions, params)) {
        return result(new Run(in, last, new Outcome(true, versions, versions(outputs))));
      }
      AtomicReference<Map<String, Object>> written = new AtomicReference<>();
      compute(
          in,
          (facts, writes) -> {
            Map<String, Object> lineage = Lineage.record(step, versions, params, facts);
            if (!written.compareAndSet(null, lineage)) {
              throw new IllegalStateException(step + " committed twice in one run");
            }
            Lineage.committing(spark, lineage, writes);
          });
      if (written.get() == null) {
        throw new IllegalStateException(step + " computed but committed nothing");
      }
      // As stored, so a result reads the same whether this run or an earlier one wrote it.
      Map<String, Object> stored = Json.readObject(Json.write(written.get()));
      return result(new Run(in, stored, new Outcome(false, versions, versions(outputs))));
    } finally {
      sc.setJobDescription(before);
    }
  }

  private Map<String, Long> versions(List<String> tables) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String t : tables) {
      out.put(t, Delta.version(spark, path(t)));
    }
    return out;
  }

  /** The table's location in this step's warehouse. */
  protected final String path(String table) {
    return Tables.at(warehouse, table);
  }
}
