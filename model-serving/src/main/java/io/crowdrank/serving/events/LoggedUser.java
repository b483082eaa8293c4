package io.crowdrank.serving.events;

import io.crowdrank.format.ServingLogFormat;
import io.crowdrank.ranking.bundle.UserStore.IdType;

/** Who a logged record is about: the id the host app sent, and which kind it is. */
public record LoggedUser(IdType type, String id) {
  /** The kind as the log spells it ({@link ServingLogFormat#USER_TYPE}). */
  public String typeName() {
    return switch (type) {
      case PAYMENT_ACCOUNT -> ServingLogFormat.PAYMENT;
      case SOCIAL_ACCOUNT -> ServingLogFormat.SOCIAL;
      case SHARED_ID -> ServingLogFormat.SHARED;
    };
  }
}
