package io.crowdrank.serving.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

/** Signed-in people: random session ids (in an HttpOnly cookie) to who signed in, expiring. */
public final class Sessions {
  private final SecureRandom random = new SecureRandom();
  private final Cache<String, String> ids;

  public Sessions(Duration lifetime, long maxSessions) {
    this.ids = Caffeine.newBuilder().expireAfterWrite(lifetime).maximumSize(maxSessions).build();
  }

  /** Opens a session for the id; returns the session's id. */
  public String open(String id) {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    String session = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    ids.put(session, id);
    return session;
  }

  /** Who the session belongs to, if it is open. */
  public Optional<String> who(String session) {
    return session == null ? Optional.empty() : Optional.ofNullable(ids.getIfPresent(session));
  }

  public void close(String session) {
    if (session != null) {
      ids.invalidate(session);
    }
  }
}
