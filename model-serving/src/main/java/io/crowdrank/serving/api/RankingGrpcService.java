package io.crowdrank.serving.api;

import io.crowdrank.proto.v1.GetModelInfoRequest;
import io.crowdrank.proto.v1.GetUserSegmentsRequest;
import io.crowdrank.proto.v1.ModelInfo;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.crowdrank.proto.v1.RecordEventsSummary;
import io.crowdrank.proto.v1.UserEvent;
import io.crowdrank.proto.v1.UserSegments;
import io.crowdrank.serving.auth.ApiKeyInterceptor;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

/** gRPC binding of {@link RankingEndpoint}; ranking is CPU work, so it runs off the event loop. */
@GrpcService
@Blocking
@RegisterInterceptor(ApiKeyInterceptor.class)
public class RankingGrpcService extends RankingServiceGrpc.RankingServiceImplBase {
  private final RankingEndpoint endpoint;

  @Inject
  public RankingGrpcService(RankingEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public void rank(RankRequest request, StreamObserver<RankResponse> responses) {
    // The call's context is cancelled when its deadline passes or the client goes away.
    io.grpc.Context call = io.grpc.Context.current();
    respond(responses, () -> endpoint.rank(request, call::isCancelled));
  }

  @Override
  public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> responses) {
    respond(responses, endpoint::modelInfo);
  }

  @Override
  public void getUserSegments(
      GetUserSegmentsRequest request, StreamObserver<UserSegments> responses) {
    respond(responses, () -> endpoint.userSegments(request));
  }

  @Override
  public StreamObserver<UserEvent> recordEvents(StreamObserver<RecordEventsSummary> responses) {
    RankingEndpoint.EventStream stream = endpoint.eventStream();
    return new StreamObserver<>() {
      @Override
      public void onNext(UserEvent event) {
        stream.accept(event);
      }

      @Override
      public void onError(Throwable t) {
        // The client gave up; what arrived is stored, there is nobody to answer.
      }

      @Override
      public void onCompleted() {
        responses.onNext(stream.summary());
        responses.onCompleted();
      }
    };
  }

  /** A unary call that either answers or fails with a gRPC status. */
  interface Call<T> {
    T answer() throws StatusException;
  }

  static <T> void respond(StreamObserver<T> responses, Call<T> call) {
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
