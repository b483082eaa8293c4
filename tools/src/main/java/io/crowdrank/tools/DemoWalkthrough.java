package io.crowdrank.tools;

import io.crowdrank.proto.v1.GetUserSegmentsRequest;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.Segment;
import io.crowdrank.proto.v1.UserRef;
import io.crowdrank.proto.v1.UserSegments;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The demo's last act: picks a heavy buyer, a social-only user and an unknown user from the
 * generator's ground truth and shows their rankings in two host apps at two times of the week.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Rank for a heavy buyer, a social-only user and an unknown user; print readably.")
final class DemoWalkthrough implements Callable<Integer> {
  @CommandLine.Mixin Cli.Target target;

  @Option(names = "--truth", required = true, description = "The generator's _truth/users.tsv.")
  Path truth;

  @Option(
      names = "--k",
      defaultValue = "3",
      description = "Items per ranking (default ${DEFAULT-VALUE}, so the demo fits on a screen).")
  int k;

  static final List<String> HOST_APPS = List.of("alipay", "weibo");
  static final ZoneId PLATFORM_ZONE = ZoneId.of("Asia/Shanghai");

  /** One row of _truth/users.tsv. */
  record Person(
      String paymentAccount,
      String socialAccount,
      String linkState,
      String homeCity,
      String tastes,
      long payments,
      long socialEvents) {}

  record Persona(String title, UserRef user, String description) {}

  @Override
  public Integer call() throws IOException {
    List<Person> people = read(truth);
    List<Persona> personas = personas(people);
    List<ZonedDateTime> times = times();
    ManagedChannel channel = target.open();
    try {
      for (Persona p : personas) {
        System.out.println();
        System.out.println(p.title() + " — " + p.description());
        segments(channel, p.user());
        for (String app : HOST_APPS) {
          for (ZonedDateTime at : times) {
            RankResponse r =
                target
                    .ranking(channel, app)
                    .rank(Cli.request(p.user(), app, k, null, at.toInstant()));
            System.out.printf(
                Locale.ROOT,
                "  in %s, %s (Asia/Shanghai) %s:%n%s",
                app,
                at.format(DateTimeFormatter.ofPattern("EEEE HH:mm", Locale.ENGLISH)),
                Printing.strategy(r),
                Printing.items(r));
          }
        }
      }
      return 0;
    } finally {
      Cli.close(channel);
    }
  }

  /**
   * The user's audience segments (campaigns target them), or that the bundle does not know them.
   */
  private void segments(ManagedChannel channel, UserRef user) {
    try {
      UserSegments s =
          target
              .ranking(channel, HOST_APPS.get(0))
              .getUserSegments(
                  GetUserSegmentsRequest.newBuilder()
                      .setUser(user)
                      .setHostApp(HOST_APPS.get(0))
                      .build());
      System.out.println(
          "  segments: "
              + (s.getSegmentsCount() == 0
                  ? "none"
                  : String.join(
                      ", ", s.getSegmentsList().stream().map(Segment::getName).toList())));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
      System.out.println("  segments: none (the bundle does not know this user)");
    }
  }

  static List<Persona> personas(List<Person> people) {
    Person heavy =
        people.stream()
            .filter(p -> !p.paymentAccount().isEmpty())
            .max(Comparator.comparingLong(Person::payments))
            .orElseThrow(() -> new IllegalStateException("no payment users in the truth file"));
    Person socialOnly =
        people.stream()
            .filter(p -> p.paymentAccount().isEmpty() && !p.socialAccount().isEmpty())
            .max(Comparator.comparingLong(Person::socialEvents))
            .orElseThrow(() -> new IllegalStateException("no social-only users in the truth file"));
    Set<String> known = people.stream().map(Person::paymentAccount).collect(Collectors.toSet());
    String unknown = "2099000000000001";
    if (known.contains(unknown)) {
      throw new IllegalStateException("the demo's unknown account exists in the data");
    }
    List<Persona> out = new ArrayList<>();
    out.add(
        new Persona(
            "HEAVY BUYER payment_account=" + heavy.paymentAccount(),
            UserRef.newBuilder().setPaymentAccount(heavy.paymentAccount()).build(),
            String.format(
                Locale.ROOT,
                "%d payments; planted tastes %s; home %s",
                heavy.payments(),
                heavy.tastes(),
                heavy.homeCity())));
    out.add(
        new Persona(
            "SOCIAL-ONLY USER social_account=" + socialOnly.socialAccount(),
            UserRef.newBuilder().setSocialAccount(socialOnly.socialAccount()).build(),
            String.format(
                Locale.ROOT,
                "no payment account, %d social interactions; planted tastes %s",
                socialOnly.socialEvents(),
                socialOnly.tastes())));
    out.add(
        new Persona(
            "UNKNOWN USER payment_account=" + unknown,
            UserRef.newBuilder().setPaymentAccount(unknown).build(),
            "never seen: falls back to what is popular in the host app at that hour"));
    return out;
  }

  /** The coming Wednesday 08:00 and Friday 22:00 in platform time: breakfast vs late night. */
  static List<ZonedDateTime> times() {
    LocalDate today = LocalDate.now(PLATFORM_ZONE);
    return List.of(
        ZonedDateTime.of(
            today.with(TemporalAdjusters.nextOrSame(DayOfWeek.WEDNESDAY)),
            LocalTime.of(8, 0),
            PLATFORM_ZONE),
        ZonedDateTime.of(
            today.with(TemporalAdjusters.nextOrSame(DayOfWeek.FRIDAY)),
            LocalTime.of(22, 0),
            PLATFORM_ZONE));
  }

  static List<Person> read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    if (lines.isEmpty() || !lines.get(0).startsWith("user\tpayment_account")) {
      throw new IOException(file + " is not a generator truth file (users.tsv)");
    }
    List<Person> out = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t", -1);
      out.add(new Person(f[1], f[2], f[3], f[4], f[5], Long.parseLong(f[7]), Long.parseLong(f[8])));
    }
    return out;
  }
}
