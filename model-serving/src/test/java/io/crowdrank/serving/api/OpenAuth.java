package io.crowdrank.serving.api;

import io.crowdrank.serving.auth.ApiKeyInterceptor;
import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;

/** In-process services for logic tests, behind the interceptor with authentication off. */
final class OpenAuth {
  private OpenAuth() {}

  static ServerServiceDefinition open(BindableService service) {
    return ServerInterceptors.intercept(service, ApiKeyInterceptor.open());
  }
}
