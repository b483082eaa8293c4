package io.crowdrank.serving.reports;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crowdrank.format.ReportsFormat;
import io.crowdrank.serving.delta.KernelTables;
import io.crowdrank.serving.delta.LatestTable;
import io.delta.kernel.Snapshot;
import io.delta.kernel.engine.Engine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The merchant reports of the newest {@code gold/merchant_reports} version, read with Delta Kernel
 * and held in memory; the table is checked for a newer version at most every {@code refresh}.
 */
public final class ReportStore {
  /** One report: its segment's id and name and the numbers as JSON. */
  public record Report(String merchantId, String segmentId, String name, JsonNode json) {
    public boolean suppressed() {
      return json.path("suppressed").asBoolean(false);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final LatestTable<Map<String, Map<String, Report>>> table;

  public ReportStore(Engine engine, String warehouse, Duration refresh, Clock clock) {
    this.table =
        new LatestTable<>(
            engine,
            warehouse,
            ReportsFormat.TABLE_PATH,
            refresh,
            clock,
            snapshot -> load(engine, snapshot),
            Map.of());
  }

  /** The merchant's reports, by segment name (its whole crowd first). */
  public List<Report> reports(String merchantId) {
    List<Report> out = new ArrayList<>(table.get().getOrDefault(merchantId, Map.of()).values());
    out.sort(
        Comparator.comparing((Report r) -> !r.segmentId().startsWith("_"))
            .thenComparing(Report::name));
    return out;
  }

  public Optional<Report> report(String merchantId, String segmentId) {
    return Optional.ofNullable(table.get().getOrDefault(merchantId, Map.of()).get(segmentId));
  }

  /** The table version the reports come from, -1 before any was published. */
  public long version() {
    return table.version();
  }

  private static Map<String, Map<String, Report>> load(Engine engine, Snapshot snapshot) {
    Map<String, Map<String, Report>> byMerchant = new HashMap<>();
    KernelTables.scan(
        engine,
        snapshot,
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
                      merchant, segment, row.getString(schema.indexOf(ReportsFormat.NAME)), json));
        });
    return Map.copyOf(byMerchant);
  }
}
