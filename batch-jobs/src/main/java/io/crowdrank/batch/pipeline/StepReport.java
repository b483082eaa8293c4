package io.crowdrank.batch.pipeline;

import java.util.Map;

/** What every step reports for the run record: what it read, what it wrote, what it counted. */
public interface StepReport {
  /** Delta tables read, with the version read. */
  Map<String, Long> inputVersions();

  /** Delta tables written, with the version written. */
  Map<String, Long> outputVersions();

  /** Row counts and other measures, by name (e.g. {@code payments.quarantined}). */
  Map<String, Long> counts();

  /** True if the step found its outputs already built from the same inputs and wrote nothing. */
  default boolean skipped() {
    return false;
  }
}
