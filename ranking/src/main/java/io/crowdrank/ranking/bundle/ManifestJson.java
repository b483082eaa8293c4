package io.crowdrank.ranking.bundle;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crowdrank.format.Manifest;
import java.util.Map;

/** A bundle's {@link Manifest} to and from its JSON, with the service's (or the jobs') Jackson. */
public final class ManifestJson {
  private ManifestJson() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * @throws BundleException for JSON that is not a valid manifest of the supported format
   */
  public static Manifest parse(String json) {
    Map<String, Object> m;
    try {
      m = JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
    } catch (java.io.IOException e) {
      throw new BundleException("manifest is not valid JSON: " + e.getMessage(), e);
    }
    if (m == null) {
      throw new BundleException("manifest is not valid JSON: null");
    }
    try {
      return Manifest.fromMap(m);
    } catch (IllegalArgumentException e) {
      throw new BundleException(e.getMessage(), e);
    }
  }

  public static String write(Manifest manifest) {
    try {
      return JSON.writeValueAsString(manifest.toMap());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a manifest's values are all JSON values", e);
    }
  }
}
