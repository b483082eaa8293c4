package io.crowdrank.serving.bundle;

import io.crowdrank.ranking.bundle.ModelBundle;
import java.util.Map;

/**
 * What a replica serves at one moment: the bundle, and the earlier versions its experiments'
 * variants rank on ({@code bundle_version}), loaded beside it. Swapped as one value, so a call
 * never finds a variant's version missing.
 *
 * @param bundle the newest bundle published (or the one rolled back to)
 * @param sideBySide by version, every other version the bundle's experiments name
 */
public record ServedBundles(ModelBundle bundle, Map<Long, ModelBundle> sideBySide) {
  public ServedBundles {
    sideBySide = Map.copyOf(sideBySide);
    for (long v : bundle.manifest().experiments().bundleVersions()) {
      if (v != bundle.version() && !sideBySide.containsKey(v)) {
        throw new IllegalArgumentException(
            "bundle version "
                + bundle.version()
                + " runs a variant on version "
                + v
                + ", which is not loaded beside it");
      }
    }
  }

  /** A bundle whose experiments name no other version. */
  public static ServedBundles of(ModelBundle bundle) {
    return new ServedBundles(bundle, Map.of());
  }

  /** The bundle to rank on: the served one, or the version a variant names (null: the served). */
  public ModelBundle rankOn(Long version) {
    return version == null || version == bundle.version() ? bundle : sideBySide.get(version);
  }
}
