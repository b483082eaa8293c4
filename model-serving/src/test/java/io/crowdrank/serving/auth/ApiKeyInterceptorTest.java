package io.crowdrank.serving.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.proto.v1.GetModelInfoRequest;
import io.crowdrank.proto.v1.GetUserSegmentsRequest;
import io.crowdrank.proto.v1.ModelInfo;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.crowdrank.proto.v1.UserRef;
import io.crowdrank.proto.v1.UserSegments;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ApiKeyInterceptorTest {
  final WarmUpKey warmUp = WarmUpKey.generate();
  Server server;
  ManagedChannel channel;

  /**
   * Answers every Rank with its host app as the strategy, so a test sees the call got through;
   * checks its caller as the service does. GetModelInfo answers without checking: an rpc whose
   * author forgot.
   */
  static final class Echo extends RankingServiceGrpc.RankingServiceImplBase {
    @Override
    public void rank(RankRequest request, StreamObserver<RankResponse> responses) {
      try {
        Caller.current().authorize(request.getHostApp());
        if (request.hasForceVariant()) {
          Caller.current().requireOperator("force_variant");
        }
      } catch (StatusException e) {
        responses.onError(e);
        return;
      }
      String warmUp = Caller.KEY.get().warmUp() ? " (warm-up)" : "";
      responses.onNext(
          RankResponse.newBuilder().setStrategy(request.getHostApp() + warmUp).build());
      responses.onCompleted();
    }

    @Override
    public void getUserSegments(
        GetUserSegmentsRequest request, StreamObserver<UserSegments> responses) {
      try {
        Caller.current().authorize(request.getHostApp());
      } catch (StatusException e) {
        responses.onError(e);
        return;
      }
      responses.onNext(UserSegments.newBuilder().setModelVersion(1).build());
      responses.onCompleted();
    }

    @Override
    public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> responses) {
      responses.onNext(ModelInfo.newBuilder().setVersion(7).build());
      responses.onCompleted();
    }
  }

  /** A new rpc, as someone might add one, that never checks its caller. */
  static final MethodDescriptor<String, String> NEW_RPC =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("crowdrank.v1.Experimental/Peek")
          .setRequestMarshaller(Strings.INSTANCE)
          .setResponseMarshaller(Strings.INSTANCE)
          .build();

  enum Strings implements MethodDescriptor.Marshaller<String> {
    INSTANCE;

    @Override
    public java.io.InputStream stream(String value) {
      return new java.io.ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(java.io.InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  @BeforeEach
  void start() throws Exception {
    ApiKeys keys =
        ApiKeys.of(
            Map.of(
                ApiKeys.sha256("alipay-secret"),
                "alipay",
                ApiKeys.sha256("weibo-secret"),
                "weibo"));
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                ServerInterceptors.intercept(
                    new Echo(),
                    new ApiKeyInterceptor(
                            keys, ApiKeys.admin(java.util.List.of(ApiKeys.sha256("ops-secret"))))
                        .withWarmUp(warmUp)))
            .addService(
                ServerInterceptors.intercept(
                    ServerServiceDefinition.builder("crowdrank.v1.Experimental")
                        .addMethod(
                            NEW_RPC,
                            ServerCalls.asyncUnaryCall(
                                (String request, StreamObserver<String> responses) -> {
                                  responses.onNext("secret for " + request);
                                  responses.onCompleted();
                                }))
                        .build(),
                    new ApiKeyInterceptor(keys).withWarmUp(warmUp)))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  RankingServiceGrpc.RankingServiceBlockingStub stub(String key) {
    var stub = RankingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    if (key == null) {
      return stub;
    }
    Metadata m = new Metadata();
    m.put(ApiKeyInterceptor.API_KEY, key);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m));
  }

  /** A Rank request that forces an experiment's variant: operators only. */
  static RankRequest forced(String hostApp) {
    return request(hostApp).toBuilder()
        .setForceVariant(
            io.crowdrank.proto.v1.ForceVariant.newBuilder().setExperiment("e").setVariant("v"))
        .build();
  }

  static RankRequest request(String hostApp) {
    return RankRequest.newBuilder()
        .setUser(UserRef.newBuilder().setPaymentAccount("2088"))
        .setHostApp(hostApp)
        .build();
  }

  private static void assertStatus(Runnable call, Status.Code code, String description) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).isEqualTo(description);
            });
  }

  @Test
  void call_withItsHostAppsKey_getsThrough() {
    assertThat(stub("alipay-secret").rank(request("alipay")).getStrategy()).isEqualTo("alipay");
    assertThat(stub("weibo-secret").rank(request("weibo")).getStrategy()).isEqualTo("weibo");
  }

  @Test
  void call_withoutOrWithAnUnknownKey_isUnauthenticated() {
    assertStatus(
        () -> stub(null).rank(request("alipay")),
        Status.Code.UNAUTHENTICATED,
        "missing x-api-key metadata");
    assertStatus(
        () -> stub("guess").rank(request("alipay")),
        Status.Code.UNAUTHENTICATED,
        "unknown API key");
  }

  @Test
  void forceVariant_needsAnOperatorsKeyBesidesTheHostApps() {
    RankRequest forced = forced("alipay");
    assertStatus(
        () -> stub("alipay-secret").rank(forced),
        Status.Code.PERMISSION_DENIED,
        "force_variant needs an operator's key in the x-admin-key metadata");

    Metadata ops = new Metadata();
    ops.put(ApiKeyInterceptor.ADMIN_KEY, "ops-secret");
    assertThat(
            stub("alipay-secret")
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(ops))
                .rank(forced)
                .getStrategy())
        .isEqualTo("alipay");

    Metadata guess = new Metadata();
    guess.put(ApiKeyInterceptor.ADMIN_KEY, "guess");
    assertStatus(
        () ->
            stub("alipay-secret")
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(guess))
                .rank(forced),
        Status.Code.UNAUTHENTICATED,
        "unknown x-admin-key");
  }

  @Test
  void warmUpKey_ranksForAnyHostAppAsTheReplicaItself_untilRetired() {
    assertThat(stub(warmUp.value()).rank(request("alipay")).getStrategy())
        .isEqualTo("alipay (warm-up)");
    assertThat(stub(warmUp.value()).rank(request("weibo")).getStrategy())
        .isEqualTo("weibo (warm-up)");
    assertThat(stub("alipay-secret").rank(request("alipay")).getStrategy()).isEqualTo("alipay");
    // Not an operator, and an rpc that does not check is closed to it as to anyone.
    RankRequest forced = forced("alipay");
    assertStatus(
        () -> stub(warmUp.value()).rank(forced),
        Status.Code.PERMISSION_DENIED,
        "force_variant needs an operator's key in the x-admin-key metadata");
    assertStatus(
        () -> peek(warmUp.value()),
        Status.Code.PERMISSION_DENIED,
        "rpc crowdrank.v1.Experimental/Peek does not check who may call it: refused");
    // Another replica's key is not this one's; retired, this one is refused like any unknown key.
    assertStatus(
        () -> stub(WarmUpKey.generate().value()).rank(request("alipay")),
        Status.Code.UNAUTHENTICATED,
        "unknown API key");
    warmUp.retire();
    assertStatus(
        () -> stub(warmUp.value()).rank(request("alipay")),
        Status.Code.UNAUTHENTICATED,
        "unknown API key");
  }

  @Test
  void call_forAnotherHostApp_isPermissionDenied() {
    assertStatus(
        () -> stub("alipay-secret").rank(request("weibo")),
        Status.Code.PERMISSION_DENIED,
        "this API key is for host app 'alipay', not 'weibo'");
  }

  @Test
  void getUserSegments_isBoundToTheKeysHostAppToo() {
    GetUserSegmentsRequest.Builder r =
        GetUserSegmentsRequest.newBuilder().setUser(UserRef.newBuilder().setPaymentAccount("2088"));

    assertThat(
            stub("weibo-secret").getUserSegments(r.setHostApp("weibo").build()).getModelVersion())
        .isEqualTo(1);
    assertStatus(
        () -> stub("weibo-secret").getUserSegments(r.setHostApp("alipay").build()),
        Status.Code.PERMISSION_DENIED,
        "this API key is for host app 'weibo', not 'alipay'");
  }

  @Test
  void rpc_thatDoesNotCheckItsCaller_isRefused() {
    assertStatus(
        () ->
            stub("alipay-secret")
                .getModelInfo(GetModelInfoRequest.getDefaultInstance())
                .getVersion(),
        Status.Code.PERMISSION_DENIED,
        "rpc crowdrank.v1.RankingService/GetModelInfo does not check who may call it: refused");
    assertStatus(
        () ->
            ClientCalls.blockingUnaryCall(
                channel.newCall(
                    NEW_RPC, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS)),
                "u1"),
        Status.Code.UNAUTHENTICATED,
        "missing x-api-key metadata");
    assertStatus(
        () -> peek("alipay-secret"),
        Status.Code.PERMISSION_DENIED,
        "rpc crowdrank.v1.Experimental/Peek does not check who may call it: refused");
  }

  /** Calls the new rpc, which never checks its caller, with this API key. */
  private String peek(String key) {
    Metadata m = new Metadata();
    m.put(ApiKeyInterceptor.API_KEY, key);
    return ClientCalls.blockingUnaryCall(
        io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(m)),
        NEW_RPC,
        CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
        "u1");
  }

  @Test
  void rpc_withoutTheInterceptor_hasNoCaller() {
    assertThatThrownBy(Caller::current)
        .isInstanceOfSatisfying(
            StatusException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
  }

  @Test
  void configured_withAuthenticationOnAndNoKeys_refusesToStart() {
    assertThatThrownBy(() -> ApiKeyInterceptor.configured(true, Map.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no API keys configured")
        .hasMessageContaining("--insecure-no-auth");
    assertThat(ApiKeyInterceptor.configured(false, Map.of())).isNotNull();
  }

  @Test
  void keys_mustBeSha256HexBoundToAKnownHostApp() {
    assertThatThrownBy(() -> ApiKeys.of(Map.of("plain-text-key", "alipay")))
        .hasMessageContaining("64 lower-case hex digits");
    assertThatThrownBy(() -> ApiKeys.of(Map.of(ApiKeys.sha256("k"), "myspace")))
        .hasMessageContaining("unknown host app myspace");
  }
}
