package io.crowdrank.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class LoadTest {
  @Test
  void numbered_listsTheGivenAccountsThenPrefixPlusTwelveDigits() {
    List<String> a = Load.numbered(List.of("x", "y"), "2088", 10_000_000);

    assertThat(a).hasSize(10_000_002);
    assertThat(a.get(0)).isEqualTo("x");
    assertThat(a.get(1)).isEqualTo("y");
    assertThat(a.get(2)).isEqualTo("2088000000000000");
    assertThat(a.get(1_234_569)).isEqualTo("2088000001234567");
    assertThat(a.get(10_000_001)).isEqualTo("2088000009999999");
    assertThatThrownBy(() -> a.get(10_000_002)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void numbered_synthetic_matchesTheBenchBundlesPaymentAccounts() {
    // SyntheticBundle writes format_string('2088%012d', id) for ids 0..n-1.
    assertThat(Load.numbered(List.of(), "2088", 3))
        .containsExactly("2088000000000000", "2088000000000001", "2088000000000002");
  }

  @Test
  void jitNote_fromFivePercentOfTheServersCpuInItsCompilerThreads() {
    // 100 µs a call in all; C2 and C1 together 4 µs (no note), then 5 µs (a note of 5 %).
    assertThat(
            Load.jitNote(
                report(Map.of("server/C2 CompilerThre", 3.0, "server/C1 CompilerThre", 1.0))))
        .isEmpty();
    assertThat(
            Load.jitNote(
                report(Map.of("server/C2 CompilerThre", 4.0, "server/C1 CompilerThre", 1.0))))
        .hasValueSatisfying(n -> assertThat(n).contains("took 5 % of its CPU"));
    // The generator's own compiler is not the server's.
    assertThat(Load.jitNote(report(Map.of("generator/C2 CompilerThre", 50.0)))).isEmpty();
  }

  private static LoadGenerator.Report report(Map<String, Double> threads) {
    Map<String, Double> cpu = new java.util.HashMap<>(threads);
    cpu.put("server", 100.0);
    return new LoadGenerator.Report(
        LoadGenerator.Mode.CLOSED, 0, 1000, 0, Map.of(), 1, 1000, 1, 2, 3, 4, cpu, List.of());
  }

  @Test
  void timeline_inAFolderThatDoesNotExist_isAUsageErrorBeforeAnyRun() {
    StringWriter err = new StringWriter();
    int code =
        new CommandLine(new Cli())
            .setErr(new PrintWriter(err))
            .execute(
                "load",
                "--target",
                "127.0.0.1:1",
                "--duration-seconds",
                "1",
                "--timeline",
                "/no/such/folder/t.csv");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString())
        .contains(
            "--timeline: cannot write /no/such/folder/t.csv (no such folder, or not writable)");
  }
}
