package io.crowdrank.serving.reports;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crowdrank.format.ReportsFormat;
import io.crowdrank.serving.delta.KernelTables;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.exceptions.TableNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The merchant reports of the newest {@code gold/merchant_reports} version, read with Delta Kernel
 * and held in memory; the table is checked for a newer version at most every {@code refresh}.
 * Thread-safe: a refresh swaps in a whole new map.
 */
public final class ReportStore {
  /** One report: its segment's id and name and the numbers as JSON. */
  public record Report(String merchantId, String segmentId, String name, JsonNode json) {
    public boolean suppressed() {
      return json.path("suppressed").asBoolean(false);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Engine engine;
  private final String table;
  private final Duration refresh;
  private final Clock clock;

  private record Loaded(long version, Map<String, Map<String, Report>> byMerchant) {}

  private volatile Loaded loaded = new Loaded(-1, Map.of());
  private volatile Instant checked = Instant.EPOCH;

  public ReportStore(Engine engine, String warehouse, Duration refresh, Clock clock) {
    this.engine = engine;
    this.table = (warehouse.endsWith("/") ? warehouse : warehouse + "/") + ReportsFormat.TABLE_PATH;
    this.refresh = refresh;
    this.clock = clock;
  }

  /** The merchant's reports, by segment name (its whole crowd first). */
  public List<Report> reports(String merchantId) {
    List<Report> out = new ArrayList<>(current().getOrDefault(merchantId, Map.of()).values());
    out.sort(
        Comparator.comparing((Report r) -> !r.segmentId().startsWith("_"))
            .thenComparing(Report::name));
    return out;
  }

  public Optional<Report> report(String merchantId, String segmentId) {
    return Optional.ofNullable(current().getOrDefault(merchantId, Map.of()).get(segmentId));
  }

  /** The table version the reports come from, -1 before any was published. */
  public long version() {
    current();
    return loaded.version();
  }

  private Map<String, Map<String, Report>> current() {
    Instant now = clock.instant();
    if (now.isAfter(checked.plus(refresh))) {
      synchronized (this) {
        if (now.isAfter(checked.plus(refresh))) {
          OptionalLong latest = KernelTables.latestVersion(engine, table);
          if (latest.isPresent() && latest.getAsLong() != loaded.version()) {
            loaded = load(latest.getAsLong());
          }
          checked = now;
        }
      }
    }
    return loaded.byMerchant();
  }

  private Loaded load(long version) {
    Map<String, Map<String, Report>> byMerchant = new HashMap<>();
    try {
      KernelTables.scan(
          engine,
          KernelTables.snapshot(engine, table, OptionalLong.of(version)),
          (row, schema) -> {
            String merchant = row.getString(schema.indexOf(ReportsFormat.MERCHANT_ID));
            String segment = row.getString(schema.indexOf(ReportsFormat.SEGMENT_ID));
            JsonNode json;
            try {
              json = JSON.readTree(row.getString(schema.indexOf(ReportsFormat.REPORT_JSON)));
            } catch (IOException e) {
              throw new UncheckedIOException("report " + merchant + "/" + segment, e);
            }
            byMerchant
                .computeIfAbsent(merchant, m -> new HashMap<>())
                .put(
                    segment,
                    new Report(
                        merchant,
                        segment,
                        row.getString(schema.indexOf(ReportsFormat.NAME)),
                        json));
          });
    } catch (TableNotFoundException e) {
      return new Loaded(-1, Map.of());
    }
    return new Loaded(version, Map.copyOf(byMerchant));
  }
}
