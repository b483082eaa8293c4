package io.crowdrank.notebooks;

import io.crowdrank.batch.common.Delta;
import io.crowdrank.batch.common.Spark;
import io.crowdrank.batch.common.Tables;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.rapaio.jupyter.kernel.global.Global;

/**
 * What a notebook's first cell needs: the warehouse it reads, a Spark session configured as the
 * jobs configure theirs, Delta tables by their {@code Tables} names, and charts as images the
 * kernel embeds. Compiled, not an init script: the kernel runs its init script before the classpath
 * is added (notebooks/README.md).
 */
public final class Notebook {
  /** The warehouse to read; {@code ./crowdrank notebooks --warehouse} sets it. */
  public static final String WAREHOUSE_ENV = "CROWDRANK_WAREHOUSE";

  /** Where {@code ./crowdrank demo} leaves its warehouse, relative to the repository. */
  static final String DEMO_WAREHOUSE = "build/demo/warehouse";

  private static SparkSession spark;

  private Notebook() {}

  /**
   * The warehouse: {@value #WAREHOUSE_ENV} if set, else the demo's, looked up from the working
   * directory (the notebooks folder when Jupyter runs them) up to the repository root.
   *
   * @throws IllegalStateException naming what to run when there is none
   */
  public static String warehouse() {
    String set = System.getenv(WAREHOUSE_ENV);
    if (set != null && !set.isBlank()) {
      Path p = Path.of(set).toAbsolutePath().normalize();
      if (!Files.isDirectory(p)) {
        throw new IllegalStateException(WAREHOUSE_ENV + "=" + set + " is not a directory");
      }
      return p.toString();
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path demo = dir.resolve(DEMO_WAREHOUSE);
      if (Files.isDirectory(demo)) {
        return demo.toString();
      }
    }
    throw new IllegalStateException(
        "no warehouse: set "
            + WAREHOUSE_ENV
            + " or run ./crowdrank demo (it writes "
            + DEMO_WAREHOUSE
            + ")");
  }

  /**
   * The notebook's Spark session, local with the jobs' configuration (Delta, UTC, small shuffles)
   * and no web UI; one per kernel.
   */
  public static synchronized SparkSession spark() {
    if (spark == null) {
      // The kernel turns java.util.logging up to FINEST; Janino (Spark's code generator) then
      // fails to compile generated code. Jobs never see this: their JVMs keep the default.
      Logger.getLogger("").setLevel(Level.INFO);
      System.setProperty("spark.ui.enabled", "false");
      // printSchema and wide plans would warn that their text was truncated.
      System.setProperty("spark.sql.debug.maxToStringFields", "200");
      spark = Spark.forCli("crowdrank-notebook");
      spark.sparkContext().setLogLevel("WARN");
    }
    return spark;
  }

  /**
   * A warehouse table by its {@link Tables} name, at its latest version.
   *
   * @throws IllegalStateException naming the table and the step that writes it when it is missing
   */
  public static Dataset<Row> table(String table) {
    String w = warehouse();
    if (!Delta.exists(spark(), Tables.at(w, table))) {
      throw new IllegalStateException(
          "no table "
              + table
              + " under "
              + w
              + ": run the jobs (./crowdrank jobs all) or ./crowdrank demo first");
    }
    return Delta.read(spark(), w, table);
  }

  /** A chart as an image; the kernel shows a {@link BufferedImage} as an embedded PNG. */
  public static BufferedImage image(Chart<?, ?> chart) {
    return BitmapEncoder.getBufferedImage(chart);
  }

  /**
   * Shows the chart below the cell, as a PNG embedded in the notebook (and its HTML export). Void,
   * unlike the kernel's {@code display}, whose returned display id would print as the cell's value.
   */
  public static void show(Chart<?, ?> chart) {
    Global.display(image(chart));
  }
}
