package io.crowdrank.serving.bundle;

import io.crowdrank.ranking.bundle.ModelBundle;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What a replica serves at one moment: the bundle, and the earlier versions its experiments'
 * variants rank on ({@code bundle_version}), loaded beside it. Swapped as one value, so a call
 * never finds a variant's version missing.
 *
 * @param bundle the newest bundle published (or the one rolled back to)
 * @param sideBySide by version, every version {@link #needed} for the bundle
 */
public record ServedBundles(ModelBundle bundle, Map<Long, ModelBundle> sideBySide) {
  public ServedBundles {
    sideBySide = Map.copyOf(sideBySide);
    for (long v : needed(bundle)) {
      if (!sideBySide.containsKey(v)) {
        throw new IllegalArgumentException(
            "bundle version "
                + bundle.version()
                + " runs a variant on version "
                + v
                + ", which is not loaded beside it");
      }
    }
  }

  /** The versions a bundle's experiments rank on other than its own, ascending. */
  public static SortedSet<Long> needed(ModelBundle bundle) {
    SortedSet<Long> out = new TreeSet<>(bundle.manifest().experiments().bundleVersions());
    out.remove(bundle.version());
    return out;
  }

  /** The versions served beside the bundle, ascending. */
  public SortedSet<Long> sideBySideVersions() {
    return new TreeSet<>(sideBySide.keySet());
  }

  /** The bundle to rank on: the served one, or the version a variant names (null: the served). */
  public ModelBundle rankOn(Long version) {
    return version == null || version == bundle.version() ? bundle : sideBySide.get(version);
  }
}
