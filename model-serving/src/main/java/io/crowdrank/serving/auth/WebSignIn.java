package io.crowdrank.serving.auth;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Sign-in to one set of web pages (the merchants' reports, the operators' experiments): checks an
 * id and its secret, and keeps who is signed in behind a random session id in an HttpOnly,
 * SameSite=Strict cookie scoped to the pages' path. Each set has its own cookie and sessions, so a
 * merchant's session never opens an operator's page.
 */
public final class WebSignIn {
  /** What an id may look like: it goes into URLs. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");

  private final String cookie;
  private final String path;
  private final String error;
  private final SignInAccounts accounts;
  private final Sessions sessions;

  /**
   * @param cookie the session cookie's name
   * @param path the pages' path, the cookie's scope
   * @param error what a failed sign-in is told
   */
  public WebSignIn(
      String cookie, String path, String error, SignInAccounts accounts, Sessions sessions) {
    this.cookie = cookie;
    this.path = path;
    this.error = error;
    this.accounts = accounts;
    this.sessions = sessions;
  }

  /**
   * The answer to a sign-in form: on to the id's first page ({@code next}) with a session cookie if
   * the secret is the id's, else 401 with the form again ({@code retry}, given the error).
   */
  public Response answer(
      String id, String secret, Function<String, URI> next, Function<String, String> retry) {
    return signIn(id, secret)
        .map(cookie -> Response.seeOther(next.apply(id)).cookie(cookie).build())
        .orElseGet(
            () ->
                Response.status(Response.Status.UNAUTHORIZED)
                    .type(MediaType.TEXT_HTML)
                    .entity(retry.apply(error))
                    .build());
  }

  /** The session cookie for the id if the secret is its; empty otherwise. */
  public Optional<NewCookie> signIn(String id, String secret) {
    if (id == null || !ID.matcher(id).matches() || !accounts.verify(id, secret)) {
      return Optional.empty();
    }
    return Optional.of(
        new NewCookie.Builder(cookie)
            .value(sessions.open(id))
            .path(path)
            .httpOnly(true)
            .sameSite(NewCookie.SameSite.STRICT)
            .build());
  }

  /** Who holds the session, if it is open. */
  public Optional<String> who(String session) {
    return sessions.who(session);
  }

  public void signOut(String session) {
    sessions.close(session);
  }

  public boolean hasAccounts() {
    return !accounts.isEmpty();
  }
}
