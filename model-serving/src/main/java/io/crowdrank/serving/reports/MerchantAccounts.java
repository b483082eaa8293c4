package io.crowdrank.serving.reports;

import io.crowdrank.serving.auth.SecretHash;
import java.util.HashMap;
import java.util.Map;

/** Merchants who may sign in to their reports: merchant id to the hash of its sign-in token. */
public final class MerchantAccounts {
  private final Map<String, SecretHash> tokenHashes;

  private MerchantAccounts(Map<String, SecretHash> tokenHashes) {
    this.tokenHashes = Map.copyOf(tokenHashes);
  }

  /**
   * @param tokenHashes merchant id to lower-case hex SHA-256 of its token
   */
  public static MerchantAccounts of(Map<String, String> tokenHashes) {
    Map<String, SecretHash> m = new HashMap<>();
    tokenHashes.forEach(
        (merchant, hash) -> m.put(merchant, SecretHash.parse(hash, "token hash of " + merchant)));
    return new MerchantAccounts(m);
  }

  public boolean isEmpty() {
    return tokenHashes.isEmpty();
  }

  /** Whether the token is the merchant's; compared in constant time. */
  public boolean verify(String merchantId, String token) {
    SecretHash expected = tokenHashes.get(merchantId);
    return expected != null && expected.matches(token);
  }
}
