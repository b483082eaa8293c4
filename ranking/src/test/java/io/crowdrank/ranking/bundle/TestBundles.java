package io.crowdrank.ranking.bundle;

import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.QuantizedVector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Builds small in-memory bundles for tests, the way BundleReader does from a Delta table. */
public final class TestBundles {
  private final ModelBundle.Builder b;
  private io.crowdrank.format.Manifest manifest;

  private TestBundles(long version, int dim, String ranking) {
    b = new ModelBundle.Builder(version);
    manifest =
        ManifestJson.parse(
            "{\"format_version\":"
                + BundleFormat.FORMAT_VERSION
                + ",\"created_time\":\"2026-11-01T00:00:00Z\","
                + "\"time_zone\":\"Asia/Shanghai\",\"vector_dim\":"
                + dim
                + ranking
                + "}");
  }

  /** The bundle runs these experiments (the experiments file's JSON). */
  public TestBundles experiments(String json) {
    manifest = manifest.withExperiments(ExperimentsJson.parse(json, "experiments"));
    return this;
  }

  /** A bundle without ranking settings in its manifest (the service's config applies). */
  public static TestBundles version(long version, int dim) {
    return new TestBundles(version, dim, "");
  }

  /** A bundle whose manifest carries the context weight and habit shrinkage of its model. */
  public static TestBundles version(long version, int dim, double contextWeight, double shrinkage) {
    return new TestBundles(
        version,
        dim,
        ",\"ranking\":{\"context_weight\":"
            + contextWeight
            + ",\"habit_shrinkage\":"
            + shrinkage
            + "}");
  }

  /** The shard the bundle says it holds (its users are the ones given, whatever their keys). */
  public TestBundles shard(io.crowdrank.format.UserBuckets.Shard shard) {
    b.shard(shard);
    return this;
  }

  /** Whether the exact scan may use int8 columns (the default) or keeps floats. */
  public TestBundles int8Scan(boolean on) {
    b.int8Scan(on);
    return this;
  }

  public TestBundles item(
      String id, String category, List<String> hostApps, List<String> cities, float... vector) {
    return item(id, category, hostApps, cities, BundleFormat.STATUS_ACTIVE, vector);
  }

  public TestBundles item(
      String id,
      String category,
      List<String> hostApps,
      List<String> cities,
      String status,
      float... vector) {
    return item(id, category, List.of(), hostApps, cities, status, vector);
  }

  public TestBundles item(
      String id,
      String category,
      List<String> verticals,
      List<String> hostApps,
      List<String> cities,
      String status,
      float... vector) {
    b.item(
        new ModelBundle.ItemRow(
            id,
            "Name of " + id,
            category,
            verticals,
            hostApps,
            cities,
            status,
            vector.length == 0 ? null : vector,
            0.1));
    return this;
  }

  public TestBundles user(String id, String payment, String social, String city, float... vector) {
    return user(id, payment, social, city, Map.of(), List.of(), vector);
  }

  /** One cell of a user's own hour-of-week habit. */
  public record Habit(String category, int hourOfWeek, float uses) {}

  public TestBundles user(
      String id,
      String payment,
      String social,
      String city,
      Map<String, Float> interests,
      List<Habit> habits,
      float... vector) {
    List<String> verticals = new ArrayList<>(interests.keySet());
    float[] shares = new float[verticals.size()];
    for (int i = 0; i < shares.length; i++) {
      shares[i] = interests.get(verticals.get(i));
    }
    b.user(
        new ModelBundle.UserRow(
            id,
            payment,
            social,
            city,
            vector.length == 0 ? null : QuantizedVector.of(vector),
            verticals,
            shares,
            habits.stream().map(Habit::category).toList(),
            habits.stream().mapToInt(Habit::hourOfWeek).toArray(),
            toFloats(habits)));
    return this;
  }

  private static float[] toFloats(List<Habit> habits) {
    float[] out = new float[habits.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = habits.get(i).uses();
    }
    return out;
  }

  /** A segment (platform-wide when merchant is null) and its members, by shared user id. */
  public TestBundles segment(String id, String merchant, String... members) {
    b.segment(new Targeting.Segment(id, "Name of " + id, merchant, "About " + id, members.length));
    for (String u : members) {
      b.memberships(u, List.of(id));
    }
    return this;
  }

  /** A campaign for an item, targeting segments, running in [start, end). */
  public TestBundles campaign(
      String id,
      String itemId,
      List<String> segments,
      List<String> hostApps,
      java.time.Instant start,
      java.time.Instant end,
      double boost,
      int slot) {
    b.campaign(
        new ModelBundle.CampaignRow(
            id, "Campaign " + id, itemId, segments, hostApps, start, end, boost, slot));
    return this;
  }

  public TestBundles popular(String itemId, String hostApp, String city, double score) {
    b.popularity(itemId, hostApp, city, score);
    return this;
  }

  /** A category's lift: {@code peak} during [fromHour, toHour) of every day, 1 elsewhere. */
  public TestBundles lift(String category, int fromHour, int toHour, float peak) {
    float[] l = new float[BundleFormat.HOURS_PER_WEEK];
    Arrays.fill(l, 1f);
    for (int how = 0; how < l.length; how++) {
      int h = how % 24;
      if (h >= fromHour && h < toHour) {
        l[how] = peak;
      }
    }
    b.lifts(category, l);
    return this;
  }

  public ModelBundle build() {
    b.manifest(manifest);
    return b.build();
  }
}
