package io.crowdrank.batch.reports;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.batch.reports.SegmentReport.Fact;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SegmentReportTest {
  static final int K = 50;

  static final List<Fact> POPULATION =
      List.of(
          new Fact("size", "", 10_000),
          new Fact("interest", "food", 2_000),
          new Fact("interest", "travel", 1_000));

  static List<Fact> segment(double size) {
    List<Fact> f = new ArrayList<>();
    f.add(new Fact("size", "", size));
    f.add(new Fact("platform", "shared", 300));
    f.add(new Fact("platform", "payment_only", 40)); // fewer than k: suppressed
    f.add(new Fact("platform", "social_only", 160));
    f.add(new Fact("aipl", "purchase", 200));
    f.add(new Fact("aipl", "none", 300));
    f.add(new Fact("movement", "interest>purchase", 60));
    f.add(new Fact("movement", "none>awareness", 3));
    f.add(new Fact("city", "hangzhou", 400));
    f.add(new Fact("city", "lhasa", 2));
    f.add(new Fact("interest", "food", 250)); // 50% vs 20%: TGI 250
    f.add(new Fact("interest", "travel", 30)); // fewer than k interested: left out
    f.add(new Fact("heat", "12", 250));
    return f;
  }

  static Map<String, Object> report(double size) {
    return SegmentReport.build(
        "m1",
        "s1",
        "Segment",
        null,
        segment(size),
        POPULATION,
        List.of(new Fact("lookalike", "0.9", 12), new Fact("lookalike", "0.5", 900)),
        Map.of(),
        1000,
        K);
  }

  @Test
  @SuppressWarnings("unchecked")
  void build_suppressesEveryCountBelowK_andKeepsTheRest() {
    Map<String, Object> r = report(500);

    assertThat(r.get("size")).isEqualTo(500L);
    assertThat(r.get("suppressed")).isEqualTo(false);
    assertThat((Map<String, Long>) r.get("platforms"))
        .containsEntry("shared", 300L)
        .containsEntry("payment_only", null)
        .containsEntry("social_only", 160L);
    assertThat(r.get("social_reach_extra")).isEqualTo(160L);
    assertThat((Map<String, Long>) r.get("aipl"))
        .containsEntry("purchase", 200L)
        .containsEntry("loyalty", 0L)
        .containsEntry("none", 300L);
    assertThat((List<Map<String, Object>>) r.get("cities"))
        .extracting(c -> c.get("users"))
        .containsExactly(400L, null);
    assertThat((List<Map<String, Object>>) r.get("aipl_movement"))
        .extracting(m -> m.get("users"))
        .containsExactlyInAnyOrder(60L, null);
    assertThat((List<Map<String, Object>>) r.get("lookalike"))
        .extracting(p -> p.get("users"))
        .containsExactly(null, 900L);
    assertThat(r.get("lookalike_top_n")).isEqualTo(1000);
    assertThat(((List<Double>) r.get("heatmap")).get(12)).isEqualTo(0.5);
  }

  @Test
  @SuppressWarnings("unchecked")
  void build_interests_haveTgiAgainstThePopulation_andLeaveOutSmallGroups() {
    List<Map<String, Object>> interests = (List<Map<String, Object>>) report(500).get("interests");

    assertThat(interests).hasSize(1);
    assertThat(interests.get(0))
        .containsEntry("vertical", "food")
        .containsEntry("share", 0.5)
        .containsEntry("tgi", 250L);
  }

  @Test
  void build_segmentSmallerThanK_isSuppressedWhole() {
    Map<String, Object> r = report(49);

    assertThat(r.get("size")).isNull();
    assertThat(r.get("suppressed")).isEqualTo(true);
    assertThat(r).doesNotContainKeys("platforms", "cities", "heatmap", "interests", "aipl");
  }
}
