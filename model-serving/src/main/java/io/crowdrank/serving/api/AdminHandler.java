package io.crowdrank.serving.api;

import io.crowdrank.proto.v1.ModelInfo;
import io.crowdrank.proto.v1.RollbackRequest;
import io.crowdrank.ranking.bundle.BundleException;
import io.crowdrank.serving.bundle.BundleHolder;
import io.grpc.Status;
import io.grpc.StatusException;
import java.util.OptionalLong;

/** What the admin service does, without gRPC plumbing: reload and roll back the served bundle. */
public final class AdminHandler {
  private final BundleHolder holder;
  private final RankingHandler ranking;

  public AdminHandler(BundleHolder holder, RankingHandler ranking) {
    this.holder = holder;
    this.ranking = ranking;
  }

  public ModelInfo reload() throws StatusException {
    try {
      holder.reload();
    } catch (BundleException.NotPublished e) {
      throw Status.NOT_FOUND.withDescription(e.getMessage()).asException();
    } catch (BundleException e) {
      throw Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asException();
    }
    return ranking.modelInfo();
  }

  public ModelInfo rollback(RollbackRequest request) throws StatusException {
    if (request.hasVersion() && request.getVersion() < 0) {
      throw RankRequests.invalid("version must be >= 0, got " + request.getVersion());
    }
    try {
      holder.rollback(
          request.hasVersion() ? OptionalLong.of(request.getVersion()) : OptionalLong.empty());
    } catch (IllegalStateException e) {
      throw Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asException();
    } catch (BundleException e) {
      throw Status.NOT_FOUND
          .withDescription("cannot serve version " + request.getVersion() + ": " + e.getMessage())
          .asException();
    }
    return ranking.modelInfo();
  }
}
