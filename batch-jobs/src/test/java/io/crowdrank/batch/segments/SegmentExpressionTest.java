package io.crowdrank.batch.segments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.batch.segments.SegmentExpression.Activity;
import io.crowdrank.batch.segments.SegmentExpression.Aipl;
import io.crowdrank.batch.segments.SegmentExpression.And;
import io.crowdrank.batch.segments.SegmentExpression.CityIn;
import io.crowdrank.batch.segments.SegmentExpression.Compare;
import io.crowdrank.batch.segments.SegmentExpression.Field;
import io.crowdrank.batch.segments.SegmentExpression.Flag;
import io.crowdrank.batch.segments.SegmentExpression.Interest;
import io.crowdrank.batch.segments.SegmentExpression.Not;
import io.crowdrank.batch.segments.SegmentExpression.Op;
import io.crowdrank.batch.segments.SegmentExpression.Or;
import io.crowdrank.batch.segments.SegmentExpression.ParseException;
import io.crowdrank.batch.segments.SegmentExpression.SegmentRef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SegmentExpressionTest {

  @Test
  void parse_andBindsTighterThanOr() {
    assertThat(SegmentExpression.parse("has_payment or has_social and is_shared"))
        .isEqualTo(
            new Or(
                new Flag("has_payment"), new And(new Flag("has_social"), new Flag("is_shared"))));
  }

  @Test
  void parse_parenthesesAndNot_giveDifferenceOfSegments() {
    assertThat(SegmentExpression.parse("(segment(\"a\") or segment('b')) and not segment(\"c\")"))
        .isEqualTo(
            new And(
                new Or(new SegmentRef("a"), new SegmentRef("b")), new Not(new SegmentRef("c"))));
  }

  @Test
  void parse_functionsAndComparisons() {
    assertThat(SegmentExpression.parse("interest(\"travel\") >= 0.25"))
        .isEqualTo(new Compare(new Interest("travel"), Op.GE, 0.25));
    assertThat(SegmentExpression.parse("RFM_SCORE != 3"))
        .isEqualTo(new Compare(new Field("rfm_score"), Op.NE, 3));
    assertThat(SegmentExpression.parse("merchant_aipl(\"m000001\") >= \"purchase\""))
        .isEqualTo(new Aipl(true, "m000001", Op.GE, 3));
    assertThat(SegmentExpression.parse("home_city not in (\"hangzhou\", \"shanghai\")"))
        .isEqualTo(new CityIn(List.of("hangzhou", "shanghai"), true));
  }

  @Test
  void parse_activityHours_coverTheRightCells() {
    Compare c = (Compare) SegmentExpression.parse("activity(\"sat-sun 9-11\") > 0.1");
    assertThat(((Activity) c.operand()).hours()).containsExactly(129, 130, 153, 154);
    Compare weekday = (Compare) SegmentExpression.parse("activity(\"weekday 0-24\") > 0");
    assertThat(((Activity) weekday.operand()).hours()).hasSize(120);
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "''|empty expression|0",
        "income > 3|unknown field 'income'|0",
        "frequency >|expected a number after '>' but found end of expression|11",
        "frequency > abc|expected a number after '>' but found 'abc'|12",
        "frequency 3|expected a comparison|10",
        "has_payment and|expected a field, a function or '(' but found end of expression|15",
        "(has_payment|expected ')' but found end of expression|12",
        "has_payment has_social|unexpected 'has_social' after a complete expression|12",
        "interest(travel) > 1|expected a quoted argument to interest but found 'travel'|9",
        "home_city = \"hz|unterminated string|12",
        "aipl(\"mp1\") >= \"bought\"|expected an AIPL stage|15",
        "activity(\"someday 1-2\") > 0|days must be any, weekday, weekend|9",
        "activity(\"mon 14-11\") > 0|hours must be FROM-TO with 0 <= FROM < TO <= 24|9",
        "frequency ; 1|unexpected character ';'|10",
      })
  void parse_badInput_pointsAtTheProblem(String source, String problem, int column) {
    assertThatThrownBy(() -> SegmentExpression.parse(source))
        .isInstanceOf(ParseException.class)
        .hasMessageContaining(problem)
        .satisfies(e -> assertThat(((ParseException) e).position()).isEqualTo(column));
  }

  @Test
  void parse_errorMessage_showsACaretUnderTheProblem() {
    assertThatThrownBy(() -> SegmentExpression.parse("frequency > abc"))
        .hasMessageEndingWith("frequency > abc\n              ^");
  }

  @Test
  void compiler_refusesCyclesAndUnknownSegments() {
    assertThatThrownBy(
            () ->
                new SegmentCompiler(
                    Map.of(
                        "a", SegmentExpression.parse("segment(\"b\")"),
                        "b", SegmentExpression.parse("has_payment and segment(\"a\")"))))
        .hasMessageContaining("refers to itself")
        .hasMessageMatching("(?s).*(a -> b -> a|b -> a -> b).*");
    assertThatThrownBy(
            () -> new SegmentCompiler(Map.of("a", SegmentExpression.parse("segment(\"zz\")"))))
        .hasMessageContaining("segment \"a\" refers to unknown segment \"zz\"");
  }
}
