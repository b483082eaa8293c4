package io.crowdrank.serving.reports;

import io.crowdrank.serving.auth.WebSignIn;
import io.crowdrank.serving.web.WebTemplates;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.Optional;

/**
 * HTTP binding of the merchant reports: sign-in with a token, the merchant's segments, one
 * segment's report page, and its CSV and JSON exports. A merchant sees only its own reports:
 * anybody else's is refused with 403 whatever the URL says; without a session, pages send to the
 * sign-in form and exports answer 401.
 */
@Path("/reports")
public class ReportResource {
  public static final String COOKIE = "crowdrank_session";

  /** Names the merchants' {@link WebSignIn}. */
  public static final String MERCHANTS = "merchants";

  private final ReportStore store;
  private final WebSignIn merchants;
  private final ReportPages pages;

  @Inject
  public ReportResource(
      ReportStore store, @Named(MERCHANTS) WebSignIn merchants, ReportPages pages) {
    this.store = store;
    this.merchants = merchants;
    this.pages = pages;
  }

  @GET
  @Produces(MediaType.TEXT_HTML)
  public Response home(@CookieParam(COOKIE) String session) {
    Optional<String> merchant = merchants.who(session);
    return merchant
        .map(m -> Response.seeOther(URI.create("/reports/" + m)).build())
        .orElseGet(() -> Response.ok(pages.login(null, null)).build());
  }

  @POST
  @Path("/login")
  @Produces(MediaType.TEXT_HTML)
  public Response login(@FormParam("merchant") String merchant, @FormParam("token") String token) {
    return merchants.answer(
        merchant, token, m -> URI.create("/reports/" + m), error -> pages.login(error, merchant));
  }

  @POST
  @Path("/logout")
  public Response logout(@CookieParam(COOKIE) String session) {
    merchants.signOut(session);
    return Response.seeOther(URI.create("/reports")).build();
  }

  @GET
  @Path("/{merchant}")
  @Produces(MediaType.TEXT_HTML)
  public Response index(
      @CookieParam(COOKIE) String session, @PathParam("merchant") String merchant) {
    return page(
        session, merchant, () -> Response.ok(pages.index(merchant, store.reports(merchant))));
  }

  @GET
  @Path("/{merchant}/{segment}")
  @Produces(MediaType.TEXT_HTML)
  public Response report(
      @CookieParam(COOKIE) String session,
      @PathParam("merchant") String merchant,
      @PathParam("segment") String segment) {
    return page(
        session,
        merchant,
        () ->
            store
                .report(merchant, segment)
                .map(r -> Response.ok(pages.report(r, WebTemplates.ECHARTS)))
                .orElseGet(
                    () -> Response.status(Response.Status.NOT_FOUND).entity("no such report")));
  }

  @GET
  @Path("/{merchant}/{segment}/export.json")
  @Produces(MediaType.APPLICATION_JSON)
  public Response json(
      @CookieParam(COOKIE) String session,
      @PathParam("merchant") String merchant,
      @PathParam("segment") String segment) {
    return export(session, merchant, segment, r -> r.json().toString(), MediaType.APPLICATION_JSON);
  }

  @GET
  @Path("/{merchant}/{segment}/export.csv")
  @Produces("text/csv")
  public Response csv(
      @CookieParam(COOKIE) String session,
      @PathParam("merchant") String merchant,
      @PathParam("segment") String segment) {
    return export(session, merchant, segment, pages::csv, "text/csv");
  }

  private Response export(
      String session,
      String merchant,
      String segment,
      java.util.function.Function<ReportStore.Report, String> body,
      String type) {
    Optional<String> signedIn = merchants.who(session);
    if (signedIn.isEmpty()) {
      return Response.status(Response.Status.UNAUTHORIZED).entity("sign in at /reports").build();
    }
    if (!signedIn.get().equals(merchant)) {
      return forbidden();
    }
    return store
        .report(merchant, segment)
        .map(
            r ->
                WebTemplates.download(
                    body.apply(r),
                    type,
                    merchant + "-" + segment + "." + (type.equals("text/csv") ? "csv" : "json")))
        .orElseGet(() -> Response.status(Response.Status.NOT_FOUND).entity("no such report"))
        .build();
  }

  private Response page(
      String session, String merchant, java.util.function.Supplier<Response.ResponseBuilder> ok) {
    Optional<String> signedIn = merchants.who(session);
    if (signedIn.isEmpty()) {
      return Response.seeOther(URI.create("/reports")).build();
    }
    if (!signedIn.get().equals(merchant)) {
      return forbidden();
    }
    return ok.get().build();
  }

  private static Response forbidden() {
    return Response.status(Response.Status.FORBIDDEN)
        .type(MediaType.TEXT_HTML)
        .entity(
            "<!doctype html><title>Forbidden</title><h1>403</h1><p id=\"refused\">These reports belong to another merchant.</p>")
        .build();
  }
}
