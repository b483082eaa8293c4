package io.crowdrank.batch.evaluate;

import static org.apache.spark.sql.functions.col;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Json;
import io.crowdrank.batch.common.Lineage;
import io.crowdrank.batch.common.Tables;
import io.crowdrank.batch.train.TrainJob;
import io.crowdrank.format.BundleFormat;
import io.crowdrank.format.Experiments;
import io.crowdrank.format.Manifest;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The bundle currently published (what the service serves): its version, the version of {@code
 * model/item_factors} it was made from, the parameters of that model and the experiments it runs,
 * read from its manifest.
 */
public record ServedBundle(
    long version, long modelVersion, TrainJob.Params params, Experiments experiments) {

  /** Bundle version recorded in lineage when there is none yet. */
  public static final long NONE = -1;

  /** The newest published bundle, or empty before the first publish. */
  public static Optional<ServedBundle> current(SparkSession spark, String warehouse) {
    String path = Tables.at(warehouse, Tables.BUNDLE);
    if (!Delta.exists(spark, path)) {
      return Optional.empty();
    }
    long version = Delta.version(spark, path);
    Row manifest =
        spark
            .read()
            .format("delta")
            .option("versionAsOf", version)
            .load(path)
            .filter(col(BundleFormat.PART).equalTo(BundleFormat.PART_MANIFEST))
            .select(BundleFormat.MANIFEST_JSON)
            .first();
    if (manifest == null) {
      throw new IllegalStateException("bundle version " + version + " has no manifest");
    }
    Manifest m = Manifest.fromMap(Json.readObject(manifest.getString(0)));
    Object model = m.sources().get(Tables.ITEM_FACTORS);
    Object params = m.training().get(Lineage.PARAMS);
    if (!(params instanceof Map<?, ?> p)) {
      throw new IllegalStateException(
          "bundle version " + version + " does not say how its model was trained");
    }
    @SuppressWarnings("unchecked")
    Map<String, ?> typed = (Map<String, ?>) p;
    return Optional.of(
        new ServedBundle(
            version,
            model instanceof Number n ? n.longValue() : NONE,
            TrainJob.Params.fromMap(typed),
            m.experiments()));
  }
}
