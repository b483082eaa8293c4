package io.crowdrank.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A process's CPU time by group of threads, from {@code /proc/PID/task}: where a server's CPU per
 * call goes (its call threads, event loops, log writer, JIT compiler, collector) without a profiler
 * attached. A group is a thread name as the kernel keeps it (its first 15 characters) without
 * trailing digits, so "C2 CompilerThread0" and "…1" are one group.
 */
final class ServerThreads {
  private ServerThreads() {}

  /** The group a thread's kernel name belongs to. */
  static String group(String comm) {
    return comm.strip().replaceFirst("\\d+$", "");
  }

  /**
   * User + system time (ns) by group of the threads alive now under {@code tasks} (a {@code
   * /proc/PID/task} folder). A thread that ended is no longer there: over a window, its group loses
   * what it had used before.
   */
  static Map<String, Long> cpuNanosByGroup(Path tasks) {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<Path> threads = Files.list(tasks)) {
      for (Path t : threads.toList()) {
        try {
          String comm = Files.readString(t.resolve("comm"));
          long nanos = Load.processCpuNanos(t.resolve("stat"));
          out.merge(group(comm), nanos, Long::sum);
        } catch (NoSuchFileException | UncheckedIOException e) {
          // The thread ended between the listing and the read.
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + tasks + ": did the server stop?", e);
    }
    return out;
  }
}
