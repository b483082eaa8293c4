package io.crowdrank.serving.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.format.UserBuckets;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.crowdrank.proto.v1.UserRef;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.ranking.bundle.TestBundles;
import io.crowdrank.serving.api.CallExecutor;
import io.crowdrank.serving.api.RankingGrpcService;
import io.crowdrank.serving.api.RankingHandler;
import io.crowdrank.serving.api.TestHandlers;
import io.crowdrank.serving.auth.ApiKeyInterceptor;
import io.crowdrank.serving.auth.ApiKeys;
import io.crowdrank.serving.auth.WarmUpKey;
import io.crowdrank.serving.bundle.ServedBundles;
import io.crowdrank.serving.events.EventLog;
import io.crowdrank.serving.events.EventLogTest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replica's calls to itself, over a real port, with the service's own interceptor. */
class WarmUpCallsTest {
  @TempDir Path logDir;

  final AtomicReference<ModelBundle> served = new AtomicReference<>();
  final WarmUpKey key = WarmUpKey.generate();
  final CallExecutor calls = new CallExecutor(2, 1024, 8);
  EventLog log;
  Server server;

  static ModelBundle bundle(UserBuckets.Shard shard) {
    return TestBundles.version(3, 2)
        .item("coffee", "coffee_tea", List.of("alipay", "weibo"), List.of(), 1f, 0f)
        .item("travel", "travel", List.of("alipay", "amap"), List.of(), 0f, 1f)
        .user("u1", "2088001", "5001", null, 1f, 0f)
        .popular("travel", "alipay", "*", 1.0)
        .shard(shard)
        .build();
  }

  int start() throws Exception {
    log = EventLogTest.open(logDir);
    RankingHandler handler =
        TestHandlers.ranking(
            () -> Optional.ofNullable(served.get()).map(b -> new ServedBundles(b, Map.of())),
            log,
            Duration.ofSeconds(5));
    ApiKeyInterceptor auth =
        ApiKeyInterceptor.configured(
                true, Map.of(ApiKeys.sha256("alipay-secret"), "alipay"), List.of())
            .withWarmUp(key);
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(ServerInterceptors.intercept(new RankingGrpcService(handler, calls), auth))
            .build()
            .start();
    return server.getPort();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    calls.close();
    if (log != null) {
      log.close();
    }
  }

  @Test
  void run_ranksThroughThePort_logsNothing_andRetiresTheKey() throws Exception {
    int port = start();
    served.set(bundle(UserBuckets.Shard.ALL));

    WarmUpCalls.Result r =
        WarmUpCalls.run(
            served.get(), port, key, new WarmUpCalls.Settings(40, Duration.ofMinutes(1)));

    // Three in four for the bundle's one known user, ranked as theirs; the rest made up, unknown.
    assertThat(r.sent()).isEqualTo(40);
    assertThat(r.answered())
        .containsExactlyInAnyOrderEntriesOf(Map.of("personalized", 30, "popular", 10));
    assertThat(r.failed()).isEmpty();
    // A host app's call afterwards is logged; the key no longer gets in.
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      rank(channel, "alipay-secret");
      assertThatThrownBy(() -> rank(channel, key.value()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    } finally {
      channel.shutdownNow();
    }
    log.close();
    assertThat(EventLogTest.read(logDir)).hasSize(1);
  }

  @Test
  void run_onAShard_usesOnlyThatShardsUsers() throws Exception {
    int port = start();
    served.set(bundle(UserBuckets.Shard.parse("1/4")));

    WarmUpCalls.Result r =
        WarmUpCalls.run(
            served.get(), port, key, new WarmUpCalls.Settings(20, Duration.ofMinutes(1)));

    // Another shard's user would be FAILED_PRECONDITION.
    assertThat(r.answeredCount()).isEqualTo(20);
    assertThat(r.failed()).isEmpty();
  }

  @Test
  void run_withNothingListening_givesUpWithinItsBudget_andRetiresTheKey() throws Exception {
    int port;
    try (var socket = new java.net.ServerSocket(0)) {
      port = socket.getLocalPort();
    }

    WarmUpCalls.Result r =
        WarmUpCalls.run(
            bundle(UserBuckets.Shard.ALL),
            port,
            key,
            new WarmUpCalls.Settings(5, Duration.ofSeconds(1)));

    assertThat(r.answeredCount()).isZero();
    assertThat(r.millis()).isLessThan(10_000);
    assertThat(key.value()).isNotEmpty();
    start();
    served.set(bundle(UserBuckets.Shard.ALL));
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    try {
      assertThatThrownBy(() -> rank(channel, key.value()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getDescription()).isEqualTo("unknown API key"));
    } finally {
      channel.shutdownNow();
    }
  }

  static void rank(ManagedChannel channel, String apiKey) {
    Metadata m = new Metadata();
    m.put(ApiKeyInterceptor.API_KEY, apiKey);
    RankingServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m))
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .rank(
            RankRequest.newBuilder()
                .setUser(UserRef.newBuilder().setPaymentAccount("2088001"))
                .setHostApp("alipay")
                .build());
  }
}
