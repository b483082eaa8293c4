package io.crowdrank.serving.api;

import io.crowdrank.proto.v1.EchoRequest;
import io.crowdrank.proto.v1.EchoResponse;
import io.crowdrank.proto.v1.EchoServiceGrpc;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;

/** The benchmark ceiling: dispatched like Rank (worker thread), doing nothing. */
@GrpcService
@Blocking
public class EchoGrpcService extends EchoServiceGrpc.EchoServiceImplBase {
  @Override
  public void echo(EchoRequest request, StreamObserver<EchoResponse> responses) {
    responses.onNext(EchoResponse.newBuilder().setPayload(request.getPayload()).build());
    responses.onCompleted();
  }
}
