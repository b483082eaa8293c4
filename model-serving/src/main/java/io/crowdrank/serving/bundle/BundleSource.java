package io.crowdrank.serving.bundle;

import io.crowdrank.ranking.bundle.BundleException;
import io.crowdrank.ranking.bundle.ModelBundle;
import java.util.OptionalLong;

/** Where bundles come from: the published Delta table ({@link BundleReader}), or a test's. */
public interface BundleSource {
  /** The newest version, or empty if nothing is published yet. */
  OptionalLong latestVersion(String tablePath);

  /** Reads one version (the newest if empty); {@link BundleException} if it cannot. */
  ModelBundle read(String tablePath, OptionalLong version);
}
