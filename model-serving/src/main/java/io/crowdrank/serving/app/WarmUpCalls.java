package io.crowdrank.serving.app;

import com.google.common.base.Preconditions;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.crowdrank.format.HostApps;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.crowdrank.proto.v1.UserRef;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.ranking.bundle.UserStore;
import io.crowdrank.serving.auth.ApiKeyInterceptor;
import io.crowdrank.serving.auth.WarmUpKey;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Rank calls a replica sends itself through its own gRPC port before it reports ready, so that the
 * JIT compiles the whole path of a call (transport, protobuf, the handler, the ranking) while
 * nobody waits for an answer. At 1 M items and 1,000 Rank/s a replica without them compiled some
 * 6,700 methods, half of them gRPC's and Netty's, in its first 20 s of traffic, with its CPU at 94
 * % and the p99 at 42 ms (docs/BENCHMARKS.md). Three calls in four are for known users of this
 * replica's shard ({@link UserStore#sample}), ranked as theirs; the fourth for a made-up account of
 * the shard, unknown to the bundle (the popular path). The calls carry the replica's {@link
 * WarmUpKey} and are not logged.
 */
final class WarmUpCalls {
  private static final Logger LOG = Logger.getLogger(WarmUpCalls.class);

  /** Calls in flight at once: enough to fill both the gRPC event loop and the call threads. */
  static final int IN_FLIGHT = 8;

  /** How long past the budget the calls still in flight may take to answer. */
  private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

  /**
   * @param calls how many to send (0: none)
   * @param budget the longest they may take in all; those not sent by then are not
   */
  record Settings(int calls, Duration budget) {
    Settings {
      Preconditions.checkArgument(calls >= 0, "warm-up calls must be >= 0, got %s", calls);
      Preconditions.checkArgument(
          !budget.isNegative(), "warm-up budget must be >= 0, got %s", budget);
    }
  }

  /**
   * What the warm-up did: calls sent, those answered by the strategy that ranked them, those that
   * failed by status, its time.
   */
  record Result(int sent, Map<String, Integer> answered, Map<String, Integer> failed, long millis) {
    int answeredCount() {
      return answered.values().stream().mapToInt(Integer::intValue).sum();
    }
  }

  private WarmUpCalls() {}

  /**
   * Sends the calls to {@code 127.0.0.1:port} (waiting for the port to be served, within the
   * budget; those in flight at its end may answer up to 2 s later), then retires the key; never
   * throws: a replica that cannot warm up still serves.
   */
  static Result run(ModelBundle bundle, int port, WarmUpKey key, Settings s) {
    long started = System.nanoTime();
    long deadline = started + s.budget().toNanos();
    Map<String, Integer> answered = new ConcurrentHashMap<>();
    Map<String, Integer> failed = new ConcurrentHashMap<>();
    int sent = 0;
    ManagedChannel channel = null;
    try {
      if (s.calls() > 0) {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        Metadata headers = new Metadata();
        headers.put(ApiKeyInterceptor.API_KEY, key.value());
        var stub =
            RankingServiceGrpc.newFutureStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withWaitForReady();
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        List<UserRef> known = new ArrayList<>();
        for (UserStore.Account a : bundle.users().sample()) {
          if (bundle.shard().ownsKey(a.id())) {
            known.add(ref(a));
          }
        }
        int nextKnown = 0;
        int unknown = 0;
        for (; sent < s.calls(); sent++) {
          long left = deadline - System.nanoTime();
          if (left <= 0 || !inFlight.tryAcquire(left, TimeUnit.NANOSECONDS)) {
            break;
          }
          UserRef user;
          if (sent % 4 != 3 && !known.isEmpty()) {
            user = known.get(nextKnown++ % known.size());
          } else {
            String account;
            do {
              account = "warm-up-" + unknown++;
            } while (!bundle.shard().ownsKey(account));
            user = UserRef.newBuilder().setPaymentAccount(account).build();
          }
          RankRequest request =
              RankRequest.newBuilder()
                  .setUser(user)
                  .setHostApp(HostApps.ALL.get(sent % HostApps.ALL.size()))
                  .build();
          Futures.addCallback(
              stub.withDeadlineAfter(left + GRACE_NANOS, TimeUnit.NANOSECONDS).rank(request),
              new FutureCallback<RankResponse>() {
                @Override
                public void onSuccess(RankResponse r) {
                  answered.merge(r.getStrategy(), 1, Integer::sum);
                  inFlight.release();
                }

                @Override
                public void onFailure(Throwable t) {
                  failed.merge(Status.fromThrowable(t).getCode().name(), 1, Integer::sum);
                  inFlight.release();
                }
              },
              MoreExecutors.directExecutor());
        }
        // The last calls end by their deadline at the latest.
        inFlight.tryAcquire(
            IN_FLIGHT,
            Math.max(0, deadline - System.nanoTime()) + GRACE_NANOS,
            TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warnf(e, "the warm-up calls stopped early");
    } finally {
      key.retire();
      if (channel != null) {
        channel.shutdownNow();
      }
    }
    Result r =
        new Result(
            sent,
            new TreeMap<>(answered),
            new TreeMap<>(failed),
            (System.nanoTime() - started) / 1_000_000);
    if (sent > 0) {
      LOG.infof(
          "warmed the service up with %d Rank calls to itself in %d ms (answered %s%s)",
          r.sent(), r.millis(), r.answered(), r.failed().isEmpty() ? "" : ", failed " + r.failed());
    }
    return r;
  }

  /** The account as a request names it. */
  private static UserRef ref(UserStore.Account a) {
    UserRef.Builder r = UserRef.newBuilder();
    switch (a.type()) {
      case PAYMENT_ACCOUNT -> r.setPaymentAccount(a.id());
      case SOCIAL_ACCOUNT -> r.setSocialAccount(a.id());
      case SHARED_ID -> r.setSharedId(a.id());
    }
    return r.build();
  }
}
