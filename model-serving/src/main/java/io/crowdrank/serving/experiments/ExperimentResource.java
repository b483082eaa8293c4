package io.crowdrank.serving.experiments;

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
import java.util.function.Function;

/**
 * HTTP binding of the A/B experiments' results for operators: sign-in with an operator name and its
 * admin key (the same keys as the admin service), the list of experiments, one experiment's page,
 * and its CSV and JSON. Without an operator's session pages send to the sign-in form and exports
 * answer 401; a merchant's report session opens nothing here.
 */
@Path("/experiments")
public class ExperimentResource {
  public static final String COOKIE = "crowdrank_operator";

  /** Names the operators' {@link WebSignIn}. */
  public static final String OPERATORS = "operators";

  private final ExperimentResults results;
  private final WebSignIn operators;
  private final ExperimentPages pages;

  @Inject
  public ExperimentResource(
      ExperimentResults results, @Named(OPERATORS) WebSignIn operators, ExperimentPages pages) {
    this.results = results;
    this.operators = operators;
    this.pages = pages;
  }

  @GET
  @Produces(MediaType.TEXT_HTML)
  public Response index(@CookieParam(COOKIE) String session) {
    Optional<String> operator = operators.who(session);
    if (operator.isEmpty()) {
      return Response.ok(pages.login(null, null)).build();
    }
    return Response.ok(pages.index(operator.get(), results.experiments(), results.version()))
        .build();
  }

  @POST
  @Path("/login")
  @Produces(MediaType.TEXT_HTML)
  public Response login(@FormParam("operator") String operator, @FormParam("token") String key) {
    return operators.answer(
        operator, key, o -> URI.create("/experiments"), error -> pages.login(error, operator));
  }

  @POST
  @Path("/logout")
  public Response logout(@CookieParam(COOKIE) String session) {
    operators.signOut(session);
    return Response.seeOther(URI.create("/experiments")).build();
  }

  @GET
  @Path("/{experiment}")
  @Produces(MediaType.TEXT_HTML)
  public Response experiment(
      @CookieParam(COOKIE) String session, @PathParam("experiment") String id) {
    Optional<String> operator = operators.who(session);
    if (operator.isEmpty()) {
      return Response.seeOther(URI.create("/experiments")).build();
    }
    return results
        .experiment(id)
        .map(e -> Response.ok(pages.experiment(operator.get(), e, WebTemplates.ECHARTS)))
        .orElseGet(() -> notFound(id))
        .build();
  }

  @GET
  @Path("/{experiment}/export.json")
  @Produces(MediaType.APPLICATION_JSON)
  public Response json(@CookieParam(COOKIE) String session, @PathParam("experiment") String id) {
    return export(session, id, pages::json, MediaType.APPLICATION_JSON, "json");
  }

  @GET
  @Path("/{experiment}/export.csv")
  @Produces("text/csv")
  public Response csv(@CookieParam(COOKIE) String session, @PathParam("experiment") String id) {
    return export(session, id, pages::csv, "text/csv", "csv");
  }

  private Response export(
      String session,
      String id,
      Function<ExperimentResults.Experiment, String> body,
      String type,
      String extension) {
    if (operators.who(session).isEmpty()) {
      return Response.status(Response.Status.UNAUTHORIZED)
          .type(MediaType.TEXT_PLAIN)
          .entity("sign in at /experiments")
          .build();
    }
    return results
        .experiment(id)
        .map(
            e ->
                WebTemplates.download(
                    body.apply(e), type, "experiment-" + e.id() + "." + extension))
        .orElseGet(() -> notFound(id))
        .build();
  }

  private static Response.ResponseBuilder notFound(String id) {
    return Response.status(Response.Status.NOT_FOUND)
        .type(MediaType.TEXT_PLAIN)
        .entity("no results for experiment " + id + " (yet): see /experiments");
  }
}
