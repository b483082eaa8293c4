package io.crowdrank.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerThreadsTest {
  @TempDir Path tasks;

  @Test
  void group_dropsTrailingDigitsOnly() {
    assertThat(ServerThreads.group("C2 CompilerThread12\n")).isEqualTo("C2 CompilerThread");
    assertThat(ServerThreads.group("GC Thread#0")).isEqualTo("GC Thread#");
    assertThat(ServerThreads.group("crowdrank-call-")).isEqualTo("crowdrank-call-");
    assertThat(ServerThreads.group("vert.x-eventloo")).isEqualTo("vert.x-eventloo");
  }

  @Test
  void cpuNanosByGroup_sumsUserAndSystemTimeOfEachGroup_andSkipsThreadsThatEnded()
      throws IOException {
    // utime and stime are fields 14 and 15, in ticks of 10 ms; a name may hold spaces.
    thread(101, "crowdrank-call-", 300, 20);
    thread(102, "crowdrank-call-", 100, 5);
    thread(103, "C2 CompilerThre", 40, 1);
    thread(104, "GC Thread#0", 2, 0);
    thread(105, "GC Thread#1", 3, 1);
    // Listed, but gone before its stat was read.
    Files.createDirectories(tasks.resolve("106"));
    Files.writeString(tasks.resolve("106/comm"), "crowdrank-event\n");

    Map<String, Long> cpu = ServerThreads.cpuNanosByGroup(tasks);

    long tick = 10_000_000L;
    assertThat(cpu)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "crowdrank-call-", (300 + 20 + 100 + 5) * tick,
                "C2 CompilerThre", (40 + 1) * tick,
                "GC Thread#", (2 + 0 + 3 + 1) * tick));
  }

  private void thread(int tid, String comm, long utime, long stime) throws IOException {
    Path dir = Files.createDirectories(tasks.resolve(Integer.toString(tid)));
    Files.writeString(dir.resolve("comm"), comm + "\n");
    // Fields 3-13, then utime and stime, then the rest (values other than 14 and 15 arbitrary).
    List<String> fields = List.of("S", "1", "1", "1", "0", "-1", "4194368", "7", "0", "0", "0");
    Files.writeString(
        dir.resolve("stat"),
        tid
            + " ("
            + comm
            + ") "
            + String.join(" ", fields)
            + " "
            + utime
            + " "
            + stime
            + " 0 0 20 0 40 0 123\n");
  }
}
