package io.crowdrank.tools;

import com.google.protobuf.Timestamp;
import io.crowdrank.proto.v1.ExperimentArm;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankedItem;
import io.crowdrank.proto.v1.RecordEventsSummary;
import io.crowdrank.proto.v1.UserEvent;
import io.crowdrank.proto.v1.UserRef;
import io.grpc.ManagedChannel;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A day of host-app traffic against a running service, with a click model whose answer is known:
 * users of the generator's truth file are ranked at random times of the day, and click each item
 * shown with a probability that depends on whether its category is one of their planted top
 * categories and falls with the position ({@code p / log2(position + 1)}); a click is followed by a
 * use with a fixed probability. Clicks and uses go back through RecordEvents with the answer's
 * attribution token, as a host app would send them. A ranking that puts the user's tastes higher
 * gets more clicks, so the better variant of an experiment is known in advance.
 */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description =
        "A day of host-app traffic: rank for the truth file's users, click and use by their"
            + " planted tastes, send the events back with the answers' tokens.")
final class Simulation implements Callable<Integer> {
  @CommandLine.Mixin Cli.Target target;

  @Option(names = "--truth", required = true, description = "The generator's _truth/users.tsv.")
  java.nio.file.Path truth;

  @Option(
      names = "--requests",
      defaultValue = "3000",
      description = "Rank calls to make (default ${DEFAULT-VALUE}).")
  int requests;

  @Option(names = "--day", description = "The UTC day the traffic happens on (default: yesterday).")
  LocalDate day;

  @Option(names = "--seed", defaultValue = "7", description = "Seed (default ${DEFAULT-VALUE}).")
  long seed;

  /** Chance of a click at position 1 on an item of one of the user's top categories. */
  static final double TASTE_CLICK = 0.35;

  /** The same for any other item. */
  static final double OTHER_CLICK = 0.03;

  /** Chance that a click is followed by a use. */
  static final double USE_AFTER_CLICK = 0.4;

  /** Items per ranking. */
  static final int K = 10;

  /** Events sent per RecordEvents stream. */
  static final int STREAM = 500;

  /** What one variant (or no experiment) got, as the host app saw it. */
  static final class Tally {
    long answers;
    long shown;
    long clicks;
    long uses;
  }

  /** The chance that a user with these tastes clicks an item of this category at a position. */
  static double clickChance(Set<String> tastes, String category, int position) {
    double base = tastes.contains(category) ? TASTE_CLICK : OTHER_CLICK;
    return base / (Math.log(position + 1) / Math.log(2));
  }

  @Override
  public Integer call() throws Exception {
    if (requests < 1) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--requests must be >= 1, got " + requests);
    }
    List<DemoWalkthrough.Person> people =
        DemoWalkthrough.read(truth).stream()
            .filter(p -> !p.paymentAccount().isEmpty() || !p.socialAccount().isEmpty())
            .toList();
    LocalDate on = day != null ? day : LocalDate.now(ZoneOffset.UTC).minusDays(1);
    Instant start = on.atStartOfDay(ZoneOffset.UTC).toInstant();
    Random rnd = new Random(seed);
    Map<String, List<UserEvent>> pending = new LinkedHashMap<>();
    Map<String, Tally> byVariant = new TreeMap<>();
    long accepted = 0;
    ManagedChannel channel = target.open();
    try {
      for (int i = 0; i < requests; i++) {
        DemoWalkthrough.Person p = people.get(rnd.nextInt(people.size()));
        boolean payment = !p.paymentAccount().isEmpty();
        String app = payment ? "alipay" : "weibo";
        UserRef user =
            payment
                ? UserRef.newBuilder().setPaymentAccount(p.paymentAccount()).build()
                : UserRef.newBuilder().setSocialAccount(p.socialAccount()).build();
        Instant at = start.plusSeconds(rnd.nextInt(86_400));
        RankResponse r = target.ranking(channel, app).rank(Cli.request(user, app, K, null, at));
        Set<String> tastes = new HashSet<>(Arrays.asList(p.tastes().split(",")));
        Tally t = byVariant.computeIfAbsent(arms(r), k -> new Tally());
        t.answers++;
        t.shown += r.getItemsCount();
        for (int pos = 1; pos <= r.getItemsCount(); pos++) {
          RankedItem item = r.getItems(pos - 1);
          if (rnd.nextDouble() >= clickChance(tastes, item.getCategory(), pos)) {
            continue;
          }
          t.clicks++;
          List<UserEvent> out = pending.computeIfAbsent(app, a -> new ArrayList<>());
          out.add(event(user, app, item, UserEvent.Kind.CLICK, at, r, i, pos));
          if (rnd.nextDouble() < USE_AFTER_CLICK) {
            t.uses++;
            out.add(event(user, app, item, UserEvent.Kind.USE, at, r, i, pos));
          }
          if (out.size() >= STREAM) {
            accepted += send(channel, app, out);
          }
        }
      }
      for (var e : pending.entrySet()) {
        if (!e.getValue().isEmpty()) {
          accepted += send(channel, e.getKey(), e.getValue());
        }
      }
    } finally {
      Cli.close(channel);
    }
    System.out.printf(
        Locale.ROOT,
        "simulated %d rankings on %s; %d clicks and uses stored by the service%n",
        requests,
        on,
        accepted);
    byVariant.forEach(
        (variant, t) ->
            System.out.printf(
                Locale.ROOT,
                "  %s: %d answers, %d shown, %d clicks (CTR %.4f), %d uses%n",
                variant,
                t.answers,
                t.shown,
                t.clicks,
                t.shown == 0 ? 0.0 : t.clicks / (double) t.shown,
                t.uses));
    return 0;
  }

  /** The answer's experiments as "experiment/variant" (or "no experiment"). */
  private static String arms(RankResponse r) {
    if (r.getExperimentsCount() == 0) {
      return "no experiment";
    }
    List<String> out = new ArrayList<>();
    for (ExperimentArm a : r.getExperimentsList()) {
      out.add(a.getExperiment() + "/" + a.getVariant());
    }
    return String.join(" + ", out);
  }

  private static UserEvent event(
      UserRef user,
      String app,
      RankedItem item,
      UserEvent.Kind kind,
      Instant shownAt,
      RankResponse r,
      int request,
      int position) {
    Instant at = shownAt.plusSeconds(kind == UserEvent.Kind.CLICK ? 20 : 120);
    return UserEvent.newBuilder()
        .setUser(user)
        .setHostApp(app)
        .setMiniProgramId(item.getMiniProgramId())
        .setKind(kind)
        .setEventTime(Timestamp.newBuilder().setSeconds(at.getEpochSecond()))
        .setAttributionToken(r.getAttributionToken())
        .setEventId("sim-" + request + "-" + position + "-" + kind.name().toLowerCase(Locale.ROOT))
        .build();
  }

  private long send(ManagedChannel channel, String app, List<UserEvent> events) throws Exception {
    RecordEventsSummary s = Operations.send(target, channel, app, events);
    events.clear();
    if (s.getRejected() > 0) {
      throw new IllegalStateException(
          "the service refused " + s.getRejected() + " events: " + s.getErrorsList());
    }
    return s.getAccepted();
  }
}
