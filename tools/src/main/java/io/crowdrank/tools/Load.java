package io.crowdrank.tools;

import com.google.protobuf.ByteString;
import io.crowdrank.proto.v1.EchoRequest;
import io.crowdrank.proto.v1.EchoServiceGrpc;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.crowdrank.proto.v1.UserRef;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code load}: drives Rank (or the Echo ceiling) at a fixed rate or flat out, loopback only. */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    description =
        "Load-test the service: open loop at --rate or closed loop with --concurrency callers, for"
            + " --duration-seconds; prints QPS, p50/p99/p99.9 latency and errors.")
final class Load implements Callable<Integer> {
  @CommandLine.Mixin Cli.Target target;

  @Option(names = "--rpc", defaultValue = "rank", description = "rank or echo (the ceiling).")
  String rpc;

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
      if (!rpc.equals("rank") && !rpc.equals("echo")) {
        throw new IllegalArgumentException("--rpc must be rank or echo");
      }
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
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
      LoadGenerator.Report report =
          new LoadGenerator()
              .run(
                  () -> {
                    if (rpc.equals("echo")) {
                      return echo.withDeadlineAfter(target.deadlineMs, TimeUnit.MILLISECONDS)
                          .echo(ping);
                    }
                    String account =
                        accounts.get(ThreadLocalRandom.current().nextInt(accounts.size()));
                    RankRequest r =
                        RankRequest.newBuilder()
                            .setUser(UserRef.newBuilder().setPaymentAccount(account))
                            .setHostApp(hostApp)
                            .build();
                    return ranking
                        .withDeadlineAfter(target.deadlineMs, TimeUnit.MILLISECONDS)
                        .rank(r);
                  },
                  options);
      System.out.println(rpc + " " + report.line());
      return report.errors() == 0 ? 0 : 1;
    } finally {
      Cli.close(channel);
    }
  }

  private List<String> accounts() throws IOException {
    List<String> out = new ArrayList<>();
    if (truth != null) {
      for (String line : Files.readAllLines(truth)) {
        String[] f = line.split("\t", -1);
        if (f.length > 1 && !f[1].isEmpty() && !f[1].equals("payment_account")) {
          out.add(f[1]);
        }
      }
    }
    for (int i = 0; i < syntheticUsers; i++) {
      out.add("2088" + String.format("%012d", i));
    }
    if (out.isEmpty()) {
      for (int i = 0; i < 10_000; i++) {
        out.add("2099" + String.format("%012d", i));
      }
    }
    return out;
  }
}
