package io.crowdrank.batch.segments;

import io.crowdrank.format.BundleFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The audience language: a parsed, typed expression over profile fields. It is compiled to Spark
 * {@code Column}s by {@link SegmentCompiler}, never pasted into SQL, so a definition cannot inject
 * anything.
 *
 * <pre>
 * expr      := and ('or' and)*                       -- union
 * and       := unary ('and' unary)*                  -- intersection; 'and not' = difference
 * unary     := 'not' unary | '(' expr ')' | predicate
 * predicate := 'segment' '(' STRING ')'              -- members of another segment
 *            | 'aipl' '(' STRING ')' CMP STAGE       -- AIPL stage for a mini-program
 *            | 'merchant_aipl' '(' STRING ')' CMP STAGE
 *            | 'home_city' ('=' | '!=') STRING
 *            | 'home_city' ['not'] 'in' '(' STRING (',' STRING)* ')'
 *            | FLAG                                  -- has_payment, has_social, is_shared
 *            | number CMP NUMBER
 * number    := FIELD                                 -- recency_days, frequency, monetary_yuan,
 *                                                    -- r_score, f_score, m_score, rfm_score
 *            | 'interest' '(' STRING ')'             -- share of social interest in a vertical
 *            | 'spend_share' '(' STRING ')'          -- share of spend in a category
 *            | 'activity' '(' STRING ')'             -- share of activity in hours of the week
 * CMP       := '&lt;' | '&lt;=' | '&gt;' | '&gt;=' | '=' | '!='
 * STAGE     := "awareness" | "interest" | "purchase" | "loyalty"
 * </pre>
 *
 * An hours string is {@code DAYS HOURS}: days {@code mon}..{@code sun}, a range {@code mon-fri},
 * {@code weekday}, {@code weekend} or {@code any}; hours {@code 11-14} (from 11:00 to 14:00 local
 * time). A user with no value for a field (no payments, no interests) does not match a comparison
 * on it, and {@code not} of such a comparison does.
 */
public final class SegmentExpression {
  private SegmentExpression() {}

  /** AIPL stages in order; a stage's level is its position + 1 (as in {@code user_aipl}). */
  public static final List<String> STAGES = List.of("awareness", "interest", "purchase", "loyalty");

  /** Numeric profile fields a comparison may use. */
  public static final Set<String> NUMBER_FIELDS =
      Set.of(
          "recency_days",
          "frequency",
          "monetary_yuan",
          "r_score",
          "f_score",
          "m_score",
          "rfm_score");

  /** Boolean profile fields usable on their own. */
  public static final Set<String> FLAGS = Set.of("has_payment", "has_social", "is_shared");

  private static final List<String> DAYS = List.of("mon", "tue", "wed", "thu", "fri", "sat", "sun");

  // ------------------------------------------------------------------ the tree

  /** A parsed expression. */
  public sealed interface Expr
      permits And, Or, Not, SegmentRef, Aipl, CityIs, CityIn, Flag, Compare {}

  public record And(Expr left, Expr right) implements Expr {}

  public record Or(Expr left, Expr right) implements Expr {}

  public record Not(Expr inner) implements Expr {}

  /** Membership of another segment, by id. */
  public record SegmentRef(String segmentId) implements Expr {}

  /** The user's AIPL stage level for a mini-program or a merchant, compared with a level 1-4. */
  public record Aipl(boolean merchant, String scopeId, Op op, int level) implements Expr {}

  public record CityIs(String city, boolean negated) implements Expr {}

  public record CityIn(List<String> cities, boolean negated) implements Expr {}

  public record Flag(String field) implements Expr {}

  public record Compare(Operand operand, Op op, double value) implements Expr {}

  /** Something numeric about a user. */
  public sealed interface Operand permits Field, Interest, SpendShare, Activity {}

  public record Field(String name) implements Operand {}

  public record Interest(String vertical) implements Operand {}

  public record SpendShare(String category) implements Operand {}

  /** Share of the user's activity in the given hours of the week (sorted cells 0..167). */
  public record Activity(String spec, List<Integer> hours) implements Operand {}

  public enum Op {
    LT("<"),
    LE("<="),
    GT(">"),
    GE(">="),
    EQ("="),
    NE("!=");

    final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }

    static final Map<String, Op> BY_SYMBOL =
        Map.of("<", LT, "<=", LE, ">", GT, ">=", GE, "=", EQ, "!=", NE);
  }

  /** A definition that does not parse; the message quotes it and points at the problem. */
  public static final class ParseException extends IllegalArgumentException {
    private final int position;

    ParseException(String source, int position, String problem) {
      super(
          problem
              + " at column "
              + (position + 1)
              + "\n  "
              + source
              + "\n  "
              + " ".repeat(Math.max(0, position))
              + "^");
      this.position = position;
    }

    /** Zero-based character offset of the problem in the expression. */
    public int position() {
      return position;
    }
  }

  /** Parses one expression. */
  public static Expr parse(String source) {
    if (source == null || source.isBlank()) {
      throw new ParseException(source == null ? "" : source, 0, "empty expression");
    }
    Parser p = new Parser(source);
    Expr e = p.expr();
    if (p.peek().kind != Kind.END) {
      throw p.error(p.peek(), "unexpected " + p.peek().describe() + " after a complete expression");
    }
    return e;
  }

  /** Segment ids the expression refers to with {@code segment("...")}. */
  public static List<String> references(Expr e) {
    List<String> out = new ArrayList<>();
    collect(e, out);
    return out;
  }

  private static void collect(Expr e, List<String> out) {
    if (e instanceof And a) {
      collect(a.left(), out);
      collect(a.right(), out);
    } else if (e instanceof Or o) {
      collect(o.left(), out);
      collect(o.right(), out);
    } else if (e instanceof Not n) {
      collect(n.inner(), out);
    } else if (e instanceof SegmentRef r) {
      out.add(r.segmentId());
    }
  }

  // ------------------------------------------------------------------ tokens

  private enum Kind {
    WORD,
    STRING,
    NUMBER,
    SYMBOL,
    END
  }

  private record Token(Kind kind, String text, int at) {
    String describe() {
      return switch (kind) {
        case END -> "end of expression";
        case STRING -> "string \"" + text + "\"";
        default -> "'" + text + "'";
      };
    }

    boolean is(String s) {
      return (kind == Kind.WORD || kind == Kind.SYMBOL) && text.equals(s);
    }
  }

  private static final class Parser {
    private final String src;
    private final List<Token> tokens = new ArrayList<>();
    private int next;

    Parser(String src) {
      this.src = src;
      tokenize();
    }

    private void tokenize() {
      int i = 0;
      while (i < src.length()) {
        char c = src.charAt(i);
        if (Character.isWhitespace(c)) {
          i++;
        } else if (Character.isLetter(c) || c == '_') {
          int s = i;
          while (i < src.length()
              && (Character.isLetterOrDigit(src.charAt(i)) || src.charAt(i) == '_')) {
            i++;
          }
          tokens.add(new Token(Kind.WORD, src.substring(s, i).toLowerCase(Locale.ROOT), s));
        } else if (Character.isDigit(c) || (c == '.' && i + 1 < src.length())) {
          int s = i;
          while (i < src.length() && (Character.isDigit(src.charAt(i)) || src.charAt(i) == '.')) {
            i++;
          }
          tokens.add(new Token(Kind.NUMBER, src.substring(s, i), s));
        } else if (c == '"' || c == '\'') {
          int s = i++;
          StringBuilder b = new StringBuilder();
          while (i < src.length() && src.charAt(i) != c) {
            b.append(src.charAt(i++));
          }
          if (i >= src.length()) {
            throw new ParseException(src, s, "unterminated string");
          }
          i++;
          tokens.add(new Token(Kind.STRING, b.toString(), s));
        } else if ("<>!=".indexOf(c) >= 0) {
          int s = i++;
          if (i < src.length() && src.charAt(i) == '=') {
            i++;
          }
          String op = src.substring(s, i);
          if (op.equals("!")) {
            throw new ParseException(src, s, "'!' must be followed by '=' (or use 'not')");
          }
          tokens.add(new Token(Kind.SYMBOL, op, s));
        } else if ("(),".indexOf(c) >= 0) {
          tokens.add(new Token(Kind.SYMBOL, String.valueOf(c), i++));
        } else {
          throw new ParseException(src, i, "unexpected character '" + c + "'");
        }
      }
      tokens.add(new Token(Kind.END, "", src.length()));
    }

    Token peek() {
      return tokens.get(next);
    }

    Token take() {
      return tokens.get(next++);
    }

    ParseException error(Token t, String problem) {
      return new ParseException(src, t.at(), problem);
    }

    void expect(String symbol) {
      Token t = take();
      if (!t.is(symbol)) {
        throw error(t, "expected '" + symbol + "' but found " + t.describe());
      }
    }

    Expr expr() {
      Expr e = and();
      while (peek().is("or")) {
        take();
        e = new Or(e, and());
      }
      return e;
    }

    Expr and() {
      Expr e = unary();
      while (peek().is("and")) {
        take();
        e = new And(e, unary());
      }
      return e;
    }

    Expr unary() {
      Token t = peek();
      if (t.is("not")) {
        take();
        return new Not(unary());
      }
      if (t.is("(")) {
        take();
        Expr e = expr();
        expect(")");
        return e;
      }
      return predicate();
    }

    Expr predicate() {
      Token t = take();
      if (t.kind != Kind.WORD) {
        throw error(t, "expected a field, a function or '(' but found " + t.describe());
      }
      switch (t.text()) {
        case "segment" -> {
          return new SegmentRef(argument(t));
        }
        case "aipl", "merchant_aipl" -> {
          String scope = argument(t);
          Token opToken = peek();
          Op op = op();
          Token stage = take();
          int level = STAGES.indexOf(stage.text().toLowerCase(Locale.ROOT)) + 1;
          if (stage.kind != Kind.STRING || level == 0) {
            throw error(
                stage, "expected an AIPL stage " + STAGES + " but found " + stage.describe());
          }
          if (op == null) {
            throw error(opToken, "expected a comparison after " + t.text() + "(...)");
          }
          return new Aipl(t.text().equals("merchant_aipl"), scope, op, level);
        }
        case "home_city" -> {
          return city(t);
        }
        default -> {}
      }
      if (FLAGS.contains(t.text())) {
        return new Flag(t.text());
      }
      Operand operand =
          switch (t.text()) {
            case "interest" -> new Interest(argument(t));
            case "spend_share" -> new SpendShare(argument(t));
            case "activity" -> {
              // Point errors at the quoted hours, just after the '('.
              Token at = tokens.get(Math.min(next + 1, tokens.size() - 1));
              String spec = argument(t);
              yield new Activity(spec, hours(spec, at));
            }
            default -> {
              if (!NUMBER_FIELDS.contains(t.text())) {
                throw error(
                    t,
                    "unknown field '"
                        + t.text()
                        + "' (fields: "
                        + String.join(", ", sorted(NUMBER_FIELDS))
                        + ", "
                        + String.join(", ", sorted(FLAGS))
                        + ", home_city; functions: interest, spend_share, activity, aipl,"
                        + " merchant_aipl, segment)");
              }
              yield new Field(t.text());
            }
          };
      Token opToken = peek();
      Op op = op();
      if (op == null) {
        throw error(
            opToken, "expected a comparison (<, <=, >, >=, =, !=) after '" + t.text() + "'");
      }
      Token n = take();
      if (n.kind != Kind.NUMBER) {
        throw error(n, "expected a number after '" + op.symbol + "' but found " + n.describe());
      }
      double value;
      try {
        value = Double.parseDouble(n.text());
      } catch (NumberFormatException e) {
        throw error(n, "'" + n.text() + "' is not a number");
      }
      return new Compare(operand, op, value);
    }

    private Expr city(Token field) {
      boolean negated = false;
      if (peek().is("not")) {
        take();
        negated = true;
        if (!peek().is("in")) {
          throw error(peek(), "expected 'in' after 'home_city not'");
        }
      }
      if (peek().is("in")) {
        take();
        expect("(");
        List<String> cities = new ArrayList<>();
        do {
          cities.add(string("a city"));
        } while (peek().is(",") && take() != null);
        expect(")");
        return new CityIn(List.copyOf(cities), negated);
      }
      Token opToken = take();
      if (!opToken.is("=") && !opToken.is("!=")) {
        throw error(
            opToken,
            "expected '=', '!=' or 'in' after 'home_city' but found " + opToken.describe());
      }
      return new CityIs(string("a city"), opToken.is("!="));
    }

    private Op op() {
      Token t = peek();
      Op op = t.kind == Kind.SYMBOL ? Op.BY_SYMBOL.get(t.text()) : null;
      if (op != null) {
        take();
      }
      return op;
    }

    private String argument(Token function) {
      Token open = take();
      if (!open.is("(")) {
        throw error(open, "expected '(' after '" + function.text() + "'");
      }
      String s = string("a quoted argument to " + function.text());
      expect(")");
      return s;
    }

    private String string(String what) {
      Token t = take();
      if (t.kind != Kind.STRING || t.text().isBlank()) {
        throw error(t, "expected " + what + " but found " + t.describe());
      }
      return t.text();
    }

    /** Hour-of-week cells of an hours string such as "weekday 11-14". */
    private List<Integer> hours(String spec, Token at) {
      String[] parts = spec.trim().toLowerCase(Locale.ROOT).split("\\s+");
      if (parts.length != 2) {
        throw error(
            at, "hours must be 'DAYS FROM-TO', e.g. \"weekday 11-14\", got \"" + spec + "\"");
      }
      List<Integer> days =
          switch (parts[0]) {
            case "any" -> List.of(0, 1, 2, 3, 4, 5, 6);
            case "weekday" -> List.of(0, 1, 2, 3, 4);
            case "weekend" -> List.of(5, 6);
            default -> {
              String[] range = parts[0].split("-");
              int from = DAYS.indexOf(range[0]);
              int to = range.length == 2 ? DAYS.indexOf(range[1]) : from;
              if (range.length > 2 || from < 0 || to < from) {
                throw error(
                    at,
                    "days must be any, weekday, weekend, a day (mon..sun) or a range such as"
                        + " mon-fri, got \""
                        + parts[0]
                        + "\"");
              }
              List<Integer> d = new ArrayList<>();
              for (int x = from; x <= to; x++) {
                d.add(x);
              }
              yield d;
            }
          };
      String[] h = parts[1].split("-");
      int from;
      int to;
      try {
        from = Integer.parseInt(h[0]);
        to = h.length == 2 ? Integer.parseInt(h[1]) : -1;
      } catch (NumberFormatException e) {
        from = -1;
        to = -1;
      }
      if (h.length != 2 || from < 0 || to > 24 || from >= to) {
        throw error(
            at, "hours must be FROM-TO with 0 <= FROM < TO <= 24, got \"" + parts[1] + "\"");
      }
      List<Integer> cells = new ArrayList<>();
      for (int d : days) {
        for (int x = from; x < to; x++) {
          cells.add(d * 24 + x);
        }
      }
      assert cells.stream().allMatch(c -> c < BundleFormat.HOURS_PER_WEEK);
      return List.copyOf(cells);
    }
  }

  private static List<String> sorted(Set<String> s) {
    return s.stream().sorted().toList();
  }
}
