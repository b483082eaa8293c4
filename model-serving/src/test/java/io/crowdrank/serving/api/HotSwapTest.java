package io.crowdrank.serving.api;

import static io.crowdrank.serving.api.OpenAuth.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.proto.v1.ModelAdminServiceGrpc;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.crowdrank.proto.v1.ReloadRequest;
import io.crowdrank.proto.v1.RollbackRequest;
import io.crowdrank.proto.v1.UserRef;
import io.crowdrank.ranking.RankingConfig;
import io.crowdrank.serving.bundle.BundleHolder;
import io.crowdrank.serving.bundle.FakeSource;
import io.crowdrank.serving.events.EventLog;
import io.crowdrank.serving.events.EventLogTest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Swaps and rollbacks through the admin service while clients rank without pause. */
class HotSwapTest {
  final FakeSource source = new FakeSource();
  final BundleHolder holder =
      new BundleHolder(
          source, "t", b -> {}, BundleHolder.WarmUp.searches(RankingConfig.DEFAULT_ANN_CANDIDATES));
  final CallExecutor calls = new CallExecutor(2, 1024, 8);
  Server server;
  ManagedChannel channel;

  @TempDir Path logDir;
  EventLog log;

  @BeforeEach
  void start() throws Exception {
    log = EventLogTest.open(logDir);
    RankingHandler ranking = TestHandlers.ranking(holder::served, log, Duration.ofSeconds(5));
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .executor(Executors.newFixedThreadPool(4))
            .addService(open(new RankingGrpcService(ranking, calls)))
            .addService(open(new AdminGrpcService(new AdminHandler(holder, ranking))))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
    source.publish();
    holder.refresh();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    calls.close();
    log.close();
  }

  ModelAdminServiceGrpc.ModelAdminServiceBlockingStub admin() {
    return ModelAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Test
  void reloadsAndRollbacks_underConcurrentLoad_failNoRequest() throws Exception {
    RankRequest request =
        RankRequest.newBuilder()
            .setUser(UserRef.newBuilder().setPaymentAccount("2088001"))
            .setHostApp("alipay")
            .setK(2)
            .build();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong answered = new AtomicLong();
    Set<Long> versionsSeen = ConcurrentHashMap.newKeySet();
    ExecutorService clients = Executors.newFixedThreadPool(4);
    List<Future<?>> load = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      load.add(
          clients.submit(
              () -> {
                var stub = RankingServiceGrpc.newBlockingStub(channel);
                while (running.get()) {
                  RankResponse r = stub.withDeadlineAfter(5, TimeUnit.SECONDS).rank(request);
                  assertThat(r.getItemsCount()).isEqualTo(2);
                  versionsSeen.add(r.getModelVersion());
                  answered.incrementAndGet();
                }
                return null;
              }));
    }

    for (int v = 1; v <= 10; v++) {
      source.publish();
      assertThat(admin().reload(ReloadRequest.getDefaultInstance()).getVersion()).isEqualTo(v);
      if (v % 3 == 0) {
        assertThat(admin().rollback(RollbackRequest.getDefaultInstance()).getVersion())
            .isEqualTo(v - 1);
      }
    }
    running.set(false);
    for (Future<?> f : load) {
      f.get(30, TimeUnit.SECONDS); // rethrows any failed call
    }
    clients.shutdown();

    assertThat(answered.get()).isPositive();
    assertThat(versionsSeen).allSatisfy(v -> assertThat(v).isBetween(0L, 10L));
  }

  @Test
  void rollback_withoutEarlierVersion_isFailedPrecondition_andMissingVersion_notFound() {
    assertThatThrownBy(() -> admin().rollback(RollbackRequest.getDefaultInstance()))
        .hasMessageContaining("FAILED_PRECONDITION: bundle version 0 is the first");
    assertThatThrownBy(() -> admin().rollback(RollbackRequest.newBuilder().setVersion(7).build()))
        .hasMessageContaining("NOT_FOUND: cannot serve version 7");
    assertThatThrownBy(() -> admin().rollback(RollbackRequest.newBuilder().setVersion(-1).build()))
        .hasMessageContaining("INVALID_ARGUMENT: version must be >= 0");
  }
}
