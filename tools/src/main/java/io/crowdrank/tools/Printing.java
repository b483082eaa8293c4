package io.crowdrank.tools;

import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankedItem;
import java.util.Locale;

/** Renders rankings for people. */
final class Printing {
  private Printing() {}

  static String ranking(RankResponse r) {
    return "    " + strategy(r) + System.lineSeparator() + items(r);
  }

  /** How the service ranked: {@code [personalized, model v3]}. */
  static String strategy(RankResponse r) {
    return String.format(Locale.ROOT, "[%s, model v%d]", r.getStrategy(), r.getModelVersion());
  }

  /** One line per ranked item, with its reasons. */
  static String items(RankResponse r) {
    StringBuilder b = new StringBuilder();
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
