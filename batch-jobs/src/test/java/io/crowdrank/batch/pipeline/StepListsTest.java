package io.crowdrank.batch.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The steps are listed by hand in the launcher's help, the README, OPERATIONS.md and the Airflow
 * DAG; they must list exactly {@link Pipeline#commands()} or follow {@link Pipeline#DAG} (the CLI's
 * own help and errors are derived from them).
 */
class StepListsTest {
  /** The repository root: tests run in the module's directory. */
  static final Path ROOT = Path.of("..");

  private static String read(String file) throws IOException {
    return Files.readString(ROOT.resolve(file));
  }

  /** The alternation of {@code jobs <a|b|...>} in a usage line. */
  private static List<String> jobsAlternation(String text) {
    Matcher m = Pattern.compile("jobs <([a-z|]+)>").matcher(text);
    assertThat(m.find()).as("a 'jobs <step|...>' usage line").isTrue();
    return Arrays.asList(m.group(1).split("\\|"));
  }

  @Test
  void readmeAndOperations_listEveryJobsCommand() throws IOException {
    assertThat(jobsAlternation(read("README.md"))).isEqualTo(Pipeline.commands());
    assertThat(jobsAlternation(read("docs/OPERATIONS.md"))).isEqualTo(Pipeline.commands());
  }

  @Test
  void launcherHelp_listsEveryStep() throws IOException {
    Matcher m = Pattern.compile("Run a Spark step \\(([^)]*)\\)").matcher(read("crowdrank"));
    assertThat(m.find()).isTrue();
    List<String> listed = Arrays.asList(m.group(1).replaceAll("\\s+", " ").split(", "));
    assertThat(listed)
        .isEqualTo(
            Pipeline.commands().stream()
                .filter(c -> !c.equals(Pipeline.ALL) && !c.equals(Pipeline.Step.MAINTAIN.id()))
                .toList());
  }

  @Test
  void dagDescription_inOperations_followsTheDag() throws IOException {
    Matcher m =
        Pattern.compile("`all` is the daily DAG: ([^.]*)\\.").matcher(read("docs/OPERATIONS.md"));
    assertThat(m.find()).isTrue();
    List<String> listed =
        Arrays.stream(m.group(1).replaceAll("\\s+", " ").split(" → "))
            .map(s -> s.startsWith("(tune") ? Pipeline.Step.TUNE.id() : s)
            .toList();
    assertThat(listed).isEqualTo(Pipeline.dag(true).stream().map(Pipeline.Step::id).toList());
  }

  @Test
  void airflowDag_runsTheStepsOfTheDagInItsOrder() throws IOException {
    Matcher m =
        Pattern.compile("\\n\\s*([a-z]+(?: >> [a-z]+)+)\\n")
            .matcher(read("ops/airflow/crowdrank_daily.py"));
    assertThat(m.find()).as("the task chain 'events >> ...'").isTrue();
    assertThat(Arrays.asList(m.group(1).split(" >> ")))
        .isEqualTo(Pipeline.DAG.stream().map(Pipeline.Step::id).toList());
  }
}
