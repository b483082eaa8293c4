package io.crowdrank.tools;

import com.google.common.base.Suppliers;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import io.crowdrank.proto.v1.EchoRequest;
import io.crowdrank.proto.v1.EchoServiceGrpc;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.crowdrank.proto.v1.UserRef;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code load}: drives Rank (or the Echo ceiling) at a fixed rate or flat out, loopback only. */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    description =
        "Load-test the service: open loop at --rate or closed loop with --concurrency callers, for"
            + " --duration-seconds; prints QPS, p50/p99/p99.9 latency, errors and CPU per call.")
final class Load implements Callable<Integer> {
  @CommandLine.Mixin Cli.Target target;

  @Option(
      names = "--rpc",
      defaultValue = "rank",
      description =
          "rank, echo (the ceiling), or compare: --rounds of echo then rank against the same"
              + " server, closed loop, with Rank's QPS as a share of echo's per round.")
  String rpc;

  @Option(
      names = "--rounds",
      defaultValue = "3",
      description = "With --rpc compare: echo/rank pairs, interleaved (default 3).")
  int rounds;

  @Option(
      names = "--server-pid",
      description =
          "The server's process id on this machine: also report its CPU time per call (from"
              + " /proc/PID/stat).")
  Integer serverPid;

  @Option(
      names = "--server-threads",
      description =
          "With --server-pid: also break the server's CPU per call down by thread group (from"
              + " /proc/PID/task: call threads, event loops, the event log's writer, the JIT"
              + " compiler, the collector). A thread that ends within the window is not counted.")
  boolean serverThreads;

  @Option(names = "--mode", defaultValue = "closed", description = "open or closed (default).")
  String mode;

  @Option(names = "--rate", defaultValue = "0", description = "Open loop: requests per second.")
  double rate;

  @Option(
      names = "--concurrency",
      defaultValue = "16",
      description = "Closed loop: callers; open loop: most requests in flight (default 16).")
  int concurrency;

  @Option(
      names = "--duration-seconds",
      defaultValue = "30",
      description = "Measured time, 1..600 (default 30).")
  int durationSeconds;

  @Option(
      names = "--warmup-seconds",
      defaultValue = "5",
      description = "Sent but not measured, first (default 5).")
  int warmupSeconds;

  @Option(names = "--host-app", defaultValue = "alipay", description = "Host app (default alipay).")
  String hostApp;

  @Option(
      names = "--truth",
      description =
          "The generator's _truth/users.tsv: rank its payment accounts (else unknown ones).")
  Path truth;

  @Option(
      names = "--synthetic-users",
      defaultValue = "0",
      description =
          "Rank the first N users of a bench-bundle warehouse (payment accounts 2088 + 12 digits).")
  int syntheticUsers;

  @Option(
      names = "--timeline",
      description =
          "Also write the run second by second (warm-up included) to this CSV file: requests due,"
              + " shed, answered and failed, p50/p99/max latency, how late the generator sent"
              + " them, and each second's wall-clock start; prints the slowest seconds.")
  Path timeline;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (!target.target.startsWith("127.0.0.1:") && !target.target.startsWith("localhost:")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--target must be on loopback (127.0.0.1:PORT or localhost:PORT)");
    }
    LoadGenerator.Options options;
    try {
      options =
          new LoadGenerator.Options(
              switch (mode) {
                case "open" -> LoadGenerator.Mode.OPEN;
                case "closed" -> LoadGenerator.Mode.CLOSED;
                default -> throw new IllegalArgumentException("--mode must be open or closed");
              },
              rate,
              concurrency,
              Duration.ofSeconds(durationSeconds),
              Duration.ofSeconds(warmupSeconds));
      if (!List.of("rank", "echo", "compare").contains(rpc)) {
        throw new IllegalArgumentException("--rpc must be rank, echo or compare");
      }
      if (rpc.equals("compare") && timeline != null) {
        throw new IllegalArgumentException("--timeline goes with one run: --rpc rank or echo");
      }
      if (timeline != null) {
        // Checked now, not after the run: a run's timeline is not lost to a mistyped folder.
        Path folder = timeline.toAbsolutePath().getParent();
        if (!Files.isDirectory(folder) || !Files.isWritable(folder)) {
          throw new IllegalArgumentException(
              "--timeline: cannot write " + timeline + " (no such folder, or not writable)");
        }
      }
      if (rpc.equals("compare") && options.mode() != LoadGenerator.Mode.CLOSED) {
        throw new IllegalArgumentException("--rpc compare measures maximum QPS: closed loop only");
      }
      if (rounds < 1 || rounds > 20) {
        throw new IllegalArgumentException("--rounds must be 1..20");
      }
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    List<LoadGenerator.CpuClock> clocks = new ArrayList<>();
    clocks.add(new LoadGenerator.CpuClock("generator", Load::ownCpuNanos));
    if (serverPid != null) {
      Path stat = Path.of("/proc", serverPid.toString(), "stat");
      if (!Files.isReadable(stat)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--server-pid: cannot read " + stat + " (no such process here?)");
      }
      clocks.add(new LoadGenerator.CpuClock("server", () -> processCpuNanos(stat)));
      if (serverThreads) {
        // The groups alive now, a clock each; the clocks of one reading share one listing of the
        // threads (the window's ends are at least a second apart).
        Path tasks = stat.resolveSibling("task");
        com.google.common.base.Supplier<Map<String, Long>> reading =
            Suppliers.memoizeWithExpiration(
                () -> ServerThreads.cpuNanosByGroup(tasks), 500, TimeUnit.MILLISECONDS);
        for (String group : ServerThreads.cpuNanosByGroup(tasks).keySet()) {
          clocks.add(
              new LoadGenerator.CpuClock(
                  "server/" + group, () -> reading.get().getOrDefault(group, 0L)));
        }
      }
    } else if (serverThreads) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--server-threads goes with --server-pid");
    }
    List<String> accounts = accounts();
    // The callers' callbacks only record and send the next request.
    ManagedChannel channel = target.openDirect();
    try {
      var ranking =
          RankingServiceGrpc.newFutureStub(channel)
              .withInterceptors(target.keyInterceptor(hostApp));
      var echo = EchoServiceGrpc.newFutureStub(channel);
      EchoRequest ping =
          EchoRequest.newBuilder().setPayload(ByteString.copyFromUtf8("ping")).build();
      Supplier<ListenableFuture<?>> echoCall =
          () -> echo.withDeadlineAfter(target.deadlineMs, TimeUnit.MILLISECONDS).echo(ping);
      Supplier<ListenableFuture<?>> rankCall =
          () -> {
            String account = accounts.get(ThreadLocalRandom.current().nextInt(accounts.size()));
            RankRequest r =
                RankRequest.newBuilder()
                    .setUser(UserRef.newBuilder().setPaymentAccount(account))
                    .setHostApp(hostApp)
                    .build();
            return ranking.withDeadlineAfter(target.deadlineMs, TimeUnit.MILLISECONDS).rank(r);
          };
      LoadGenerator generator = new LoadGenerator();
      if (!rpc.equals("compare")) {
        LoadGenerator.Report report =
            generator.run(rpc.equals("echo") ? echoCall : rankCall, options, clocks);
        System.out.println(rpc + " " + report.line());
        printThreads(report);
        if (timeline != null) {
          Files.writeString(timeline, Timeline.csv(report.timeline()));
          System.out.print(
              "timeline written to "
                  + timeline
                  + "; slowest seconds:\n"
                  + Timeline.worst(report.timeline(), 3));
        }
        return report.errors() == 0 ? 0 : 1;
      }
      // Echo and Rank against the same server process, one after the other, round after round:
      // a shared machine's speed drifts over minutes, so only a pair run together is a ratio.
      List<Double> ratios = new ArrayList<>();
      long errors = 0;
      for (int round = 1; round <= rounds; round++) {
        LoadGenerator.Report e = generator.run(echoCall, options, clocks);
        System.out.println("round " + round + " echo " + e.line());
        printThreads(e);
        LoadGenerator.Report r = generator.run(rankCall, options, clocks);
        System.out.println("round " + round + " rank " + r.line());
        printThreads(r);
        double ratio = e.qps() > 0 ? r.qps() / e.qps() : 0;
        ratios.add(ratio);
        errors += e.errors() + r.errors();
        System.out.printf(Locale.ROOT, "round %d: rank / echo = %.2f%n", round, ratio);
      }
      List<Double> sorted = ratios.stream().sorted().toList();
      System.out.printf(
          Locale.ROOT,
          "rank / echo over %d rounds: median %.2f, min %.2f, max %.2f%n",
          rounds,
          sorted.get(sorted.size() / 2),
          sorted.get(0),
          sorted.get(sorted.size() - 1));
      return errors == 0 ? 0 : 1;
    } finally {
      Cli.close(channel);
    }
  }

  private void printThreads(LoadGenerator.Report report) {
    if (serverThreads) {
      System.out.println("  server CPU by thread, µs/call: " + report.threads("server"));
      jitNote(report).ifPresent(note -> System.out.println("  " + note));
    }
  }

  /** From this share of the server's CPU in its JIT compiler, the window caught it warming up. */
  static final double JIT_NOTE_SHARE = 0.05;

  /**
   * A note when the server's JIT compiler threads took {@value #JIT_NOTE_SHARE} or more of its CPU
   * in the window: its CPU per call then includes compiling the path being measured (16-34 % of it
   * 10-24 s into a load of a warmed-up replica at 10,000 items; under 1 % after 60 s).
   */
  static java.util.Optional<String> jitNote(LoadGenerator.Report report) {
    double all = report.cpuMicrosPerCall().getOrDefault("server", 0.0);
    double jit =
        report.cpuMicrosPerCall().entrySet().stream()
            .filter(e -> e.getKey().startsWith("server/") && e.getKey().contains("CompilerThre"))
            .mapToDouble(Map.Entry::getValue)
            .sum();
    if (all <= 0 || jit / all < JIT_NOTE_SHARE) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        String.format(
            Locale.ROOT,
            "note: the server's JIT compiler took %.0f %% of its CPU in this window, so it was"
                + " still compiling what is measured; for its steady state, measure after a longer"
                + " --warmup-seconds (60 or more)",
            100 * jit / all));
  }

  /** This JVM's CPU time. */
  private static long ownCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * A process's user + system time from /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100
   * s: Linux's USER_HZ for everything it reports to user space).
   */
  static long processCpuNanos(Path stat) {
    try {
      String line = Files.readString(stat);
      // The command name (field 2) is in parentheses and may hold spaces: count after it.
      String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + stat + ": did the server stop?", e);
    }
  }

  /** The accounts to rank: the truth file's, then the synthetic ones, else unknown ones. */
  private List<String> accounts() throws IOException {
    List<String> listed = new ArrayList<>();
    if (truth != null) {
      for (String line : Files.readAllLines(truth)) {
        String[] f = line.split("\t", -1);
        if (f.length > 1 && !f[1].isEmpty() && !f[1].equals("payment_account")) {
          listed.add(f[1]);
        }
      }
    }
    return listed.isEmpty() && syntheticUsers == 0
        ? numbered(List.of(), "2099", 10_000)
        : numbered(listed, "2088", syntheticUsers);
  }

  /**
   * {@code listed}, then {@code count} numbered accounts ({@code prefix} + 12 digits), made when
   * asked for instead of held: a list of 10 M such strings (about 700 MB) was copied by the
   * generator's own young collections during the measured window, which stalled it for 100-130 ms
   * (docs/BENCHMARKS.md).
   */
  static List<String> numbered(List<String> listed, String prefix, int count) {
    List<String> head = List.copyOf(listed);
    return new java.util.AbstractList<>() {
      @Override
      public String get(int i) {
        java.util.Objects.checkIndex(i, size());
        return i < head.size()
            ? head.get(i)
            : prefix + String.format(Locale.ROOT, "%012d", i - head.size());
      }

      @Override
      public int size() {
        return head.size() + count;
      }
    };
  }
}
