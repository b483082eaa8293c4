package io.crowdrank.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.proto.v1.EchoRequest;
import io.crowdrank.proto.v1.EchoResponse;
import io.crowdrank.proto.v1.EchoServiceGrpc;
import io.crowdrank.proto.v1.GetUserSegmentsRequest;
import io.crowdrank.proto.v1.ModelAdminServiceGrpc;
import io.crowdrank.proto.v1.ModelInfo;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.crowdrank.proto.v1.RecordEventsSummary;
import io.crowdrank.proto.v1.RollbackRequest;
import io.crowdrank.proto.v1.Segment;
import io.crowdrank.proto.v1.UserEvent;
import io.crowdrank.proto.v1.UserSegments;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The segments, event, reload, rollback and load commands against a recording gRPC server. */
class OperationsTest {
  final List<Object> received = new CopyOnWriteArrayList<>();
  final List<String> keys = new CopyOnWriteArrayList<>();
  Server server;
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  PrintStream stdout;

  @BeforeEach
  void start() throws Exception {
    ServerInterceptor recordKey =
        new ServerInterceptor() {
          @Override
          public <Q, A> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
            keys.add(headers.get(Cli.API_KEY));
            return next.startCall(call, headers);
          }
        };
    server =
        ServerBuilder.forPort(0)
            .addService(ServerInterceptors.intercept(new Ranking(), recordKey))
            .addService(ServerInterceptors.intercept(new Admin(), recordKey))
            .addService(new Echo())
            .build()
            .start();
    stdout = System.out;
    System.setOut(new PrintStream(out, true));
  }

  @AfterEach
  void stop() throws InterruptedException {
    System.setOut(stdout);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  final class Echo extends EchoServiceGrpc.EchoServiceImplBase {
    @Override
    public void echo(EchoRequest request, StreamObserver<EchoResponse> responses) {
      responses.onNext(EchoResponse.newBuilder().setPayload(request.getPayload()).build());
      responses.onCompleted();
    }
  }

  final class Ranking extends RankingServiceGrpc.RankingServiceImplBase {
    @Override
    public void rank(RankRequest request, StreamObserver<RankResponse> responses) {
      responses.onNext(RankResponse.newBuilder().setModelVersion(3).build());
      responses.onCompleted();
    }

    @Override
    public void getUserSegments(
        GetUserSegmentsRequest request, StreamObserver<UserSegments> responses) {
      received.add(request);
      responses.onNext(
          UserSegments.newBuilder()
              .setModelVersion(3)
              .addSegments(
                  Segment.newBuilder().setSegmentId("lunch_crowd").setName("Lunch").setSize(120))
              .build());
      responses.onCompleted();
    }

    @Override
    public StreamObserver<UserEvent> recordEvents(StreamObserver<RecordEventsSummary> responses) {
      return new StreamObserver<>() {
        @Override
        public void onNext(UserEvent e) {
          received.add(e);
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          responses.onNext(RecordEventsSummary.newBuilder().setAccepted(received.size()).build());
          responses.onCompleted();
        }
      };
    }
  }

  final class Admin extends ModelAdminServiceGrpc.ModelAdminServiceImplBase {
    @Override
    public void rollback(RollbackRequest request, StreamObserver<ModelInfo> responses) {
      received.add(request);
      responses.onNext(ModelInfo.newBuilder().setVersion(request.getVersion()).build());
      responses.onCompleted();
    }
  }

  int run(String... args) {
    return new CommandLine(new Cli()).execute(args);
  }

  String target() {
    return "127.0.0.1:" + server.getPort();
  }

  @Test
  void segments_sendsTheUserAndHostAppWithItsKey_andPrintsTheSegments() {
    int code =
        run(
            "segments",
            "--target",
            target(),
            "--api-key",
            "alipay=k1",
            "--payment-account",
            "2088001",
            "--host-app",
            "alipay");

    assertThat(code).isZero();
    GetUserSegmentsRequest r = (GetUserSegmentsRequest) received.get(0);
    assertThat(r.getUser().getPaymentAccount()).isEqualTo("2088001");
    assertThat(r.getHostApp()).isEqualTo("alipay");
    assertThat(keys).containsExactly("k1");
    assertThat(out.toString()).contains("1 segments (bundle v3)").contains("lunch_crowd");
  }

  @Test
  void event_streamsOneEventPerMiniProgram() {
    int code =
        run(
            "event",
            "--target",
            target(),
            "--api-key",
            "weibo=k2",
            "--social-account",
            "5001",
            "--host-app",
            "weibo",
            "--kind",
            "CLICK",
            "--mini-program",
            "mp1,mp2");

    assertThat(code).isZero();
    assertThat(received)
        .extracting(e -> ((UserEvent) e).getMiniProgramId())
        .containsExactly("mp1", "mp2");
    assertThat(((UserEvent) received.get(0)).getKind()).isEqualTo(UserEvent.Kind.CLICK);
    assertThat(out.toString()).contains("accepted 2, rejected 0");
  }

  @Test
  void rollback_sendsTheVersionWithTheAdminKey_andNeedsOne() {
    assertThat(run("rollback", "--target", target(), "--admin-key", "ops", "--version", "4"))
        .isZero();
    assertThat(((RollbackRequest) received.get(0)).getVersion()).isEqualTo(4);
    assertThat(keys).containsExactly("ops");
    assertThat(out.toString()).contains("rolled back: serving bundle v4");

    assertThat(run("rollback", "--target", target(), "--admin-key", "ops", "--version", "-1"))
        .isEqualTo(2);
    assertThat(run("reload", "--target", target(), "--admin-key", "")).isEqualTo(2);
  }

  @Test
  void load_compare_runsEchoThenRankEachRound_withCpuPerCall_andTheMedianRatio() {
    String[] load = {
      "load",
      "--target",
      target(),
      "--api-key",
      "alipay=k",
      "--rpc",
      "compare",
      "--rounds",
      "2",
      "--concurrency",
      "2",
      "--duration-seconds",
      "1",
      "--warmup-seconds",
      "0",
      "--server-pid",
      Long.toString(ProcessHandle.current().pid()),
      "--server-threads"
    };

    int code = run(load);

    String printed = out.toString();
    assertThat(code).isZero();
    assertThat(printed)
        .contains("round 1 echo closed: ", "round 1 rank closed: ", "round 2 rank closed: ")
        .contains("generator CPU", "server CPU", "round 2: rank / echo = ")
        .contains("rank / echo over 2 rounds: median ")
        .contains("  server CPU by thread, µs/call: ")
        .doesNotContain("round 3");
  }

  @Test
  void load_badCombinations_areUsageErrors() {
    assertThat(
            run("load", "--target", target(), "--rpc", "compare", "--mode", "open", "--rate", "10"))
        .isEqualTo(2);
    assertThat(run("load", "--target", target(), "--rpc", "compare", "--rounds", "0")).isEqualTo(2);
    assertThat(run("load", "--target", target(), "--server-pid", "2147483647")).isEqualTo(2);
    assertThat(run("load", "--target", target(), "--server-threads")).isEqualTo(2);
    assertThat(run("load", "--target", target(), "--rpc", "ranking")).isEqualTo(2);
  }
}
