package io.crowdrank.batch.generate;

import java.util.List;

/**
 * The planted structure of the demo world: categories with their social verticals, price levels and
 * hour-of-week habits (local time), cities with their sizes. Only the generator knows it; the jobs
 * learn it back from the data, and tests check that they do.
 */
final class DemoWorld {
  private DemoWorld() {}

  /** Hour-of-week weight of a category in local time. */
  @FunctionalInterface
  interface Habit {
    double weight(int dayOfWeek0, int hour);
  }

  record Category(
      String id,
      List<String> verticals,
      long basePriceFen,
      double globalShare,
      Habit habit,
      List<String> nameWords) {}

  static boolean weekend(int day) {
    return day >= 5;
  }

  static double bump(int hour, int from, int to, double w) {
    return hour >= from && hour < to ? w : 0;
  }

  static final double FLOOR = 0.05;

  static final List<Category> CATEGORIES =
      List.of(
          new Category(
              "fast_food",
              List.of("food"),
              3_500,
              0.14,
              (d, h) -> FLOOR + bump(h, 11, 14, 3) + bump(h, 17, 20, 1.5) + bump(h, 22, 24, 1),
              List.of("Burger", "Fried Chicken", "Noodle Bar", "Dumplings")),
          new Category(
              "food_delivery",
              List.of("food"),
              4_500,
              0.16,
              (d, h) ->
                  FLOOR
                      + bump(h, 11, 13, 2.5)
                      + bump(h, 18, 20, 1.5)
                      + bump(h, 22, 24, 3)
                      + bump(h, 0, 2, 2.5),
              List.of("Eats", "Express Kitchen", "Delivery", "Takeout")),
          new Category(
              "coffee_tea",
              List.of("food", "lifestyle"),
              2_800,
              0.12,
              (d, h) ->
                  FLOOR
                      + (weekend(d) ? bump(h, 10, 17, 1) : bump(h, 7, 10, 4) + bump(h, 14, 16, 1)),
              List.of("Coffee", "Tea House", "Brew Bar", "Milk Tea")),
          new Category(
              "travel",
              List.of("travel"),
              120_000,
              0.05,
              (d, h) ->
                  FLOOR + (d == 4 ? bump(h, 18, 24, 3) : 0) + (weekend(d) ? bump(h, 8, 22, 3) : 0),
              List.of("Trips", "Travel", "Journeys", "Holidays")),
          new Category(
              "hotel",
              List.of("travel"),
              60_000,
              0.05,
              (d, h) -> FLOOR + (d == 4 || d == 5 ? bump(h, 12, 24, 3) : 0),
              List.of("Hotels", "Inn", "Stays", "Resorts")),
          new Category(
              "ride_hailing",
              List.of("travel", "lifestyle"),
              3_000,
              0.09,
              (d, h) ->
                  FLOOR
                      + (weekend(d) ? bump(h, 19, 24, 1) : bump(h, 7, 10, 3) + bump(h, 18, 20, 3)),
              List.of("Rides", "Cabs", "Go", "Car")),
          new Category(
              "health",
              List.of("health"),
              15_000,
              0.05,
              (d, h) -> FLOOR + (weekend(d) ? bump(h, 9, 12, 1) : bump(h, 8, 12, 2)),
              List.of("Clinic", "Health", "Care", "Doctor")),
          new Category(
              "pharmacy",
              List.of("health"),
              6_000,
              0.04,
              (d, h) -> FLOOR + bump(h, 19, 23, 2),
              List.of("Pharmacy", "Medicine", "Drugstore", "Wellness")),
          new Category(
              "retail",
              List.of("lifestyle"),
              12_000,
              0.10,
              (d, h) -> FLOOR + bump(h, 18, 22, 1.5) + (weekend(d) ? bump(h, 10, 18, 1.5) : 0),
              List.of("Mart", "Supermarket", "Fresh", "Grocery")),
          new Category(
              "fashion",
              List.of("fashion"),
              30_000,
              0.06,
              (d, h) -> FLOOR + bump(h, 20, 24, 1.5) + (weekend(d) ? bump(h, 13, 18, 1.5) : 0),
              List.of("Style", "Wear", "Boutique", "Outlet")),
          new Category(
              "beauty",
              List.of("beauty", "fashion"),
              20_000,
              0.05,
              (d, h) -> FLOOR + bump(h, 20, 24, 2),
              List.of("Beauty", "Cosmetics", "Skin Lab", "Salon")),
          new Category(
              "movies",
              List.of("entertainment"),
              8_000,
              0.04,
              (d, h) -> FLOOR + (d == 4 || d == 5 ? bump(h, 18, 23, 3) : bump(h, 19, 22, 0.5)),
              List.of("Cinema", "Movies", "Tickets", "Screen")),
          new Category(
              "education",
              List.of("education", "parenting"),
              50_000,
              0.03,
              (d, h) -> FLOOR + (weekend(d) ? bump(h, 9, 17, 1) : bump(h, 19, 22, 1.5)),
              List.of("Academy", "Learning", "Tutor", "Classes")),
          new Category(
              "fitness",
              List.of("sports", "health"),
              10_000,
              0.04,
              (d, h) -> FLOOR + bump(h, 6, 8, 2) + bump(h, 18, 21, 2),
              List.of("Fitness", "Gym", "Yoga", "Sports")),
          new Category(
              "utilities",
              List.of("finance"),
              20_000,
              0.03,
              (d, h) -> FLOOR + bump(h, 9, 21, 1),
              List.of("Bills", "Utilities", "Power", "Telecom")));

  /**
   * Social verticals; "tech" and "parenting" have few or no mini-programs (topic-only interest).
   */
  static final List<String> VERTICALS =
      List.of(
          "food",
          "travel",
          "health",
          "fashion",
          "beauty",
          "entertainment",
          "education",
          "sports",
          "finance",
          "lifestyle",
          "tech",
          "parenting");

  record City(String id, double share) {}

  static final List<City> CITIES =
      List.of(
          new City("shanghai", 0.18),
          new City("beijing", 0.17),
          new City("shenzhen", 0.12),
          new City("guangzhou", 0.11),
          new City("hangzhou", 0.10),
          new City("chengdu", 0.09),
          new City("wuhan", 0.07),
          new City("nanjing", 0.06),
          new City("xian", 0.05),
          new City("chongqing", 0.05));

  static final List<String> NAME_ADJECTIVES =
      List.of(
          "Golden",
          "Happy",
          "Lucky",
          "Red",
          "Blue",
          "Green",
          "Jade",
          "Panda",
          "Lotus",
          "Dragon",
          "Sunny",
          "Urban",
          "Star",
          "Silk",
          "River",
          "Mountain",
          "Smart",
          "Fresh",
          "Royal",
          "Swift");

  /** Social actions with their share of social events. */
  static final List<String> SOCIAL_ACTIONS =
      List.of("view", "like", "comment", "repost", "card_click", "follow");

  static final double[] SOCIAL_ACTION_SHARE = {0.45, 0.20, 0.08, 0.08, 0.14, 0.05};

  /** Social engagement follows the evening: a mild hour-of-day profile, any day. */
  static double socialHabit(int day, int hour) {
    return 0.2 + bump(hour, 7, 9, 0.8) + bump(hour, 12, 14, 0.8) + bump(hour, 19, 24, 1.5);
  }
}
