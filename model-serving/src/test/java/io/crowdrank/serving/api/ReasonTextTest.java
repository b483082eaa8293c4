package io.crowdrank.serving.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.ranking.Reason;
import io.crowdrank.ranking.Reason.Kind;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pins the words of every reason kind: clients, the demo and the docs quote them, so each expected
 * string is written out by hand.
 */
class ReasonTextTest {
  // Wednesday 08:00 is hour 2 · 24 + 8 of the week; Saturday 20:00 is 5 · 24 + 20.
  static final int WEDNESDAY_8AM = 56;
  static final int SATURDAY_8PM = 140;

  @Test
  void of_everyKind_wordsUsersHaveAlwaysSeen() {
    Map<Reason, String> expected =
        Map.ofEntries(
            Map.entry(Reason.of(Kind.CAMPAIGN, "Welcome offer"), "campaign: Welcome offer"),
            Map.entry(
                Reason.of(Kind.SIMILAR_USERS, "coffee_tea"),
                "people with tastes like yours use coffee tea here"),
            Map.entry(
                Reason.of(Kind.POPULAR_AT_HOUR, "coffee_tea", Integer.toString(WEDNESDAY_8AM)),
                "coffee tea is popular at weekday breakfast"),
            Map.entry(
                Reason.of(Kind.POPULAR_AT_HOUR, "fast_food", Integer.toString(SATURDAY_8PM)),
                "fast food is popular at Saturday evening"),
            Map.entry(Reason.of(Kind.LOCAL_FAVOURITE, "hangzhou"), "local favourite in hangzhou"),
            Map.entry(
                Reason.of(Kind.POPULAR_IN_CITY, "hangzhou", "alipay"),
                "popular in hangzhou on alipay"),
            Map.entry(Reason.of(Kind.POPULAR_ON_HOST_APP, "weibo"), "popular on weibo"),
            Map.entry(Reason.of(Kind.POPULAR_OVERALL), "popular overall"),
            Map.entry(
                Reason.of(Kind.MATCHES_INTEREST, "travel"), "matches your interest in travel"),
            Map.entry(
                Reason.of(Kind.NEW_LIKE_YOURS, "alipay", "coffee_tea"),
                "new on alipay: like the coffee tea you use"),
            Map.entry(Reason.of(Kind.NEW_ARRIVAL, "weibo"), "new on weibo: just arrived"));

    expected.forEach((reason, text) -> assertThat(ReasonText.of(reason)).isEqualTo(text));
    assertThat(expected.keySet().stream().map(Reason::kind).distinct())
        .as("every kind has its words pinned")
        .containsExactlyInAnyOrder(Kind.values());
  }
}
