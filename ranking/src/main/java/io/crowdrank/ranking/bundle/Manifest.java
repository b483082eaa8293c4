package io.crowdrank.ranking.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crowdrank.format.BundleFormat;
import java.time.Instant;
import java.time.ZoneId;

/**
 * The parts of a bundle's manifest the service acts on, plus the whole JSON for GetModelInfo.
 *
 * @param contextWeight weight of the hour-of-week term chosen with the model, or null (use config)
 * @param habitShrinkage pseudo-count of a user's own habit against everybody's, or null (config)
 */
public record Manifest(
    int formatVersion,
    Instant createdTime,
    ZoneId timeZone,
    int vectorDim,
    Double contextWeight,
    Double habitShrinkage,
    String json) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static Manifest parse(String json) {
    JsonNode n;
    try {
      n = JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new BundleException("manifest is not valid JSON: " + e.getMessage(), e);
    }
    int format = required(n, BundleFormat.MANIFEST_FORMAT_VERSION).asInt();
    if (format != BundleFormat.FORMAT_VERSION) {
      throw new BundleException(
          "bundle format "
              + format
              + " is not supported (this service reads "
              + BundleFormat.FORMAT_VERSION
              + ")");
    }
    return new Manifest(
        format,
        Instant.parse(required(n, BundleFormat.MANIFEST_CREATED_TIME).asText()),
        ZoneId.of(required(n, BundleFormat.MANIFEST_TIME_ZONE).asText()),
        required(n, BundleFormat.MANIFEST_VECTOR_DIM).asInt(),
        optionalNumber(n.path(BundleFormat.MANIFEST_RANKING), BundleFormat.RANKING_CONTEXT_WEIGHT),
        optionalNumber(n.path(BundleFormat.MANIFEST_RANKING), BundleFormat.RANKING_HABIT_SHRINKAGE),
        json);
  }

  private static Double optionalNumber(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isNumber() || v.asDouble() < 0) {
      throw new BundleException("manifest ranking." + field + " must be a number >= 0, got " + v);
    }
    return v.asDouble();
  }

  private static JsonNode required(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw new BundleException("manifest has no " + field);
    }
    return v;
  }
}
