package io.crowdrank.serving.events;

import static io.crowdrank.format.ServingLogFormat.RECOVERY;
import static io.crowdrank.format.ServingLogFormat.SEGMENT;
import static io.crowdrank.format.ServingLogFormat.TORN_BYTES;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.common.base.Preconditions;
import io.crowdrank.format.ServingLogFormat;
import io.crowdrank.format.ServingLogFormat.Segment;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * A replica's write-ahead log of what it served and the events host apps sent: JSON lines in
 * segment files ({@link ServingLogFormat}), written by one thread in groups.
 *
 * <p>An event that must not be lost ({@link #appendDurable}) completes its future only once it is
 * on disk: the writer takes whatever is queued, writes it and calls {@code fsync}, so one sync
 * serves every caller waiting at that moment. A record that may be lost in a crash ({@link
 * #appendLater}, the lists Rank served) is written in groups that gather for up to a millisecond,
 * and synced at most one flush interval later; a crash loses at most that interval of them (and the
 * last millisecond's).
 *
 * <p>At start, an unfinished segment (the service was killed) is cut back to its last complete line
 * and closed; what was cut is reported ({@link #recovery()}) and logged as a recovery record. A
 * disk short of room fails durable appends with {@link LogFullException}; a queue full because the
 * disk is slower than the arrivals fails them with {@link LogBehindException}; records that may be
 * lost are then dropped and counted ({@link #dropped()}), never silently.
 */
public final class EventLog extends QueuedEventSink {
  private static final Logger LOG = Logger.getLogger(EventLog.class);

  /** Records written between two looks at the queue, at most. */
  private static final int MAX_BATCH = 4096;

  /**
   * How long the writer waits for company after writing records that may be lost, before it looks
   * at the queue again (so such a record may reach the disk up to this much later than the flush
   * interval). Woken by every record, it cost each Rank call a thread wake-up, a write and a
   * disk-space check: 16-18 µs of the writer's CPU a call at 13,000-15,000 calls a second, 10-14 µs
   * with the linger and the faster score formatting ({@link EventSink.Record#JSON}). A durable
   * append wakes it at once.
   */
  private static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /**
   * @param dir the replica's folder (created if missing)
   * @param replica the replica's id in every event id ({@link ServingLogFormat#isValidReplica})
   * @param flushInterval how long a record appended for later may wait for its sync (&gt; 0)
   * @param segmentBytes a segment is closed once it holds this many bytes (&ge; 1 KiB)
   * @param segmentAge and once it is this old and not empty (&gt; 0), so the events job sees it
   * @param queueCapacity records waiting for the writer, at most (&ge; 1)
   * @param minFreeBytes room the disk must keep; below it durable appends are refused (&ge; 0)
   */
  public record Settings(
      Path dir,
      String replica,
      Duration flushInterval,
      long segmentBytes,
      Duration segmentAge,
      int queueCapacity,
      long minFreeBytes) {
    public Settings {
      Preconditions.checkNotNull(dir, "dir");
      Preconditions.checkArgument(
          ServingLogFormat.isValidReplica(replica),
          "replica id must be 1-64 letters, digits, '-' or '_', not '%s'",
          replica);
      Preconditions.checkArgument(
          flushInterval.toMillis() > 0, "flushInterval must be at least 1 ms");
      Preconditions.checkArgument(segmentBytes >= 1024, "segmentBytes must be >= 1024");
      Preconditions.checkArgument(segmentAge.toMillis() > 0, "segmentAge must be at least 1 ms");
      Preconditions.checkArgument(queueCapacity >= 1, "queueCapacity must be >= 1");
      Preconditions.checkArgument(minFreeBytes >= 0, "minFreeBytes must be >= 0");
    }
  }

  /**
   * What the start found of the previous run.
   *
   * @param segments unfinished segments it closed
   * @param tornBytes bytes cut from their ends: a record being written when the service died
   * @param tornSegments segments that had such a tail (each lost at most the records of one write)
   */
  public record Recovery(int segments, long tornBytes, int tornSegments) {}

  private final Settings settings;
  private final Clock clock;
  private final Recovery recovery;
  private final FileStore store;
  private final Thread writer;

  private final LongAdder syncs = new LongAdder();

  // The writer thread's own state.
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1 << 16);
  private FileChannel channel;
  private Segment segment;
  private long segmentOpened;
  private long nextSegment;
  private boolean unsynced;
  private final List<CompletableFuture<Void>> waiting = new ArrayList<>();

  private EventLog(Settings settings, Clock clock, long boot, Recovery recovery, FileStore store) {
    super(settings.replica(), boot, settings.queueCapacity(), "the event log", "the disk");
    this.settings = settings;
    this.clock = clock;
    this.recovery = recovery;
    this.store = store;
    this.writer = new Thread(this::run, "crowdrank-event-log");
    this.writer.setDaemon(true);
  }

  /**
   * Opens the replica's log: closes what a previous run left unfinished, then starts the writer.
   */
  public static EventLog open(Settings settings, Clock clock) throws IOException {
    Files.createDirectories(settings.dir());
    long lastBoot = -1;
    int unfinished = 0;
    // Each unfinished segment that had a torn tail, and the bytes cut from it.
    Map<Segment, Long> torn = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(settings.dir())) {
      for (Path file : files.sorted().toList()) {
        var parsed = Segment.parse(file.getFileName().toString());
        if (parsed.isEmpty()) {
          continue;
        }
        Segment s = parsed.get();
        lastBoot = Math.max(lastBoot, s.boot());
        if (!s.closed()) {
          long cut = finish(settings.dir(), s);
          unfinished++;
          if (cut > 0) {
            torn.put(s, cut);
          }
        }
      }
    }
    syncDirectory(settings.dir());
    // Start times only grow, even when the clock is behind a previous run's.
    long boot = Math.max(clock.millis(), lastBoot + 1);
    long tornBytes = torn.values().stream().mapToLong(Long::longValue).sum();
    Recovery recovery = new Recovery(unfinished, tornBytes, torn.size());
    EventLog log =
        new EventLog(settings, clock, boot, recovery, Files.getFileStore(settings.dir()));
    for (Map.Entry<Segment, Long> t : torn.entrySet()) {
      Segment s = t.getKey();
      long cut = t.getValue();
      log.appendLater(
          new Record() {
            final String id = log.nextId();

            @Override
            public String type() {
              return RECOVERY;
            }

            @Override
            public String id() {
              return id;
            }

            @Override
            public void writeFields(JsonGenerator json) throws IOException {
              json.writeStringField(SEGMENT, s.close().fileName());
              json.writeNumberField(TORN_BYTES, cut);
            }
          });
      LOG.warnf(
          "event log: %s was unfinished (the service stopped without closing it): cut %d bytes"
              + " of a record being written; every acknowledged event is before them",
          s.fileName(), cut);
    }
    log.writer.start();
    return log;
  }

  /**
   * Cuts an unfinished segment back to its last complete line, syncs and closes it.
   *
   * @return the bytes cut
   */
  private static long finish(Path dir, Segment s) throws IOException {
    Path file = dir.resolve(s.fileName());
    long cut;
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = ch.size();
      long end = lastLineEnd(ch, size);
      cut = size - end;
      if (cut > 0) {
        ch.truncate(end);
      }
      ch.force(true);
    }
    Files.move(file, dir.resolve(s.close().fileName()), StandardCopyOption.ATOMIC_MOVE);
    return cut;
  }

  /** The offset just after the last newline (0 if none). */
  private static long lastLineEnd(FileChannel ch, long size) throws IOException {
    ByteBuffer block = ByteBuffer.allocate(1 << 16);
    long pos = size;
    while (pos > 0) {
      int len = (int) Math.min(block.capacity(), pos);
      pos -= len;
      block.clear().limit(len);
      while (block.hasRemaining()) {
        if (ch.read(block, pos + block.position()) < 0) {
          break;
        }
      }
      for (int i = len - 1; i >= 0; i--) {
        if (block.get(i) == '\n') {
          return pos + i + 1;
        }
      }
    }
    return 0;
  }

  private static void syncDirectory(Path dir) {
    // A rename is durable once its folder is synced; not every file system lets a folder be
    // opened for that (then the rename is as durable as the file system makes it).
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      LOG.debugf("cannot sync folder %s: %s", dir, e.getMessage());
    }
  }

  public Recovery recovery() {
    return recovery;
  }

  /** Times the log synced to disk (each for a group of records). */
  public long syncs() {
    return syncs.sum();
  }

  private void run() {
    List<Entry> batch = new ArrayList<>();
    long nextFlush = clock.millis() + settings.flushInterval().toMillis();
    while (true) {
      try {
        long now = clock.millis();
        long wait = Math.max(1, nextFlush - now);
        Entry first = queue.poll(wait, TimeUnit.MILLISECONDS);
        if (first != null) {
          batch.add(first);
          queue.drainTo(batch, MAX_BATCH - 1);
        }
        boolean durable = false;
        for (Entry e : batch) {
          durable |= e.durable() != null;
        }
        now = clock.millis();
        // A full batch means the queue is behind: no linger then.
        boolean linger = !durable && !batch.isEmpty() && batch.size() < MAX_BATCH;
        if (!batch.isEmpty()) {
          write(batch);
          // Written: from here a failure is the sync's, and fails the waiting callers instead.
          batch.clear();
        }
        if (durable || (unsynced && now >= nextFlush) || (closing && unsynced)) {
          sync();
        }
        if (now >= nextFlush) {
          nextFlush = now + settings.flushInterval().toMillis();
        }
        roll(now);
        if (linger && !closing) {
          LockSupport.parkNanos(LINGER_NANOS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (IOException e) {
        failAll(batch, e);
        abandonSegment();
      } catch (RuntimeException e) {
        LOG.error("event log writer failed", e);
        failAll(batch, new IOException(e));
        abandonSegment();
      }
      batch.clear();
      if (closing && queue.isEmpty()) {
        break;
      }
    }
    try {
      closeSegment();
    } catch (IOException e) {
      LOG.errorf(e, "event log: cannot close %s", segment);
    }
  }

  private void write(List<Entry> batch) throws IOException {
    if (store.getUsableSpace() < settings.minFreeBytes()) {
      throw new LogFullException(
          "the disk of the event log ("
              + settings.dir()
              + ") has less than "
              + (settings.minFreeBytes() >> 20)
              + " MiB free");
    }
    buffer.reset();
    // A generator per batch: a record that failed half-way must not leave it mid-object.
    JsonGenerator json = Record.JSON.createGenerator(buffer, JsonEncoding.UTF8);
    json.setRootValueSeparator(null);
    String loggedAt = clock.instant().toString();
    for (Entry e : batch) {
      e.record().write(json, settings.replica(), loggedAt);
      json.writeRaw('\n');
    }
    json.close();
    if (channel == null) {
      openSegment();
    }
    ByteBuffer bytes = ByteBuffer.wrap(buffer.toByteArray());
    long start = channel.position();
    try {
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
    } catch (IOException e) {
      // Leave no half record behind where the next batch would follow it.
      channel.truncate(start);
      throw e;
    }
    unsynced = true;
    written.add(batch.size());
    for (Entry e : batch) {
      if (e.durable() != null) {
        waiting.add(e.durable());
      }
    }
  }

  private void sync() throws IOException {
    if (channel != null && unsynced) {
      channel.force(false);
      syncs.increment();
    }
    unsynced = false;
    for (CompletableFuture<Void> f : waiting) {
      f.complete(null);
    }
    waiting.clear();
  }

  private void roll(long now) throws IOException {
    if (channel != null
        && channel.position() > 0
        && (channel.position() >= settings.segmentBytes()
            || now - segmentOpened >= settings.segmentAge().toMillis())) {
      closeSegment();
    }
  }

  private void openSegment() throws IOException {
    segment = new Segment(boot(), nextSegment++, false);
    channel =
        FileChannel.open(
            settings.dir().resolve(segment.fileName()),
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE);
    segmentOpened = clock.millis();
    syncDirectory(settings.dir());
  }

  private void closeSegment() throws IOException {
    if (channel == null) {
      return;
    }
    sync();
    channel.close();
    channel = null;
    Files.move(
        settings.dir().resolve(segment.fileName()),
        settings.dir().resolve(segment.close().fileName()),
        StandardCopyOption.ATOMIC_MOVE);
    syncDirectory(settings.dir());
  }

  /** After a failed write or sync the segment's state is unknown: close it, start a new one. */
  private void abandonSegment() {
    for (CompletableFuture<Void> f : waiting) {
      f.completeExceptionally(new IOException("the event log's sync failed"));
    }
    failed.add(waiting.size());
    waiting.clear();
    unsynced = false;
    try {
      closeSegment();
    } catch (IOException e) {
      LOG.errorf(e, "event log: cannot close %s after a failed write", segment);
      channel = null;
    }
  }

  private void failAll(List<Entry> batch, IOException e) {
    if (!(e instanceof LogFullException)) {
      LOG.errorf(e, "event log: writing %d records failed", batch.size());
    }
    for (Entry entry : batch) {
      fail(entry, e);
    }
  }

  @Override
  public CompletableFuture<Void> appendDurable(Record record) {
    CompletableFuture<Void> done = super.appendDurable(record);
    // Its caller waits for the disk: no linger.
    LockSupport.unpark(writer);
    return done;
  }

  /** Writes and syncs what is queued, closes the segment and stops the writer. */
  @Override
  public void close() {
    closing = true;
    LockSupport.unpark(writer);
    try {
      writer.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted while closing the event log"));
    }
  }
}
