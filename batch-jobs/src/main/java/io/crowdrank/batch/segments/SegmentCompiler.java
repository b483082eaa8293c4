package io.crowdrank.batch.segments;

import static io.crowdrank.batch.common.Columns.*;
import static org.apache.spark.sql.functions.*;

import io.crowdrank.batch.common.Expressions;
import io.crowdrank.batch.segments.SegmentExpression.Activity;
import io.crowdrank.batch.segments.SegmentExpression.Aipl;
import io.crowdrank.batch.segments.SegmentExpression.And;
import io.crowdrank.batch.segments.SegmentExpression.CityIn;
import io.crowdrank.batch.segments.SegmentExpression.CityIs;
import io.crowdrank.batch.segments.SegmentExpression.Compare;
import io.crowdrank.batch.segments.SegmentExpression.Expr;
import io.crowdrank.batch.segments.SegmentExpression.Field;
import io.crowdrank.batch.segments.SegmentExpression.Flag;
import io.crowdrank.batch.segments.SegmentExpression.Interest;
import io.crowdrank.batch.segments.SegmentExpression.Not;
import io.crowdrank.batch.segments.SegmentExpression.Operand;
import io.crowdrank.batch.segments.SegmentExpression.Or;
import io.crowdrank.batch.segments.SegmentExpression.SegmentRef;
import io.crowdrank.batch.segments.SegmentExpression.SpendShare;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Evaluates segment definitions over {@code user_profiles} (and {@code user_aipl} for AIPL
 * predicates) in one pass: each definition becomes a boolean {@link Column}, references to other
 * segments are expanded in place (cycles refused), and the result is one (segment_id, user_id) row
 * per member.
 */
public final class SegmentCompiler {
  /** Prefix of the helper columns holding the AIPL levels an expression needs. */
  private static final String AIPL_PREFIX = "_aipl_";

  private static final String ACTIVITY_TOTAL = "_activity_total";

  private final Map<String, Expr> definitions;
  private final Map<String, String> aiplColumns = new LinkedHashMap<>();

  /**
   * @param definitions every segment's parsed expression, by segment id
   * @throws IllegalArgumentException naming the segment for an unknown reference or a cycle
   */
  public SegmentCompiler(Map<String, Expr> definitions) {
    this.definitions = Map.copyOf(definitions);
    for (String id : definitions.keySet()) {
      checkReferences(id, new ArrayDeque<>());
    }
    definitions.values().forEach(this::collectAipl);
  }

  private void checkReferences(String id, Deque<String> path) {
    if (path.contains(id)) {
      List<String> cycle = new ArrayList<>(path);
      java.util.Collections.reverse(cycle);
      cycle.add(id);
      throw new IllegalArgumentException(
          "segment \"" + cycle.get(0) + "\" refers to itself: " + String.join(" -> ", cycle));
    }
    path.push(id);
    for (String ref : SegmentExpression.references(definitions.get(id))) {
      if (!definitions.containsKey(ref)) {
        throw new IllegalArgumentException(
            "segment \"" + path.peekLast() + "\" refers to unknown segment \"" + ref + "\"");
      }
      checkReferences(ref, path);
    }
    path.pop();
  }

  private void collectAipl(Expr e) {
    if (e instanceof And a) {
      collectAipl(a.left());
      collectAipl(a.right());
    } else if (e instanceof Or o) {
      collectAipl(o.left());
      collectAipl(o.right());
    } else if (e instanceof Not n) {
      collectAipl(n.inner());
    } else if (e instanceof Aipl a) {
      aiplColumns.computeIfAbsent(aiplKey(a), k -> AIPL_PREFIX + aiplColumns.size());
    }
  }

  private static String aiplKey(Aipl a) {
    return (a.merchant() ? SCOPE_MERCHANT : SCOPE_MINI_PROGRAM) + ":" + a.scopeId();
  }

  /**
   * Members of every segment.
   *
   * @param profiles {@code user_profiles}
   * @param aipl {@code user_aipl}
   * @return (segment_id, user_id), one row per member
   */
  public Dataset<Row> members(Dataset<Row> profiles, Dataset<Row> aipl) {
    Dataset<Row> users = withHelpers(profiles, aipl);
    List<Column> tagged = new ArrayList<>();
    definitions.keySet().stream()
        .sorted()
        .forEach(id -> tagged.add(when(column(new SegmentRef(id)), lit(id))));
    if (tagged.isEmpty()) {
      return users.select(lit(null).cast("string").as(SEGMENT_ID), col(USER_ID)).limit(0);
    }
    return users
        .select(col(USER_ID), explode(array(tagged.toArray(Column[]::new))).as(SEGMENT_ID))
        .filter(col(SEGMENT_ID).isNotNull())
        .select(SEGMENT_ID, USER_ID);
  }

  /** Profiles plus the AIPL levels and activity total the expressions need. */
  private Dataset<Row> withHelpers(Dataset<Row> profiles, Dataset<Row> aipl) {
    Dataset<Row> users =
        profiles.withColumn(
            ACTIVITY_TOTAL, Expressions.hourOfWeekTotal(col(HOUR_OF_WEEK_ACTIVITY)));
    if (aiplColumns.isEmpty()) {
      return users;
    }
    Column key = concat_ws(":", col(SCOPE), col(SCOPE_ID));
    Dataset<Row> levels =
        aipl.withColumn("_key", key)
            .filter(col("_key").isin(aiplColumns.keySet().toArray()))
            .groupBy(USER_ID)
            .pivot("_key", new ArrayList<>(aiplColumns.keySet()))
            .agg(max(STAGE_LEVEL));
    for (var e : aiplColumns.entrySet()) {
      levels = levels.withColumnRenamed(e.getKey(), e.getValue());
    }
    return users.join(levels, USER_ID, "left");
  }

  /** A two-valued condition: a user with no value for a field does not match. */
  private Column column(Expr e) {
    if (e instanceof And a) {
      return column(a.left()).and(column(a.right()));
    } else if (e instanceof Or o) {
      return column(o.left()).or(column(o.right()));
    } else if (e instanceof Not n) {
      return not(column(n.inner()));
    } else if (e instanceof SegmentRef r) {
      return column(definitions.get(r.segmentId()));
    } else if (e instanceof Aipl a) {
      return known(compare(col(aiplColumns.get(aiplKey(a))), a.op(), a.level()));
    } else if (e instanceof CityIs c) {
      Column is = col(HOME_CITY).equalTo(c.city());
      return known(c.negated() ? not(is) : is);
    } else if (e instanceof CityIn c) {
      Column in = col(HOME_CITY).isin(c.cities().toArray());
      return known(c.negated() ? not(in) : in);
    } else if (e instanceof Flag f) {
      return known(col(f.field()));
    } else if (e instanceof Compare c) {
      return known(compare(operand(c.operand()), c.op(), c.value()));
    }
    throw new IllegalStateException("unhandled expression " + e);
  }

  private static Column known(Column condition) {
    return coalesce(condition, lit(false));
  }

  private static Column operand(Operand o) {
    if (o instanceof Field f) {
      return switch (f.name()) {
        case "monetary_yuan" -> col(MONETARY_FEN).divide(100.0);
        case "rfm_score" -> col(R_SCORE).plus(col(F_SCORE)).plus(col(M_SCORE));
        default -> col(f.name());
      };
    } else if (o instanceof Interest i) {
      return element_at(col(INTERESTS), lit(i.vertical()));
    } else if (o instanceof SpendShare s) {
      return element_at(col(CATEGORY_SPEND_SHARE), lit(s.category()));
    } else if (o instanceof Activity a) {
      Column in =
          Expressions.sumOfCells(
              col(HOUR_OF_WEEK_ACTIVITY), a.hours().stream().mapToInt(Integer::intValue));
      return when(col(ACTIVITY_TOTAL).gt(0), in.divide(col(ACTIVITY_TOTAL)));
    }
    throw new IllegalStateException("unhandled operand " + o);
  }

  private static Column compare(Column left, SegmentExpression.Op op, double value) {
    return switch (op) {
      case LT -> left.lt(value);
      case LE -> left.leq(value);
      case GT -> left.gt(value);
      case GE -> left.geq(value);
      case EQ -> left.equalTo(value);
      case NE -> left.notEqual(value);
    };
  }
}
