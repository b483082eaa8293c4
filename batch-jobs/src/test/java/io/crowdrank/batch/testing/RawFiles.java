package io.crowdrank.batch.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes hand-made raw delivery files, as upstream would: {@code <source>/dt=<date>/<name>}. */
public final class RawFiles {
  private RawFiles() {}

  public static Path write(Path raw, String source, String date, String name, List<String> lines) {
    try {
      Path dir = raw.resolve(source).resolve("dt=" + date);
      Files.createDirectories(dir);
      Path file = dir.resolve(name);
      Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
