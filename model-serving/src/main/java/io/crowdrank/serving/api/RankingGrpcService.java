package io.crowdrank.serving.api;

import io.crowdrank.proto.v1.GetModelInfoRequest;
import io.crowdrank.proto.v1.ModelInfo;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

/** gRPC binding of {@link RankingEndpoint}; ranking is CPU work, so it runs off the event loop. */
@GrpcService
@Blocking
public class RankingGrpcService extends RankingServiceGrpc.RankingServiceImplBase {
  private final RankingEndpoint endpoint;

  @Inject
  public RankingGrpcService(RankingEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public void rank(RankRequest request, StreamObserver<RankResponse> responses) {
    respond(responses, () -> endpoint.rank(request));
  }

  @Override
  public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> responses) {
    respond(responses, endpoint::modelInfo);
  }

  /** A unary call that either answers or fails with a gRPC status. */
  private interface Call<T> {
    T answer() throws StatusException;
  }

  private static <T> void respond(StreamObserver<T> responses, Call<T> call) {
    T answer;
    try {
      answer = call.answer();
    } catch (StatusException e) {
      responses.onError(e);
      return;
    }
    responses.onNext(answer);
    responses.onCompleted();
  }
}
