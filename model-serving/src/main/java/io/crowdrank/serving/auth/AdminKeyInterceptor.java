package io.crowdrank.serving.auth;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/** The admin service's gate: only admin keys (no host app's) get through. */
public final class AdminKeyInterceptor implements ServerInterceptor {
  private final ApiKeyInterceptor keys;

  public AdminKeyInterceptor(ApiKeys adminKeys) {
    this.keys = new ApiKeyInterceptor(adminKeys);
  }

  private AdminKeyInterceptor(ApiKeyInterceptor keys) {
    this.keys = keys;
  }

  /** Lets every call through, when authentication is turned off. */
  public static AdminKeyInterceptor open() {
    return new AdminKeyInterceptor(ApiKeyInterceptor.open());
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    return keys.interceptCall(call, headers, next);
  }
}
