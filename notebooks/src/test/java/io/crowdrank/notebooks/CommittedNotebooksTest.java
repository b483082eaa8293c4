package io.crowdrank.notebooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.common.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The notebooks as committed: the three the issue asks for, in our kernel, without outputs. */
class CommittedNotebooksTest {
  static final Path DIR = Path.of("").toAbsolutePath();

  static List<Path> notebooks() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      return files.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
    }
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> cells(Path notebook) throws IOException {
    return (List<Map<String, Object>>) Json.readObject(Files.readString(notebook)).get("cells");
  }

  @Test
  void notebooks_areTheThreeViews() throws IOException {
    assertThat(notebooks())
        .extracting(p -> p.getFileName().toString())
        .containsExactly(
            "01-profiles.ipynb", "02-model-evaluation.ipynb", "03-merchant-segments.ipynb");
  }

  @Test
  @SuppressWarnings("unchecked")
  void notebooks_useTheProjectKernel() throws IOException {
    for (Path nb : notebooks()) {
      Map<String, Object> meta =
          (Map<String, Object>) Json.readObject(Files.readString(nb)).get("metadata");
      assertThat(((Map<String, Object>) meta.get("kernelspec")).get("name"))
          .as(nb.getFileName().toString())
          .isEqualTo("crowdrank-java");
    }
    assertThat(DIR.resolve("jupyter/kernels/crowdrank-java/kernel.json")).exists();
    assertThat(Files.isExecutable(DIR.resolve("jupyter/kernels/crowdrank-java/launch.sh")))
        .isTrue();
  }

  @Test
  void notebooks_carryNoOutputs_soNothingStaleIsCommitted() throws IOException {
    for (Path nb : notebooks()) {
      for (Map<String, Object> cell : cells(nb)) {
        if ("code".equals(cell.get("cell_type"))) {
          assertThat((List<?>) cell.get("outputs"))
              .as("outputs of a cell in %s (clear them before committing)", nb.getFileName())
              .isEmpty();
          assertThat(cell.get("execution_count")).as("execution count in %s", nb).isNull();
        }
      }
    }
  }

  @Test
  void notebooks_startFromTheProjectHelper_neverTheirOwnSparkSession() throws IOException {
    for (Path nb : notebooks()) {
      String source =
          cells(nb).stream()
              .filter(c -> "code".equals(c.get("cell_type")))
              .map(c -> String.valueOf(c.get("source")))
              .reduce("", String::concat);
      assertThat(source).as(nb.toString()).contains("Notebook.spark()");
      assertThat(source).as(nb.toString()).doesNotContain("SparkSession.builder");
    }
  }
}
