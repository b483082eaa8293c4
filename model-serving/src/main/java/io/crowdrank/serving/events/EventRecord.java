package io.crowdrank.serving.events;

import static io.crowdrank.format.ServingLogFormat.CLIENT_EVENT_ID;
import static io.crowdrank.format.ServingLogFormat.EVENT_TIME;
import static io.crowdrank.format.ServingLogFormat.HOST_APP;
import static io.crowdrank.format.ServingLogFormat.ITEM_ID;
import static io.crowdrank.format.ServingLogFormat.KIND;
import static io.crowdrank.format.ServingLogFormat.TOKEN;

import com.fasterxml.jackson.core.JsonGenerator;
import io.crowdrank.format.ServingLogFormat;
import java.io.IOException;
import java.time.Instant;

/**
 * One event a host app sent, as logged.
 *
 * @param token the attribution token of the Rank answer it follows (empty: none given)
 * @param clientEventId the host app's id of the event (empty: none given)
 */
public record EventRecord(
    String id,
    LoggedUser user,
    String hostApp,
    String item,
    RecentHistory.Kind kind,
    Instant time,
    String token,
    String clientEventId)
    implements EventSink.Record {
  @Override
  public String type() {
    return ServingLogFormat.EVENT;
  }

  @Override
  public void writeFields(JsonGenerator json) throws IOException {
    user.write(json);
    json.writeStringField(HOST_APP, hostApp);
    json.writeStringField(ITEM_ID, item);
    json.writeStringField(
        KIND,
        switch (kind) {
          case IMPRESSION -> ServingLogFormat.IMPRESSION;
          case CLICK -> ServingLogFormat.CLICK;
          case USE -> ServingLogFormat.USE;
        });
    json.writeStringField(EVENT_TIME, time.toString());
    json.writeStringField(TOKEN, token);
    json.writeStringField(CLIENT_EVENT_ID, clientEventId);
  }
}
