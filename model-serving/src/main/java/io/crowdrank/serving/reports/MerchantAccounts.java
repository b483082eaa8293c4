package io.crowdrank.serving.reports;

import com.google.common.base.Preconditions;
import io.crowdrank.serving.auth.ApiKeys;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Merchants who may sign in to their reports: merchant id to the SHA-256 of its sign-in token
 * (tokens are long random secrets, so a fast hash is enough; the plain token is never stored).
 */
public final class MerchantAccounts {
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  private final Map<String, String> tokenHashes;

  private MerchantAccounts(Map<String, String> tokenHashes) {
    this.tokenHashes = Map.copyOf(tokenHashes);
  }

  /**
   * @param tokenHashes merchant id to lower-case hex SHA-256 of its token
   */
  public static MerchantAccounts of(Map<String, String> tokenHashes) {
    tokenHashes.forEach(
        (merchant, hash) ->
            Preconditions.checkArgument(
                HEX.matcher(hash).matches(),
                "token hash of merchant %s must be 64 lower-case hex digits (SHA-256)",
                merchant));
    return new MerchantAccounts(tokenHashes);
  }

  public boolean isEmpty() {
    return tokenHashes.isEmpty();
  }

  /** Whether the token is the merchant's; compared in constant time. */
  public boolean verify(String merchantId, String token) {
    String expected = tokenHashes.get(merchantId);
    if (expected == null || token == null || token.isEmpty()) {
      return false;
    }
    return MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.US_ASCII),
        ApiKeys.sha256(token).getBytes(StandardCharsets.US_ASCII));
  }
}
