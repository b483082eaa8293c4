package io.crowdrank.batch.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoDataGeneratorTest {
  @TempDir Path tmp;

  private static DemoDataGenerator.Options small(Path out) {
    return DemoDataGenerator.Options.defaults(out)
        .withUsers(300)
        .withMiniPrograms(120)
        .withDays(14);
  }

  @Test
  void generate_sameSeed_writesSameBytes() throws IOException {
    DemoDataGenerator.generate(small(tmp.resolve("a")));
    DemoDataGenerator.generate(small(tmp.resolve("b")));

    Map<String, Long> a = checksums(tmp.resolve("a"));
    assertThat(a).isNotEmpty();
    assertThat(checksums(tmp.resolve("b"))).isEqualTo(a);
  }

  @Test
  void generate_otherSeed_writesOtherData() throws IOException {
    DemoDataGenerator.generate(small(tmp.resolve("a")));
    DemoDataGenerator.generate(small(tmp.resolve("b")).withSeed(7));

    assertThat(checksums(tmp.resolve("b"))).isNotEqualTo(checksums(tmp.resolve("a")));
  }

  @Test
  void generate_writesEverySourceByDeliveryDate_andCountsLines() throws IOException {
    DemoDataGenerator.Result r = DemoDataGenerator.generate(small(tmp));

    for (String source : List.of("payments", "social", "account_links", "catalog")) {
      assertThat(tmp.resolve(source)).isDirectory();
      try (Stream<Path> dirs = Files.list(tmp.resolve(source))) {
        assertThat(dirs)
            .allMatch(d -> d.getFileName().toString().matches("dt=\\d{4}-\\d{2}-\\d{2}"));
      }
    }
    // Data lines on disk (headers excluded) are exactly what the result reports.
    assertThat(dataLines(tmp.resolve("payments"), true)).isEqualTo(r.payments().lines());
    assertThat(dataLines(tmp.resolve("social"), false)).isEqualTo(r.social().lines());
    assertThat(r.payments().malformed()).isPositive();
    assertThat(r.payments().duplicates()).isPositive();
    assertThat(Files.readString(tmp.resolve("_truth/summary.properties")))
        .contains("payments.lines=" + r.payments().lines())
        .contains("payments.malformed=" + r.payments().malformed());
  }

  @Test
  void generate_lastCatalogSnapshot_hasNewMiniProgramsWithoutEvents() throws IOException {
    DemoDataGenerator.generate(small(tmp));

    long first = dataLines(tmp.resolve("catalog/dt=2026-10-05"), false);
    long last = dataLines(tmp.resolve("catalog/dt=2026-10-18"), false);
    assertThat(last).isGreaterThan(first);
  }

  @Test
  void options_outOfRange_areRejectedWithTheReason() {
    var ok = small(tmp);
    assertThatThrownBy(() -> ok.withUsers(1)).hasMessageContaining("users must be at least 10");
    assertThatThrownBy(() -> ok.withDays(1000)).hasMessageContaining("days must be 7..366");
    assertThatThrownBy(() -> ok.withMalformedShare(0.9)).hasMessageContaining("malformed share");
  }

  private static long dataLines(Path dir, boolean csvHeader) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(
              f -> {
                try {
                  return Files.readAllLines(f).size() - (csvHeader ? 1 : 0);
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              })
          .sum();
    }
  }

  private static Map<String, Long> checksums(Path root) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        byte[] bytes = Files.readAllBytes(f);
        var crc = new java.util.zip.CRC32();
        crc.update(bytes);
        out.put(root.relativize(f).toString(), crc.getValue());
      }
    }
    return out;
  }
}
