package io.crowdrank.tools;

import com.google.protobuf.Timestamp;
import io.crowdrank.proto.v1.GetModelInfoRequest;
import io.crowdrank.proto.v1.ModelInfo;
import io.crowdrank.proto.v1.RankContext;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.crowdrank.proto.v1.UserRef;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * grpc-java command-line client of the ranking service. Exit codes: 0 ok, 1 call failed, 2 usage.
 */
@Command(
    name = "crowdrank-client",
    mixinStandardHelpOptions = true,
    description = "Talk to a running crowdrank ranking service over gRPC.",
    subcommands = {
      Cli.Rank.class,
      Cli.Info.class,
      Operations.Segments.class,
      Operations.Event.class,
      Operations.Reload.class,
      Operations.Rollback.class,
      Cli.WaitServing.class,
      Cli.FreePort.class,
      DemoWalkthrough.class,
      Simulation.class,
      Load.class
    })
public final class Cli implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Held so the setting sticks: grpc-netty logs transport details at INFO through JUL. */
  private static final java.util.logging.Logger GRPC_LOG =
      java.util.logging.Logger.getLogger("io.grpc");

  public static void main(String[] args) {
    GRPC_LOG.setLevel(java.util.logging.Level.WARNING);
    System.exit(
        new CommandLine(new Cli())
            .setExecutionExceptionHandler(
                (e, cmd, parsed) -> {
                  if (e instanceof StatusRuntimeException s) {
                    cmd.getErr()
                        .println(
                            "crowdrank: "
                                + s.getStatus().getCode()
                                + ": "
                                + s.getStatus().getDescription());
                  } else {
                    cmd.getErr().println("crowdrank: " + e);
                  }
                  return 1;
                })
            .execute(args));
  }

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }

  static final Metadata.Key<String> API_KEY =
      Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);

  /** Connection options shared by every command. */
  static final class Target {
    @Option(
        names = "--target",
        required = true,
        description = "Service address HOST:PORT, e.g. 127.0.0.1:9000.")
    String target;

    @Option(
        names = "--deadline-ms",
        defaultValue = "2000",
        description = "Deadline per call (default ${DEFAULT-VALUE} ms).")
    long deadlineMs;

    @Option(
        names = "--api-key",
        split = ",",
        paramLabel = "HOST_APP=KEY",
        defaultValue = "${env:CROWDRANK_API_KEYS}",
        description =
            "The host apps' API keys, sent as x-api-key metadata (default: env CROWDRANK_API_KEYS,"
                + " e.g. alipay=KEY1,weibo=KEY2).")
    Map<String, String> apiKeys = new LinkedHashMap<>();

    ManagedChannel open() {
      return ManagedChannelBuilder.forTarget(target).usePlaintext().build();
    }

    /**
     * The load generator's channel: answers handled on the transport's own threads, as grpc-java's
     * benchmark client does (no hand-off to an executor per call; only for callbacks that never
     * block), and no retries, so that every failure is counted as one and no call pays for the
     * retry bookkeeping.
     */
    ManagedChannel openDirect() {
      return ManagedChannelBuilder.forTarget(target)
          .usePlaintext()
          .directExecutor()
          .disableRetry()
          .build();
    }

    /** A stub with a deadline and the host app's key (any key when the call has no host app). */
    RankingServiceGrpc.RankingServiceBlockingStub ranking(ManagedChannel channel, String hostApp) {
      return RankingServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
          .withInterceptors(keyInterceptor(hostApp));
    }

    /** Sends the host app's API key as x-api-key metadata (nothing when there is none). */
    ClientInterceptor keyInterceptor(String hostApp) {
      String key =
          hostApp != null
              ? apiKeys.get(hostApp)
              : apiKeys.values().stream().findFirst().orElse(null);
      Metadata m = new Metadata();
      if (key != null) {
        m.put(API_KEY, key);
      }
      return MetadataUtils.newAttachHeadersInterceptor(m);
    }
  }

  static void close(ManagedChannel channel) {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Command(
      name = "rank",
      mixinStandardHelpOptions = true,
      description = "Rank mini-programs for one user.")
  static final class Rank implements Callable<Integer> {
    @CommandLine.Mixin Target target;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Operations.User user;

    @Option(
        names = "--host-app",
        required = true,
        description = "alipay, weibo, tmall, koubei, autonavi or dingtalk.")
    String hostApp;

    @Option(
        names = "--k",
        defaultValue = "10",
        description = "How many (default ${DEFAULT-VALUE}).")
    int k;

    @Option(
        names = "--city",
        description = "City id, e.g. hangzhou (default: the user's home city).")
    String city;

    @Option(
        names = "--at",
        description = "Event time, ISO-8601 UTC, e.g. 2026-11-25T04:00:00Z (default now).")
    Instant at;

    @Override
    public Integer call() {
      ManagedChannel channel = target.open();
      try {
        RankResponse r =
            target.ranking(channel, hostApp).rank(request(user.ref(), hostApp, k, city, at));
        System.out.print(Printing.ranking(r));
        return 0;
      } finally {
        close(channel);
      }
    }
  }

  static RankRequest request(UserRef user, String hostApp, int k, String city, Instant at) {
    RankContext.Builder ctx = RankContext.newBuilder();
    if (city != null) {
      ctx.setCity(city);
    }
    if (at != null) {
      ctx.setEventTime(
          Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()));
    }
    return RankRequest.newBuilder()
        .setUser(user)
        .setHostApp(hostApp)
        .setK(k)
        .setContext(ctx)
        .build();
  }

  @Command(
      name = "info",
      mixinStandardHelpOptions = true,
      description = "Show the served model bundle.")
  static final class Info implements Callable<Integer> {
    @CommandLine.Mixin Target target;

    @Override
    public Integer call() {
      ManagedChannel channel = target.open();
      try {
        ModelInfo info =
            target.ranking(channel, null).getModelInfo(GetModelInfoRequest.getDefaultInstance());
        System.out.printf(
            "version %d, created %s, %d items, %d users%n%s%n",
            info.getVersion(),
            Instant.ofEpochSecond(info.getCreatedTime().getSeconds()),
            info.getItemCount(),
            info.getUserCount(),
            info.getManifestJson());
        return 0;
      } finally {
        close(channel);
      }
    }
  }

  @Command(
      name = "wait-serving",
      mixinStandardHelpOptions = true,
      description = "Wait until gRPC health reports SERVING (a model bundle is loaded).")
  static final class WaitServing implements Callable<Integer> {
    @CommandLine.Mixin Target target;

    @Option(
        names = "--timeout-seconds",
        defaultValue = "60",
        description = "Give up after (default ${DEFAULT-VALUE} s).")
    long timeoutSeconds;

    @Override
    public Integer call() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
      ManagedChannel channel = target.open();
      try {
        String last = "no answer";
        while (System.nanoTime() < deadline) {
          try {
            HealthCheckResponse r =
                HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(target.deadlineMs, TimeUnit.MILLISECONDS)
                    .check(
                        HealthCheckRequest.newBuilder()
                            .setService(RankingServiceGrpc.SERVICE_NAME)
                            .build());
            if (r.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
              return 0;
            }
            last = r.getStatus().name();
          } catch (StatusRuntimeException e) {
            last = e.getStatus().getCode().name();
          }
          Thread.sleep(250);
        }
        System.err.println(
            "crowdrank: "
                + target.target
                + " not SERVING after "
                + timeoutSeconds
                + " s (last: "
                + last
                + ")");
        return 1;
      } finally {
        close(channel);
      }
    }
  }

  @Command(
      name = "free-port",
      mixinStandardHelpOptions = true,
      description = "Print a TCP port that is free on 127.0.0.1 right now.")
  static final class FreePort implements Callable<Integer> {
    @Override
    public Integer call() throws java.io.IOException {
      try (java.net.ServerSocket s =
          new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        System.out.println(s.getLocalPort());
      }
      return 0;
    }
  }
}
