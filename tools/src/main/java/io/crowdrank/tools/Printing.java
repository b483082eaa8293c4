package io.crowdrank.tools;

import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankedItem;
import java.util.Locale;

/** Renders rankings for people. */
final class Printing {
  private Printing() {}

  static String ranking(RankResponse r) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(Locale.ROOT, "    [%s, model v%d]%n", r.getStrategy(), r.getModelVersion()));
    int rank = 1;
    for (RankedItem item : r.getItemsList()) {
      b.append(
          String.format(
              Locale.ROOT,
              "    %2d. %-32s %-14s %7.3f  %s%n",
              rank++,
              item.getName() + " (" + item.getMiniProgramId() + ")",
              item.getCategory(),
              item.getScore(),
              String.join("; ", item.getReasonsList())));
    }
    if (r.getItemsCount() == 0) {
      b.append("    (nothing eligible)\n");
    }
    return b.toString();
  }
}
