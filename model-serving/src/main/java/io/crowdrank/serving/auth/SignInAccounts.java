package io.crowdrank.serving.auth;

import java.util.HashMap;
import java.util.Map;

/**
 * Who may sign in to a set of web pages: an id (a merchant's, an operator's) to the hash of its
 * secret. Merchants sign in to their reports with a token, operators to the experiments with their
 * admin key.
 */
public final class SignInAccounts {
  private final Map<String, SecretHash> secretHashes;

  private SignInAccounts(Map<String, SecretHash> secretHashes) {
    this.secretHashes = Map.copyOf(secretHashes);
  }

  /**
   * @param secretHashes id to lower-case hex SHA-256 of its secret
   * @param what what the ids are, for errors ("merchant", "operator")
   */
  public static SignInAccounts of(Map<String, String> secretHashes, String what) {
    Map<String, SecretHash> m = new HashMap<>();
    secretHashes.forEach(
        (id, hash) -> m.put(id, SecretHash.parse(hash, "secret hash of " + what + " " + id)));
    return new SignInAccounts(m);
  }

  public boolean isEmpty() {
    return secretHashes.isEmpty();
  }

  /** Whether the secret is the id's; compared in constant time. */
  public boolean verify(String id, String secret) {
    SecretHash expected = secretHashes.get(id);
    return expected != null && expected.matches(secret);
  }
}
