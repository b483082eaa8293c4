package io.crowdrank.serving.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.crowdrank.proto.v1.GetModelInfoRequest;
import io.crowdrank.proto.v1.GetUserSegmentsRequest;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.crowdrank.proto.v1.UserRef;
import io.crowdrank.serving.auth.ApiKeyInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.junit.QuarkusTest;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The application wired by Quarkus with no bundle published yet (the test profile points at an
 * empty warehouse): health says NOT_SERVING, Rank says UNAVAILABLE, bad input is still rejected.
 */
@QuarkusTest
class ServingWiringTest {
  @ConfigProperty(name = "quarkus.grpc.server.test-port")
  int port;

  @ConfigProperty(name = "quarkus.http.test-port")
  int httpPort;

  ManagedChannel channel;

  @BeforeEach
  void connect() {
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  @AfterEach
  void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void health_withoutBundle_isNotServing() {
    var health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);

    assertThat(
            health
                .check(
                    HealthCheckRequest.newBuilder()
                        .setService(RankingServiceGrpc.SERVICE_NAME)
                        .build())
                .getStatus())
        .isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(ServingStatus.NOT_SERVING);
  }

  static Metadata key(String key) {
    Metadata m = new Metadata();
    m.put(ApiKeyInterceptor.API_KEY, key);
    return m;
  }

  @Test
  void rank_isBehindTheApiKeys_boundToTheirHostApp() {
    var anonymous =
        RankingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    var alipay =
        anonymous.withInterceptors(
            MetadataUtils.newAttachHeadersInterceptor(key("test-alipay-key")));
    RankRequest weibo =
        RankRequest.newBuilder()
            .setUser(UserRef.newBuilder().setPaymentAccount("2088001"))
            .setHostApp("weibo")
            .build();

    assertThatThrownBy(() -> anonymous.rank(weibo))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    assertThatThrownBy(() -> alipay.rank(weibo))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
  }

  /**
   * The blocking rpcs run on Quarkus's worker threads: the caller the interceptor put into the gRPC
   * context must reach them there (else every call would be refused as unauthenticated).
   */
  @Test
  void blockingRpcs_seeTheCallerOnTheirWorkerThread() {
    var alipay =
        RankingServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key("test-alipay-key")));
    GetUserSegmentsRequest.Builder segments =
        GetUserSegmentsRequest.newBuilder()
            .setUser(UserRef.newBuilder().setPaymentAccount("2088001"));

    assertThatThrownBy(() -> alipay.getUserSegments(segments.setHostApp("alipay").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThatThrownBy(() -> alipay.getUserSegments(segments.setHostApp("weibo").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e ->
                assertThat(e.getStatus().getDescription())
                    .isEqualTo("this API key is for host app 'alipay', not 'weibo'"));
    assertThatThrownBy(() -> alipay.getModelInfo(GetModelInfoRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void rank_withoutBundle_isUnavailable_butBadInputIsStillInvalid() {
    var stub =
        RankingServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key("test-alipay-key")));
    RankRequest ok =
        RankRequest.newBuilder()
            .setUser(UserRef.newBuilder().setPaymentAccount("2088001"))
            .setHostApp("alipay")
            .build();

    assertThatThrownBy(() -> stub.rank(ok))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThatThrownBy(() -> stub.rank(ok.toBuilder().setHostApp("").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void metrics_haveLatencyHistogramsPerRpc_andTheModelVersion() throws Exception {
    try {
      RankingServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .rank(RankRequest.getDefaultInstance());
    } catch (StatusRuntimeException expected) {
      // unauthenticated: still a timed call
    }
    var http = java.net.http.HttpClient.newHttpClient();
    String metrics =
        http.send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + httpPort + "/q/metrics"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString())
            .body();

    assertThat(metrics)
        .contains("grpc_server_processing_duration_seconds_bucket")
        .contains("method=\"Rank\"")
        .contains("crowdrank_model_version -1.0");
  }
}
