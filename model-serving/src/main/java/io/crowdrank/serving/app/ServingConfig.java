package io.crowdrank.serving.app;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Service settings ({@code crowdrank.*} in application.properties, system properties or env). */
@ConfigMapping(prefix = "crowdrank")
public interface ServingConfig {
  /** Warehouse root the batch jobs publish into; the bundle is at {@code serving/bundle} below. */
  String warehouse();

  /** How often to look for a newly published bundle. */
  @WithDefault("10s")
  Duration watchInterval();

  /**
   * Whether a catalog small enough for the exact scan is scanned as int8 columns with the Vector
   * API (where the JVM has it: {@code --add-modules=jdk.incubator.vector}, 256-bit SIMD), with
   * exact re-scoring of the items near the top; false keeps float columns. Same rankings either
   * way.
   */
  @WithDefault("true")
  boolean int8Scan();

  /**
   * Whether to map the HNSW item index that publish built with the bundle (where its manifest names
   * one; checked file by file against the manifest's checksums) instead of building the graph at
   * every start and swap; false builds it here, as for bundles published without one.
   */
  @WithDefault("true")
  boolean prebuiltIndex();

  /**
   * The users this replica holds, as {@code s/S}: shard s of S (a power of two up to 1024), the
   * users whose key's bucket modulo S is s; {@code 0/1} holds them all. A sharded replica refuses
   * other shards' users with FAILED_PRECONDITION (docs/SCALING.md).
   */
  @WithDefault("0/1")
  String shard();

  Ranking ranking();

  Calls calls();

  WarmUp warmUp();

  /**
   * What a replica does with its first bundle before it reports ready: item searches for some of
   * its users in-process, then Rank calls to itself through its own gRPC port, so that the JIT has
   * compiled a call's whole path when traffic comes (docs/OPERATIONS.md). Hot swaps do neither.
   */
  interface WarmUp {
    /**
     * Rank calls the replica sends itself (three in four for known users of its shard, never
     * logged); 0: none. At 1 M items 10,000 took 9.2 s and left the first minute of traffic at p99
     * 5.8 ms; without them 22-42 ms (docs/BENCHMARKS.md).
     */
    @WithDefault("10000")
    int calls();

    /**
     * The longest those calls may take in all; the rest are not sent. It adds to the time a replica
     * takes to serve after its start (not after a hot swap).
     */
    @WithDefault("10s")
    Duration budget();
  }

  Recent recent();

  Auth auth();

  Reports reports();

  EventLog eventLog();

  /**
   * The replica's log of the answers it served and the events host apps sent, which the batch job
   * {@code events} lands in Delta (docs/EXPERIMENTS.md).
   */
  interface EventLog {
    /**
     * This replica's id, in every event id and as its folder's name: letters, digits, '-' and '_'.
     * Default: the host name and the gRPC port. Keep it stable across restarts, so that a restart
     * finishes what the previous run left.
     */
    Optional<String> replica();

    /** The replica's folder. Default: {@code <warehouse>/_serving_log/<replica>}. */
    Optional<String> dir();

    /** Longest a served list waits before it is synced to disk (a crash loses at most this). */
    @WithDefault("200ms")
    Duration flushInterval();

    /** A segment is closed at this size. */
    @WithDefault("67108864")
    long segmentBytes();

    /** Or at this age, so the events job finds it. */
    @WithDefault("60s")
    Duration segmentAge();

    /** Records that may wait for the disk; beyond, events are refused with UNAVAILABLE. */
    @WithDefault("65536")
    int queueCapacity();

    /** Room the disk keeps; below it events are refused with RESOURCE_EXHAUSTED. */
    @WithDefault("268435456")
    long minFreeBytes();

    /** How long RecordEvents waits for its events to reach the disk before UNAVAILABLE. */
    @WithDefault("5s")
    Duration ackTimeout();

    /** Apache Kafka instead of the local folder, when its bootstrap servers are set. */
    Kafka kafka();

    interface Kafka {
      /**
       * host:port[,host:port] of the cluster; set, the replica sends every record to the topic
       * instead of its folder (env CROWDRANK_EVENT_LOG_KAFKA_BOOTSTRAP_SERVERS).
       */
      Optional<String> bootstrapServers();

      /** The topic, which {@code jobs events --events-source kafka://…/TOPIC} lands. */
      @WithDefault("crowdrank-serving-events")
      String topic();

      /** How long the producer keeps trying to deliver one record before it fails. */
      @WithDefault("30s")
      Duration deliveryTimeout();
    }
  }

  /** Merchant segment reports on the HTTP port, under /reports. */
  interface Reports {
    /** Merchants who may sign in, by merchant id. */
    Map<String, Merchant> merchants();

    /** How long a sign-in lasts. */
    @WithDefault("8h")
    Duration sessionLifetime();

    /** How often to look for newly written reports. */
    @WithDefault("30s")
    Duration refreshInterval();

    interface Merchant {
      /** Lower-case hex SHA-256 of the merchant's sign-in token. */
      String tokenSha256();
    }
  }

  /** Who may call: host apps' API keys, stored hashed. */
  interface Auth {
    /** Off only for a closed network: every caller may then ask for any host app. */
    @WithDefault("true")
    boolean enabled();

    /** Keys by a name of the operator's choice, e.g. {@code alipay-prod}. */
    Map<String, Key> apiKeys();

    /** Operators' keys for the admin service (reload, rollback), by name: their SHA-256. */
    Map<String, AdminKey> adminKeys();

    interface AdminKey {
      /** Lower-case hex SHA-256 of the key. */
      String sha256();
    }

    interface Key {
      /** Lower-case hex SHA-256 of the key. */
      String sha256();

      /** The one host app this key may ask for. */
      String hostApp();
    }
  }

  /** The per-user recent events RecordEvents feeds and Rank filters by. */
  interface Recent {
    /** How long a click or use keeps the mini-program out of the user's rankings. */
    @WithDefault("24h")
    Duration usedWindow();

    /** The window impressions are counted in. */
    @WithDefault("30m")
    Duration shownWindow();

    /** Impressions within the shown window after which the mini-program is left out. */
    @WithDefault("3")
    int maxImpressions();

    /** Users whose recent events are kept in memory (least recently active dropped first). */
    @WithDefault("1000000")
    long maxUsers();
  }

  /** How Rank (and Echo) calls are run: {@code CallExecutor}. */
  interface Calls {
    /** Threads running calls; 0 = one per core (ranking is CPU work). */
    @WithDefault("0")
    int threads();

    /** Calls that may wait for a thread; more are refused with RESOURCE_EXHAUSTED. */
    @WithDefault("1024")
    int queueCapacity();

    /** Most Rank calls ranked together (their exact scans share a pass over the catalog). */
    @WithDefault("8")
    int maxBatch();
  }

  interface Ranking {
    /** k when a request leaves it 0. */
    @WithDefault("10")
    int defaultK();

    /** Largest k a request may ask for. */
    @WithDefault("100")
    int maxK();

    /**
     * Weight of ln(hour-of-week category lift) in personalized scores, for bundles that do not
     * carry the weight chosen with their model.
     */
    @WithDefault("0.15")
    double contextWeight();

    /** Pseudo-count of everybody's hour-of-week habit against a user's own (bundle overrides). */
    @WithDefault("30")
    double habitShrinkage();

    /** Share of the top k reserved for new mini-programs (0..0.5). */
    @WithDefault("0.1")
    double explorationShare();

    /** Most mini-programs of one category in a top k before other categories get a turn. */
    @WithDefault("3")
    int maxPerCategory();

    /** Factor on host-app-wide popularity when the city is known (0..1). */
    @WithDefault("0.5")
    double hostWideDiscount();

    /** Lift from which the hour of week is given as a reason. */
    @WithDefault("1.5")
    double timeReasonLift();

    /** Score units added per unit of a campaign's boost (a boost is in (0, 1]). */
    @WithDefault("0.5")
    double campaignWeight();

    /** Most campaign-promoted slots in one response (0 = boosts only). */
    @WithDefault("1")
    int maxPromotedSlots();

    /**
     * Nearest items a personalised ranking asks of an HNSW item index (its search beam), before
     * filters, context and diversity (&ge; 1; at least 4 k are asked). More finds more of the exact
     * top at more CPU per call; catalogs scored exactly ignore it. Leave room for the filters: when
     * they leave fewer than 4 k, the call scores every item instead (milliseconds at 1 M items).
     */
    @WithDefault("100")
    int annCandidates();
  }
}
