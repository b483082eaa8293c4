package io.crowdrank.serving.auth;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusException;

/**
 * Who is calling, as their key says: the host app (or operator) the key is bound to. {@link
 * ApiKeyInterceptor} puts it into the call's gRPC {@link Context}; every rpc checks it against its
 * own request ({@link #authorize}) or states that it acts for no host app ({@link
 * #actsForNoHostApp}) before it answers. An rpc that answers without doing either is refused by the
 * interceptor, so a new rpc is closed until its author says who may call it.
 */
public final class Caller {
  static final Context.Key<Caller> KEY = Context.key("crowdrank-caller");

  /** Bound to every host app: authentication is off (development only). */
  static final String ANY = "*";

  private final String boundTo;
  private final boolean operator;
  private final boolean warmUp;
  private volatile boolean checked;

  Caller(String boundTo) {
    this(boundTo, boundTo.equals(ANY));
  }

  /**
   * @param operator whether the call also carries an operator's key ({@code x-admin-key})
   */
  Caller(String boundTo, boolean operator) {
    this(boundTo, operator, false);
  }

  private Caller(String boundTo, boolean operator, boolean warmUp) {
    this.boundTo = boundTo;
    this.operator = operator;
    this.warmUp = warmUp;
  }

  /**
   * The replica itself, warming up with its {@link WarmUpKey}: any host app, no operator rights.
   */
  static Caller warmingUp() {
    return new Caller(ANY, false, true);
  }

  /**
   * Whether this is the replica's own warm-up call ({@link WarmUpKey}): answered as any other, but
   * nobody's traffic, so not logged.
   */
  public boolean warmUp() {
    return warmUp;
  }

  /**
   * Checks that the call also carries an operator's key, for what only operators may do in a host
   * app's call (e.g. force an experiment's variant).
   *
   * @throws StatusException PERMISSION_DENIED naming {@code what}
   */
  public void requireOperator(String what) throws StatusException {
    if (!operator) {
      throw Status.PERMISSION_DENIED
          .withDescription(what + " needs an operator's key in the x-admin-key metadata")
          .asException();
    }
  }

  /**
   * The caller of the current call.
   *
   * @throws StatusException PERMISSION_DENIED when the call did not pass an API key interceptor
   */
  public static Caller current() throws StatusException {
    Caller c = KEY.get();
    if (c == null) {
      throw Status.PERMISSION_DENIED
          .withDescription("no authenticated caller for this call")
          .asException();
    }
    return c;
  }

  /**
   * Checks that the caller may act for this host app.
   *
   * @throws StatusException PERMISSION_DENIED when the key is bound to another one
   */
  public void authorize(String hostApp) throws StatusException {
    if (!boundTo.equals(ANY) && !boundTo.equals(hostApp)) {
      throw Status.PERMISSION_DENIED
          .withDescription(
              "this API key is for "
                  + (boundTo.equals(ApiKeys.ADMIN) ? "operators" : "host app '" + boundTo + "'")
                  + ", not '"
                  + hostApp
                  + "'")
          .asException();
    }
    checked = true;
  }

  /** Checks that the caller holds an operator's key: for the admin service. */
  public void authorizeOperator() throws StatusException {
    authorize(ApiKeys.ADMIN);
  }

  /**
   * Says that the rpc answers the same to every authenticated caller (it acts for no host app, e.g.
   * which model is served).
   */
  public void actsForNoHostApp() {
    checked = true;
  }

  boolean checked() {
    return checked;
  }
}
