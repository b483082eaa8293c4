package io.crowdrank.tools;

import com.google.protobuf.Timestamp;
import io.crowdrank.proto.v1.GetUserSegmentsRequest;
import io.crowdrank.proto.v1.ModelAdminServiceGrpc;
import io.crowdrank.proto.v1.ModelInfo;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.crowdrank.proto.v1.RecordEventsSummary;
import io.crowdrank.proto.v1.ReloadRequest;
import io.crowdrank.proto.v1.RollbackRequest;
import io.crowdrank.proto.v1.Segment;
import io.crowdrank.proto.v1.UserEvent;
import io.crowdrank.proto.v1.UserRef;
import io.crowdrank.proto.v1.UserSegments;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Client commands beside ranking: a user's segments, feedback events, and the admin calls. */
final class Operations {
  private Operations() {}

  /** Exactly one way to name the user. */
  static final class User {
    @Option(names = "--payment-account", description = "Payment-platform account id.")
    String payment;

    @Option(names = "--social-account", description = "Social-network account id.")
    String social;

    @Option(names = "--shared-id", description = "Pseudonymous crowdrank user id.")
    String shared;

    UserRef ref() {
      UserRef.Builder ref = UserRef.newBuilder();
      if (payment != null) {
        ref.setPaymentAccount(payment);
      } else if (social != null) {
        ref.setSocialAccount(social);
      } else {
        ref.setSharedId(shared);
      }
      return ref.build();
    }
  }

  @Command(
      name = "segments",
      mixinStandardHelpOptions = true,
      description = "List the audience segments a user belongs to (GetUserSegments).")
  static final class Segments implements Callable<Integer> {
    @CommandLine.Mixin Cli.Target target;

    @ArgGroup(exclusive = true, multiplicity = "1")
    User user;

    @Option(names = "--host-app", required = true, description = "The calling host app.")
    String hostApp;

    @Option(
        names = "--merchant",
        defaultValue = "",
        description = "Only platform segments and this merchant's.")
    String merchant;

    @Override
    public Integer call() {
      ManagedChannel channel = target.open();
      try {
        UserSegments s =
            target
                .ranking(channel, hostApp)
                .getUserSegments(
                    GetUserSegmentsRequest.newBuilder()
                        .setUser(user.ref())
                        .setHostApp(hostApp)
                        .setMerchantId(merchant)
                        .build());
        System.out.printf("%d segments (bundle v%d)%n", s.getSegmentsCount(), s.getModelVersion());
        for (Segment g : s.getSegmentsList()) {
          System.out.printf(
              Locale.ROOT,
              "  %-28s %-32s %-10s %,d members%n",
              g.getSegmentId(),
              g.getName(),
              g.getMerchantId().isEmpty() ? "platform" : g.getMerchantId(),
              g.getSize());
        }
        return 0;
      } finally {
        Cli.close(channel);
      }
    }
  }

  @Command(
      name = "event",
      mixinStandardHelpOptions = true,
      description =
          "Send feedback events (RecordEvents): the user saw, clicked or used mini-programs.")
  static final class Event implements Callable<Integer> {
    @CommandLine.Mixin Cli.Target target;

    @ArgGroup(exclusive = true, multiplicity = "1")
    User user;

    @Option(names = "--host-app", required = true, description = "The calling host app.")
    String hostApp;

    @Option(
        names = "--kind",
        required = true,
        description = "impression, click or use (one per mini-program).")
    UserEvent.Kind kind;

    @Option(
        names = "--mini-program",
        required = true,
        split = ",",
        description = "Mini-program ids, comma-separated.")
    List<String> miniPrograms;

    @Option(names = "--at", description = "Event time, ISO-8601 UTC (default now).")
    Instant at;

    @Override
    public Integer call() throws InterruptedException, ExecutionException, TimeoutException {
      ManagedChannel channel = target.open();
      try {
        List<UserEvent> events = new java.util.ArrayList<>();
        for (String mp : miniPrograms) {
          UserEvent.Builder e =
              UserEvent.newBuilder()
                  .setUser(user.ref())
                  .setHostApp(hostApp)
                  .setMiniProgramId(mp)
                  .setKind(kind);
          if (at != null) {
            e.setEventTime(
                Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()));
          }
          events.add(e.build());
        }
        RecordEventsSummary s = send(target, channel, hostApp, events);
        System.out.printf("accepted %d, rejected %d%n", s.getAccepted(), s.getRejected());
        s.getErrorsList().forEach(err -> System.out.println("  " + err));
        return s.getRejected() == 0 ? 0 : 1;
      } finally {
        Cli.close(channel);
      }
    }
  }

  /**
   * Streams events of one host app and waits for the summary, which the service sends once they are
   * on its disk.
   *
   * @throws StatusRuntimeException the call's status when the service refused or failed it
   */
  static RecordEventsSummary send(
      Cli.Target target, ManagedChannel channel, String hostApp, List<UserEvent> events)
      throws InterruptedException, ExecutionException, TimeoutException {
    CompletableFuture<RecordEventsSummary> summary = new CompletableFuture<>();
    StreamObserver<UserEvent> stream =
        RankingServiceGrpc.newStub(channel)
            .withDeadlineAfter(target.deadlineMs, TimeUnit.MILLISECONDS)
            .withInterceptors(target.keyInterceptor(hostApp))
            .recordEvents(
                new StreamObserver<>() {
                  @Override
                  public void onNext(RecordEventsSummary s) {
                    summary.complete(s);
                  }

                  @Override
                  public void onError(Throwable t) {
                    summary.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    events.forEach(stream::onNext);
    stream.onCompleted();
    try {
      return summary.get(target.deadlineMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r; // a gRPC status: the CLI prints it
      }
      throw e;
    }
  }

  /** The admin key, from --admin-key or CROWDRANK_ADMIN_KEY. */
  static final class Admin {
    @Option(
        names = "--admin-key",
        defaultValue = "${env:CROWDRANK_ADMIN_KEY}",
        description = "Admin key (default: env CROWDRANK_ADMIN_KEY).")
    String key;

    ModelAdminServiceGrpc.ModelAdminServiceBlockingStub stub(
        ManagedChannel channel, Cli.Target target, CommandLine cmd) {
      if (key == null || key.isEmpty()) {
        throw new CommandLine.ParameterException(
            cmd, "an admin key is needed: --admin-key or CROWDRANK_ADMIN_KEY");
      }
      Metadata m = new Metadata();
      m.put(Cli.API_KEY, key);
      // A reload builds the new bundle's index: give it longer than a ranking call.
      return ModelAdminServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(Math.max(target.deadlineMs, 120_000), TimeUnit.MILLISECONDS)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m));
    }
  }

  static void print(String what, ModelInfo info) {
    System.out.printf(
        "%s: serving bundle v%d (published %s, %d items, %d users)%n",
        what,
        info.getVersion(),
        Instant.ofEpochSecond(info.getCreatedTime().getSeconds()),
        info.getItemCount(),
        info.getUserCount());
  }

  @Command(
      name = "reload",
      mixinStandardHelpOptions = true,
      description = "Admin: load the newest published bundle now (and end a rollback).")
  static final class Reload implements Callable<Integer> {
    @CommandLine.Mixin Cli.Target target;
    @CommandLine.Mixin Admin admin;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      ManagedChannel channel = target.open();
      try {
        print(
            "reloaded",
            admin
                .stub(channel, target, spec.commandLine())
                .reload(ReloadRequest.getDefaultInstance()));
        return 0;
      } finally {
        Cli.close(channel);
      }
    }
  }

  @Command(
      name = "rollback",
      mixinStandardHelpOptions = true,
      description = "Admin: serve the previous bundle (or --version) until the next publish.")
  static final class Rollback implements Callable<Integer> {
    @CommandLine.Mixin Cli.Target target;
    @CommandLine.Mixin Admin admin;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--version", description = "Bundle version to serve (default: the previous).")
    Long version;

    @Override
    public Integer call() {
      RollbackRequest.Builder r = RollbackRequest.newBuilder();
      if (version != null) {
        if (version < 0) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--version must be >= 0");
        }
        r.setVersion(version);
      }
      ManagedChannel channel = target.open();
      try {
        print("rolled back", admin.stub(channel, target, spec.commandLine()).rollback(r.build()));
        return 0;
      } finally {
        Cli.close(channel);
      }
    }
  }
}
