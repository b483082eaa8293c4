package io.crowdrank.format;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A/B experiments on rankings, published with the bundle: layers of experiments, each with variants
 * that change ranking settings or rank on another published bundle version (a model against the one
 * before it), served side by side with the bundle.
 *
 * <p>Users fall into {@link #BUCKETS} buckets per layer by a hash of their key salted with the
 * layer's id ({@link #bucket}), so two layers split the same users independently. Within a layer,
 * experiments take consecutive bucket ranges in the order given ({@code traffic} &times; 1,000
 * buckets each), so they never overlap; within an experiment, variants split its range in order by
 * {@code share}. A user whose bucket falls past a layer's experiments is in none of them. A setting
 * may be varied in one layer only, so that a user's settings never depend on which layer wins.
 *
 * <pre>
 * {"layers": [{"id": "ranking", "experiments": [
 *   {"id": "context_weight", "traffic": 0.5, "control": "control", "variants": [
 *     {"id": "control", "share": 0.5},
 *     {"id": "more_context", "share": 0.5, "settings": {"context_weight": 0.4}}]}]}]}
 * </pre>
 */
public record Experiments(List<Layer> layers) {
  /** Buckets per layer. */
  public static final int BUCKETS = 1000;

  public static final Experiments NONE = new Experiments(List.of());

  /** Ids: lower-case letters, digits and underscores, 1-64 long. */
  public static final Pattern ID = Pattern.compile("[a-z0-9_]{1,64}");

  // Keys of the JSON form.
  public static final String LAYERS = "layers";
  public static final String ID_KEY = "id";
  public static final String EXPERIMENTS = "experiments";
  public static final String TRAFFIC = "traffic";
  public static final String CONTROL = "control";
  public static final String VARIANTS = "variants";
  public static final String SHARE = "share";
  public static final String SETTINGS = "settings";
  public static final String CONTEXT_WEIGHT = "context_weight";
  public static final String MAX_PER_CATEGORY = "max_per_category";
  public static final String EXPLORATION_SHARE = "exploration_share";
  public static final String BUNDLE_VERSION = "bundle_version";

  /** The ranking settings a variant may change. */
  public static final List<String> SETTING_NAMES =
      List.of(CONTEXT_WEIGHT, MAX_PER_CATEGORY, EXPLORATION_SHARE, BUNDLE_VERSION);

  /** A rule a definition breaks, at a path of its JSON form (e.g. {@code layers[0].id}). */
  public static final class InvalidException extends IllegalArgumentException {
    private final String path;

    InvalidException(String path, String message) {
      super(path + ": " + message);
      this.path = path;
    }

    /** Where: a path into the JSON form, {@code layers[0].experiments[1].variants[0].share}. */
    public String path() {
      return path;
    }
  }

  /**
   * Ranking settings of a variant; null leaves the service's (and the bundle's) as they are.
   *
   * @param contextWeight weight of the hour-of-week term, &ge; 0; it wins over the bundle's
   * @param maxPerCategory most mini-programs of one category before others get a turn, &ge; 1
   * @param explorationShare share of the top k for new mini-programs, 0..0.5
   * @param bundleVersion a published version of the bundle table to rank on instead of the one
   *     served (its model, catalog and users), &ge; 0; the service loads it beside the served one
   */
  public record Settings(
      Double contextWeight, Integer maxPerCategory, Double explorationShare, Long bundleVersion) {
    public static final Settings NONE = new Settings(null, null, null, null);

    /** Settings of the ranker alone, on whichever bundle. */
    public static Settings ranking(
        Double contextWeight, Integer maxPerCategory, Double explorationShare) {
      return new Settings(contextWeight, maxPerCategory, explorationShare, null);
    }

    /** These settings, with those of {@code other} where it sets one. */
    public Settings with(Settings other) {
      return new Settings(
          other.contextWeight != null ? other.contextWeight : contextWeight,
          other.maxPerCategory != null ? other.maxPerCategory : maxPerCategory,
          other.explorationShare != null ? other.explorationShare : explorationShare,
          other.bundleVersion != null ? other.bundleVersion : bundleVersion);
    }

    /** The ranker's part: these settings without the bundle version. */
    public Settings ranker() {
      return ranking(contextWeight, maxPerCategory, explorationShare);
    }

    Set<String> names() {
      Set<String> out = new HashSet<>();
      if (contextWeight != null) {
        out.add(CONTEXT_WEIGHT);
      }
      if (maxPerCategory != null) {
        out.add(MAX_PER_CATEGORY);
      }
      if (explorationShare != null) {
        out.add(EXPLORATION_SHARE);
      }
      if (bundleVersion != null) {
        out.add(BUNDLE_VERSION);
      }
      return out;
    }
  }

  /**
   * @param share of the experiment's buckets, in (0, 1]
   */
  public record Variant(String id, double share, Settings settings) {}

  /**
   * @param traffic share of the layer's buckets, in (0, 1], a multiple of 1/1000
   * @param control the variant the others are compared with
   */
  public record Experiment(String id, double traffic, String control, List<Variant> variants) {}

  public record Layer(String id, List<Experiment> experiments) {}

  /** A user's place in one experiment. */
  public record Arm(String layer, String experiment, String variant, Settings settings) {}

  public Experiments {
    layers = List.copyOf(layers);
  }

  /**
   * The bucket of a user key in a layer: 0..999, from a 64-bit FNV-1a hash of the layer's id and
   * the key, mixed by MurmurHash3's finaliser (so that layers differing only in their salt split
   * independently).
   */
  public static int bucket(String layer, String key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : (layer + "\u0000" + key).getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (int) Long.remainderUnsigned(h, BUCKETS);
  }

  /** The experiments a user key is in, one per layer at most, in layer order. */
  public List<Arm> arms(String key) {
    List<Arm> out = new ArrayList<>(layers.size());
    for (Layer layer : layers) {
      int bucket = bucket(layer.id(), key);
      int start = 0;
      for (Experiment e : layer.experiments()) {
        int size = buckets(e.traffic());
        if (bucket < start + size) {
          Variant v = variantAt(e, bucket - start, size);
          out.add(new Arm(layer.id(), e.id(), v.id(), v.settings()));
          break;
        }
        start += size;
      }
    }
    return out;
  }

  /** The arm of an experiment and variant by id, or null if there is no such variant. */
  public Arm arm(String experiment, String variant) {
    for (Layer layer : layers) {
      for (Experiment e : layer.experiments()) {
        if (e.id().equals(experiment)) {
          for (Variant v : e.variants()) {
            if (v.id().equals(variant)) {
              return new Arm(layer.id(), e.id(), v.id(), v.settings());
            }
          }
        }
      }
    }
    return null;
  }

  /** The settings of these arms together (each setting is varied in one layer at most). */
  public static Settings settings(List<Arm> arms) {
    Settings out = Settings.NONE;
    for (Arm a : arms) {
      out = out.with(a.settings());
    }
    return out;
  }

  /** Buckets of a share of 1,000 (shares are checked to be multiples of 1/1000). */
  static int buckets(double share) {
    return (int) Math.round(share * BUCKETS);
  }

  /** The variant at an offset into an experiment's range: each gets round(share x size). */
  private static Variant variantAt(Experiment e, int offset, int size) {
    double cumulative = 0;
    List<Variant> vs = e.variants();
    for (int i = 0; i < vs.size() - 1; i++) {
      cumulative += vs.get(i).share();
      if (offset < Math.round(cumulative * size)) {
        return vs.get(i);
      }
    }
    return vs.get(vs.size() - 1);
  }

  /** The expected share of an experiment's users in each variant, by variant id. */
  public static Map<String, Double> expectedShares(Experiment e) {
    int size = buckets(e.traffic());
    Map<String, Double> out = new LinkedHashMap<>();
    double cumulative = 0;
    long before = 0;
    for (int i = 0; i < e.variants().size(); i++) {
      Variant v = e.variants().get(i);
      cumulative += v.share();
      long upTo = i == e.variants().size() - 1 ? size : Math.round(cumulative * size);
      out.put(v.id(), (upTo - before) / (double) size);
      before = upTo;
    }
    return out;
  }

  /** The bundle versions that variants rank on instead of the served one, ascending. */
  public java.util.SortedSet<Long> bundleVersions() {
    java.util.SortedSet<Long> out = new java.util.TreeSet<>();
    forEachVariant(
        (path, v) -> {
          if (v.settings().bundleVersion() != null) {
            out.add(v.settings().bundleVersion());
          }
        });
    return Collections.unmodifiableSortedSet(out);
  }

  /**
   * Checks that every bundle version a variant names is one a service can load, at publish time.
   *
   * @param loadable whether a version of the bundle table can be read
   * @param what the published versions in words, for the message (e.g. "versions 0..11 of t")
   * @throws InvalidException at the first variant's {@code settings.bundle_version} that is not
   */
  public void checkBundleVersions(java.util.function.LongPredicate loadable, String what) {
    forEachVariant(
        (path, v) -> {
          Long version = v.settings().bundleVersion();
          require(
              version == null || loadable.test(version),
              path + "." + SETTINGS + "." + BUNDLE_VERSION,
              "bundle version " + version + " cannot be served side by side: " + what);
        });
  }

  /**
   * Every variant with the path of its JSON form ({@code layers[0].experiments[1].variants[0]}).
   */
  private void forEachVariant(java.util.function.BiConsumer<String, Variant> action) {
    for (int li = 0; li < layers.size(); li++) {
      List<Experiment> es = layers.get(li).experiments();
      for (int ei = 0; ei < es.size(); ei++) {
        List<Variant> vs = es.get(ei).variants();
        for (int vi = 0; vi < vs.size(); vi++) {
          action.accept(
              LAYERS + "[" + li + "]." + EXPERIMENTS + "[" + ei + "]." + VARIANTS + "[" + vi + "]",
              vs.get(vi));
        }
      }
    }
  }

  /** The experiment with this id, or null. */
  public Experiment experiment(String id) {
    for (Layer l : layers) {
      for (Experiment e : l.experiments()) {
        if (e.id().equals(id)) {
          return e;
        }
      }
    }
    return null;
  }

  /** JSON-ready values (lists, maps, strings, numbers), as the manifest and the file hold them. */
  public Map<String, Object> toMap() {
    List<Object> ls = new ArrayList<>();
    for (Layer l : layers) {
      List<Object> es = new ArrayList<>();
      for (Experiment e : l.experiments()) {
        List<Object> vs = new ArrayList<>();
        for (Variant v : e.variants()) {
          Map<String, Object> s = new LinkedHashMap<>();
          if (v.settings().contextWeight() != null) {
            s.put(CONTEXT_WEIGHT, v.settings().contextWeight());
          }
          if (v.settings().maxPerCategory() != null) {
            s.put(MAX_PER_CATEGORY, v.settings().maxPerCategory());
          }
          if (v.settings().explorationShare() != null) {
            s.put(EXPLORATION_SHARE, v.settings().explorationShare());
          }
          if (v.settings().bundleVersion() != null) {
            s.put(BUNDLE_VERSION, v.settings().bundleVersion());
          }
          vs.add(map(ID_KEY, v.id(), SHARE, v.share(), SETTINGS, s));
        }
        es.add(map(ID_KEY, e.id(), TRAFFIC, e.traffic(), CONTROL, e.control(), VARIANTS, vs));
      }
      ls.add(map(ID_KEY, l.id(), EXPERIMENTS, es));
    }
    return map(LAYERS, ls);
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /**
   * Reads and checks the JSON form (parsed into maps, lists, strings and numbers).
   *
   * @throws InvalidException naming the path of the first rule broken
   */
  public static Experiments fromMap(Map<String, ?> m) {
    keys(m, "", Set.of(LAYERS));
    List<Layer> layers = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    Map<String, String> settingLayer = new HashMap<>();
    List<?> ls = list(m.get(LAYERS), LAYERS);
    for (int li = 0; li < ls.size(); li++) {
      String lp = LAYERS + "[" + li + "]";
      Map<?, ?> l = object(ls.get(li), lp);
      keys(l, lp, Set.of(ID_KEY, EXPERIMENTS));
      String layerId = id(l, lp);
      require(ids.add("layer:" + layerId), lp + "." + ID_KEY, "layer \"" + layerId + "\" twice");
      List<Experiment> experiments = new ArrayList<>();
      int used = 0;
      List<?> es = list(l.get(EXPERIMENTS), lp + "." + EXPERIMENTS);
      for (int ei = 0; ei < es.size(); ei++) {
        String ep = lp + "." + EXPERIMENTS + "[" + ei + "]";
        Map<?, ?> e = object(es.get(ei), ep);
        keys(e, ep, Set.of(ID_KEY, TRAFFIC, CONTROL, VARIANTS));
        String expId = id(e, ep);
        require(ids.add(expId), ep + "." + ID_KEY, "experiment \"" + expId + "\" twice");
        double traffic = share(e.get(TRAFFIC), ep + "." + TRAFFIC);
        require(
            Math.abs(traffic * BUCKETS - Math.round(traffic * BUCKETS)) < 1e-9,
            ep + "." + TRAFFIC,
            "must be a multiple of 0.001 (users fall into 1,000 buckets), got " + traffic);
        used += buckets(traffic);
        require(
            used <= BUCKETS,
            ep + "." + TRAFFIC,
            "the experiments of layer \"" + layerId + "\" take more than all of its traffic");
        List<Variant> variants = new ArrayList<>();
        Set<String> variantIds = new HashSet<>();
        double shares = 0;
        List<?> vs = list(e.get(VARIANTS), ep + "." + VARIANTS);
        require(vs.size() >= 2, ep + "." + VARIANTS, "an experiment needs at least two variants");
        for (int vi = 0; vi < vs.size(); vi++) {
          String vp = ep + "." + VARIANTS + "[" + vi + "]";
          Map<?, ?> v = object(vs.get(vi), vp);
          keys(v, vp, Set.of(ID_KEY, SHARE, SETTINGS));
          String variantId = id(v, vp);
          require(
              variantIds.add(variantId), vp + "." + ID_KEY, "variant \"" + variantId + "\" twice");
          double share = share(v.get(SHARE), vp + "." + SHARE);
          shares += share;
          Settings settings = settings(v.get(SETTINGS), vp + "." + SETTINGS);
          for (String name : settings.names()) {
            String other = settingLayer.putIfAbsent(name, layerId);
            require(
                other == null || other.equals(layerId),
                vp + "." + SETTINGS + "." + name,
                "is varied in layer \"" + other + "\" too: a setting may vary in one layer only");
          }
          variants.add(new Variant(variantId, share, settings));
        }
        require(
            Math.abs(shares - 1) < 1e-9,
            ep + "." + VARIANTS,
            "the variants' shares add up to " + shares + ", not 1");
        String control =
            e.get(CONTROL) == null
                ? variants.get(0).id()
                : string(e.get(CONTROL), ep + "." + CONTROL);
        require(
            variantIds.contains(control),
            ep + "." + CONTROL,
            "names no variant of the experiment: \"" + control + "\"");
        experiments.add(new Experiment(expId, traffic, control, List.copyOf(variants)));
      }
      layers.add(new Layer(layerId, List.copyOf(experiments)));
    }
    return new Experiments(layers);
  }

  private static Settings settings(Object value, String path) {
    if (value == null) {
      return Settings.NONE;
    }
    Map<?, ?> s = object(value, path);
    keys(s, path, new HashSet<>(SETTING_NAMES));
    Double contextWeight = null;
    Integer maxPerCategory = null;
    Double explorationShare = null;
    Long bundleVersion = null;
    if (s.get(CONTEXT_WEIGHT) != null) {
      contextWeight = number(s.get(CONTEXT_WEIGHT), path + "." + CONTEXT_WEIGHT).doubleValue();
      require(contextWeight >= 0, path + "." + CONTEXT_WEIGHT, "must be >= 0");
    }
    if (s.get(MAX_PER_CATEGORY) != null) {
      maxPerCategory =
          whole(s.get(MAX_PER_CATEGORY), path + "." + MAX_PER_CATEGORY, 1, "").intValue();
    }
    if (s.get(EXPLORATION_SHARE) != null) {
      explorationShare =
          number(s.get(EXPLORATION_SHARE), path + "." + EXPLORATION_SHARE).doubleValue();
      require(
          explorationShare >= 0 && explorationShare <= 0.5,
          path + "." + EXPLORATION_SHARE,
          "must be 0..0.5");
    }
    if (s.get(BUNDLE_VERSION) != null) {
      bundleVersion =
          whole(
                  s.get(BUNDLE_VERSION),
                  path + "." + BUNDLE_VERSION,
                  0,
                  " (a version of the published bundle table)")
              .longValue();
    }
    return new Settings(contextWeight, maxPerCategory, explorationShare, bundleVersion);
  }

  /** A whole number &ge; {@code min}; else "must be a whole number >= min" and {@code why}. */
  private static Number whole(Object value, String path, long min, String why) {
    Number n = number(value, path);
    require(
        n.doubleValue() == Math.rint(n.doubleValue()) && n.doubleValue() >= min,
        path,
        "must be a whole number >= " + min + why);
    return n;
  }

  private static void keys(Map<?, ?> m, String path, Set<String> known) {
    for (Object k : m.keySet()) {
      if (!known.contains(k)) {
        throw new InvalidException(
            path.isEmpty() ? String.valueOf(k) : path + "." + k,
            "unknown field (known: " + String.join(", ", new java.util.TreeSet<>(known)) + ")");
      }
    }
  }

  private static String id(Map<?, ?> m, String path) {
    String id = string(m.get(ID_KEY), path + "." + ID_KEY);
    require(
        ID.matcher(id).matches(),
        path + "." + ID_KEY,
        "must be 1-64 of a-z, 0-9 and _, got \"" + id + "\"");
    return id;
  }

  private static double share(Object value, String path) {
    double d = number(value, path).doubleValue();
    require(d > 0 && d <= 1, path, "must be in (0, 1], got " + d);
    return d;
  }

  private static Map<?, ?> object(Object value, String path) {
    require(value instanceof Map<?, ?>, path, "must be an object");
    return (Map<?, ?>) value;
  }

  private static List<?> list(Object value, String path) {
    require(value instanceof List<?>, path, "must be a list");
    return Collections.unmodifiableList((List<?>) value);
  }

  private static String string(Object value, String path) {
    require(value instanceof String, path, "must be a string");
    return (String) value;
  }

  private static Number number(Object value, String path) {
    require(value instanceof Number, path, "must be a number");
    return (Number) value;
  }

  private static void require(boolean ok, String path, String message) {
    if (!ok) {
      throw new InvalidException(path, message);
    }
  }
}
