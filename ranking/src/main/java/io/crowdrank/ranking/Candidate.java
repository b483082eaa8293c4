package io.crowdrank.ranking;

import com.google.common.collect.ImmutableList;
import java.util.List;

/** A mini-program (catalog index) chosen for a ranking, with its score and reasons. */
record Candidate(int item, double score, List<Reason> reasons) {
  Candidate {
    reasons = ImmutableList.copyOf(reasons);
  }

  Candidate withScore(double s) {
    return new Candidate(item, s, reasons);
  }

  /** The same candidate with this reason first (moved there if it already had it). */
  Candidate withReasonFirst(Reason first) {
    if (!reasons.isEmpty() && reasons.get(0).equals(first)) {
      return this;
    }
    ImmutableList.Builder<Reason> out = ImmutableList.<Reason>builder().add(first);
    reasons.stream().filter(r -> !r.equals(first)).forEach(out::add);
    return new Candidate(item, score, out.build());
  }
}
