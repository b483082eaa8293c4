package io.crowdrank.ranking.bundle;

/** A bundle that cannot be read or is not valid; the service keeps what it serves. */
public final class BundleException extends RuntimeException {
  public BundleException(String message) {
    super(message);
  }

  public BundleException(String message, Throwable cause) {
    super(message, cause);
  }
}
