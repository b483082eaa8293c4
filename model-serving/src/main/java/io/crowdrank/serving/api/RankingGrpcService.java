package io.crowdrank.serving.api;

import io.crowdrank.format.HostApps;
import io.crowdrank.proto.v1.GetModelInfoRequest;
import io.crowdrank.proto.v1.GetUserSegmentsRequest;
import io.crowdrank.proto.v1.ModelInfo;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.crowdrank.proto.v1.RecordEventsSummary;
import io.crowdrank.proto.v1.UserEvent;
import io.crowdrank.proto.v1.UserSegments;
import io.crowdrank.serving.auth.ApiKeyInterceptor;
import io.crowdrank.serving.auth.Caller;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.common.annotation.NonBlocking;
import jakarta.inject.Inject;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * gRPC binding of {@link RankingHandler}. Ranking is CPU work, so it runs off the event loop: Rank
 * on the {@link CallExecutor} (where calls waiting together are ranked together), the rarer calls
 * on Quarkus's worker pool.
 */
@GrpcService
@Blocking
@RegisterInterceptor(ApiKeyInterceptor.class)
@RegisterInterceptor(ShardHeaderInterceptor.class)
public class RankingGrpcService extends RankingServiceGrpc.RankingServiceImplBase {
  private static final Logger LOG = Logger.getLogger(RankingGrpcService.class);

  private final RankingHandler endpoint;
  private final CallExecutor calls;
  private final CallExecutor.Batch<Pending> ranking =
      new CallExecutor.Batch<>() {
        @Override
        public void run(List<Pending> calls) {
          rankAll(calls);
        }

        @Override
        public boolean joins() {
          return endpoint.ranksTogether();
        }
      };

  @Inject
  public RankingGrpcService(RankingHandler endpoint, CallExecutor calls) {
    this.endpoint = endpoint;
    this.calls = calls;
  }

  /** A queued Rank call and where its answer goes. */
  private record Pending(RankingHandler.Call call, StreamObserver<RankResponse> responses) {}

  @Override
  @NonBlocking
  public void rank(RankRequest request, StreamObserver<RankResponse> responses) {
    boolean logged;
    try {
      Caller caller = Caller.current();
      caller.authorize(RankRequests.hostApp(request.getHostApp()));
      if (request.hasForceVariant()) {
        caller.requireOperator("force_variant");
      }
      logged = !caller.warmUp();
    } catch (StatusException e) {
      responses.onError(e);
      return;
    }
    // The call's context is cancelled when its deadline passes or the client goes away.
    io.grpc.Context call = io.grpc.Context.current();
    if (!calls.execute(
        new Pending(new RankingHandler.Call(request, call::isCancelled, logged), responses),
        ranking)) {
      responses.onError(calls.overloaded());
    }
  }

  private void rankAll(List<Pending> pending) {
    List<RankingHandler.Answer> answers;
    try {
      answers = endpoint.rank(pending.stream().map(Pending::call).toList());
    } catch (RuntimeException e) {
      LOG.error("ranking failed", e);
      for (Pending p : pending) {
        p.responses().onError(Status.INTERNAL.withDescription("ranking failed").asException());
      }
      return;
    }
    for (int i = 0; i < pending.size(); i++) {
      RankingHandler.Answer answer = answers.get(i);
      respond(pending.get(i).responses(), answer::get);
    }
  }

  @Override
  public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> responses) {
    respond(
        responses,
        () -> {
          Caller.current().actsForNoHostApp();
          return endpoint.modelInfo();
        });
  }

  @Override
  public void getUserSegments(
      GetUserSegmentsRequest request, StreamObserver<UserSegments> responses) {
    respond(
        responses,
        () -> {
          Caller.current().authorize(RankRequests.hostApp(request.getHostApp()));
          return endpoint.userSegments(request);
        });
  }

  @Override
  public StreamObserver<UserEvent> recordEvents(StreamObserver<RecordEventsSummary> responses) {
    RankingHandler.EventStream stream = endpoint.eventStream();
    return new StreamObserver<>() {
      private boolean refused;

      @Override
      public void onNext(UserEvent event) {
        if (refused) {
          return;
        }
        try {
          // An event without a valid host app is not stored; the summary lists it as invalid.
          if (HostApps.isValid(event.getHostApp())) {
            Caller.current().authorize(event.getHostApp());
          }
        } catch (StatusException e) {
          // Events before this one are stored; this one and what follows are not.
          refused = true;
          responses.onError(e);
          return;
        }
        stream.accept(event);
      }

      @Override
      public void onError(Throwable t) {
        // The client gave up; what arrived is stored, there is nobody to answer.
      }

      @Override
      public void onCompleted() {
        if (refused) {
          return;
        }
        try {
          // Every event was checked on arrival; an empty stream acts for nobody.
          Caller.current().actsForNoHostApp();
        } catch (StatusException e) {
          responses.onError(e);
          return;
        }
        // Answered by the log's writer once the events are on disk.
        stream
            .finish()
            .whenComplete(
                (summary, error) -> {
                  if (error != null) {
                    Throwable cause = error.getCause() != null ? error.getCause() : error;
                    responses.onError(
                        cause instanceof StatusException s
                            ? s
                            : Status.INTERNAL
                                .withDescription("storing events failed")
                                .asException());
                  } else {
                    responses.onNext(summary);
                    responses.onCompleted();
                  }
                });
      }
    };
  }

  /** A unary call that either answers or fails with a gRPC status. */
  interface Call<T> {
    T answer() throws StatusException;
  }

  static <T> void respond(StreamObserver<T> responses, Call<T> call) {
    T answer;
    try {
      answer = call.answer();
    } catch (StatusException e) {
      responses.onError(e);
      return;
    }
    responses.onNext(answer);
    responses.onCompleted();
  }
}
