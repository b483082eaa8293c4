package io.crowdrank.serving.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The key a replica gives itself to send warm-up calls through its own gRPC port before it reports
 * ready: 256 random bits, held in this process's memory only, and refused like any unknown key once
 * {@link #retire retired}. A call made with it may rank for any host app, and is not logged: it is
 * nobody's traffic.
 */
public final class WarmUpKey {
  private final byte[] value;
  private volatile boolean active = true;

  private WarmUpKey(byte[] value) {
    this.value = value;
  }

  /** A fresh key. */
  public static WarmUpKey generate() {
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    return new WarmUpKey(HexFormat.of().formatHex(random).getBytes(StandardCharsets.US_ASCII));
  }

  /** The key, for the {@code x-api-key} metadata of the warm-up calls. */
  public String value() {
    return new String(value, StandardCharsets.US_ASCII);
  }

  /** Whether {@code key} is this key and it is not retired (compared in constant time). */
  boolean matches(String key) {
    return active
        && key != null
        && MessageDigest.isEqual(value, key.getBytes(StandardCharsets.US_ASCII));
  }

  /** From now on the key is refused. */
  public void retire() {
    active = false;
  }
}
