package io.crowdrank.serving.api;

import io.crowdrank.proto.v1.ModelAdminServiceGrpc;
import io.crowdrank.proto.v1.ModelInfo;
import io.crowdrank.proto.v1.ReloadRequest;
import io.crowdrank.proto.v1.RollbackRequest;
import io.crowdrank.serving.auth.AdminKeyInterceptor;
import io.crowdrank.serving.auth.Caller;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

/** gRPC binding of {@link AdminHandler}; loading a bundle is slow I/O, so off the event loop. */
@GrpcService
@Blocking
@RegisterInterceptor(AdminKeyInterceptor.class)
public class AdminGrpcService extends ModelAdminServiceGrpc.ModelAdminServiceImplBase {
  private final AdminHandler endpoint;

  @Inject
  public AdminGrpcService(AdminHandler endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public void reload(ReloadRequest request, StreamObserver<ModelInfo> responses) {
    RankingGrpcService.respond(
        responses,
        () -> {
          Caller.current().authorizeOperator();
          return endpoint.reload();
        });
  }

  @Override
  public void rollback(RollbackRequest request, StreamObserver<ModelInfo> responses) {
    RankingGrpcService.respond(
        responses,
        () -> {
          Caller.current().authorizeOperator();
          return endpoint.rollback(request);
        });
  }
}
