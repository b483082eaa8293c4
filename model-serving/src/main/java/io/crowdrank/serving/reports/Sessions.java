package io.crowdrank.serving.reports;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

/** Signed-in merchants: random session ids (in an HttpOnly cookie) to merchant, expiring. */
public final class Sessions {
  private final SecureRandom random = new SecureRandom();
  private final Cache<String, String> merchants;

  public Sessions(Duration lifetime, long maxSessions) {
    this.merchants =
        Caffeine.newBuilder().expireAfterWrite(lifetime).maximumSize(maxSessions).build();
  }

  /** Opens a session for the merchant; returns its id. */
  public String open(String merchantId) {
    byte[] id = new byte[32];
    random.nextBytes(id);
    String session = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    merchants.put(session, merchantId);
    return session;
  }

  public Optional<String> merchant(String session) {
    return session == null
        ? Optional.empty()
        : Optional.ofNullable(merchants.getIfPresent(session));
  }

  public void close(String session) {
    if (session != null) {
      merchants.invalidate(session);
    }
  }
}
