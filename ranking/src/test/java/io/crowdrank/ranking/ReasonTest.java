package io.crowdrank.ranking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crowdrank.ranking.Reason.Kind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReasonTest {
  @Test
  void factories_carryIdsNotWords() {
    assertThat(Reason.of(Kind.POPULAR_AT_HOUR, "coffee_tea", "56"))
        .isEqualTo(new Reason(Kind.POPULAR_AT_HOUR, List.of("coffee_tea", "56")));
    assertThat(Reason.of(Kind.NEW_LIKE_YOURS, "alipay", "fast_food").args())
        .containsExactly("alipay", "fast_food");
    assertThat(Reason.of(Kind.POPULAR_OVERALL).args()).isEmpty();
  }

  @Test
  void new_wrongNumberOfArguments_fails() {
    assertThatThrownBy(() -> new Reason(Kind.POPULAR_IN_CITY, List.of("hangzhou")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("POPULAR_IN_CITY takes 2 arguments, got 1: [hangzhou]");
  }

  @Test
  void args_areACopy_thatCannotChange() {
    List<String> args = new ArrayList<>(List.of("travel"));
    Reason r = new Reason(Kind.MATCHES_INTEREST, args);
    args.set(0, "food");

    assertThat(r.arg(0)).isEqualTo("travel");
    assertThatThrownBy(() -> r.args().add("x")).isInstanceOf(UnsupportedOperationException.class);
  }
}
