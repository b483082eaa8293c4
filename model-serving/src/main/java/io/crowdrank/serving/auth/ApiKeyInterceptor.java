package io.crowdrank.serving.auth;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Authenticates every call by the {@code x-api-key} metadata: no or an unknown key is {@code
 * UNAUTHENTICATED}. A known key's binding (a host app, or operators) goes into the call's context
 * as its {@link Caller}; the rpc checks it against its own request. An answer from an rpc that did
 * not check is replaced by {@code PERMISSION_DENIED}: access is refused unless the rpc grants it.
 * Health and reflection are not behind it.
 */
public final class ApiKeyInterceptor implements ServerInterceptor {
  private static final Logger LOG = Logger.getLogger(ApiKeyInterceptor.class);

  public static final Metadata.Key<String> API_KEY =
      Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);

  /** An operator's key, besides the host app's, for what only operators may do in a call. */
  public static final Metadata.Key<String> ADMIN_KEY =
      Metadata.Key.of("x-admin-key", Metadata.ASCII_STRING_MARSHALLER);

  private final ApiKeys keys;
  private final ApiKeys operators;
  private final WarmUpKey warmUp;

  public ApiKeyInterceptor(ApiKeys keys) {
    this(keys, null);
  }

  /**
   * @param operators operators' keys a call may carry in {@link #ADMIN_KEY}; null: none
   */
  public ApiKeyInterceptor(ApiKeys keys, ApiKeys operators) {
    this(keys, operators, null);
  }

  private ApiKeyInterceptor(ApiKeys keys, ApiKeys operators, WarmUpKey warmUp) {
    this.keys = keys;
    this.operators = operators;
    this.warmUp = warmUp;
  }

  /** The same interceptor, also taking the replica's own warm-up key while it is not retired. */
  public ApiKeyInterceptor withWarmUp(WarmUpKey key) {
    return new ApiKeyInterceptor(keys, operators, key);
  }

  /**
   * Takes any caller as bound to every host app: development only, when authentication is turned
   * off. Rpcs still have to check (they always pass), so a forgotten check shows in development.
   */
  public static ApiKeyInterceptor open() {
    return new ApiKeyInterceptor(null);
  }

  /**
   * The service's interceptor as configured: refuses (throws) when authentication is on and no key
   * is configured, since a service nobody can call is a misconfiguration; warns when it is off.
   *
   * @param hostAppByHash lower-case hex SHA-256 of each key → its host app
   */
  public static ApiKeyInterceptor configured(boolean enabled, Map<String, String> hostAppByHash) {
    return configured(enabled, hostAppByHash, java.util.List.of());
  }

  /**
   * As {@link #configured(boolean, Map)}, with the operators' keys (their SHA-256) a call may also
   * carry.
   */
  public static ApiKeyInterceptor configured(
      boolean enabled,
      Map<String, String> hostAppByHash,
      java.util.Collection<String> adminHashes) {
    if (!enabled) {
      LOG.warn(
          "AUTHENTICATION IS OFF (crowdrank.auth.enabled=false, development only): any caller may"
              + " rank for any host app");
      return open();
    }
    if (hostAppByHash.isEmpty()) {
      throw new IllegalStateException(
          "no API keys configured (crowdrank.auth.api-keys.<name>.sha256 and .host-app;"
              + " CROWDRANK_API_KEYS with ./crowdrank serve): refusing to start. For development"
              + " only, crowdrank.auth.enabled=false (./crowdrank serve --insecure-no-auth) turns"
              + " authentication off");
    }
    return new ApiKeyInterceptor(ApiKeys.of(hostAppByHash), ApiKeys.admin(adminHashes));
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    if (warmUp != null && warmUp.matches(headers.get(API_KEY))) {
      return admit(call, headers, next, Caller.warmingUp());
    }
    String boundTo;
    boolean operator = false;
    if (keys == null) {
      boundTo = Caller.ANY;
      operator = true;
    } else {
      String key = headers.get(API_KEY);
      if (key == null || key.isEmpty()) {
        return refuse(call, Status.UNAUTHENTICATED.withDescription("missing x-api-key metadata"));
      }
      var bound = keys.hostApp(key);
      if (bound.isEmpty()) {
        return refuse(call, Status.UNAUTHENTICATED.withDescription("unknown API key"));
      }
      boundTo = bound.get();
      String admin = headers.get(ADMIN_KEY);
      if (admin != null) {
        if (operators == null || operators.hostApp(admin).isEmpty()) {
          return refuse(call, Status.UNAUTHENTICATED.withDescription("unknown x-admin-key"));
        }
        operator = true;
      }
    }
    return admit(call, headers, next, new Caller(boundTo, operator));
  }

  /** Runs the call with its caller in the context, answering once the rpc has checked it. */
  private static <Q, A> ServerCall.Listener<Q> admit(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next, Caller caller) {
    return Contexts.interceptCall(
        Context.current().withValue(Caller.KEY, caller),
        new Checked<>(call, caller),
        headers,
        next);
  }

  /** The call, answering only once the rpc has checked its caller. */
  private static final class Checked<Q, A>
      extends ForwardingServerCall.SimpleForwardingServerCall<Q, A> {
    private final Caller caller;
    private boolean refused;

    Checked(ServerCall<Q, A> call, Caller caller) {
      super(call);
      this.caller = caller;
    }

    @Override
    public void sendMessage(A message) {
      if (refused || !allowed()) {
        return;
      }
      super.sendMessage(message);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (refused) {
        return;
      }
      if (status.isOk() && !allowed()) {
        return;
      }
      super.close(status, trailers);
    }

    /** Whether the rpc checked its caller; if not, the call ends here, refused. */
    private boolean allowed() {
      if (caller.checked()) {
        return true;
      }
      refused = true;
      String rpc = getMethodDescriptor().getFullMethodName();
      LOG.errorf("rpc %s answered without checking its caller: refused", rpc);
      super.close(
          Status.PERMISSION_DENIED.withDescription(
              "rpc " + rpc + " does not check who may call it: refused"),
          new Metadata());
      return false;
    }
  }

  private static <Q, A> ServerCall.Listener<Q> refuse(ServerCall<Q, A> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
