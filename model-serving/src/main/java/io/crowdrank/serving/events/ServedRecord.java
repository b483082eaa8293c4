package io.crowdrank.serving.events;

import static io.crowdrank.format.ServingLogFormat.ARMS;
import static io.crowdrank.format.ServingLogFormat.CITY;
import static io.crowdrank.format.ServingLogFormat.EVENT_TIME;
import static io.crowdrank.format.ServingLogFormat.EXPERIMENT;
import static io.crowdrank.format.ServingLogFormat.FORCED;
import static io.crowdrank.format.ServingLogFormat.HOST_APP;
import static io.crowdrank.format.ServingLogFormat.ITEMS;
import static io.crowdrank.format.ServingLogFormat.ITEM_ID;
import static io.crowdrank.format.ServingLogFormat.LAYER;
import static io.crowdrank.format.ServingLogFormat.MODEL_VERSION;
import static io.crowdrank.format.ServingLogFormat.POSITION;
import static io.crowdrank.format.ServingLogFormat.REQUEST_ID;
import static io.crowdrank.format.ServingLogFormat.SCORE;
import static io.crowdrank.format.ServingLogFormat.STRATEGY;
import static io.crowdrank.format.ServingLogFormat.VARIANT;

import com.fasterxml.jackson.core.JsonGenerator;
import io.crowdrank.format.Experiments;
import io.crowdrank.format.ServingLogFormat;
import io.crowdrank.proto.v1.RankResponse;
import io.crowdrank.proto.v1.RankedItem;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * One Rank answer as logged: the items shown with their positions and scores. It keeps the response
 * object and is turned into JSON by the log's writer, off the call's thread.
 *
 * @param id the answer's attribution token
 * @param time the ranking's context time
 * @param city the context city (empty when unknown)
 * @param firstPosition the 1-based position of the response's first item (later pages start deeper)
 * @param arms the experiments the answer was part of, with their variants
 * @param forced whether an operator forced the variant
 */
public record ServedRecord(
    String id,
    LoggedUser user,
    String hostApp,
    Instant time,
    String city,
    int firstPosition,
    List<Experiments.Arm> arms,
    boolean forced,
    RankResponse response)
    implements EventSink.Record {
  @Override
  public String type() {
    return ServingLogFormat.SERVED;
  }

  @Override
  public void writeFields(JsonGenerator json) throws IOException {
    user.write(json);
    json.writeStringField(HOST_APP, hostApp);
    json.writeStringField(EVENT_TIME, time.toString());
    json.writeStringField(CITY, city);
    json.writeStringField(REQUEST_ID, response.getRequestId());
    json.writeNumberField(MODEL_VERSION, response.getModelVersion());
    json.writeStringField(STRATEGY, response.getStrategy());
    json.writeArrayFieldStart(ARMS);
    for (Experiments.Arm arm : arms) {
      json.writeStartObject();
      json.writeStringField(LAYER, arm.layer());
      json.writeStringField(EXPERIMENT, arm.experiment());
      json.writeStringField(VARIANT, arm.variant());
      json.writeEndObject();
    }
    json.writeEndArray();
    json.writeBooleanField(FORCED, forced);
    json.writeArrayFieldStart(ITEMS);
    int position = firstPosition;
    for (RankedItem item : response.getItemsList()) {
      json.writeStartObject();
      json.writeStringField(ITEM_ID, item.getMiniProgramId());
      json.writeNumberField(POSITION, position++);
      json.writeNumberField(SCORE, item.getScore());
      json.writeEndObject();
    }
    json.writeEndArray();
  }
}
