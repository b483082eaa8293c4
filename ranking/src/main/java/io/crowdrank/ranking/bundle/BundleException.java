package io.crowdrank.ranking.bundle;

/** A bundle that cannot be read or is not valid; the service keeps what it serves. */
public class BundleException extends RuntimeException {
  public BundleException(String message) {
    super(message);
  }

  public BundleException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Nothing is published at the table asked for (not an invalid bundle: there is none yet). */
  public static final class NotPublished extends BundleException {
    public NotPublished(String tablePath, Throwable cause) {
      super("no bundle published at " + tablePath, cause);
    }
  }
}
