package io.crowdrank.ranking;

import io.crowdrank.ranking.Reason.Kind;
import io.crowdrank.ranking.ann.ItemIndex;
import io.crowdrank.ranking.ann.Scan;
import io.crowdrank.ranking.ann.TopK;
import io.crowdrank.ranking.bundle.Catalog;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * For a user with a vector: the collaborative score (user · item factors) plus the context term
 * {@code w · ln(lift)} of the item's category at the hour of week. Candidates are the host app's
 * own list when it gave one, else the nearest items of the HNSW graph on a large catalog, else (or
 * when the filters leave too few) a scan of every item.
 */
record PersonalisedStrategy(Diversifier diversifier, int annCandidates) implements Strategy {
  @Override
  public List<Candidate> top(Request r, int k) {
    TopK top = scored(r, k, candidates(annCandidates, k));
    Catalog catalog = r.catalog();
    List<Candidate> out = new ArrayList<>();
    for (TopK.Entry e : diversifier.topK(top.best(), k, catalog::categoryOf)) {
      List<Reason> reasons = new ArrayList<>();
      reasons.add(Reason.of(Kind.SIMILAR_USERS, catalog.category(e.item())));
      r.popularAtThisHour(e.item()).ifPresent(reasons::add);
      if (catalog.isLocalTo(e.item(), r.filters().city())) {
        reasons.add(Reason.of(Kind.LOCAL_FAVOURITE, r.cityName()));
      }
      out.add(new Candidate(e.item(), e.score(), reasons));
    }
    return out;
  }

  /**
   * Nearest-neighbour candidates re-scored with the context term for a top k: enough that the
   * context can reorder the top and the filters can drop some, never fewer than the pool.
   */
  static int candidates(int annCandidates, int k) {
    return Math.max(annCandidates, Strategy.pool(k));
  }

  /** The best {@link Strategy#pool} candidates by score, campaign items among them. */
  private static TopK scored(Request r, int k, int candidates) {
    Catalog catalog = r.catalog();
    int pool = Strategy.pool(k);
    TopK top = new TopK(pool);
    if (!r.query().only().isEmpty()) {
      // The host app's own list: score just those.
      for (String id : r.query().only()) {
        OptionalInt item = catalog.find(id);
        if (item.isPresent() && isCandidate(r, item.getAsInt())) {
          top.offer(item.getAsInt(), r.collaborative(item.getAsInt()));
        }
      }
      offerCampaigns(r, top);
      return top;
    }
    if (catalog.itemIndex().approximate()) {
      // Large catalog: the nearest items by the collaborative score, re-scored with context. The
      // search's beam is the candidate count: a wider one costs CPU for what is then dropped.
      for (ItemIndex.Neighbour n :
          catalog
              .itemIndex()
              .nearest(r.userVector(), candidates, r.filters().hostApp(), candidates)) {
        if (!r.campaigned(n.item()) && r.eligible(n.item())) {
          top.offer(n.item(), r.collaborative(n.item()));
        }
      }
      offerCampaigns(r, top);
    }
    if (top.size() < pool) {
      // Small catalog, or filters (city, exclusions) left too few: score every item (item by item
      // on an HNSW catalog, the rare fallback), run the filters only on items that could make the
      // top, re-score those exactly.
      Scan scan =
          r.prescanned() != null
              ? r.prescanned()
              : catalog.itemIndex().scanAll(r.userVector(), r::checkCancelled);
      top = new TopK(pool);
      for (int item :
          scan.contenders(
              pool, r.contextExtra(), item -> isCandidate(r, item), r::checkCancelled)) {
        top.offer(item, r.collaborative(item));
      }
      offerCampaigns(r, top);
    }
    return top;
  }

  /** A learnt item that passes the filters; campaign items come in by {@link #offerCampaigns}. */
  private static boolean isCandidate(Request r, int item) {
    return r.catalog().hasVector(item)
        && !r.catalog().isNew(item)
        && !r.campaigned(item)
        && r.eligible(item);
  }

  /** Campaign items as candidates: collaborative score (their category's if new) plus boost. */
  private static void offerCampaigns(Request r, TopK top) {
    for (int item : r.campaigns().items()) {
      if (r.catalog().hasVector(item)) {
        top.offer(item, r.collaborative(item) + r.campaigns().boost(item));
      }
    }
  }
}
