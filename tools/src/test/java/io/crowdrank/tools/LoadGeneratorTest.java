package io.crowdrank.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.SettableFuture;
import com.google.protobuf.ByteString;
import io.crowdrank.proto.v1.EchoRequest;
import io.crowdrank.proto.v1.EchoResponse;
import io.crowdrank.proto.v1.EchoServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LoadGeneratorTest {
  Server server;
  ManagedChannel channel;
  final AtomicLong served = new AtomicLong();

  /** Echoes, except that every tenth call fails UNAVAILABLE when the payload says "flaky". */
  final class Echo extends EchoServiceGrpc.EchoServiceImplBase {
    @Override
    public void echo(EchoRequest request, StreamObserver<EchoResponse> responses) {
      long n = served.incrementAndGet();
      if (request.getPayload().toStringUtf8().equals("flaky") && n % 10 == 0) {
        responses.onError(Status.UNAVAILABLE.asException());
        return;
      }
      responses.onNext(EchoResponse.newBuilder().setPayload(request.getPayload()).build());
      responses.onCompleted();
    }
  }

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(new Echo()).build().start();
    // As the load command's channel: answers handled on the transport's threads.
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  LoadGenerator.Report run(String payload, LoadGenerator.Options o) throws InterruptedException {
    var stub = EchoServiceGrpc.newFutureStub(channel);
    EchoRequest r = EchoRequest.newBuilder().setPayload(ByteString.copyFromUtf8(payload)).build();
    return new LoadGenerator().run(() -> stub.withDeadlineAfter(5, TimeUnit.SECONDS).echo(r), o);
  }

  @Test
  void closedLoop_countsEveryAnsweredRequest_afterTheWarmUp() throws Exception {
    LoadGenerator.Report r =
        run(
            "ping",
            new LoadGenerator.Options(
                LoadGenerator.Mode.CLOSED, 0, 2, Duration.ofSeconds(1), Duration.ofMillis(200)));

    assertThat(r.requests()).isPositive().isLessThan(served.get());
    assertThat(r.errors()).isZero();
    assertThat(r.p50Ms()).isPositive().isLessThanOrEqualTo(r.p99Ms());
    assertThat(r.p99Ms()).isLessThanOrEqualTo(r.maxMs());
    assertThat(r.line()).startsWith("closed: ").contains("QPS").contains("p99.9");
  }

  @Test
  void cpuClocks_readAtTheMeasuredWindowsEnds_perAnsweredCall() throws Exception {
    var stub = EchoServiceGrpc.newFutureStub(channel);
    EchoRequest r = EchoRequest.newBuilder().setPayload(ByteString.copyFromUtf8("ping")).build();
    // A clock that runs with the wall clock: its reading over the window is the window.
    LoadGenerator.Report report =
        new LoadGenerator()
            .run(
                () -> stub.withDeadlineAfter(5, TimeUnit.SECONDS).echo(r),
                new LoadGenerator.Options(
                    LoadGenerator.Mode.CLOSED, 0, 2, Duration.ofSeconds(1), Duration.ofMillis(300)),
                List.of(new LoadGenerator.CpuClock("wall", System::nanoTime)));

    double window = report.cpuMicrosPerCall().get("wall") * report.requests();
    assertThat(window).isBetween(0.9e6, 1.2e6);
    assertThat(report.line()).contains("; wall CPU ").contains(" µs/call");
  }

  @Test
  void threads_listAProcesssGroupsLargestFirst_andTheLineLeavesThemOut() {
    var cpu = new java.util.LinkedHashMap<String, Double>();
    cpu.put("generator", 20.0);
    cpu.put("server", 96.4);
    cpu.put("server/vert.x-eventloo", 19.2);
    cpu.put("server/crowdrank-call-", 68.2);
    cpu.put("server/GC Thread#", 0.3);
    cpu.put("servers/other", 50.0);
    LoadGenerator.Report report =
        new LoadGenerator.Report(
            LoadGenerator.Mode.CLOSED,
            0,
            1000,
            0,
            java.util.Map.of(),
            1,
            1000,
            1,
            2,
            3,
            4,
            cpu,
            List.of());

    assertThat(report.threads("server")).isEqualTo("crowdrank-call- 68, vert.x-eventloo 19");
    assertThat(report.threads("generator")).isEmpty();
    assertThat(report.line())
        .endsWith("; generator CPU 20 µs/call; server CPU 96 µs/call")
        .doesNotContain("crowdrank-call-");
  }

  @Test
  void openLoop_sendsOnScheduleAndCountsErrorsByStatus() throws Exception {
    LoadGenerator.Report r =
        run(
            "flaky",
            new LoadGenerator.Options(
                LoadGenerator.Mode.OPEN, 200, 50, Duration.ofSeconds(1), Duration.ZERO));

    // 200 due in the second: all sent, one in ten refused by the server.
    assertThat(r.requests()).isBetween(195L, 201L);
    assertThat(r.errorsByStatus()).containsOnlyKeys("UNAVAILABLE");
    assertThat(r.errors()).isBetween(15L, 25L);
  }

  /**
   * An open loop at 100/s: the n-th request is due n × 10 ms after the start, so with nothing shed
   * request n is the n-th call. Requests 100-199 (the first measured second) answer after 600 ms,
   * the rest at once.
   */
  @Test
  void timeline_countsEachSecondByWhenItsRequestsWereDue_andShowsTheSlowOne() throws Exception {
    ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    AtomicInteger n = new AtomicInteger();
    try {
      LoadGenerator.Report r =
          new LoadGenerator()
              .run(
                  () -> {
                    int call = n.getAndIncrement();
                    if (call < 100 || call >= 200) {
                      return Futures.immediateFuture(null);
                    }
                    SettableFuture<Object> f = SettableFuture.create();
                    later.schedule(() -> f.set(null), 600, TimeUnit.MILLISECONDS);
                    return f;
                  },
                  new LoadGenerator.Options(
                      LoadGenerator.Mode.OPEN,
                      100,
                      100,
                      Duration.ofSeconds(2),
                      Duration.ofSeconds(1)));

      List<Timeline.Second> t = r.timeline();
      assertThat(t).extracting(Timeline.Second::measured).containsExactly(false, true, true);
      assertThat(t).extracting(Timeline.Second::due).containsExactly(100L, 100L, 100L);
      assertThat(t).extracting(Timeline.Second::answered).containsExactly(100L, 100L, 100L);
      assertThat(t).extracting(Timeline.Second::shed).containsOnly(0L);
      assertThat(t.get(1).epochMillis() - t.get(0).epochMillis()).isEqualTo(1000);
      assertThat(t.get(1).p50Ms()).isBetween(600.0, 1000.0);
      assertThat(t.get(0).maxMs()).isLessThan(300);
      assertThat(t.get(2).maxMs()).isLessThan(300);
      // The measured seconds are the report's window.
      assertThat(t.get(1).answered() + t.get(2).answered()).isEqualTo(r.requests());
      assertThat(r.maxMs())
          .isCloseTo(t.get(1).maxMs(), org.assertj.core.data.Percentage.withPercentage(1));
      assertThat(Timeline.worst(t, 1)).startsWith("  second 1 (epoch ms " + t.get(1).epochMillis());
      String[] csv = Timeline.csv(t).split("\n");
      assertThat(csv).hasSize(4);
      assertThat(csv[0]).startsWith("second,measured,epoch_ms,due,shed,answered,errors,p50_ms");
      assertThat(csv[2]).startsWith("1,true," + t.get(1).epochMillis() + ",100,0,100,0,");
    } finally {
      later.shutdownNow();
    }
  }

  @Test
  void timeline_shedRequests_areTheReportsClientOverloads() throws Exception {
    ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    try {
      // 100 due in the second, each answering after 200 ms, at most 5 in flight.
      LoadGenerator.Report r =
          new LoadGenerator()
              .run(
                  () -> {
                    SettableFuture<Object> f = SettableFuture.create();
                    later.schedule(() -> f.set(null), 200, TimeUnit.MILLISECONDS);
                    return (ListenableFuture<?>) f;
                  },
                  new LoadGenerator.Options(
                      LoadGenerator.Mode.OPEN, 100, 5, Duration.ofSeconds(1), Duration.ZERO));

      Timeline.Second s = r.timeline().get(0);
      assertThat(r.timeline()).hasSize(1);
      assertThat(s.due()).isEqualTo(100);
      assertThat(s.shed()).isPositive().isEqualTo(r.errorsByStatus().get("CLIENT_OVERLOADED"));
      assertThat(s.answered()).isEqualTo(r.requests() - r.errors()).isEqualTo(100 - s.shed());
    } finally {
      later.shutdownNow();
    }
  }

  @Test
  void options_areBounded() {
    assertThatThrownBy(
            () ->
                new LoadGenerator.Options(
                    LoadGenerator.Mode.OPEN, 0, 1, Duration.ofSeconds(1), Duration.ZERO))
        .hasMessageContaining("rate > 0");
    assertThatThrownBy(
            () ->
                new LoadGenerator.Options(
                    LoadGenerator.Mode.CLOSED, 500, 1, Duration.ofSeconds(1), Duration.ZERO))
        .hasMessageContaining("--mode open");
    assertThatThrownBy(
            () ->
                new LoadGenerator.Options(
                    LoadGenerator.Mode.CLOSED, 0, 1, Duration.ofSeconds(601), Duration.ZERO))
        .hasMessageContaining("1..600 s");
  }
}
