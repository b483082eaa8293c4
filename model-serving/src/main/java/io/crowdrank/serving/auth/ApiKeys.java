package io.crowdrank.serving.auth;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableMap;
import io.crowdrank.format.HostApps;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The host apps' API keys, stored as {@link SecretHash}es, each bound to one host app. */
public final class ApiKeys {
  private final Map<SecretHash, String> hostAppByHash;

  private ApiKeys(Map<SecretHash, String> hostAppByHash) {
    this.hostAppByHash = ImmutableMap.copyOf(hostAppByHash);
  }

  /**
   * @param hostAppByHash lower-case hex SHA-256 of each key → the host app it may ask for
   */
  public static ApiKeys of(Map<String, String> hostAppByHash) {
    Map<SecretHash, String> m = new HashMap<>();
    hostAppByHash.forEach(
        (hash, app) -> {
          Preconditions.checkArgument(
              HostApps.isValid(app), "API key bound to unknown host app %s", app);
          m.put(SecretHash.parse(hash, "API key hash for " + app), app);
        });
    return new ApiKeys(m);
  }

  /** What an admin key is bound to instead of a host app. */
  public static final String ADMIN = "admin";

  /** Admin keys by their SHA-256; they may call the admin service, never rank. */
  public static ApiKeys admin(Collection<String> hashes) {
    Map<SecretHash, String> m = new HashMap<>();
    for (String hash : hashes) {
      m.put(SecretHash.parse(hash, "admin key hash"), ADMIN);
    }
    return new ApiKeys(m);
  }

  /** The host app the key is bound to, or empty for an unknown key. */
  public Optional<String> hostApp(String key) {
    return Optional.ofNullable(hostAppByHash.get(SecretHash.of(key)));
  }

  public int size() {
    return hostAppByHash.size();
  }

  /** The hex SHA-256 of a key, as the configuration lists it. */
  public static String sha256(String key) {
    return SecretHash.of(key).hex();
  }
}
