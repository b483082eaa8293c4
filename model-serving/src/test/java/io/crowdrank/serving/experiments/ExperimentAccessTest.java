package io.crowdrank.serving.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.serving.web.WebClient;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** The experiments pages' sign-in (operators' admin keys) and access rules, over HTTP. */
@QuarkusTest
class ExperimentAccessTest {
  @ConfigProperty(name = "quarkus.http.test-port")
  int port;

  HttpResponse<String> get(String path, String cookie) throws Exception {
    return new WebClient(port).get(path, cookie);
  }

  HttpResponse<String> post(String path, String form) throws Exception {
    return new WebClient(port).post(path, form);
  }

  static String cookie(HttpResponse<String> signedIn) {
    String c = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(c).contains("HttpOnly").contains("SameSite=Strict").contains("Path=/experiments");
    return c.substring(0, c.indexOf(';'));
  }

  @Test
  void signIn_withTheAdminKey_opensTheList_whichSaysThereAreNoResultsYet() throws Exception {
    HttpResponse<String> r = post("/experiments/login", "operator=ops&token=test-admin-key");
    assertThat(r.statusCode()).isEqualTo(303);

    HttpResponse<String> list = get("/experiments", cookie(r));

    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body()).contains("id=\"signed-in\">ops<").contains("id=\"no-results\"");
    assertThat(get("/experiments/diversity", cookie(r)).statusCode()).isEqualTo(404);
  }

  @Test
  void signIn_wrongKeyOrUnknownOperatorOrAMerchantsToken_isUnauthorized() throws Exception {
    assertThat(post("/experiments/login", "operator=ops&token=guess").statusCode()).isEqualTo(401);
    assertThat(post("/experiments/login", "operator=nobody&token=test-admin-key").statusCode())
        .isEqualTo(401);
    HttpResponse<String> merchantToken =
        post("/experiments/login", "operator=m000001&token=test-merchant-token");
    assertThat(merchantToken.statusCode()).isEqualTo(401);
    assertThat(merchantToken.body()).contains("wrong admin key");
  }

  @Test
  void withoutAnOperatorsSession_pagesShowSignIn_exportsAre401_andAMerchantSessionOpensNothing()
      throws Exception {
    assertThat(get("/experiments", null).body()).contains("id=\"login\"");
    assertThat(get("/experiments/diversity", null).statusCode()).isEqualTo(303);
    assertThat(get("/experiments/diversity/export.csv", null).statusCode()).isEqualTo(401);
    assertThat(get("/experiments/diversity/export.json", null).statusCode()).isEqualTo(401);

    HttpResponse<String> merchant =
        post("/reports/login", "merchant=m000001&token=test-merchant-token");
    String session = merchant.headers().firstValue("Set-Cookie").orElseThrow();
    String id = session.substring(session.indexOf('=') + 1, session.indexOf(';'));
    // The merchant's session id, even sent as the operators' cookie, is not an operator's.
    assertThat(get("/experiments", "crowdrank_operator=" + id).body()).contains("id=\"login\"");
    assertThat(get("/experiments/x/export.csv", "crowdrank_operator=" + id).statusCode())
        .isEqualTo(401);
  }
}
