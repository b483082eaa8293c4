package io.crowdrank.serving.auth;

import io.crowdrank.proto.v1.GetUserSegmentsRequest;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.UserEvent;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Authenticates every call to the ranking service by the {@code x-api-key} metadata: no or an
 * unknown key is {@code UNAUTHENTICATED}; a request (or streamed event) for a host app other than
 * the key's is {@code PERMISSION_DENIED}, and the call ends there. Health and reflection are not
 * behind it.
 */
public final class ApiKeyInterceptor implements ServerInterceptor {
  public static final Metadata.Key<String> API_KEY =
      Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);

  private final ApiKeys keys;

  public ApiKeyInterceptor(ApiKeys keys) {
    this.keys = keys;
  }

  /** Lets every call through: for a closed network with authentication turned off. */
  public static ApiKeyInterceptor open() {
    return new ApiKeyInterceptor(null);
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    if (keys == null) {
      return next.startCall(call, headers);
    }
    String key = headers.get(API_KEY);
    if (key == null || key.isEmpty()) {
      return refuse(call, Status.UNAUTHENTICATED.withDescription("missing x-api-key metadata"));
    }
    var hostApp = keys.hostApp(key);
    if (hostApp.isEmpty()) {
      return refuse(call, Status.UNAUTHENTICATED.withDescription("unknown API key"));
    }
    String allowed = hostApp.get();
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
        next.startCall(call, headers)) {
      private boolean closed;

      @Override
      public void onMessage(Q message) {
        if (closed) {
          return;
        }
        String asked = hostAppOf(message);
        if (asked != null && !asked.isEmpty() && !asked.equals(allowed)) {
          closed = true;
          call.close(
              Status.PERMISSION_DENIED.withDescription(
                  "this API key is for host app '" + allowed + "', not '" + asked + "'"),
              new Metadata());
          return;
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!closed) {
          super.onHalfClose();
        }
      }
    };
  }

  private static String hostAppOf(Object message) {
    if (message instanceof RankRequest r) {
      return r.getHostApp();
    }
    if (message instanceof UserEvent e) {
      return e.getHostApp();
    }
    if (message instanceof GetUserSegmentsRequest s) {
      return s.getHostApp();
    }
    return null;
  }

  private static <Q, A> ServerCall.Listener<Q> refuse(ServerCall<Q, A> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
