package io.crowdrank.serving.app;

import io.crowdrank.serving.bundle.BundleHolder;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * /q/health/ready is DOWN until a model bundle is loaded and the replica has warmed up on it, like
 * gRPC health.
 */
@Readiness
@ApplicationScoped
public class BundleReadiness implements HealthCheck {
  private final BundleHolder holder;

  public BundleReadiness(BundleHolder holder) {
    this.holder = holder;
  }

  @Override
  public HealthCheckResponse call() {
    var builder = HealthCheckResponse.named("model-bundle").withData("table", holder.tablePath());
    return holder
        .served()
        .filter(s -> holder.ready())
        .map(
            s -> {
              builder.up().withData("version", s.bundle().version());
              if (!s.sideBySide().isEmpty()) {
                builder.withData("side_by_side_versions", s.sideBySideVersions().toString());
              }
              return builder.build();
            })
        .orElseGet(() -> builder.down().build());
  }
}
