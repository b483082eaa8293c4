package io.crowdrank.serving.reports;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportPagesTest {
  final ReportPages pages = new ReportPages();

  static ReportStore.Report report(String json) throws Exception {
    return new ReportStore.Report(
        "m1", "s1", "Lunch <script>alert(1)</script>", new ObjectMapper().readTree(json));
  }

  static final String REPORT =
      "{\"merchant_id\":\"m1\",\"segment_id\":\"s1\",\"k\":50,\"size\":500,\"suppressed\":false,"
          + "\"platforms\":{\"shared\":300,\"payment_only\":null,\"social_only\":160},"
          + "\"aipl\":{\"awareness\":120,\"interest\":null},"
          + "\"cities\":[{\"city\":\"hangzhou\",\"users\":400},{\"city\":\"=cmd\",\"users\":null}],"
          + "\"heatmap\":[0.5,0.25]}";

  @Test
  void report_showsSuppressedNumbersAsFewerThanK_andEscapesText() throws Exception {
    String html = pages.report(report(REPORT), "/echarts.js");

    assertThat(html).contains("<strong id=\"size\">500</strong>");
    assertThat(html).contains("<span class=\"suppressed\">fewer than 50</span>");
    assertThat(html).doesNotContain("<script>alert(1)</script>").contains("&lt;script&gt;");
    assertThat(html).contains("id=\"chart-aipl\"").contains("src=\"/echarts.js\"");
  }

  @Test
  void report_ofAnAudienceSmallerThanK_showsNothingElse() throws Exception {
    String html =
        pages.report(report("{\"k\":50,\"size\":null,\"suppressed\":true}"), "/echarts.js");

    assertThat(html)
        .contains("<strong id=\"size\">fewer than 50</strong>")
        .contains("whole-suppressed");
    assertThat(html).doesNotContain("id=\"chart-aipl\"");
  }

  @Test
  void csv_flattensSectionsNamesListEntries_andMarksSuppressed() throws Exception {
    List<String> lines = pages.csv(report(REPORT)).lines().toList();

    assertThat(lines)
        .contains(
            "section,item,value",
            "size,,500",
            "platforms,payment_only,suppressed",
            "aipl,awareness,120",
            "cities,hangzhou.users,400",
            "cities,'=cmd.users,suppressed",
            "heatmap,1,0.25");
  }

  @Test
  void index_listsSegmentsWithTheirSizes() throws Exception {
    String html = pages.index("m1", List.of(report(REPORT)));

    assertThat(html).contains("href=\"/reports/m1/s1\"").contains(">500<");
  }
}
