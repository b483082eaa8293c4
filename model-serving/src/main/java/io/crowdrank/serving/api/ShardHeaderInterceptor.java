package io.crowdrank.serving.api;

import io.crowdrank.format.UserBuckets;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Tells the caller which shard answered ({@link UserBuckets#SHARD_HEADER}: {@code s/S}), so that a
 * host app or an operator behind the proxy can see where a user's calls go: the shard of the bundle
 * served when the call starts. Nothing is added by an unsharded replica, or before a bundle is
 * loaded.
 */
public final class ShardHeaderInterceptor implements ServerInterceptor {
  private static final Metadata.Key<String> SHARD =
      Metadata.Key.of(UserBuckets.SHARD_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private final Supplier<Optional<ModelBundle>> bundles;

  public ShardHeaderInterceptor(Supplier<Optional<ModelBundle>> bundles) {
    this.bundles = bundles;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    UserBuckets.Shard shard = bundles.get().map(ModelBundle::shard).orElse(UserBuckets.Shard.ALL);
    if (shard.count() == 1) {
      return next.startCall(call, headers);
    }
    String value = shard.toString();
    return next.startCall(
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void sendHeaders(Metadata responseHeaders) {
            responseHeaders.put(SHARD, value);
            super.sendHeaders(responseHeaders);
          }
        },
        headers);
  }
}
