package io.crowdrank.serving.api;

import com.google.protobuf.Timestamp;
import io.crowdrank.format.Experiments;
import io.crowdrank.format.UserBuckets;
import io.crowdrank.proto.v1.ExperimentArm;
import io.crowdrank.proto.v1.GetUserSegmentsRequest;
import io.crowdrank.proto.v1.ModelInfo;
import io.crowdrank.proto.v1.RankRequest;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankedItem;
import io.crowdrank.proto.v1.RecordEventsSummary;
import io.crowdrank.proto.v1.Segment;
import io.crowdrank.proto.v1.UserEvent;
import io.crowdrank.proto.v1.UserSegments;
import io.crowdrank.ranking.RankQuery;
import io.crowdrank.ranking.Ranker;
import io.crowdrank.ranking.Ranking;
import io.crowdrank.ranking.ann.Scan;
import io.crowdrank.ranking.bundle.ManifestJson;
import io.crowdrank.ranking.bundle.ModelBundle;
import io.crowdrank.ranking.bundle.Targeting;
import io.crowdrank.ranking.bundle.UserStore;
import io.crowdrank.serving.bundle.ServedBundles;
import io.crowdrank.serving.events.EventRecord;
import io.crowdrank.serving.events.EventSink;
import io.crowdrank.serving.events.LoggedUser;
import io.crowdrank.serving.events.RecentHistory;
import io.crowdrank.serving.events.ServedRecord;
import io.grpc.Status;
import io.grpc.StatusException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the gRPC service does, without gRPC plumbing: validate, rank on the bundle being served,
 * build the response, log it. Each call takes the current bundle once, so a hot swap mid-call
 * cannot mix versions. Every answer is logged under its attribution token for later (a crash may
 * lose the last flush interval of them); every accepted event is on disk before RecordEvents
 * answers.
 */
public final class RankingHandler {
  /** Errors listed in a RecordEvents summary; the rest are only counted. */
  static final int MAX_EVENT_ERRORS = 10;

  private final Supplier<Optional<ServedBundles>> bundles;
  private final RankRequests requests;
  private final EventRequests events;
  private final RecentHistory history;
  private final Ranker ranker;
  private final EventSink log;
  private final java.time.Duration ackTimeout;

  /** A ranker per experiment variant's settings, made on first use. */
  private final java.util.concurrent.ConcurrentHashMap<Experiments.Settings, Ranker> variants =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * @param log where answers and events are logged
   * @param ackTimeout how long RecordEvents waits for its events to reach the disk before failing
   *     UNAVAILABLE
   */
  public RankingHandler(
      Supplier<Optional<ServedBundles>> bundles,
      RankRequests requests,
      EventRequests events,
      RecentHistory history,
      Ranker ranker,
      EventSink log,
      java.time.Duration ackTimeout) {
    this.bundles = bundles;
    this.requests = requests;
    this.events = events;
    this.history = history;
    this.ranker = ranker;
    this.log = log;
    this.ackTimeout = ackTimeout;
  }

  public RankResponse rank(RankRequest request) throws StatusException {
    return rank(request, () -> false);
  }

  /**
   * @param cancelled whether the caller has given up (the call's gRPC context); the ranking then
   *     stops and the call ends CANCELLED (the client has already seen DEADLINE_EXCEEDED)
   */
  public RankResponse rank(RankRequest request, BooleanSupplier cancelled) throws StatusException {
    return rank(List.of(new Call(request, cancelled))).get(0).get();
  }

  /**
   * One Rank call: its request, whether its caller has given up, and whether its answer is logged
   * (false only for the replica's own warm-up calls, which are nobody's traffic).
   */
  public record Call(RankRequest request, BooleanSupplier cancelled, boolean logged) {
    public Call(RankRequest request, BooleanSupplier cancelled) {
      this(request, cancelled, true);
    }
  }

  /** A call's outcome: the response, or the status it failed with. */
  public record Answer(RankResponse response, StatusException error) {
    public RankResponse get() throws StatusException {
      if (error != null) {
        throw error;
      }
      return response;
    }
  }

  /**
   * Ranks calls that arrived together, each on its own and with its own outcome, on one served set
   * of bundles (so none of them mixes versions): each on the served bundle, or on the version its
   * experiment variant names. Scans of the catalog are computed together per bundle ({@link
   * Ranker#prescan}), which is cheaper per call than one by one. A call already cancelled is not
   * ranked.
   */
  public List<Answer> rank(List<Call> calls) {
    Answer[] answers = new Answer[calls.size()];
    Optional<ServedBundles> servedNow = bundles.get();
    Optional<ModelBundle> served = servedNow.map(ServedBundles::bundle);
    List<Valid> valid = new ArrayList<>();
    for (int i = 0; i < answers.length; i++) {
      try {
        Call call = calls.get(i);
        if (call.cancelled().getAsBoolean()) {
          throw cancelled("the call was cancelled or its deadline passed before it was ranked");
        }
        RankQuery query = requests.toQuery(call.request());
        RankRequests.Page page = RankRequests.page(call.request().getPageToken());
        ServedBundles now = served(servedNow);
        ModelBundle current = now.bundle();
        checkShard(current, query.userId());
        String person = historyKey(served, query.idType(), query.userId());
        List<Experiments.Arm> arms = arms(current.manifest().experiments(), person, call.request());
        Experiments.Settings settings = Experiments.settings(arms);
        ModelBundle bundle = now.rankOn(settings.bundleVersion());
        if (page.offset() > 0 && page.version() != bundle.version()) {
          throw Status.FAILED_PRECONDITION
              .withDescription(
                  "page_token belongs to the ranking of bundle version "
                      + page.version()
                      + ", now serving "
                      + bundle.version()
                      + ": start again without page_token")
              .asException();
        }
        int depth = Math.min(RankRequests.MAX_DEPTH, page.offset() + query.k());
        // What the user recently used or was shown too often is filtered like an exclusion.
        Set<String> recent = history.blocked(person, query.eventTime());
        RankQuery deep = query.deeper(depth);
        valid.add(
            new Valid(
                i,
                bundle,
                recent.isEmpty() ? deep : deep.excluding(recent),
                page,
                arms,
                settings.ranker(),
                call.request().hasForceVariant()));
      } catch (StatusException e) {
        answers[i] = new Answer(null, e);
      }
    }
    Scan[] scans = prescan(valid);
    for (int r = 0; r < valid.size(); r++) {
      Valid v = valid.get(r);
      Call call = calls.get(v.call());
      try {
        Ranker variant =
            v.settings().equals(Experiments.Settings.NONE)
                ? ranker
                : variants.computeIfAbsent(v.settings(), ranker::with);
        Ranking ranking = variant.rank(v.bundle(), v.query(), call.cancelled(), scans[r]);
        String token = log.nextId();
        RankResponse response =
            response(call.request(), v.bundle(), v.page(), v.query(), ranking, token, v.arms());
        // Queued, not written: the writer thread turns it into JSON.
        if (call.logged()) {
          log.appendLater(
              new ServedRecord(
                  token,
                  new LoggedUser(v.query().idType(), v.query().userId()),
                  v.query().hostApp(),
                  v.query().eventTime(),
                  v.query().city() == null ? "" : v.query().city(),
                  v.page().offset() + 1,
                  v.arms(),
                  v.forced(),
                  response));
        }
        answers[v.call()] = new Answer(response, null);
      } catch (Ranker.Cancelled e) {
        answers[v.call()] = new Answer(null, cancelled(e.getMessage()));
      }
    }
    return Arrays.asList(answers);
  }

  /**
   * A call that passed validation: its place in the batch, the bundle to rank on, what to rank,
   * which page, in which experiments' variants with the ranker's settings they make, whether
   * forced.
   */
  private record Valid(
      int call,
      ModelBundle bundle,
      RankQuery query,
      RankRequests.Page page,
      List<Experiments.Arm> arms,
      Experiments.Settings settings,
      boolean forced) {}

  /** The calls' scans, computed together for the calls ranked on the same bundle. */
  private Scan[] prescan(List<Valid> valid) {
    Scan[] out = new Scan[valid.size()];
    java.util.Map<ModelBundle, List<Integer>> byBundle = new java.util.IdentityHashMap<>();
    for (int r = 0; r < valid.size(); r++) {
      byBundle.computeIfAbsent(valid.get(r).bundle(), b -> new ArrayList<>()).add(r);
    }
    byBundle.forEach(
        (bundle, rows) -> {
          Scan[] scans =
              ranker.prescan(bundle, rows.stream().map(r -> valid.get(r).query()).toList());
          for (int i = 0; i < rows.size(); i++) {
            out[rows.get(i)] = scans[i];
          }
        });
    return out;
  }

  /**
   * The experiments' variants a call ranks in: the user's, by its key's buckets, with the layer of
   * a forced variant (the caller was checked to be an operator) replaced by that variant.
   */
  private static List<Experiments.Arm> arms(Experiments running, String person, RankRequest request)
      throws StatusException {
    if (running.layers().isEmpty() && !request.hasForceVariant()) {
      return List.of();
    }
    List<Experiments.Arm> arms = running.arms(person);
    if (!request.hasForceVariant()) {
      return arms;
    }
    String experiment = request.getForceVariant().getExperiment();
    String variant = request.getForceVariant().getVariant();
    Experiments.Arm forced = running.arm(experiment, variant);
    if (forced == null) {
      throw RankRequests.invalid(
          "force_variant: the served bundle runs no experiment '"
              + RankRequests.abbreviate(experiment)
              + "' with a variant '"
              + RankRequests.abbreviate(variant)
              + "'");
    }
    List<Experiments.Arm> out = new ArrayList<>();
    for (Experiments.Arm a : arms) {
      if (!a.layer().equals(forced.layer())) {
        out.add(a);
      }
    }
    out.add(forced);
    return out;
  }

  /**
   * Whether calls ranked together cost less than one by one on the bundle served now: on a catalog
   * scored exactly their scans share a pass; an HNSW search per user gains nothing from company.
   */
  public boolean ranksTogether() {
    return bundles.get().map(s -> !s.bundle().catalog().itemIndex().approximate()).orElse(false);
  }

  private static StatusException cancelled(String why) {
    return Status.CANCELLED.withDescription(why).asException();
  }

  private static RankResponse response(
      RankRequest request,
      ModelBundle bundle,
      RankRequests.Page page,
      RankQuery query,
      Ranking ranking,
      String token,
      List<Experiments.Arm> arms) {
    int depth = query.k();
    RankResponse.Builder out =
        RankResponse.newBuilder()
            .setModelVersion(ranking.modelVersion())
            .setStrategy(ranking.strategy().id())
            .setRequestId(request.getRequestId())
            .setAttributionToken(token);
    for (Experiments.Arm arm : arms) {
      out.addExperiments(
          ExperimentArm.newBuilder()
              .setLayer(arm.layer())
              .setExperiment(arm.experiment())
              .setVariant(arm.variant()));
    }
    List<Ranking.Item> items = ranking.items();
    if (items.size() == depth && depth < RankRequests.MAX_DEPTH) {
      out.setNextPageToken(new RankRequests.Page(bundle.version(), depth).token());
    }
    for (Ranking.Item item : items.subList(Math.min(page.offset(), items.size()), items.size())) {
      out.addItems(
          RankedItem.newBuilder()
              .setMiniProgramId(item.id())
              .setScore(item.score())
              .addAllReasons(item.reasons().stream().map(ReasonText::of).toList())
              .setName(item.name())
              .setCategory(item.category()));
    }
    return out.build();
  }

  /** The segments of a user in the served bundle; NOT_FOUND for a user it does not know. */
  public UserSegments userSegments(GetUserSegmentsRequest request) throws StatusException {
    RankRequests.User user = RankRequests.user(request.getUser(), "user");
    RankRequests.hostApp(request.getHostApp());
    String merchant = request.getMerchantId();
    if (merchant.length() > RankRequests.MAX_ID_LENGTH) {
      throw RankRequests.invalid(
          "merchant_id is longer than " + RankRequests.MAX_ID_LENGTH + " characters");
    }
    ModelBundle bundle = served();
    checkShard(bundle, user.id());
    int u = bundle.users().find(user.type(), user.id());
    if (u < 0) {
      throw Status.NOT_FOUND
          .withDescription(
              "bundle v"
                  + bundle.version()
                  + " does not know "
                  + user.type().name().toLowerCase(java.util.Locale.ROOT)
                  + " '"
                  + RankRequests.abbreviate(user.id())
                  + "'")
          .asException();
    }
    UserSegments.Builder out = UserSegments.newBuilder().setModelVersion(bundle.version());
    for (int s : bundle.targeting().userSegments(u)) {
      Targeting.Segment seg = bundle.targeting().segments().get(s);
      if (merchant.isEmpty() || seg.merchantId() == null || seg.merchantId().equals(merchant)) {
        out.addSegments(
            Segment.newBuilder()
                .setSegmentId(seg.id())
                .setName(nullToEmpty(seg.name()))
                .setMerchantId(nullToEmpty(seg.merchantId()))
                .setDescription(nullToEmpty(seg.description()))
                .setSize(seg.size()));
      }
    }
    return out.build();
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  public ModelInfo modelInfo() throws StatusException {
    ServedBundles now = served(bundles.get());
    ModelBundle bundle = now.bundle();
    var created = bundle.manifest().createdTime();
    return ModelInfo.newBuilder()
        .setVersion(bundle.version())
        .setCreatedTime(
            Timestamp.newBuilder().setSeconds(created.getEpochSecond()).setNanos(created.getNano()))
        .setItemCount(bundle.catalog().count())
        .setUserCount(bundle.users().count())
        .setManifestJson(ManifestJson.write(bundle.manifest()))
        .setShard(bundle.shard().toString())
        .addAllSideBySideVersions(now.sideBySideVersions())
        .build();
  }

  /**
   * Collects one RecordEvents stream: each event is validated, then logged and taken into the
   * recent history, or counted as refused. The summary waits until every logged event is on disk.
   */
  public final class EventStream {
    private long accepted;
    private long rejected;
    private final List<String> errors = new ArrayList<>();
    private CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    public void accept(UserEvent event) {
      try {
        EventRequests.Event e = events.toEvent(event);
        Optional<ModelBundle> served = bundles.get().map(ServedBundles::bundle);
        if (served.isPresent()) {
          checkShard(served.get(), e.user().id());
        }
        last =
            log.appendDurable(
                    new EventRecord(
                        log.nextId(),
                        new LoggedUser(e.user().type(), e.user().id()),
                        e.hostApp(),
                        e.item(),
                        e.kind(),
                        e.at(),
                        e.token(),
                        e.clientEventId()))
                .whenComplete(
                    (done, error) -> {
                      if (error != null) {
                        failure.compareAndSet(null, error);
                      }
                    });
        history.record(
            historyKey(served, e.user().type(), e.user().id()), e.item(), e.kind(), e.at());
        accepted++;
      } catch (StatusException e) {
        rejected++;
        if (errors.size() < MAX_EVENT_ERRORS) {
          errors.add("event " + (accepted + rejected) + ": " + e.getStatus().getDescription());
        }
      }
    }

    /**
     * The summary, once every accepted event is on disk (the log writes in order, so the last one's
     * sync covers the others); or the status to fail the call with when the log could not store
     * them in time.
     */
    public CompletableFuture<RecordEventsSummary> finish() {
      return last.orTimeout(ackTimeout.toMillis(), TimeUnit.MILLISECONDS)
          .handle(
              (done, error) -> {
                Throwable cause = failure.get() != null ? failure.get() : error;
                if (cause != null) {
                  throw new CompletionException(storeFailed(cause));
                }
                return RecordEventsSummary.newBuilder()
                    .setAccepted(accepted)
                    .setRejected(rejected)
                    .addAllErrors(errors)
                    .build();
              });
    }
  }

  public EventStream eventStream() {
    return new EventStream();
  }

  /** The status for events the log could not store, by the kind of failure. */
  StatusException storeFailed(Throwable cause) {
    Throwable c =
        cause instanceof CompletionException && cause.getCause() != null ? cause.getCause() : cause;
    Status status;
    String why;
    if (c instanceof EventSink.LogFullException) {
      status = Status.RESOURCE_EXHAUSTED;
      why = c.getMessage();
    } else if (c instanceof EventSink.LogBehindException) {
      status = Status.UNAVAILABLE;
      why = c.getMessage();
    } else if (c instanceof TimeoutException) {
      status = Status.UNAVAILABLE;
      why = "the event log did not reach the disk within " + ackTimeout.toMillis() + " ms";
    } else {
      status = Status.UNAVAILABLE;
      why = "the event log could not write to its disk (" + c + ")";
    }
    return status
        .withDescription(
            why
                + ": events of this stream may not be stored; send them again (with event_id"
                + " they are stored once)")
        .withCause(c)
        .asException();
  }

  /**
   * One key per person in the recent history: the shared user id's key when the bundle knows the
   * account (so events by payment account filter rankings asked by social account), else the
   * account.
   */
  static String historyKey(Optional<ModelBundle> bundle, UserStore.IdType type, String id) {
    int user = bundle.map(b -> b.users().find(type, id)).orElse(-1);
    return user >= 0
        ? "user:" + Long.toHexString(bundle.get().users().sharedKey(user))
        : type.name() + ":" + id;
  }

  /**
   * Refuses a user this replica's shard does not hold: it cannot tell an unknown user from one it
   * was not given, so answering would silently rank a known user as a stranger.
   */
  private static void checkShard(ModelBundle bundle, String key) throws StatusException {
    UserBuckets.Shard shard = bundle.shard();
    if (!shard.ownsKey(key)) {
      throw Status.FAILED_PRECONDITION
          .withDescription(
              "user '"
                  + RankRequests.abbreviate(key)
                  + "' belongs to shard "
                  + UserBuckets.Shard.of(key, shard.count())
                  + "/"
                  + shard.count()
                  + " (bucket "
                  + UserBuckets.bucket(key)
                  + "); this replica serves shard "
                  + shard
                  + ": send the account id in the metadata header "
                  + UserBuckets.ROUTING_HEADER
                  + " so that the proxy routes the call to its shard")
          .asException();
    }
  }

  private ModelBundle served() throws StatusException {
    return served(bundles.get()).bundle();
  }

  private static ServedBundles served(Optional<ServedBundles> now) throws StatusException {
    return now.orElseThrow(
        () ->
            Status.UNAVAILABLE
                .withDescription(
                    "no model bundle loaded yet; check that publish has run and the warehouse path")
                .asException());
  }
}
