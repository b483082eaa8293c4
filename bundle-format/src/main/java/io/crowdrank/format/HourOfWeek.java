package io.crowdrank.format;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/** Hour-of-week buckets (0 = Monday 00:00-00:59 local time, 167 = Sunday 23:00-23:59). */
public final class HourOfWeek {
  private HourOfWeek() {}

  /** The platform's local time zone unless a bundle says otherwise. */
  public static final String DEFAULT_ZONE = "Asia/Shanghai";

  /** Buckets in a week: 7 days of 24 hours. */
  public static final int HOURS = 7 * 24;

  public static int of(Instant instant, ZoneId zone) {
    ZonedDateTime local = instant.atZone(zone);
    return (local.getDayOfWeek().getValue() - 1) * 24 + local.getHour();
  }

  /** A short human label, e.g. "weekday lunch" or "Saturday night", used in ranking reasons. */
  public static String label(int hourOfWeek) {
    int day = hourOfWeek / 24;
    int hour = hourOfWeek % 24;
    String part;
    if (hour >= 5 && hour < 10) {
      part = "breakfast";
    } else if (hour >= 10 && hour < 14) {
      part = "lunch";
    } else if (hour >= 14 && hour < 17) {
      part = "afternoon";
    } else if (hour >= 17 && hour < 21) {
      part = "evening";
    } else {
      part = "late night";
    }
    String[] days = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
    // Friday evenings belong to the weekend in people's habits.
    boolean weekendish = day >= 5 || (day == 4 && hour >= 17);
    return (weekendish ? days[day] : "weekday") + " " + part;
  }
}
