package io.crowdrank.serving.app;

import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.ServingLogFormat;
import io.crowdrank.proto.v1.RankingServiceGrpc;
import io.crowdrank.ranking.Ranker;
import io.crowdrank.ranking.RankingConfig;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.serving.api.AdminHandler;
import io.crowdrank.serving.api.CallExecutor;
import io.crowdrank.serving.api.EventRequests;
import io.crowdrank.serving.api.RankRequests;
import io.crowdrank.serving.api.RankingHandler;
import io.crowdrank.serving.api.ShardHeaderInterceptor;
import io.crowdrank.serving.auth.AdminKeyInterceptor;
import io.crowdrank.serving.auth.ApiKeyInterceptor;
import io.crowdrank.serving.auth.ApiKeys;
import io.crowdrank.serving.auth.Sessions;
import io.crowdrank.serving.auth.SignInAccounts;
import io.crowdrank.serving.auth.WarmUpKey;
import io.crowdrank.serving.auth.WebSignIn;
import io.crowdrank.serving.bundle.BundleHolder;
import io.crowdrank.serving.bundle.BundleReader;
import io.crowdrank.serving.events.EventLog;
import io.crowdrank.serving.events.EventSink;
import io.crowdrank.serving.events.KafkaEventSink;
import io.crowdrank.serving.events.RecentHistory;
import io.crowdrank.serving.experiments.ExperimentPages;
import io.crowdrank.serving.experiments.ExperimentResource;
import io.crowdrank.serving.experiments.ExperimentResults;
import io.crowdrank.serving.reports.ReportPages;
import io.crowdrank.serving.reports.ReportResource;
import io.crowdrank.serving.reports.ReportStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * Wires the plain classes together and ties the bundle's life to the service's: gRPC health is
 * NOT_SERVING until the first bundle is loaded, then SERVING; the watcher picks up new publishes.
 */
@ApplicationScoped
public class ServingBeans {
  private static final org.jboss.logging.Logger LOG =
      org.jboss.logging.Logger.getLogger(ServingBeans.class);

  static final String RANKING_SERVICE = RankingServiceGrpc.SERVICE_NAME;

  /** The key of the replica's warm-up calls to itself, retired once they are done. */
  @Produces
  @Singleton
  WarmUpKey warmUpKey() {
    return WarmUpKey.generate();
  }

  @Produces
  @Singleton
  BundleHolder bundleHolder(
      ServingConfig config, GrpcHealthStorage health, WarmUpKey key, Ranker ranker) {
    WarmUpCalls.Settings calls =
        new WarmUpCalls.Settings(config.warmUp().calls(), config.warmUp().budget());
    String table = Path.of(config.warehouse()).resolve(BundleFormat.TABLE_PATH).toString();
    return new BundleHolder(
        new BundleReader(
            new Configuration(),
            config.int8Scan(),
            config.prebuiltIndex(),
            io.crowdrank.format.UserBuckets.Shard.parse(config.shard())),
        table,
        bundle -> {
          health.setStatus(GrpcHealthStorage.DEFAULT_SERVICE_NAME, ServingStatus.SERVING);
          health.setStatus(RANKING_SERVICE, ServingStatus.SERVING);
        },
        new BundleHolder.WarmUp(
            ranker.candidates(config.ranking().defaultK()),
            bundle -> WarmUpCalls.run(bundle, grpcPort(), key, calls)));
  }

  /** The replica's event sink: Kafka when its servers are configured, else the local log. */
  @Produces
  @Singleton
  EventSink eventSink(ServingConfig config) throws IOException {
    ServingConfig.EventLog c = config.eventLog();
    String replica = c.replica().orElseGet(ServingBeans::defaultReplica);
    if (c.kafka().bootstrapServers().isPresent()) {
      return KafkaEventSink.open(
          new KafkaEventSink.Settings(
              c.kafka().bootstrapServers().get(),
              c.kafka().topic(),
              replica,
              c.flushInterval(),
              c.queueCapacity(),
              c.kafka().deliveryTimeout()),
          Clock.systemUTC());
    }
    Path dir =
        c.dir()
            .map(Path::of)
            .orElseGet(
                () ->
                    Path.of(config.warehouse())
                        .resolve(ServingLogFormat.DIRECTORY)
                        .resolve(replica));
    EventLog log =
        EventLog.open(
            new EventLog.Settings(
                dir,
                replica,
                c.flushInterval(),
                c.segmentBytes(),
                c.segmentAge(),
                c.queueCapacity(),
                c.minFreeBytes()),
            Clock.systemUTC());
    LOG.infof("event log: replica %s writing to %s", replica, dir);
    return log;
  }

  /** The port the gRPC server listens on (its test port under tests). */
  private static int grpcPort() {
    String property =
        io.quarkus.runtime.LaunchMode.current() == io.quarkus.runtime.LaunchMode.TEST
            ? "quarkus.grpc.server.test-port"
            : "quarkus.grpc.server.port";
    return org.eclipse.microprofile.config.ConfigProvider.getConfig()
        .getOptionalValue(property, Integer.class)
        .orElse(9000);
  }

  /** The host name and gRPC port, as a replica id. */
  private static String defaultReplica() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      host = "localhost";
    }
    int port = grpcPort();
    String id = host.replaceAll("[^A-Za-z0-9_-]", "_") + "-" + port;
    return id.length() > 64 ? id.substring(id.length() - 64) : id;
  }

  @Produces
  @Singleton
  RankingHandler rankingEndpoint(
      ServingConfig config, BundleHolder holder, EventSink log, Ranker ranker) {
    ServingConfig.Ranking r = config.ranking();
    ServingConfig.Recent recent = config.recent();
    return new RankingHandler(
        holder::served,
        new RankRequests(r.defaultK(), r.maxK(), Clock.systemUTC()),
        new EventRequests(Clock.systemUTC()),
        new RecentHistory(
            new RecentHistory.Settings(
                recent.usedWindow(),
                recent.shownWindow(),
                recent.maxImpressions(),
                recent.maxUsers())),
        ranker,
        log,
        config.eventLog().ackTimeout());
  }

  /** The service's ranking: what Rank calls run, and what the warm-up searches like. */
  @Produces
  @Singleton
  Ranker ranker(ServingConfig config) {
    return new Ranker(rankingConfig(config.ranking()));
  }

  /** The ranking's settings from the service's configuration. */
  static RankingConfig rankingConfig(ServingConfig.Ranking r) {
    return new RankingConfig(
        r.contextWeight(),
        r.habitShrinkage(),
        r.hostWideDiscount(),
        r.timeReasonLift(),
        r.explorationShare(),
        r.maxPerCategory(),
        r.campaignWeight(),
        r.maxPromotedSlots(),
        r.annCandidates());
  }

  @Produces
  @Singleton
  ShardHeaderInterceptor shardHeaderInterceptor(BundleHolder holder) {
    return new ShardHeaderInterceptor(holder::current);
  }

  @Produces
  @Singleton
  CallExecutor callExecutor(ServingConfig config) {
    ServingConfig.Calls c = config.calls();
    return new CallExecutor(
        c.threads() > 0 ? c.threads() : Runtime.getRuntime().availableProcessors(),
        c.queueCapacity(),
        c.maxBatch());
  }

  @Produces
  @Singleton
  ApiKeyInterceptor apiKeyInterceptor(ServingConfig config, WarmUpKey warmUp) {
    ServingConfig.Auth auth = config.auth();
    Map<String, String> keys = new HashMap<>();
    auth.apiKeys().forEach((name, key) -> keys.put(key.sha256(), key.hostApp()));
    return ApiKeyInterceptor.configured(
            auth.enabled(),
            keys,
            auth.adminKeys().values().stream().map(ServingConfig.Auth.AdminKey::sha256).toList())
        .withWarmUp(warmUp);
  }

  @Produces
  @Singleton
  AdminKeyInterceptor adminKeyInterceptor(ServingConfig config) {
    if (!config.auth().enabled()) {
      return AdminKeyInterceptor.open();
    }
    return new AdminKeyInterceptor(
        ApiKeys.admin(
            config.auth().adminKeys().values().stream()
                .map(ServingConfig.Auth.AdminKey::sha256)
                .toList()));
  }

  @Produces
  @Singleton
  ReportStore reportStore(ServingConfig config) {
    return new ReportStore(
        kernel(), config.warehouse(), config.reports().refreshInterval(), Clock.systemUTC());
  }

  @Produces
  @Singleton
  ExperimentResults experimentResults(ServingConfig config) {
    return new ExperimentResults(
        kernel(), config.warehouse(), config.reports().refreshInterval(), Clock.systemUTC());
  }

  private static io.delta.kernel.engine.Engine kernel() {
    return io.delta.kernel.defaults.engine.DefaultEngine.create(
        new org.apache.hadoop.conf.Configuration());
  }

  /** Merchants sign in to their reports with their token. */
  @Produces
  @Singleton
  @Named(ReportResource.MERCHANTS)
  WebSignIn merchantSignIn(ServingConfig config) {
    Map<String, String> tokens = new HashMap<>();
    config.reports().merchants().forEach((id, m) -> tokens.put(id, m.tokenSha256()));
    if (tokens.isEmpty()) {
      LOG.warn(
          "no merchant accounts (crowdrank.reports.merchants.*): nobody can sign in to reports");
    }
    return new WebSignIn(
        ReportResource.COOKIE,
        "/reports",
        "Unknown merchant or wrong token.",
        SignInAccounts.of(tokens, "merchant"),
        new Sessions(config.reports().sessionLifetime(), 100_000));
  }

  /**
   * Operators sign in to the experiments with the name and key of an admin key; with auth off too,
   * since results are not a host app's call.
   */
  @Produces
  @Singleton
  @Named(ExperimentResource.OPERATORS)
  WebSignIn operatorSignIn(ServingConfig config) {
    Map<String, String> keys = new HashMap<>();
    config.auth().adminKeys().forEach((name, k) -> keys.put(name, k.sha256()));
    if (keys.isEmpty()) {
      LOG.warn(
          "no admin keys (crowdrank.auth.admin-keys.*): nobody can sign in to the experiments");
    }
    return new WebSignIn(
        ExperimentResource.COOKIE,
        "/experiments",
        "Unknown operator or wrong admin key.",
        SignInAccounts.of(keys, "operator"),
        new Sessions(config.reports().sessionLifetime(), 10_000));
  }

  @Produces
  @Singleton
  ExperimentPages experimentPages() {
    return new ExperimentPages();
  }

  @Produces
  @Singleton
  ReportPages reportPages() {
    return new ReportPages();
  }

  @Produces
  @Singleton
  AdminHandler adminEndpoint(BundleHolder holder, RankingHandler ranking) {
    return new AdminHandler(holder, ranking);
  }

  /** Latency histograms (Prometheus buckets) for every gRPC method, not only count and sum. */
  @Produces
  @Singleton
  MeterFilter grpcLatencyHistograms() {
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(
          Meter.Id id, DistributionStatisticConfig config) {
        if (id.getName().startsWith("grpc.server")) {
          return DistributionStatisticConfig.builder()
              .percentilesHistogram(true)
              .build()
              .merge(config);
        }
        return config;
      }
    };
  }

  void start(
      @Observes StartupEvent event,
      BundleHolder holder,
      ServingConfig config,
      GrpcHealthStorage health,
      MeterRegistry registry,
      CallExecutor calls,
      // Created here, at start, so that a service without keys fails now, not at its first call.
      ApiKeyInterceptor apiKeys,
      AdminKeyInterceptor adminKeys,
      EventSink log) {
    health.setStatus(GrpcHealthStorage.DEFAULT_SERVICE_NAME, ServingStatus.NOT_SERVING);
    health.setStatus(RANKING_SERVICE, ServingStatus.NOT_SERVING);
    Gauge.builder(
            "crowdrank_model_version",
            holder,
            h -> h.current().map(ModelBundle::version).orElse(-1L))
        .description("Version of the model bundle being served (-1: none yet)")
        .register(registry);
    Gauge.builder("crowdrank_calls_queued", calls, CallExecutor::queued)
        .description("Calls waiting for a thread")
        .register(registry);
    FunctionCounter.builder("crowdrank_calls_rejected", calls, CallExecutor::rejected)
        .description("Calls refused with RESOURCE_EXHAUSTED because the queue was full")
        .register(registry);
    FunctionCounter.builder("crowdrank_call_batches", calls, CallExecutor::batches)
        .description("Batches of calls run (calls / batches = the mean batch size)")
        .register(registry);
    FunctionCounter.builder("crowdrank_calls_run", calls, CallExecutor::batchedCalls)
        .description("Calls run by the call executor")
        .register(registry);
    FunctionCounter.builder("crowdrank_event_log_written", log, EventSink::written)
        .description("Records (served lists, events) stored by the event log or Kafka")
        .register(registry);
    FunctionCounter.builder("crowdrank_event_log_dropped", log, EventSink::dropped)
        .description("Served lists not logged: the sink's queue was full or it failed")
        .register(registry);
    FunctionCounter.builder("crowdrank_event_log_failed", log, EventSink::failed)
        .description("Events refused because the sink could not store them (callers were told)")
        .register(registry);
    Gauge.builder("crowdrank_event_log_queued", log, EventSink::queued)
        .description("Records waiting for the event log's disk or for Kafka")
        .register(registry);
    if (log instanceof EventLog local) {
      // Only a log on this replica's disk syncs and recovers.
      FunctionCounter.builder("crowdrank_event_log_syncs", local, EventLog::syncs)
          .description("Syncs of the event log to disk (each for a group of records)")
          .register(registry);
      Gauge.builder(
              "crowdrank_event_log_recovered_torn_bytes", local.recovery(), r -> r.tornBytes())
          .description("Bytes cut at start from segments a crash left unfinished (unacknowledged)")
          .register(registry);
    }
    holder.watch(config.watchInterval());
  }

  void stop(@Observes ShutdownEvent event, BundleHolder holder, CallExecutor calls, EventSink log) {
    calls.close();
    log.close();
    holder.close();
  }
}
