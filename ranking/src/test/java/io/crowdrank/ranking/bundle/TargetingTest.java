package io.crowdrank.ranking.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.format.HostApps;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TargetingTest {
  static final Instant NOV_1 = Instant.parse("2026-11-01T00:00:00Z");
  static final Instant DEC_1 = Instant.parse("2026-12-01T00:00:00Z");

  final Catalog catalog =
      new Catalog(
          2,
          List.of(CatalogTest.item("coffee", "coffee_tea", List.of(), 0, 1f, 0f)),
          Names.sorted(List.of()),
          Names.sorted(List.of()),
          false,
          null);
  final UserStore users =
      UserStore.of(
          2,
          List.of(
              UserStoreTest.user("u1", null, null, null, List.of(), new float[0]),
              UserStoreTest.user("u2", null, null, null, List.of(), new float[0])),
          Names.sorted(List.of()),
          Names.sorted(List.of()));

  static Targeting.Segment segment(String id) {
    return new Targeting.Segment(id, "Name of " + id, null, "About " + id, 1);
  }

  static ModelBundle.CampaignRow campaign(String id, String item, List<String> segments) {
    return new ModelBundle.CampaignRow(
        id, "Campaign " + id, item, segments, List.of("weibo"), NOV_1, DEC_1, 0.5, 2);
  }

  @Test
  void of_segmentsInIdOrder_membershipsSortedDistinct_unknownSegmentsDropped() {
    Targeting t =
        Targeting.of(
            List.of(segment("z-fans"), segment("a-lovers")),
            Map.of("u1", List.of("z-fans", "gone", "a-lovers", "z-fans")),
            List.of(),
            catalog,
            users);

    assertThat(t.segments())
        .extracting(Targeting.Segment::id)
        .containsExactly("a-lovers", "z-fans");
    assertThat(t.userSegments(0)).containsExactly(0, 1);
    assertThat(t.userSegments(1)).isEmpty();
    assertThat(t.inSegment(0, 1)).isTrue();
    assertThat(t.inSegment(1, 1)).isFalse();
    assertThat(t.inSegment(-1, 0)).as("an unknown user is in no segment").isFalse();
  }

  @Test
  void of_campaignsResolved_thoseWithoutTheirItemOrAnySegmentLeftOut() {
    Targeting t =
        Targeting.of(
            List.of(segment("fans")),
            Map.of(),
            List.of(
                campaign("ok", "coffee", List.of("gone", "fans")),
                campaign("no-item", "tea", List.of("fans")),
                campaign("no-audience", "coffee", List.of("gone"))),
            catalog,
            users);

    assertThat(t.campaigns()).hasSize(1);
    Targeting.Campaign c = t.campaigns().get(0);
    assertThat(c.id()).isEqualTo("ok");
    assertThat(c.item()).isEqualTo(catalog.find("coffee").getAsInt());
    assertThat(c.segments()).containsExactly(0);
    assertThat(c.runsIn(HostApps.ALL.indexOf("weibo"))).isTrue();
    assertThat(c.runsIn(HostApps.ALL.indexOf("alipay"))).isFalse();
    assertThat(c.runsAt(NOV_1)).isTrue();
    assertThat(c.runsAt(DEC_1)).as("the end is exclusive").isFalse();
  }
}
