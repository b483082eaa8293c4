package io.crowdrank.serving.api;

import static io.crowdrank.serving.api.OpenAuth.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.format.Experiments;
import io.crowdrank.format.ServingLogFormat;
import io.crowdrank.proto.v1.GetModelInfoRequest;
import io.crowdrank.proto.v1.GetUserSegmentsRequest;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.crowdrank.proto.v1.RecordEventsSummary;
import io.crowdrank.proto.v1.Segment;
import io.crowdrank.proto.v1.UserEvent;
import io.crowdrank.proto.v1.UserRef;
import io.crowdrank.proto.v1.UserSegments;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.ranking.bundle.TestBundles;
import io.crowdrank.ranking.bundle.UserStore.IdType;
import io.crowdrank.serving.bundle.ServedBundles;
import io.crowdrank.serving.events.EventLog;
import io.crowdrank.serving.events.EventLogTest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service over a real in-process gRPC transport: statuses, responses, bundle swaps. */
class RankingGrpcServiceTest {
  final AtomicReference<ModelBundle> served = new AtomicReference<>();

  /** Versions served beside {@link #served} for its experiments' variants. */
  final Map<Long, ModelBundle> sideBySide = new java.util.concurrent.ConcurrentHashMap<>();

  final CallExecutor calls = new CallExecutor(2, 1024, 8);
  Server server;
  ManagedChannel channel;
  RankingHandler endpoint;

  @TempDir Path logDir;
  EventLog log;
  Duration ackTimeout = Duration.ofSeconds(5);

  @BeforeEach
  void start() throws Exception {
    if (log == null) {
      log = EventLogTest.open(logDir);
    }
    String name = InProcessServerBuilder.generateName();
    endpoint =
        TestHandlers.ranking(
            () -> Optional.ofNullable(served.get()).map(b -> new ServedBundles(b, sideBySide)),
            log,
            ackTimeout);
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                io.grpc.ServerInterceptors.intercept(
                    open(new RankingGrpcService(endpoint, calls)),
                    new ShardHeaderInterceptor(() -> Optional.ofNullable(served.get()))))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow();
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
    calls.close();
    log.close();
  }

  RankingServiceGrpc.RankingServiceBlockingStub stub() {
    return RankingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
  }

  static ModelBundle bundle(long version) {
    return TestBundles.version(version, 2)
        .item("coffee", "coffee_tea", List.of("alipay"), List.of(), 1f, 0f)
        .item("travel", "travel", List.of("alipay"), List.of(), 0f, 1f)
        .item("hotel", "hotel", List.of("alipay"), List.of(), 0.5f, 0.5f)
        .user("u1", "2088001", "5001", null, 1f, 0f)
        .popular("travel", "alipay", "*", 1.0)
        .build();
  }

  static RankRequest request(String account) {
    return RankRequest.newBuilder()
        .setUser(UserRef.newBuilder().setPaymentAccount(account))
        .setHostApp("alipay")
        .setK(2)
        .build();
  }

  @Test
  void rank_beforeAnyBundle_isUnavailable() {
    assertThatThrownBy(() -> stub().rank(request("2088001")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription()).contains("no model bundle loaded");
            });
    assertThatThrownBy(() -> stub().getModelInfo(GetModelInfoRequest.getDefaultInstance()))
        .hasMessageContaining("UNAVAILABLE");
  }

  @Test
  void rank_knownUser_answersPersonalizedWithVersionAndReasons() {
    served.set(bundle(7));

    RankResponse r = stub().rank(request("2088001"));

    assertThat(r.getModelVersion()).isEqualTo(7);
    assertThat(r.getStrategy()).isEqualTo("personalized");
    assertThat(r.getItemsList())
        .extracting(i -> i.getMiniProgramId())
        .containsExactly("coffee", "hotel");
    // No lifts in the bundle (no hour worth naming), no city: the reason of the taste alone.
    assertThat(r.getItems(0).getReasonsList())
        .containsExactly("people with tastes like yours use coffee tea here");
    assertThat(r.getItems(0).getName()).isEqualTo("Name of coffee");
    assertThat(r.getItems(0).getCategory()).isEqualTo("coffee_tea");
  }

  @Test
  void rank_unknownUser_isNotAnError() {
    served.set(bundle(7));

    RankResponse r = stub().rank(request("2099"));

    assertThat(r.getStrategy()).isEqualTo("popular");
    assertThat(r.getItems(0).getMiniProgramId()).isEqualTo("travel");
  }

  @Test
  void rank_badRequest_isInvalidArgumentWithDescription() {
    served.set(bundle(7));

    assertThatThrownBy(
            () -> stub().rank(request("2088001").toBuilder().setHostApp("myspace").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("host_app 'myspace' is unknown");
            });
  }

  @Test
  void rank_callsRankedTogether_eachGetsItsOwnAnswer() {
    served.set(bundle(7));

    List<RankingHandler.Answer> answers =
        endpoint.rank(
            List.of(
                new RankingHandler.Call(request("2088001"), () -> false),
                new RankingHandler.Call(
                    request("2088001").toBuilder().setHostApp("myspace").build(), () -> false),
                new RankingHandler.Call(request("2088001"), () -> true),
                new RankingHandler.Call(request("2099"), () -> false)));

    assertThat(answers).hasSize(4);
    assertThat(answers.get(0).response().getItemsList())
        .extracting(i -> i.getMiniProgramId())
        .containsExactly("coffee", "hotel");
    assertThat(answers.get(1).error().getStatus().getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(answers.get(2).error().getStatus().getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(answers.get(3).response().getStrategy()).isEqualTo("popular");
    assertThat(answers.get(0).error()).isNull();
  }

  @Test
  void ranksTogether_onlyWhereTheScansCanBeShared_anExactCatalog() {
    assertThat(endpoint.ranksTogether()).isFalse();

    served.set(bundle(7));

    assertThat(endpoint.ranksTogether()).isTrue();
  }

  @Test
  void rank_serverOverloaded_isResourceExhaustedAtOnce() throws Exception {
    served.set(bundle(7));
    CallExecutor busy = new CallExecutor(1, 1, 8);
    String name = InProcessServerBuilder.generateName();
    Server overloaded =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(open(new RankingGrpcService(endpoint, busy)))
            .build()
            .start();
    ManagedChannel toIt = InProcessChannelBuilder.forName(name).directExecutor().build();
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try {
      // The only thread is busy and the only place in the queue taken.
      busy.execute(
          () -> {
            running.countDown();
            try {
              release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(busy.execute(() -> {})).isTrue();

      assertThatThrownBy(
              () ->
                  RankingServiceGrpc.newBlockingStub(toIt)
                      .withDeadlineAfter(5, TimeUnit.SECONDS)
                      .rank(request("2088001")))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                assertThat(e.getStatus().getDescription()).contains("server overloaded");
              });
    } finally {
      release.countDown();
      toIt.shutdownNow();
      overloaded.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      busy.close();
    }
  }

  @Test
  void getModelInfo_describesTheServedBundle_andFollowsASwap() {
    served.set(bundle(7));
    assertThat(stub().getModelInfo(GetModelInfoRequest.getDefaultInstance()).getVersion())
        .isEqualTo(7);

    served.set(bundle(8));
    var info = stub().getModelInfo(GetModelInfoRequest.getDefaultInstance());

    assertThat(info.getVersion()).isEqualTo(8);
    assertThat(info.getItemCount()).isEqualTo(3);
    assertThat(info.getUserCount()).isEqualTo(1);
    assertThat(info.getManifestJson()).contains("\"vector_dim\":2");
    assertThat(stub().rank(request("2088001")).getModelVersion()).isEqualTo(8);
  }

  private RecordEventsSummary record(UserEvent... events) throws Exception {
    CompletableFuture<RecordEventsSummary> done = new CompletableFuture<>();
    StreamObserver<UserEvent> out =
        RankingServiceGrpc.newStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .recordEvents(
                new StreamObserver<>() {
                  @Override
                  public void onNext(RecordEventsSummary value) {
                    done.complete(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    for (UserEvent e : events) {
      out.onNext(e);
    }
    out.onCompleted();
    return done.get(5, TimeUnit.SECONDS);
  }

  static UserEvent event(UserRef user, String item, UserEvent.Kind kind) {
    return UserEvent.newBuilder()
        .setUser(user)
        .setHostApp("alipay")
        .setMiniProgramId(item)
        .setKind(kind)
        .build();
  }

  @Test
  void recordEvents_useBySocialAccount_filtersTheNextRankingByPaymentAccount() throws Exception {
    served.set(bundle(7));
    UserRef social = UserRef.newBuilder().setSocialAccount("5001").build();

    RecordEventsSummary summary = record(event(social, "coffee", UserEvent.Kind.USE));
    RankResponse r = stub().rank(request("2088001").toBuilder().setRequestId("req-42").build());

    assertThat(summary.getAccepted()).isEqualTo(1);
    assertThat(r.getItemsList())
        .extracting(i -> i.getMiniProgramId())
        .containsExactly("hotel", "travel");
    assertThat(r.getRequestId()).isEqualTo("req-42");
  }

  @Test
  void recordEvents_repeatedImpressionsWithoutUse_filterTheItem() throws Exception {
    served.set(bundle(7));
    UserRef payment = UserRef.newBuilder().setPaymentAccount("2088001").build();
    UserEvent shown = event(payment, "coffee", UserEvent.Kind.IMPRESSION);

    record(shown, shown);
    assertThat(stub().rank(request("2088001")).getItems(0).getMiniProgramId()).isEqualTo("coffee");
    record(shown);

    assertThat(stub().rank(request("2088001")).getItemsList())
        .extracting(i -> i.getMiniProgramId())
        .doesNotContain("coffee");
  }

  @Test
  void recordEvents_invalidEvents_areCountedAndDescribed_neverFatal() throws Exception {
    UserRef payment = UserRef.newBuilder().setPaymentAccount("2088001").build();

    RecordEventsSummary summary =
        record(
            event(payment, "", UserEvent.Kind.USE),
            event(payment, "coffee", UserEvent.Kind.KIND_UNSPECIFIED),
            event(payment, "coffee", UserEvent.Kind.CLICK).toBuilder()
                .setHostApp("myspace")
                .build(),
            event(payment, "coffee", UserEvent.Kind.CLICK));

    assertThat(summary.getAccepted()).isEqualTo(1);
    assertThat(summary.getRejected()).isEqualTo(3);
    assertThat(summary.getErrorsList())
        .containsExactly(
            "event 1: mini_program_id is empty",
            "event 2: kind must be IMPRESSION, CLICK or USE",
            "event 3: host_app 'myspace' is unknown; use one of "
                + io.crowdrank.format.HostApps.ALL);
  }

  /**
   * Shard 1 of 2 holding u1 by its payment account 2088001 (bucket 215, odd); its social account
   * 5001 is in bucket 66, shard 0's (buckets by crc32, computed apart with Python's zlib).
   */
  static ModelBundle shardOne() {
    return TestBundles.version(7, 2)
        .shard(new io.crowdrank.format.UserBuckets.Shard(1, 2))
        .item("coffee", "coffee_tea", List.of("alipay"), List.of(), 1f, 0f)
        .item("travel", "travel", List.of("alipay"), List.of(), 0f, 1f)
        .user("u1", "2088001", "5001", null, 1f, 0f)
        .popular("travel", "alipay", "*", 1.0)
        .build();
  }

  @Test
  void rank_shardedReplica_ranksItsUsers_andSaysWhichShardAnswered() {
    served.set(shardOne());
    io.grpc.Metadata.Key<String> shardHeader =
        io.grpc.Metadata.Key.of("crowdrank-shard", io.grpc.Metadata.ASCII_STRING_MARSHALLER);
    AtomicReference<io.grpc.Metadata> headers = new AtomicReference<>();
    var stub =
        stub()
            .withInterceptors(
                io.grpc.stub.MetadataUtils.newCaptureMetadataInterceptor(
                    headers, new AtomicReference<>()));

    assertThat(stub.rank(request("2088001")).getStrategy()).isEqualTo("personalized");
    assertThat(headers.get().get(shardHeader)).isEqualTo("1/2");
    // 2088003 is in bucket 729, this shard's; the bundle does not know it.
    assertThat(stub.rank(request("2088003")).getStrategy()).isEqualTo("popular");
    assertThat(stub().getModelInfo(GetModelInfoRequest.getDefaultInstance()).getShard())
        .isEqualTo("1/2");
  }

  @Test
  void rank_unshardedReplica_addsNoShardHeader_andReportsAllUsers() {
    served.set(bundle(7));
    AtomicReference<io.grpc.Metadata> headers = new AtomicReference<>();
    stub()
        .withInterceptors(
            io.grpc.stub.MetadataUtils.newCaptureMetadataInterceptor(
                headers, new AtomicReference<>()))
        .rank(request("2088001"));

    assertThat(headers.get().keys()).doesNotContain("crowdrank-shard");
    assertThat(stub().getModelInfo(GetModelInfoRequest.getDefaultInstance()).getShard())
        .isEqualTo("0/1");
  }

  @Test
  void shardedReplica_otherShardsUser_isFailedPrecondition_namingTheShardAndTheHeader()
      throws Exception {
    served.set(shardOne());
    UserRef social = UserRef.newBuilder().setSocialAccount("5001").build();
    RankRequest bySocial = request("x").toBuilder().setUser(social).build();

    for (org.assertj.core.api.ThrowableAssert.ThrowingCallable call :
        List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
            () -> stub().rank(bySocial),
            () -> stub().rank(request("2088002")),
            () ->
                stub()
                    .getUserSegments(
                        GetUserSegmentsRequest.newBuilder()
                            .setUser(social)
                            .setHostApp("alipay")
                            .build()))) {
      assertThatThrownBy(call)
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                assertThat(e.getStatus().getDescription())
                    .contains("belongs to shard 0/2")
                    .contains("this replica serves shard 1/2")
                    .contains("x-user-key");
              });
    }
    assertThatThrownBy(() -> stub().rank(bySocial)).hasMessageContaining("(bucket 66)");

    RecordEventsSummary summary =
        record(
            event(social, "coffee", UserEvent.Kind.USE),
            event(
                UserRef.newBuilder().setPaymentAccount("2088001").build(),
                "coffee",
                UserEvent.Kind.USE));
    assertThat(summary.getAccepted()).isEqualTo(1);
    assertThat(summary.getRejected()).isEqualTo(1);
    assertThat(summary.getErrors(0)).startsWith("event 1: user '5001' belongs to shard 0/2");
  }

  @Test
  void rank_requestIdTooLong_isInvalidArgument() {
    served.set(bundle(7));

    assertThatThrownBy(
            () -> stub().rank(request("2088001").toBuilder().setRequestId("x".repeat(129)).build()))
        .hasMessageContaining("INVALID_ARGUMENT: request_id is longer than 128 characters");
  }

  @Test
  void rank_candidateIds_reRanksOnlyTheHostAppsOwnList() {
    served.set(bundle(7));

    RankResponse r =
        stub()
            .rank(
                request("2088001").toBuilder()
                    .addCandidateIds("travel")
                    .addCandidateIds("hotel")
                    .addCandidateIds("unknown")
                    .build());

    assertThat(r.getItemsList())
        .extracting(i -> i.getMiniProgramId())
        .containsExactly("hotel", "travel");
  }

  @Test
  void rank_pageToken_walksTheSameRankingPageByPage() {
    served.set(bundle(7));
    RankRequest first = request("2088001").toBuilder().setK(1).build();

    RankResponse p1 = stub().rank(first);
    RankResponse p2 = stub().rank(first.toBuilder().setPageToken(p1.getNextPageToken()).build());
    RankResponse p3 = stub().rank(first.toBuilder().setPageToken(p2.getNextPageToken()).build());

    assertThat(List.of(p1, p2, p3))
        .extracting(r -> r.getItems(0).getMiniProgramId())
        .containsExactly("coffee", "hotel", "travel");
    assertThat(
            stub()
                .rank(first.toBuilder().setPageToken(p3.getNextPageToken()).build())
                .getItemsCount())
        .isZero();
  }

  @Test
  void rank_pageTokenFromAnotherBundle_orForged_isRefused() {
    served.set(bundle(7));
    RankRequest first = request("2088001").toBuilder().setK(1).build();
    String token = stub().rank(first).getNextPageToken();
    served.set(bundle(8));

    assertThatThrownBy(() -> stub().rank(first.toBuilder().setPageToken(token).build()))
        .hasMessageContaining(
            "FAILED_PRECONDITION: page_token belongs to the ranking of bundle version 7");
    assertThatThrownBy(() -> stub().rank(first.toBuilder().setPageToken("bm9wZQ").build()))
        .hasMessageContaining("INVALID_ARGUMENT: page_token is not one this service issued");
  }

  // ---------------------------------------------------------------- GetUserSegments

  static ModelBundle segmented() {
    return TestBundles.version(4, 2)
        .item("coffee", "coffee_tea", List.of("alipay"), List.of(), 1f, 0f)
        .user("u1", "2088001", "5001", null, 1f, 0f)
        .user("u2", "2088002", null, "hangzhou")
        .segment("lunch_crowd", null, "u1")
        .segment("m1_customers", "m000001", "u1")
        .segment("m2_customers", "m000002", "u1")
        .build();
  }

  static GetUserSegmentsRequest segmentsOf(UserRef user, String merchant) {
    return GetUserSegmentsRequest.newBuilder()
        .setUser(user)
        .setHostApp("alipay")
        .setMerchantId(merchant)
        .build();
  }

  @Test
  void getUserSegments_knownUser_listsTheSegmentsWithTheirNames() {
    served.set(segmented());

    UserSegments s =
        stub()
            .getUserSegments(segmentsOf(UserRef.newBuilder().setSocialAccount("5001").build(), ""));

    assertThat(s.getModelVersion()).isEqualTo(4);
    assertThat(s.getSegmentsList())
        .extracting(Segment::getSegmentId)
        .containsExactly("lunch_crowd", "m1_customers", "m2_customers");
    assertThat(s.getSegments(0).getName()).isEqualTo("Name of lunch_crowd");
    assertThat(s.getSegments(0).getMerchantId()).isEmpty();
    assertThat(s.getSegments(1).getSize()).isEqualTo(1);
  }

  @Test
  void getUserSegments_merchantFilter_keepsPlatformAndThatMerchantsSegments() {
    served.set(segmented());

    UserSegments s =
        stub()
            .getUserSegments(
                segmentsOf(UserRef.newBuilder().setPaymentAccount("2088001").build(), "m000002"));

    assertThat(s.getSegmentsList())
        .extracting(Segment::getSegmentId)
        .containsExactly("lunch_crowd", "m2_customers");
  }

  @Test
  void getUserSegments_userInNoSegment_isEmpty_unknownUser_isNotFound() {
    served.set(segmented());

    assertThat(
            stub()
                .getUserSegments(
                    segmentsOf(UserRef.newBuilder().setPaymentAccount("2088002").build(), ""))
                .getSegmentsList())
        .isEmpty();
    assertThatThrownBy(
            () ->
                stub()
                    .getUserSegments(
                        segmentsOf(UserRef.newBuilder().setPaymentAccount("2099").build(), "")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("bundle v4 does not know payment_account '2099'");
            });
  }

  @Test
  void getUserSegments_badFields_areInvalidArgument() {
    served.set(segmented());

    assertThatThrownBy(
            () ->
                stub()
                    .getUserSegments(
                        GetUserSegmentsRequest.newBuilder().setHostApp("alipay").build()))
        .hasMessageContaining("INVALID_ARGUMENT: user must set one of");
    assertThatThrownBy(
            () ->
                stub()
                    .getUserSegments(
                        GetUserSegmentsRequest.newBuilder()
                            .setUser(UserRef.newBuilder().setPaymentAccount("2088001"))
                            .build()))
        .hasMessageContaining("INVALID_ARGUMENT: host_app is required");
    assertThatThrownBy(
            () ->
                stub()
                    .getUserSegments(
                        segmentsOf(
                            UserRef.newBuilder().setPaymentAccount("2088001").build(),
                            "m".repeat(65))))
        .hasMessageContaining("INVALID_ARGUMENT: merchant_id is longer than 64 characters");
  }

  @Test
  void rank_logsTheAnswerUnderItsAttributionToken_withPositionsAndScores() throws Exception {
    served.set(bundle(7));
    RankResponse first = stub().rank(request("2088001").toBuilder().setRequestId("r-1").build());
    RankResponse second =
        stub()
            .rank(
                request("2088001").toBuilder()
                    .setK(1)
                    .setPageToken(first.getNextPageToken())
                    .build());
    log.close();

    assertThat(first.getAttributionToken()).isNotEmpty().isNotEqualTo(second.getAttributionToken());
    var records = EventLogTest.read(logDir);
    assertThat(records).hasSize(2);
    var r = records.get(0);
    assertThat(r.get(ServingLogFormat.TYPE).asText()).isEqualTo(ServingLogFormat.SERVED);
    assertThat(r.get(ServingLogFormat.EVENT_ID).asText()).isEqualTo(first.getAttributionToken());
    assertThat(r.get(ServingLogFormat.REQUEST_ID).asText()).isEqualTo("r-1");
    assertThat(r.get(ServingLogFormat.USER_TYPE).asText()).isEqualTo("payment");
    assertThat(r.get(ServingLogFormat.USER_ID).asText()).isEqualTo("2088001");
    assertThat(r.get(ServingLogFormat.HOST_APP).asText()).isEqualTo("alipay");
    assertThat(r.get(ServingLogFormat.MODEL_VERSION).asLong()).isEqualTo(7);
    assertThat(r.get(ServingLogFormat.STRATEGY).asText()).isEqualTo(first.getStrategy());
    var items = r.get(ServingLogFormat.ITEMS);
    assertThat(items).hasSize(first.getItemsCount());
    for (int i = 0; i < first.getItemsCount(); i++) {
      assertThat(items.get(i).get(ServingLogFormat.ITEM_ID).asText())
          .isEqualTo(first.getItems(i).getMiniProgramId());
      assertThat(items.get(i).get(ServingLogFormat.POSITION).asInt()).isEqualTo(i + 1);
      assertThat(items.get(i).get(ServingLogFormat.SCORE).asDouble())
          .isEqualTo(first.getItems(i).getScore());
    }
    // The second page's item is at position 3.
    var page2 = records.get(1);
    assertThat(page2.get(ServingLogFormat.EVENT_ID).asText())
        .isEqualTo(second.getAttributionToken());
    assertThat(page2.get(ServingLogFormat.ITEMS).get(0).get(ServingLogFormat.POSITION).asInt())
        .isEqualTo(3);
  }

  @Test
  void recordEvents_answersOnceTheEventsAreInTheLog_withTheirTokenAndEventId() throws Exception {
    served.set(bundle(7));
    UserRef payment = UserRef.newBuilder().setPaymentAccount("2088001").build();
    UserEvent click =
        event(payment, "coffee", UserEvent.Kind.CLICK).toBuilder()
            .setAttributionToken("tok-9")
            .setEventId("host-event-1")
            .build();

    RecordEventsSummary summary =
        record(
            click,
            event(payment, "", UserEvent.Kind.USE),
            event(payment, "hotel", UserEvent.Kind.USE));

    assertThat(summary.getAccepted()).isEqualTo(2);
    // Not closed yet: acknowledged means written (and synced) already.
    var records = EventLogTest.read(logDir);
    assertThat(records)
        .extracting(r -> r.get(ServingLogFormat.ITEM_ID).asText())
        .containsExactly("coffee", "hotel");
    assertThat(records.get(0).get(ServingLogFormat.TOKEN).asText()).isEqualTo("tok-9");
    assertThat(records.get(0).get(ServingLogFormat.CLIENT_EVENT_ID).asText())
        .isEqualTo("host-event-1");
    assertThat(records.get(1).get(ServingLogFormat.KIND).asText()).isEqualTo("use");
  }

  @Test
  void recordEvents_whenTheLogsDiskIsFull_failsResourceExhausted_sayingToSendAgain()
      throws Exception {
    served.set(bundle(7));
    log.close();
    log = EventLogTest.open(logDir.resolve("full"), Long.MAX_VALUE);
    channel.shutdownNow();
    server.shutdownNow();
    start(); // the handler over the full log
    UserRef payment = UserRef.newBuilder().setPaymentAccount("2088001").build();

    assertThatThrownBy(() -> record(event(payment, "coffee", UserEvent.Kind.CLICK)))
        .hasCauseInstanceOf(StatusRuntimeException.class)
        .satisfies(
            e -> {
              Status status = ((StatusRuntimeException) e.getCause()).getStatus();
              assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(status.getDescription()).contains("MiB free").contains("send them again");
            });
  }

  static final String DIVERSITY =
      """
      {"layers": [{"id": "ranking", "experiments": [
        {"id": "diversity", "traffic": 1.0, "variants": [
          {"id": "control", "share": 0.5},
          {"id": "tight", "share": 0.5, "settings": {"max_per_category": 1}}]}]}]}
      """;

  /** Three coffee places the user likes best, one travel app after them. */
  static ModelBundle experimentBundle() {
    return TestBundles.version(9, 2)
        .item("c1", "coffee_tea", List.of("alipay"), List.of(), 1f, 0f)
        .item("c2", "coffee_tea", List.of("alipay"), List.of(), 0.9f, 0f)
        .item("c3", "coffee_tea", List.of("alipay"), List.of(), 0.8f, 0f)
        .item("t1", "travel", List.of("alipay"), List.of(), 0.1f, 0f)
        .user("u1", "2088001", "5001", null, 1f, 0f)
        .experiments(DIVERSITY)
        .build();
  }

  static RankRequest forced(String variant) {
    return forced("diversity", variant, 3);
  }

  /** Top k for u1, in this variant of the experiment. */
  static RankRequest forced(String experiment, String variant, int k) {
    return request("2088001").toBuilder()
        .setK(k)
        .setForceVariant(
            io.crowdrank.proto.v1.ForceVariant.newBuilder()
                .setExperiment(experiment)
                .setVariant(variant))
        .build();
  }

  @Test
  void rank_inAnExperiment_ranksWithItsVariantsSettings_andSaysWhichVariant() throws Exception {
    served.set(experimentBundle());

    RankResponse control = stub().rank(forced("control"));
    RankResponse tight = stub().rank(forced("tight"));
    RankResponse own = stub().rank(request("2088001").toBuilder().setK(3).build());

    // The service's cap (3 a category) against the variant's (1, then others get a turn).
    assertThat(control.getItemsList())
        .extracting(i -> i.getMiniProgramId())
        .containsExactly("c1", "c2", "c3");
    assertThat(tight.getItemsList())
        .extracting(i -> i.getMiniProgramId())
        .containsExactly("c1", "t1", "c2");
    assertThat(tight.getExperimentsList())
        .extracting(a -> a.getLayer() + "/" + a.getExperiment() + "/" + a.getVariant())
        .containsExactly("ranking/diversity/tight");
    // Unforced, the user's variant is the one its key's bucket says (worked out apart here).
    ModelBundle bundle = served.get();
    String key = RankingHandler.historyKey(Optional.of(bundle), IdType.PAYMENT_ACCOUNT, "2088001");
    String variant = Experiments.bucket("ranking", key) < 500 ? "control" : "tight";
    assertThat(own.getExperimentsList())
        .singleElement()
        .satisfies(a -> assertThat(a.getVariant()).isEqualTo(variant));
    assertThat(own.getItemsList())
        .isEqualTo((variant.equals("tight") ? tight : control).getItemsList());
    // And the log says the same, forced or not.
    log.close();
    var records = EventLogTest.read(logDir);
    assertThat(records).hasSize(3);
    assertThat(
            records.get(1).get(ServingLogFormat.ARMS).get(0).get(ServingLogFormat.VARIANT).asText())
        .isEqualTo("tight");
    assertThat(records.get(1).get(ServingLogFormat.FORCED).asBoolean()).isTrue();
    assertThat(records.get(2).get(ServingLogFormat.FORCED).asBoolean()).isFalse();
    assertThat(
            records
                .get(2)
                .get(ServingLogFormat.ARMS)
                .get(0)
                .get(ServingLogFormat.EXPERIMENT)
                .asText())
        .isEqualTo("diversity");
  }

  /** Version 9 runs an experiment whose "previous" variant ranks on version 8. */
  static final String MODELS =
      """
      {"layers": [{"id": "model", "experiments": [
        {"id": "new_model", "traffic": 1.0, "control": "previous", "variants": [
          {"id": "previous", "share": 0.5, "settings": {"bundle_version": 8}},
          {"id": "current", "share": 0.5}]}]}]}
      """;

  @Test
  void rank_inAVariantOnAnotherBundleVersion_ranksOnThatVersion_andPagesStayOnIt()
      throws Exception {
    // Version 8's model puts travel first for u1, version 9's coffee.
    ModelBundle previous =
        TestBundles.version(8, 2)
            .item("coffee", "coffee_tea", List.of("alipay"), List.of(), 0f, 1f)
            .item("travel", "travel", List.of("alipay"), List.of(), 1f, 0f)
            .item("hotel", "hotel", List.of("alipay"), List.of(), 0.5f, 0.5f)
            .user("u1", "2088001", "5001", null, 1f, 0f)
            .build();
    ModelBundle current =
        TestBundles.version(9, 2)
            .item("coffee", "coffee_tea", List.of("alipay"), List.of(), 1f, 0f)
            .item("travel", "travel", List.of("alipay"), List.of(), 0f, 1f)
            .item("hotel", "hotel", List.of("alipay"), List.of(), 0.5f, 0.5f)
            .user("u1", "2088001", "5001", null, 1f, 0f)
            .experiments(MODELS)
            .build();
    sideBySide.put(8L, previous);
    served.set(current);

    RankResponse onPrevious = stub().rank(forced("new_model", "previous", 1));
    RankResponse onCurrent = stub().rank(forced("new_model", "current", 1));
    RankResponse own = stub().rank(request("2088001").toBuilder().setK(1).build());
    RankResponse nextPage =
        stub()
            .rank(
                forced("new_model", "previous", 1).toBuilder()
                    .setPageToken(onPrevious.getNextPageToken())
                    .build());

    assertThat(onPrevious.getModelVersion()).isEqualTo(8);
    assertThat(onPrevious.getItems(0).getMiniProgramId()).isEqualTo("travel");
    assertThat(onCurrent.getModelVersion()).isEqualTo(9);
    assertThat(onCurrent.getItems(0).getMiniProgramId()).isEqualTo("coffee");
    // The page token of version 8's ranking goes on in version 8, while 9 is served.
    assertThat(nextPage.getModelVersion()).isEqualTo(8);
    assertThat(nextPage.getItems(0).getMiniProgramId()).isEqualTo("hotel");
    // Unforced: the variant of the user's bucket (worked out apart here), on its version.
    String key = RankingHandler.historyKey(Optional.of(current), IdType.PAYMENT_ACCOUNT, "2088001");
    boolean inPrevious = Experiments.bucket("model", key) < 500;
    assertThat(own.getModelVersion()).isEqualTo(inPrevious ? 8 : 9);
    assertThat(own.getExperiments(0).getVariant()).isEqualTo(inPrevious ? "previous" : "current");
    // GetModelInfo names the version served beside the bundle.
    assertThat(endpoint.modelInfo().getSideBySideVersionsList()).containsExactly(8L);
    // The log records the version each list came from.
    log.close();
    var records = EventLogTest.read(logDir);
    assertThat(records)
        .extracting(r -> r.get(ServingLogFormat.MODEL_VERSION).asLong())
        .containsExactly(8L, 9L, inPrevious ? 8L : 9L, 8L);
  }

  @Test
  void rank_forcingAVariantTheBundleDoesNotRun_isInvalidArgument() {
    served.set(experimentBundle());

    assertThatThrownBy(() -> stub().rank(forced("loose")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo(
                      "force_variant: the served bundle runs no experiment 'diversity' with a variant 'loose'");
            });
  }

  @Test
  void recordEvents_whenTheDiskDoesNotAnswerInTime_failsUnavailable_sayingToSendAgain()
      throws Exception {
    served.set(bundle(7));
    channel.shutdownNow();
    server.shutdownNow();
    ackTimeout = Duration.ofMillis(200);
    start(); // the handler with a short wait for the disk
    var release = new CountDownLatch(1);
    log.appendLater(EventLogTest.holding(log, release));
    UserRef payment = UserRef.newBuilder().setPaymentAccount("2088001").build();
    try {
      assertThatThrownBy(() -> record(event(payment, "coffee", UserEvent.Kind.CLICK)))
          .hasCauseInstanceOf(StatusRuntimeException.class)
          .satisfies(
              e -> {
                Status status = ((StatusRuntimeException) e.getCause()).getStatus();
                assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(status.getDescription())
                    .contains("did not reach the disk within 200 ms")
                    .contains("send them again");
              });
    } finally {
      release.countDown();
    }
  }
}
