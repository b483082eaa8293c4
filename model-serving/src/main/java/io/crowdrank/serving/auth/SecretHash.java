package io.crowdrank.serving.auth;

import com.google.common.base.Preconditions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The SHA-256 of a secret (an API key or a merchant's sign-in token), which is all the
 * configuration holds. Secrets are long random tokens, so a fast hash is enough, and a leaked
 * configuration gives nobody a usable secret.
 *
 * @param hex lower-case hex, 64 digits
 */
public record SecretHash(String hex) {
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  public SecretHash {
    check(hex, "secret hash");
  }

  /**
   * A configured hash, checked.
   *
   * @param whose names the hash in the error, e.g. "API key hash for alipay"
   */
  public static SecretHash parse(String hex, String whose) {
    check(hex, whose);
    return new SecretHash(hex);
  }

  private static void check(String hex, String whose) {
    Preconditions.checkArgument(
        hex != null && SHA256_HEX.matcher(hex).matches(),
        "%s must be 64 lower-case hex digits (sha256sum of the secret)",
        whose);
  }

  /** The hash of a secret presented by a caller. */
  public static SecretHash of(String secret) {
    try {
      return new SecretHash(
          HexFormat.of()
              .formatHex(
                  MessageDigest.getInstance("SHA-256")
                      .digest(secret.getBytes(StandardCharsets.UTF_8))));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Whether the secret hashes to this; compared in constant time. */
  public boolean matches(String secret) {
    return secret != null
        && !secret.isEmpty()
        && MessageDigest.isEqual(
            hex.getBytes(StandardCharsets.US_ASCII),
            of(secret).hex().getBytes(StandardCharsets.US_ASCII));
  }
}
