package io.crowdrank.serving.reports;

import static org.assertj.core.api.Assertions.assertThat;

import io.crowdrank.serving.web.WebClient;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** The reports' sign-in and access rules, over HTTP on the running application. */
@QuarkusTest
class ReportAccessTest {
  @ConfigProperty(name = "quarkus.http.test-port")
  int port;

  HttpResponse<String> get(String path, String cookie) throws Exception {
    return new WebClient(port).get(path, cookie);
  }

  HttpResponse<String> login(String merchant, String token) throws Exception {
    return new WebClient(port).post("/reports/login", "merchant=" + merchant + "&token=" + token);
  }

  /** Signs in as the test merchant (token configured hashed in application.properties). */
  String session() throws Exception {
    HttpResponse<String> r = login("m000001", "test-merchant-token");
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location"))
        .hasValueSatisfying(l -> assertThat(l).endsWith("/reports/m000001"));
    String cookie = r.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict");
    return cookie.substring(0, cookie.indexOf(';'));
  }

  @Test
  void signIn_withAWrongToken_isUnauthorized() throws Exception {
    HttpResponse<String> r = login("m000001", "guess");

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).contains("wrong token");
  }

  @Test
  void pages_withoutSession_sendToSignIn_exportsAreUnauthorized() throws Exception {
    assertThat(get("/reports", null).body()).contains("id=\"login\"");
    assertThat(get("/reports/m000001", null).statusCode()).isEqualTo(303);
    assertThat(get("/reports/m000001/_crowd/export.csv", null).statusCode()).isEqualTo(401);
  }

  @Test
  void signedIn_merchant_seesOwnIndex_isRefusedAnotherMerchant_andGets404ForNoReport()
      throws Exception {
    String cookie = session();

    assertThat(get("/reports/m000001", cookie).statusCode()).isEqualTo(200);
    assertThat(get("/reports/m000002", cookie).statusCode()).isEqualTo(403);
    assertThat(get("/reports/m000002/_crowd", cookie).statusCode()).isEqualTo(403);
    assertThat(get("/reports/m000002/_crowd/export.json", cookie).statusCode()).isEqualTo(403);
    assertThat(get("/reports/m000001/nothing", cookie).statusCode()).isEqualTo(404);
    assertThat(get("/webjars/echarts/5.5.0/echarts.min.js", null).statusCode()).isEqualTo(200);
  }
}
