package io.crowdrank.serving.api;

import io.crowdrank.proto.v1.EchoRequest;
import io.crowdrank.proto.v1.EchoResponse;
import io.crowdrank.proto.v1.EchoServiceGrpc;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.NonBlocking;
import jakarta.inject.Inject;

/**
 * The benchmark ceiling: dispatched like Rank (queued for the {@link CallExecutor}), doing nothing.
 */
@GrpcService
public class EchoGrpcService extends EchoServiceGrpc.EchoServiceImplBase {
  private final CallExecutor calls;

  @Inject
  public EchoGrpcService(CallExecutor calls) {
    this.calls = calls;
  }

  @Override
  @NonBlocking
  public void echo(EchoRequest request, StreamObserver<EchoResponse> responses) {
    if (!calls.execute(
        () -> {
          responses.onNext(EchoResponse.newBuilder().setPayload(request.getPayload()).build());
          responses.onCompleted();
        })) {
      responses.onError(calls.overloaded());
    }
  }
}
