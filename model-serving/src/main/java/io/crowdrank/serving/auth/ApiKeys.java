package io.crowdrank.serving.auth;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableMap;
import io.crowdrank.format.HostApps;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The host apps' API keys, stored as SHA-256 hashes (keys are long random tokens, so a fast hash is
 * enough and the configuration never holds a usable key), each bound to one host app.
 */
public final class ApiKeys {
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  private final Map<String, String> hostAppByHash;

  private ApiKeys(Map<String, String> hostAppByHash) {
    this.hostAppByHash = ImmutableMap.copyOf(hostAppByHash);
  }

  /**
   * @param hostAppByHash lower-case hex SHA-256 of each key → the host app it may ask for
   */
  public static ApiKeys of(Map<String, String> hostAppByHash) {
    hostAppByHash.forEach(
        (hash, app) -> {
          Preconditions.checkArgument(
              SHA256_HEX.matcher(hash).matches(),
              "API key hash for %s must be 64 lower-case hex digits (sha256sum of the key)",
              app);
          Preconditions.checkArgument(
              HostApps.isValid(app), "API key bound to unknown host app %s", app);
        });
    return new ApiKeys(hostAppByHash);
  }

  /** What an admin key is bound to instead of a host app. */
  public static final String ADMIN = "admin";

  /** Admin keys by their SHA-256; they may call the admin service, never rank. */
  public static ApiKeys admin(java.util.Collection<String> hashes) {
    Map<String, String> m = new java.util.HashMap<>();
    for (String hash : hashes) {
      Preconditions.checkArgument(
          SHA256_HEX.matcher(hash).matches(),
          "admin key hash must be 64 lower-case hex digits (sha256sum of the key)");
      m.put(hash, ADMIN);
    }
    return new ApiKeys(m);
  }

  /** The host app the key is bound to, or empty for an unknown key. */
  public Optional<String> hostApp(String key) {
    return Optional.ofNullable(hostAppByHash.get(sha256(key)));
  }

  public int size() {
    return hostAppByHash.size();
  }

  public static String sha256(String key) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
