package io.crowdrank.batch.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.batch.testing.SparkTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

class StepJobTest extends SparkTestBase {
  static final String IN = "test/numbers";
  static final String OUT = "test/sum";

  record Sum(long total, Object fact, StepJob.Outcome outcome) implements StepJob.Report {
    @Override
    public Map<String, Long> counts() {
      return Map.of("total", total);
    }
  }

  /** Sums a table of numbers times a factor; counts how often it computed and what it saw. */
  record Options(String warehouse, long factor, int commits) implements StepOptions {}

  static final class SumJob extends StepJob<Options, Sum> {
    int computed;
    final List<String> descriptions = new ArrayList<>();

    SumJob(SparkSession spark, String warehouse, long factor, int commits) {
      super(spark, new Options(warehouse, factor, commits), "sum", List.of(IN), List.of(OUT));
    }

    @Override
    protected Map<String, ?> params() {
      return Map.of("factor", options.factor());
    }

    @Override
    protected void compute(Inputs in, Commit commit) {
      computed++;
      descriptions.add(spark.sparkContext().getLocalProperty("spark.job.description"));
      long sum = in.read(IN).agg(org.apache.spark.sql.functions.sum("id")).first().getLong(0);
      long total = sum * options.factor();
      for (int i = 0; i < options.commits(); i++) {
        commit.commit(
            Map.of("total", total),
            () -> Delta.overwrite(spark.range(total, total + 1).toDF(), path(OUT)));
      }
    }

    @Override
    protected Sum result(Run run) {
      long total = Delta.read(spark, warehouse, OUT).first().getLong(0);
      return new Sum(total, run.lineage().get("total"), run.outcome());
    }
  }

  private void numbers(long n) {
    Delta.overwrite(spark.range(n).toDF(), Tables.at(warehouse(), IN));
  }

  @Test
  void execute_firstRunComputes_thenSkipsUntilAnInputOrParameterChanges() {
    numbers(5); // 0+1+2+3+4 = 10
    SumJob first = new SumJob(spark, warehouse(), 3, 1);
    Sum r1 = first.execute();
    assertThat(r1.total()).isEqualTo(30);
    assertThat(r1.skipped()).isFalse();
    assertThat(r1.inputVersions()).containsExactly(Map.entry(IN, 0L));
    assertThat(r1.outputVersions()).containsExactly(Map.entry(OUT, 0L));
    // The result reads the lineage as stored, whether this run wrote it or an earlier one.
    assertThat(r1.fact()).isEqualTo(30);
    Map<String, Object> lineage = Lineage.of(spark, Tables.at(warehouse(), OUT));
    assertThat(lineage)
        .containsEntry(Lineage.STEP, "sum")
        .containsEntry(Lineage.INPUTS, Map.of(IN, 0))
        .containsEntry(Lineage.PARAMS, Map.of("factor", 3));

    SumJob again = new SumJob(spark, warehouse(), 3, 1);
    Sum r2 = again.execute();
    assertThat(again.computed).isZero();
    assertThat(r2)
        .isEqualTo(new Sum(30, 30, new StepJob.Outcome(true, Map.of(IN, 0L), Map.of(OUT, 0L))));

    SumJob otherFactor = new SumJob(spark, warehouse(), 2, 1);
    assertThat(otherFactor.execute().total()).isEqualTo(20);
    assertThat(otherFactor.computed).isOne();

    numbers(4); // 0+1+2+3 = 6, a new version of the input
    SumJob newInput = new SumJob(spark, warehouse(), 2, 1);
    Sum r4 = newInput.execute();
    assertThat(r4.total()).isEqualTo(12);
    assertThat(r4.inputVersions()).containsExactly(Map.entry(IN, 1L));
    assertThat(r4.outputVersions()).containsExactly(Map.entry(OUT, 2L));
  }

  @Test
  void execute_namesTheStepOnItsSparkJobs_andPutsTheCallersDescriptionBack() {
    numbers(3);
    spark.sparkContext().setJobDescription("caller");
    try {
      SumJob job = new SumJob(spark, warehouse(), 1, 1);
      job.execute();
      assertThat(job.descriptions).containsExactly("crowdrank sum");
      assertThat(spark.sparkContext().getLocalProperty("spark.job.description"))
          .isEqualTo("caller");
    } finally {
      spark.sparkContext().setJobDescription(null);
    }
  }

  @Test
  void execute_aStepThatCommitsTwiceOrNever_fails() {
    numbers(3);
    assertThatThrownBy(() -> new SumJob(spark, warehouse(), 1, 2).execute())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("sum committed twice in one run");
    assertThatThrownBy(() -> new SumJob(spark, warehouse(), 5, 0).execute())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("sum computed but committed nothing");
  }
}
