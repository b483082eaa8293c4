package io.crowdrank.batch.segments;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.crowdrank.format.HostApps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The audience and campaign definitions a run evaluates: a JSON file with {@code segments} and
 * {@code campaigns}, the whole desired state (a segment left out of the file is dropped). Every
 * definition is checked when the file is read; the first problem is reported with where it is.
 *
 * <pre>
 * {"segments": [{"id": "lunch_regulars", "name": "Lunch regulars", "merchant_id": "m000001",
 *                "description": "...", "expression": "activity(\"weekday 11-14\") &gt;= 0.3"}],
 *  "campaigns": [{"id": "lunch_deal", "name": "Lunch deal", "mini_program_id": "mp000001",
 *                 "segments": ["lunch_regulars"], "host_apps": ["alipay"],
 *                 "start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z",
 *                 "boost": 0.5, "slot": 1}]}
 * </pre>
 */
public record Targeting(List<Segment> segments, List<Campaign> campaigns) {

  /** Ids of segments and campaigns: lower-case letters, digits and underscores, 1-64 long. */
  public static final Pattern ID = Pattern.compile("[a-z0-9_]{1,64}");

  /** The highest position a campaign may be promoted to (1 = top). */
  public static final int MAX_SLOT = 10;

  /**
   * An audience.
   *
   * @param merchantId the merchant that owns it (sees its report, may target it); null for a
   *     platform segment anyone may target
   */
  public record Segment(
      String id, String name, String merchantId, String description, String expression) {}

  /**
   * Promotion of one mini-program to the users of some segments.
   *
   * @param hostApps where it runs; empty = every host app the mini-program runs in
   * @param start first instant it runs (inclusive, UTC)
   * @param end when it stops (exclusive, UTC)
   * @param boost added to the ranking score, in (0, 1] (times the service's campaign weight)
   * @param slot position the mini-program is promoted to (1 = top), or 0 for a boost only
   */
  public record Campaign(
      String id,
      String name,
      String miniProgramId,
      List<String> segments,
      List<String> hostApps,
      Instant start,
      Instant end,
      double boost,
      int slot) {}

  public static final Targeting EMPTY = new Targeting(List.of(), List.of());

  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** Reads and checks a targeting file. */
  public static Targeting read(Path file) {
    Targeting t;
    try {
      t = MAPPER.readValue(Files.readAllBytes(file), Targeting.class);
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException(
          file
              + ": unknown field \""
              + e.getPropertyName()
              + "\" (known: "
              + e.getKnownPropertyIds()
              + ")",
          e);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          file + ": not a targeting file: " + e.getMessage().lines().findFirst().orElse(""), e);
    }
    try {
      return t.checked();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * This definition with nulls made empty, after checking every rule; throws on the first break.
   */
  public Targeting checked() {
    List<Segment> segs = segments == null ? List.of() : segments;
    List<Campaign> camps = campaigns == null ? List.of() : campaigns;
    Map<String, SegmentExpression.Expr> parsed = new LinkedHashMap<>();
    Map<String, Segment> byId = new LinkedHashMap<>();
    for (int i = 0; i < segs.size(); i++) {
      Segment s = segs.get(i);
      String where = "segments[" + i + "]";
      requireId(s.id(), where);
      where = "segment \"" + s.id() + "\"";
      require(s.name() != null && !s.name().isBlank(), where + ": name is required");
      require(byId.put(s.id(), s) == null, where + ": defined twice");
      try {
        parsed.put(s.id(), SegmentExpression.parse(s.expression()));
      } catch (SegmentExpression.ParseException e) {
        throw new IllegalArgumentException(where + ": expression: " + e.getMessage(), e);
      }
    }
    new SegmentCompiler(parsed); // unknown references and cycles
    Set<String> campaignIds = new HashSet<>();
    for (int i = 0; i < camps.size(); i++) {
      Campaign c = camps.get(i);
      requireId(c.id(), "campaigns[" + i + "]");
      String where = "campaign \"" + c.id() + "\"";
      require(campaignIds.add(c.id()), where + ": defined twice");
      require(c.name() != null && !c.name().isBlank(), where + ": name is required");
      require(
          c.miniProgramId() != null && !c.miniProgramId().isBlank(),
          where + ": mini_program_id is required");
      require(
          c.segments() != null && !c.segments().isEmpty(),
          where + ": segments is required (the audiences it targets)");
      for (String s : c.segments()) {
        require(byId.containsKey(s), where + ": unknown segment \"" + s + "\"");
      }
      for (String app : c.hostApps() == null ? List.<String>of() : c.hostApps()) {
        require(
            HostApps.ALL.contains(app),
            where + ": unknown host app \"" + app + "\" (known: " + HostApps.ALL + ")");
      }
      require(c.start() != null && c.end() != null, where + ": start and end are required");
      require(c.start().isBefore(c.end()), where + ": start must be before end");
      require(
          c.boost() > 0 && c.boost() <= 1, where + ": boost must be in (0, 1], got " + c.boost());
      require(
          c.slot() >= 0 && c.slot() <= MAX_SLOT,
          where + ": slot must be 0 (none) or 1-" + MAX_SLOT + ", got " + c.slot());
    }
    return new Targeting(
        List.copyOf(segs),
        camps.stream()
            .map(
                c ->
                    new Campaign(
                        c.id(),
                        c.name(),
                        c.miniProgramId(),
                        List.copyOf(c.segments()),
                        c.hostApps() == null ? List.of() : List.copyOf(c.hostApps()),
                        c.start(),
                        c.end(),
                        c.boost(),
                        c.slot()))
            .toList());
  }

  /** The same definitions in id order. */
  public Targeting sorted() {
    return new Targeting(
        segments.stream().sorted(java.util.Comparator.comparing(Segment::id)).toList(),
        campaigns.stream().sorted(java.util.Comparator.comparing(Campaign::id)).toList());
  }

  /** Every segment's expression, parsed, by id. */
  public Map<String, SegmentExpression.Expr> expressions() {
    Map<String, SegmentExpression.Expr> m = new LinkedHashMap<>();
    segments.forEach(s -> m.put(s.id(), SegmentExpression.parse(s.expression())));
    return m;
  }

  /** Writes this definition as JSON (the demo generator writes its targeting file this way). */
  public void write(Path file) throws IOException {
    MAPPER
        .writerWithDefaultPrettyPrinter()
        .without(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .writeValue(file.toFile(), this);
  }

  private static void requireId(String id, String where) {
    require(
        id != null && ID.matcher(id).matches(),
        where
            + ": id must be 1-64 of a-z, 0-9 and _, got "
            + (id == null ? "nothing" : "\"" + id + "\""));
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
