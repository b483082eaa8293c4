package io.crowdrank.batch.common;

/** What the options of every lineage-tracked step have: the warehouse it reads and writes. */
public interface StepOptions {
  /** Root of the Delta tables (local path or URI). */
  String warehouse();
}
