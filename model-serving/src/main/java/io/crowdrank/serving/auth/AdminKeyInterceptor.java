package io.crowdrank.serving.auth;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * The admin service's gate: only operators' keys (no host app's) authenticate; its rpcs then check
 * {@link Caller#authorizeOperator}.
 */
public final class AdminKeyInterceptor implements ServerInterceptor {
  private final ApiKeyInterceptor keys;

  public AdminKeyInterceptor(ApiKeys adminKeys) {
    this(new ApiKeyInterceptor(adminKeys));
  }

  private AdminKeyInterceptor(ApiKeyInterceptor keys) {
    this.keys = keys;
  }

  /** Takes any caller as an operator: development only, when authentication is turned off. */
  public static AdminKeyInterceptor open() {
    return new AdminKeyInterceptor(ApiKeyInterceptor.open());
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    return keys.interceptCall(call, headers, next);
  }
}
