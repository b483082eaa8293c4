package io.crowdrank.serving.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Timestamp;
import io.crowdrank.proto.v1.RankContext;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.UserRef;
import io.crowdrank.ranking.RankQuery;
import io.crowdrank.ranking.bundle.UserStore.IdType;
import io.grpc.Status;
import io.grpc.StatusException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RankRequestsTest {
  static final Instant NOW = Instant.parse("2026-11-25T00:00:00Z");
  final RankRequests requests = new RankRequests(10, 100, Clock.fixed(NOW, ZoneOffset.UTC));

  static RankRequest.Builder valid() {
    return RankRequest.newBuilder()
        .setUser(UserRef.newBuilder().setPaymentAccount("2088001"))
        .setHostApp("alipay");
  }

  @Test
  void toQuery_minimalRequest_usesDefaults() throws StatusException {
    RankQuery q = requests.toQuery(valid().build());

    assertThat(q.idType()).isEqualTo(IdType.PAYMENT_ACCOUNT);
    assertThat(q.k()).isEqualTo(10);
    assertThat(q.eventTime()).isEqualTo(NOW);
    assertThat(q.city()).isNull();
  }

  @Test
  void toQuery_fullRequest_keepsEveryField() throws StatusException {
    RankQuery q =
        requests.toQuery(
            valid()
                .setUser(UserRef.newBuilder().setSharedId("abc"))
                .setK(7)
                .setContext(
                    RankContext.newBuilder()
                        .setCity("hangzhou")
                        .setEventTime(
                            Timestamp.newBuilder().setSeconds(NOW.getEpochSecond() - 3600)))
                .addExcludeIds("mp1")
                .build());

    assertThat(q.idType()).isEqualTo(IdType.SHARED_ID);
    assertThat(q.k()).isEqualTo(7);
    assertThat(q.city()).isEqualTo("hangzhou");
    assertThat(q.eventTime()).isEqualTo(NOW.minusSeconds(3600));
    assertThat(q.exclude()).containsExactly("mp1");
  }

  static Object[][] invalid() {
    return new Object[][] {
      {RankRequest.newBuilder().setHostApp("alipay").build(), "user is required"},
      {valid().setUser(UserRef.getDefaultInstance()).build(), "user must set one of"},
      {
        valid().setUser(UserRef.newBuilder().setSocialAccount("")).build(),
        "user.social_account is empty"
      },
      {
        valid().setUser(UserRef.newBuilder().setPaymentAccount("9".repeat(65))).build(),
        "longer than 64"
      },
      {valid().setHostApp("").build(), "host_app is required"},
      {valid().setHostApp("wechat").build(), "host_app 'wechat' is unknown"},
      {valid().setK(101).build(), "k must be 1..100"},
      {valid().setK(-1).build(), "k must be 1..100"},
      {
        valid().setContext(RankContext.newBuilder().setCity("Hang Zhou")).build(),
        "context.city 'Hang Zhou'"
      },
      {
        valid()
            .setContext(
                RankContext.newBuilder()
                    .setEventTime(Timestamp.newBuilder().setSeconds(NOW.toEpochMilli())))
            .build(),
        "more than a year from now"
      },
      {
        valid()
            .setContext(
                RankContext.newBuilder()
                    .setEventTime(Timestamp.newBuilder().setSeconds(1).setNanos(-1)))
            .build(),
        "nanos must be"
      },
      {
        valid().addAllExcludeIds(java.util.Collections.nCopies(1001, "x")).build(),
        "exclude_ids has 1001 ids"
      },
    };
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void toQuery_badField_isInvalidArgumentNamingIt(RankRequest request, String description) {
    assertThatThrownBy(() -> requests.toQuery(request))
        .isInstanceOfSatisfying(
            StatusException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains(description);
            });
  }
}
