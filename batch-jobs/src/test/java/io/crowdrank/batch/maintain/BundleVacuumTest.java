package io.crowdrank.batch.maintain;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which pinned bundle versions a vacuum now would delete, worked out by hand. */
class BundleVacuumTest {
  static final Instant CUTOFF = Instant.parse("2026-12-01T00:00:00Z");

  @Test
  void endangered_areThePinnedVersionsReplacedBeforeTheCutoff() {
    // Version 3 was replaced on 11-28 (before the cutoff), 5 on 12-02 (after); 7 is the newest.
    Map<Long, Instant> replacedAt =
        Map.of(
            3L, Instant.parse("2026-11-28T10:00:00Z"),
            4L, Instant.parse("2026-11-30T10:00:00Z"),
            5L, Instant.parse("2026-12-02T10:00:00Z"),
            6L, Instant.parse("2026-12-03T10:00:00Z"));

    assertThat(MaintenanceJob.endangered(Set.of(3L, 5L, 7L), replacedAt, CUTOFF))
        .containsExactly(3L);
    assertThat(MaintenanceJob.endangered(Set.of(5L, 7L), replacedAt, CUTOFF)).isEmpty();
    assertThat(MaintenanceJob.endangered(Set.of(), replacedAt, CUTOFF)).isEmpty();
  }
}
