package io.crowdrank.serving.api;

import com.google.protobuf.Timestamp;
import io.crowdrank.proto.v1.ModelInfo;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankedItem;
import io.crowdrank.serving.bundle.ModelBundle;
import io.crowdrank.serving.ranking.RankQuery;
import io.crowdrank.serving.ranking.Ranker;
import io.crowdrank.serving.ranking.Ranking;
import io.grpc.Status;
import io.grpc.StatusException;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the gRPC service does, without gRPC plumbing: validate, rank on the bundle being served,
 * build the response. Each call takes the current bundle once, so a hot swap mid-call cannot mix
 * versions.
 */
public final class RankingEndpoint {
  private final Supplier<Optional<ModelBundle>> bundles;
  private final RankRequests requests;
  private final Ranker ranker;

  public RankingEndpoint(
      Supplier<Optional<ModelBundle>> bundles, RankRequests requests, Ranker ranker) {
    this.bundles = bundles;
    this.requests = requests;
    this.ranker = ranker;
  }

  public RankResponse rank(RankRequest request) throws StatusException {
    RankQuery query = requests.toQuery(request);
    ModelBundle bundle = served();
    Ranking ranking = ranker.rank(bundle, query);
    RankResponse.Builder out =
        RankResponse.newBuilder()
            .setModelVersion(ranking.modelVersion())
            .setStrategy(ranking.strategy().id());
    for (Ranking.Item item : ranking.items()) {
      out.addItems(
          RankedItem.newBuilder()
              .setMiniProgramId(item.id())
              .setScore(item.score())
              .addAllReasons(item.reasons())
              .setName(item.name())
              .setCategory(item.category()));
    }
    return out.build();
  }

  public ModelInfo modelInfo() throws StatusException {
    ModelBundle bundle = served();
    var created = bundle.manifest().createdTime();
    return ModelInfo.newBuilder()
        .setVersion(bundle.version())
        .setCreatedTime(
            Timestamp.newBuilder().setSeconds(created.getEpochSecond()).setNanos(created.getNano()))
        .setItemCount(bundle.itemCount())
        .setUserCount(bundle.userCount())
        .setManifestJson(bundle.manifest().json())
        .build();
  }

  private ModelBundle served() throws StatusException {
    return bundles
        .get()
        .orElseThrow(
            () ->
                Status.UNAVAILABLE
                    .withDescription(
                        "no model bundle loaded yet; check that publish has run and the warehouse path")
                    .asException());
  }
}
