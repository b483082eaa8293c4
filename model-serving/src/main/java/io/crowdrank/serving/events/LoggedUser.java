package io.crowdrank.serving.events;

import io.crowdrank.format.ServingLogFormat;
import io.crowdrank.ranking.bundle.UserStore.IdType;

/** Who a logged record is about: the id the host app sent, and which kind it is. */
public record LoggedUser(IdType type, String id) {
  /** Writes the user's fields ({@link ServingLogFormat#USER_TYPE}, {@code USER_ID}). */
  void write(com.fasterxml.jackson.core.JsonGenerator json) throws java.io.IOException {
    json.writeStringField(ServingLogFormat.USER_TYPE, typeName());
    json.writeStringField(ServingLogFormat.USER_ID, id);
  }

  /** The kind as the log spells it ({@link ServingLogFormat#USER_TYPE}). */
  public String typeName() {
    return switch (type) {
      case PAYMENT_ACCOUNT -> ServingLogFormat.PAYMENT;
      case SOCIAL_ACCOUNT -> ServingLogFormat.SOCIAL;
      case SHARED_ID -> ServingLogFormat.SHARED;
    };
  }
}
