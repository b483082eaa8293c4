package io.crowdrank.batch.generate;

import io.crowdrank.batch.generate.DemoWorld.Category;
import io.crowdrank.batch.ingest.RawSource;
import io.crowdrank.batch.segments.Targeting;
import io.crowdrank.format.HostApps;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Writes a demo world as the upstream systems would deliver it: payment transactions (CSV), social
 * interactions (JSON lines), account links (CSV) and catalog snapshots (JSON lines), each in {@code
 * <source>/dt=YYYY-MM-DD/} delivery-date folders, plus {@code _truth/} with the planted structure
 * for tests and the demo. Deterministic: the same options give the same bytes.
 *
 * <p>Planted: users with latent category tastes and favourite mini-programs, home cities,
 * hour-of-week habits per category (breakfast coffee, lunch and late-night food, weekend travel),
 * night owls, Zipf popularity, a shared-user overlap with consented links (and some withdrawn),
 * mini-programs that appear only in the last catalog snapshot (cold start), late deliveries,
 * duplicate deliveries and a small share of malformed rows.
 */
public final class DemoDataGenerator {

  /** Generator options; see {@link #defaults(Path)}. */
  public record Options(
      Path out,
      int users,
      int miniPrograms,
      int days,
      long seed,
      LocalDate start,
      double malformedShare) {
    public Options {
      if (out == null) {
        throw new IllegalArgumentException("out directory is required");
      }
      if (users < 10) {
        throw new IllegalArgumentException("users must be at least 10, got " + users);
      }
      if (miniPrograms < 20) {
        throw new IllegalArgumentException(
            "mini-programs must be at least 20, got " + miniPrograms);
      }
      if (days < 7 || days > 366) {
        throw new IllegalArgumentException("days must be 7..366, got " + days);
      }
      if (malformedShare < 0 || malformedShare > 0.5) {
        throw new IllegalArgumentException("malformed share must be 0..0.5, got " + malformedShare);
      }
    }

    public static Options defaults(Path out) {
      return new Options(out, 5_000, 1_000, 28, 42L, LocalDate.of(2026, 10, 5), 0.005);
    }

    public Options withUsers(int n) {
      return new Options(out, n, miniPrograms, days, seed, start, malformedShare);
    }

    public Options withMiniPrograms(int n) {
      return new Options(out, users, n, days, seed, start, malformedShare);
    }

    public Options withDays(int n) {
      return new Options(out, users, miniPrograms, n, seed, start, malformedShare);
    }

    public Options withSeed(long s) {
      return new Options(out, users, miniPrograms, days, s, start, malformedShare);
    }

    public Options withMalformedShare(double share) {
      return new Options(out, users, miniPrograms, days, seed, start, share);
    }
  }

  /** What was written, per source: data lines, of which malformed and duplicate deliveries. */
  public record SourceCounts(long lines, long malformed, long duplicates) {}

  public record Result(
      Path out,
      SourceCounts payments,
      SourceCounts social,
      SourceCounts links,
      SourceCounts catalog,
      int users,
      int miniPrograms,
      Path targeting) {}

  /** The demo's segment and campaign definitions, beside the raw sources. */
  public static final String TARGETING_FILE = "targeting.json";

  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'");
  private static final double LATE_SHARE = 0.01;
  private static final double DUPLICATE_SHARE = 0.003;
  private static final double NEW_ITEM_SHARE = 0.03;
  private static final int LOCAL_OFFSET_HOURS = 8; // Asia/Shanghai has no DST

  private final Options o;
  private final SplittableRandom rnd;
  private final List<Item> items = new ArrayList<>();

  /** [category][city] -> eligible old, active items with cumulative popularity. */
  private Pool[][] pools;

  private final double[] cityShares =
      DemoWorld.CITIES.stream().mapToDouble(DemoWorld.City::share).toArray();

  /** [category][night owl ? 1 : 0] -> hour-of-week weights; precomputed, sampled per event. */
  private final double[][][] habits = new double[DemoWorld.CATEGORIES.size()][2][];

  private final double[] socialHabit = weekWeights(DemoWorld::socialHabit);

  private DemoDataGenerator(Options options) {
    this.o = options;
    this.rnd = new SplittableRandom(options.seed());
    for (int c = 0; c < habits.length; c++) {
      Category category = DemoWorld.CATEGORIES.get(c);
      habits[c][0] = weekWeights((d, h) -> habit(category, false, d, h));
      habits[c][1] = weekWeights((d, h) -> habit(category, true, d, h));
    }
  }

  private static double[] weekWeights(DemoWorld.Habit habit) {
    double[] w = new double[168];
    for (int how = 0; how < 168; how++) {
      w[how] = habit.weight(how / 24, how % 24);
    }
    return w;
  }

  public static Result generate(Options options) {
    return new DemoDataGenerator(options).run();
  }

  /**
   * What an earlier {@link #generate} with the same options wrote to {@code options.out()}, read
   * back from its summary; empty when there is none or it was written with other options.
   */
  public static java.util.Optional<Result> existing(Options options) {
    Path summary = options.out().resolve("_truth").resolve("summary.properties");
    if (!Files.isRegularFile(summary)) {
      return java.util.Optional.empty();
    }
    java.util.Properties p = new java.util.Properties();
    try (var in = Files.newBufferedReader(summary, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + summary, e);
    }
    boolean same =
        String.valueOf(options.users()).equals(p.getProperty("users"))
            && String.valueOf(options.miniPrograms()).equals(p.getProperty("mini_programs"))
            && String.valueOf(options.seed()).equals(p.getProperty("seed"))
            && String.valueOf(options.start()).equals(p.getProperty("start"))
            && String.valueOf(options.days()).equals(p.getProperty("days"))
            && String.valueOf(options.malformedShare()).equals(p.getProperty("malformed_share"));
    if (!same) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        new Result(
            options.out(),
            counts(p, "payments"),
            counts(p, "social"),
            counts(p, "account_links"),
            counts(p, "catalog"),
            options.users(),
            options.miniPrograms(),
            options.out().resolve(TARGETING_FILE)));
  }

  private static SourceCounts counts(java.util.Properties p, String source) {
    return new SourceCounts(
        Long.parseLong(p.getProperty(source + ".lines")),
        Long.parseLong(p.getProperty(source + ".malformed")),
        Long.parseLong(p.getProperty(source + ".duplicates")));
  }

  private record Item(
      String id,
      String merchant,
      String name,
      int category,
      List<String> verticals,
      List<String> hostApps,
      List<Integer> cities,
      String status,
      double popularity,
      boolean isNew) {
    boolean availableIn(int city) {
      return cities.isEmpty() || cities.contains(city);
    }
  }

  private record Pool(int[] items, double[] cumulative) {}

  private Result run() {
    try {
      Files.createDirectories(o.out());
      buildCatalog();
      SourceCounts catalog = writeCatalog();
      try (DailyWriters payments = new DailyWriters(RawSource.PAYMENTS);
          DailyWriters social = new DailyWriters(RawSource.SOCIAL);
          DailyWriters links = new DailyWriters(RawSource.ACCOUNT_LINKS);
          BufferedWriter truth = truthWriter()) {
        for (int u = 1; u <= o.users(); u++) {
          generateUser(u, payments, social, links, truth);
        }
        Result result =
            new Result(
                o.out(),
                payments.counts(),
                social.counts(),
                links.counts(),
                catalog,
                o.users(),
                o.miniPrograms(),
                writeTargeting());
        writeSummary(result);
        return result;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not write demo data to " + o.out(), e);
    }
  }

  // ---------------------------------------------------------------- targeting

  /**
   * Demo audiences: platform segments (lunch crowd, night owls, high value, Hangzhou payers) and,
   * for the merchant of the most popular active, nationwide fast-food mini-program on alipay, its
   * customers, prospects (interested, not customers yet) and a campaign promoting that mini-program
   * to its prospects at the top slot, running from the first day of the data for a year.
   */
  private Path writeTargeting() throws IOException {
    int fastFood = 0;
    Item star =
        items.stream()
            .filter(
                it ->
                    it.category() == fastFood
                        && !it.isNew()
                        && it.status().equals("active")
                        && it.cities().isEmpty()
                        && it.hostApps().contains("alipay"))
            .max(java.util.Comparator.comparingDouble(Item::popularity))
            .orElse(items.get(0));
    String m = star.merchant();
    List<Targeting.Segment> segments =
        List.of(
            new Targeting.Segment(
                "lunch_crowd",
                "Weekday lunch crowd",
                null,
                "A third or more of their activity at weekday lunch time",
                "activity(\"weekday 11-14\") >= 0.3"),
            new Targeting.Segment(
                "night_owls",
                "Night owls",
                null,
                "A third or more of their activity after 21:00",
                "activity(\"any 21-24\") >= 0.33"),
            new Targeting.Segment(
                "high_value", "High-value payers", null, "RFM score 12 or more", "rfm_score >= 12"),
            new Targeting.Segment(
                "hangzhou_payers",
                "Hangzhou payers",
                null,
                "Home city Hangzhou, on the payment platform",
                "home_city = \"hangzhou\" and has_payment"),
            new Targeting.Segment(
                m + "_customers",
                "Customers of " + m,
                m,
                "Paid at one of the merchant's mini-programs",
                "merchant_aipl(\"" + m + "\") >= \"purchase\""),
            new Targeting.Segment(
                m + "_prospects",
                "Prospects of " + m,
                m,
                "Interested in food, or aware of the merchant, but not customers yet",
                "(interest(\"food\") >= 0.2 or merchant_aipl(\""
                    + m
                    + "\") >= \"awareness\") and not segment(\""
                    + m
                    + "_customers\")"));
    java.time.Instant from = o.start().atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
    List<Targeting.Campaign> campaigns =
        List.of(
            new Targeting.Campaign(
                m + "_welcome",
                "Welcome offer at " + star.name(),
                star.id(),
                List.of(m + "_prospects"),
                List.of(),
                from,
                from.plus(java.time.Duration.ofDays(365)),
                0.5,
                1));
    Path file = o.out().resolve(TARGETING_FILE);
    new Targeting(segments, campaigns).checked().write(file);
    return file;
  }

  // ---------------------------------------------------------------- catalog

  private void buildCatalog() {
    int width = Math.max(6, String.valueOf(o.miniPrograms()).length());
    double[] categoryShares =
        DemoWorld.CATEGORIES.stream().mapToDouble(Category::globalShare).toArray();
    int[] popularityRank = permutation(o.miniPrograms());
    int newFrom = (int) Math.round(o.miniPrograms() * (1 - NEW_ITEM_SHARE));
    int merchants = 0;
    for (int i = 0; i < o.miniPrograms(); i++) {
      Item previous = items.isEmpty() ? null : items.get(items.size() - 1);
      int category;
      String merchant;
      String brand;
      if (previous != null && rnd.nextDouble() < 0.3) {
        // A brand family: same merchant, same category, another mini-program.
        category = previous.category();
        merchant = previous.merchant();
        brand = previous.name().substring(0, previous.name().indexOf(' '));
      } else {
        category = pick(categoryShares);
        merchant = String.format(Locale.ROOT, "m%06d", ++merchants);
        brand = DemoWorld.NAME_ADJECTIVES.get(rnd.nextInt(DemoWorld.NAME_ADJECTIVES.size()));
      }
      Category c = DemoWorld.CATEGORIES.get(category);
      String name = brand + " " + c.nameWords().get(rnd.nextInt(c.nameWords().size()));
      List<Integer> cities = new ArrayList<>();
      if (rnd.nextDouble() >= 0.35) {
        cities.add(pick(cityShares));
        if (rnd.nextDouble() < 0.3) {
          int second = pick(cityShares);
          if (!cities.contains(second)) {
            cities.add(second);
          }
        }
        cities.sort(null);
      }
      double u = rnd.nextDouble();
      String status = u < 0.94 ? "active" : u < 0.97 ? "suspended" : "offline";
      items.add(
          new Item(
              String.format(Locale.ROOT, "mp%0" + width + "d", i + 1),
              merchant,
              name,
              category,
              verticalsOf(c),
              hostAppsOf(c.id()),
              List.copyOf(cities),
              status,
              1.0 / (popularityRank[i] + 1),
              i >= newFrom));
    }
    pools = new Pool[DemoWorld.CATEGORIES.size()][DemoWorld.CITIES.size()];
    for (int c = 0; c < pools.length; c++) {
      for (int city = 0; city < DemoWorld.CITIES.size(); city++) {
        List<Integer> eligible = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
          Item it = items.get(i);
          if (it.category() == c && !it.isNew() && it.availableIn(city) && isActive(it)) {
            eligible.add(i);
          }
        }
        int[] ids = eligible.stream().mapToInt(Integer::intValue).toArray();
        double[] cum = new double[ids.length];
        double sum = 0;
        for (int k = 0; k < ids.length; k++) {
          sum += items.get(ids[k]).popularity();
          cum[k] = sum;
        }
        pools[c][city] = new Pool(ids, cum);
      }
    }
  }

  private static boolean isActive(Item it) {
    return it.status().equals("active");
  }

  private List<String> verticalsOf(Category c) {
    List<String> verticals = new ArrayList<>(c.verticals());
    if (rnd.nextDouble() < 0.1) {
      String extra = DemoWorld.VERTICALS.get(rnd.nextInt(DemoWorld.VERTICALS.size() - 2));
      if (!verticals.contains(extra)) {
        verticals.add(extra);
      }
    }
    return List.copyOf(verticals);
  }

  private List<String> hostAppsOf(String category) {
    List<String> apps = new ArrayList<>();
    if (rnd.nextDouble() < 0.9) {
      apps.add(HostApps.ALIPAY);
    }
    if (rnd.nextDouble() < 0.35) {
      apps.add(HostApps.WEIBO);
    }
    if (List.of("retail", "fashion", "beauty").contains(category) && rnd.nextDouble() < 0.6) {
      apps.add(HostApps.TMALL);
    }
    if (List.of("fast_food", "coffee_tea", "food_delivery").contains(category)
        && rnd.nextDouble() < 0.5) {
      apps.add(HostApps.KOUBEI);
    }
    if (List.of("travel", "hotel", "ride_hailing").contains(category) && rnd.nextDouble() < 0.7) {
      apps.add(HostApps.AUTONAVI);
    }
    if (List.of("education", "utilities", "health").contains(category) && rnd.nextDouble() < 0.3) {
      apps.add(HostApps.DINGTALK);
    }
    if (apps.isEmpty()) {
      apps.add(HostApps.ALIPAY);
    }
    return List.copyOf(apps);
  }

  private SourceCounts writeCatalog() throws IOException {
    // Two snapshots: the first day's (without the new mini-programs) and the last day's (all).
    long lines = 0;
    long malformed = 0;
    for (LocalDate day : List.of(o.start(), o.start().plusDays(o.days() - 1))) {
      boolean last = !day.equals(o.start());
      Path file = partition(RawSource.CATALOG.directory(), day).resolve("part-00000.jsonl");
      try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        String updated = TS.format(day.atStartOfDay());
        for (Item it : items) {
          if (it.isNew() && !last) {
            continue;
          }
          String line =
              "{\"mini_program_id\":\""
                  + it.id()
                  + "\",\"merchant_id\":\""
                  + it.merchant()
                  + "\",\"name\":\""
                  + it.name()
                  + "\",\"category\":\""
                  + DemoWorld.CATEGORIES.get(it.category()).id()
                  + "\",\"verticals\":"
                  + jsonArray(it.verticals())
                  + ",\"host_apps\":"
                  + jsonArray(it.hostApps())
                  + ",\"cities\":"
                  + jsonArray(it.cities().stream().map(c -> DemoWorld.CITIES.get(c).id()).toList())
                  + ",\"status\":\""
                  + it.status()
                  + "\",\"updated_time\":\""
                  + updated
                  + "\"}";
          if (rnd.nextDouble() < o.malformedShare()) {
            line = line.substring(0, line.length() / 2); // truncated export line
            malformed++;
          }
          w.write(line);
          w.write('\n');
          lines++;
        }
      }
    }
    return new SourceCounts(lines, malformed, 0);
  }

  // ---------------------------------------------------------------- users and events

  private void generateUser(
      int u, DailyWriters payments, DailyWriters social, DailyWriters links, BufferedWriter truth)
      throws IOException {
    int home = pick(cityShares);
    boolean hasPayment = rnd.nextDouble() < 0.85;
    boolean hasSocial = !hasPayment || rnd.nextDouble() < 0.55;
    String paymentAccount = hasPayment ? paymentAccount(u) : "";
    String socialAccount = hasSocial ? socialAccount(u) : "";
    boolean nightOwl = rnd.nextDouble() < 0.2;

    // Tastes: three categories, 55/30/15, mixed with 10% of the global shares.
    int ncat = DemoWorld.CATEGORIES.size();
    double[] global = DemoWorld.CATEGORIES.stream().mapToDouble(Category::globalShare).toArray();
    int[] top = new int[3];
    double[] remaining = global.clone();
    for (int k = 0; k < 3; k++) {
      top[k] = pick(remaining);
      remaining[top[k]] = 0;
    }
    double[] taste = new double[ncat];
    for (int c = 0; c < ncat; c++) {
      taste[c] = 0.1 * global[c];
    }
    taste[top[0]] += 0.9 * 0.55;
    taste[top[1]] += 0.9 * 0.30;
    taste[top[2]] += 0.9 * 0.15;

    int[][] favourites = new int[ncat][];
    for (int k = 0; k < 3; k++) {
      Pool pool = pools[top[k]][home];
      favourites[top[k]] = new int[Math.min(3, pool.items().length)];
      for (int f = 0; f < favourites[top[k]].length; f++) {
        favourites[top[k]][f] = sample(pool);
      }
    }

    // Activity: log-normal, so a few heavy buyers and many light ones.
    double payRate = hasPayment ? Math.exp(-1.2 + 1.0 * gaussian()) : 0;
    double socialRate = hasSocial ? Math.exp(-0.6 + 1.0 * gaussian()) : 0;

    String linkState = "none";
    if (hasPayment && hasSocial && rnd.nextDouble() < 0.75) {
      boolean consent = rnd.nextDouble() < 0.9;
      LocalDate linkDay = o.start().plusDays(rnd.nextInt(Math.max(1, o.days() / 2)));
      links.write(
          linkDay,
          linkLine(paymentAccount, socialAccount, "linked", consent ? "true" : "false", linkDay));
      linkState = consent ? "linked" : "linked_no_consent";
      double later = rnd.nextDouble();
      if (consent && later < 0.05) {
        LocalDate changeDay = linkDay.plusDays(1 + rnd.nextInt(Math.max(1, o.days() / 3)));
        boolean unlink = later < 0.02;
        links.write(
            changeDay,
            linkLine(
                paymentAccount,
                socialAccount,
                unlink ? "unlinked" : "linked",
                unlink ? "true" : "false",
                changeDay));
        linkState = unlink ? "unlinked" : "consent_withdrawn";
      }
    }

    long nPay = poisson(payRate * o.days());
    for (long t = 0; t < nPay; t++) {
      writePayment(u, t, paymentAccount, home, taste, favourites, nightOwl, payments);
    }

    double[] interest = interests(taste);
    long nSocial = poisson(socialRate * o.days());
    for (long s = 0; s < nSocial; s++) {
      writeSocial(u, s, socialAccount, home, taste, interest, favourites, social);
    }

    truth.write(
        String.join(
            "\t",
            String.valueOf(u),
            paymentAccount,
            socialAccount,
            linkState,
            DemoWorld.CITIES.get(home).id(),
            DemoWorld.CATEGORIES.get(top[0]).id()
                + ","
                + DemoWorld.CATEGORIES.get(top[1]).id()
                + ","
                + DemoWorld.CATEGORIES.get(top[2]).id(),
            String.valueOf(nightOwl),
            String.valueOf(nPay),
            String.valueOf(nSocial)));
    truth.write('\n');
  }

  private void writePayment(
      int u,
      long t,
      String account,
      int home,
      double[] taste,
      int[][] favourites,
      boolean nightOwl,
      DailyWriters out)
      throws IOException {
    int c = pick(taste);
    Category category = DemoWorld.CATEGORIES.get(c);
    boolean away =
        rnd.nextDouble()
            < (category.id().equals("travel") || category.id().equals("hotel") ? 0.5 : 0.08);
    int city = away ? pick(cityShares) : home;
    int item = -1;
    if (favourites[c] != null && favourites[c].length > 0 && rnd.nextDouble() < 0.5) {
      int fav = favourites[c][rnd.nextInt(favourites[c].length)];
      if (items.get(fav).availableIn(city)) {
        item = fav;
      }
    }
    if (item < 0) {
      Pool pool = pools[c][city];
      if (pool.items().length == 0) {
        return;
      }
      item = sample(pool);
    }
    Item it = items.get(item);
    LocalDateTime local = sampleLocalTime(habits[c][nightOwl ? 1 : 0]);
    long amount = Math.max(100, Math.round(category.basePriceFen() * Math.exp(0.5 * gaussian())));
    double s = rnd.nextDouble();
    String status = s < 0.95 ? "success" : s < 0.97 ? "refunded" : "failed";
    String[] f = {
      String.format(Locale.ROOT, "t%08d%06d", u, t),
      account,
      it.merchant(),
      it.id(),
      String.valueOf(amount),
      category.id(),
      DemoWorld.CITIES.get(city).id(),
      hostAppFor(it),
      TS.format(local.minusHours(LOCAL_OFFSET_HOURS)),
      status
    };
    LocalDate eventDay = local.minusHours(LOCAL_OFFSET_HOURS).toLocalDate();
    if (rnd.nextDouble() < o.malformedShare()) {
      out.writeMalformed(eventDay, malformPayment(f));
    } else {
      out.writeEvent(eventDay, String.join(",", f));
    }
  }

  private static double habit(Category c, boolean nightOwl, int day, int hour) {
    double w = c.habit().weight(day, hour);
    return nightOwl && (hour >= 22 || hour < 2) ? w * 3 : w;
  }

  private String malformPayment(String[] f) {
    String[] g = f.clone();
    switch (rnd.nextInt(6)) {
      case 0 -> {
        String line = String.join(",", g);
        return line.substring(0, 5 + rnd.nextInt(line.length() / 2)); // truncated
      }
      case 1 -> g[8] = "2026-13-45T99:00:00Z"; // bad timestamp
      case 2 -> g[4] = "-" + g[4]; // negative amount
      case 3 -> g[7] = "hostapp_x"; // unknown host app
      case 4 -> g[0] = ""; // missing id
      default -> {
        return String.join(",", g) + ",extra"; // wrong column count
      }
    }
    return String.join(",", g);
  }

  private void writeSocial(
      int u,
      long s,
      String account,
      int home,
      double[] taste,
      double[] interest,
      int[][] favourites,
      DailyWriters out)
      throws IOException {
    String action = DemoWorld.SOCIAL_ACTIONS.get(pick(DemoWorld.SOCIAL_ACTION_SHARE));
    String vertical = DemoWorld.VERTICALS.get(pick(interest));
    String item = null;
    if (!action.equals("comment") && !action.equals("repost") && rnd.nextDouble() < 0.6) {
      // Engagement with a mini-program card in this vertical, led by the user's tastes.
      double[] w = new double[taste.length];
      for (int c = 0; c < w.length; c++) {
        w[c] = DemoWorld.CATEGORIES.get(c).verticals().contains(vertical) ? taste[c] + 0.01 : 0;
      }
      if (Arrays.stream(w).sum() > 0) {
        int c = pick(w);
        if (favourites[c] != null && favourites[c].length > 0 && rnd.nextDouble() < 0.5) {
          item = items.get(favourites[c][rnd.nextInt(favourites[c].length)]).id();
        } else if (pools[c][home].items().length > 0) {
          item = items.get(sample(pools[c][home])).id();
        }
      }
    }
    LocalDateTime local = sampleLocalTime(socialHabit);
    LocalDateTime utc = local.minusHours(LOCAL_OFFSET_HOURS);
    String id = String.format(Locale.ROOT, "e%08d%06d", u, s);
    String ts = TS.format(utc);
    boolean bad = rnd.nextDouble() < o.malformedShare();
    int kind = bad ? rnd.nextInt(4) : -1;
    String line =
        "{\"event_id\":\""
            + (kind == 3 ? "" : id)
            + "\",\"social_account\":\""
            + account
            + "\",\"action\":\""
            + (kind == 2 ? "poke" : action)
            + "\",\"vertical\":\""
            + vertical
            + "\""
            + (item == null ? "" : ",\"mini_program_id\":\"" + item + "\"")
            + ",\"event_time\":\""
            + (kind == 1 ? "yesterday" : ts)
            + "\"}";
    if (kind == 0) {
      line = line.substring(0, line.length() - 7); // truncated
    }
    if (bad) {
      out.writeMalformed(utc.toLocalDate(), line);
    } else {
      out.writeEvent(utc.toLocalDate(), line);
    }
  }

  private double[] interests(double[] taste) {
    double[] w = new double[DemoWorld.VERTICALS.size()];
    for (int c = 0; c < taste.length; c++) {
      List<String> vs = DemoWorld.CATEGORIES.get(c).verticals();
      for (String v : vs) {
        w[DemoWorld.VERTICALS.indexOf(v)] += taste[c] / vs.size();
      }
    }
    for (int v = 0; v < w.length; v++) {
      w[v] += 0.02;
    }
    if (rnd.nextDouble() < 0.3) {
      w[DemoWorld.VERTICALS.indexOf("tech")] += 0.3;
    }
    if (rnd.nextDouble() < 0.15) {
      w[DemoWorld.VERTICALS.indexOf("parenting")] += 0.3;
    }
    return w;
  }

  private String linkLine(
      String payment, String social, String status, String consent, LocalDate day) {
    LocalDateTime at = day.atStartOfDay().plusSeconds(rnd.nextInt(86_400));
    return String.join(",", payment, social, status, consent, TS.format(at));
  }

  private String hostAppFor(Item it) {
    if (it.hostApps().contains(HostApps.ALIPAY) && rnd.nextDouble() < 0.7) {
      return HostApps.ALIPAY;
    }
    return it.hostApps().get(rnd.nextInt(it.hostApps().size()));
  }

  /** A local date-time within the window whose hour of week follows the given habit. */
  private LocalDateTime sampleLocalTime(double[] hourOfWeekWeights) {
    int how = pick(hourOfWeekWeights);
    int dow = how / 24; // 0 = Monday
    int first = Math.floorMod(dow - (o.start().getDayOfWeek().getValue() - 1), 7);
    int weeks = (o.days() - 1 - first) / 7 + 1;
    LocalDate day = o.start().plusDays(first + 7L * rnd.nextInt(weeks));
    return day.atTime(how % 24, rnd.nextInt(60), rnd.nextInt(60));
  }

  // ---------------------------------------------------------------- helpers

  private int pick(double[] weights) {
    double total = 0;
    for (double w : weights) {
      total += w;
    }
    double x = rnd.nextDouble() * total;
    for (int i = 0; i < weights.length; i++) {
      x -= weights[i];
      if (x < 0) {
        return i;
      }
    }
    return weights.length - 1;
  }

  private int sample(Pool pool) {
    double x = rnd.nextDouble() * pool.cumulative()[pool.cumulative().length - 1];
    int k = Arrays.binarySearch(pool.cumulative(), x);
    return pool.items()[k >= 0 ? k : Math.min(-k - 1, pool.items().length - 1)];
  }

  private int[] permutation(int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }

  private double gaussian() {
    // Box-Muller on the seeded generator (SplittableRandom has no nextGaussian on Java 17).
    double u1 = 1.0 - rnd.nextDouble();
    double u2 = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  private long poisson(double mean) {
    if (mean <= 0) {
      return 0;
    }
    if (mean > 30) {
      return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian()));
    }
    double l = Math.exp(-mean);
    long k = 0;
    double p = 1;
    do {
      k++;
      p *= rnd.nextDouble();
    } while (p > l);
    return k - 1;
  }

  /** Payment accounts: "2088" + 12 digits, a bijection of the user number so ids look random. */
  static String paymentAccount(int u) {
    return String.format(Locale.ROOT, "2088%012d", (u * 2_654_435_761L) % 1_000_000_000_000L);
  }

  /** Social accounts: "5" + 9 digits, likewise. */
  static String socialAccount(int u) {
    return String.format(Locale.ROOT, "5%09d", (u * 387_420_489L) % 1_000_000_000L);
  }

  private static String jsonArray(List<String> values) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < values.size(); i++) {
      b.append(i == 0 ? "\"" : ",\"").append(values.get(i)).append('"');
    }
    return b.append(']').toString();
  }

  private Path partition(String source, LocalDate day) throws IOException {
    Path dir = o.out().resolve(source).resolve("dt=" + day);
    Files.createDirectories(dir);
    return dir;
  }

  private BufferedWriter truthWriter() throws IOException {
    Path dir = o.out().resolve("_truth");
    Files.createDirectories(dir);
    BufferedWriter w = Files.newBufferedWriter(dir.resolve("users.tsv"), StandardCharsets.UTF_8);
    w.write(
        "user\tpayment_account\tsocial_account\tlink_state\thome_city\ttop_categories\tnight_owl\tpayments\tsocial_events\n");
    return w;
  }

  private void writeSummary(Result r) throws IOException {
    StringBuilder b = new StringBuilder();
    b.append("# Generator ground truth: data lines written per source (headers excluded).\n");
    for (var e :
        new TreeMap<>(
                java.util.Map.of(
                    "payments", r.payments(),
                    "social", r.social(),
                    "account_links", r.links(),
                    "catalog", r.catalog()))
            .entrySet()) {
      b.append(e.getKey()).append(".lines=").append(e.getValue().lines()).append('\n');
      b.append(e.getKey()).append(".malformed=").append(e.getValue().malformed()).append('\n');
      b.append(e.getKey()).append(".duplicates=").append(e.getValue().duplicates()).append('\n');
    }
    b.append("users=").append(r.users()).append('\n');
    b.append("mini_programs=").append(r.miniPrograms()).append('\n');
    b.append("seed=").append(o.seed()).append('\n');
    b.append("start=").append(o.start()).append('\n');
    b.append("days=").append(o.days()).append('\n');
    b.append("malformed_share=").append(o.malformedShare()).append('\n');
    Files.writeString(
        o.out().resolve("_truth").resolve("summary.properties"), b, StandardCharsets.UTF_8);
  }

  /**
   * One open file per delivery date of a source. Events are delivered on their UTC date, except a
   * few late ones (a later folder) and a few delivered twice.
   */
  private final class DailyWriters implements AutoCloseable {
    private final String source;
    private final String ext;
    private final String header;
    private final BufferedWriter[] writers;
    private long lines;
    private long malformed;
    private long duplicates;

    DailyWriters(RawSource source) {
      this.source = source.directory();
      boolean csv = source.format() == RawSource.Format.CSV;
      this.ext = csv ? "csv" : "jsonl";
      this.header = csv ? source.csvHeader() : null;
      this.writers = new BufferedWriter[o.days()];
    }

    void writeEvent(LocalDate eventDay, String line) throws IOException {
      int day = deliveryDay(eventDay);
      if (rnd.nextDouble() < LATE_SHARE) {
        day = Math.min(o.days() - 1, day + 1 + rnd.nextInt(3));
      }
      put(day, line);
      if (rnd.nextDouble() < DUPLICATE_SHARE) {
        put(Math.min(o.days() - 1, day + rnd.nextInt(3)), line);
        duplicates++;
      }
    }

    void writeMalformed(LocalDate eventDay, String line) throws IOException {
      put(deliveryDay(eventDay), line);
      malformed++;
    }

    /** Links are state changes, delivered on their own day and never late or twice. */
    void write(LocalDate day, String line) throws IOException {
      put(deliveryDay(day), line);
    }

    private int deliveryDay(LocalDate day) {
      long d = day.toEpochDay() - o.start().toEpochDay();
      return (int) Math.max(0, Math.min(o.days() - 1, d));
    }

    private void put(int day, String line) throws IOException {
      if (writers[day] == null) {
        Path file = partition(source, o.start().plusDays(day)).resolve("part-00000." + ext);
        writers[day] = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        if (header != null) {
          writers[day].write(header);
          writers[day].write('\n');
        }
      }
      writers[day].write(line);
      writers[day].write('\n');
      lines++;
    }

    SourceCounts counts() {
      return new SourceCounts(lines, malformed, duplicates);
    }

    @Override
    public void close() throws IOException {
      for (BufferedWriter w : writers) {
        if (w != null) {
          w.close();
        }
      }
    }
  }
}
