package io.crowdrank.serving.bundle;

import io.crowdrank.format.BundleFormat;
import java.util.Arrays;
import java.util.List;

/** Builds small in-memory bundles for tests, the way BundleReader does from a Delta table. */
public final class TestBundles {
  private final ModelBundle.Builder b;

  private TestBundles(long version, int dim) {
    b = new ModelBundle.Builder(version);
    b.manifest(
        Manifest.parse(
            "{\"format_version\":1,\"created_time\":\"2026-11-01T00:00:00Z\","
                + "\"time_zone\":\"Asia/Shanghai\",\"vector_dim\":"
                + dim
                + "}"));
  }

  public static TestBundles version(long version, int dim) {
    return new TestBundles(version, dim);
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
    b.item(
        new ModelBundle.ItemRow(
            id,
            "Name of " + id,
            category,
            hostApps,
            cities,
            status,
            vector.length == 0 ? null : vector,
            0.1));
    return this;
  }

  public TestBundles user(String id, String payment, String social, String city, float... vector) {
    b.user(new ModelBundle.UserRow(id, payment, social, city, vector.length == 0 ? null : vector));
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
    return b.build();
  }
}
