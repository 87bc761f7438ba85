#pragma once
// The parts of a TraceQL query that ClickHouse can answer, as SQL over the columns of
// schema.hpp: which traces may answer the query. The statement `candidate_spans_sql` builds
//
//   SELECT <columns> FROM <table> WHERE <candidate filter>
//     AND TraceId IN (SELECT TraceId FROM <local table> GROUP BY TraceId HAVING <trace test>)
//
// returns the spans search and metrics start from (pushed_candidates.hpp); for queries
// that need trees, every span of those traces comes in the same one answer. Every condition
// is necessary, never sufficient: a trace with an answer always passes it, and the library
// then evaluates the whole query on what came back, so the answer is the generic one.
//
// Pushed (docs/QUERY.md has the table):
//   - span fields compared with a literal (= != < <= > >=): name, status, statusMessage,
//     kind, duration, span:id, span:parentID, trace:id, resource.service.name,
//     instrumentation:name|version, event:name and link:traceID|spanID (= only);
//   - span/resource/instrumentation attributes compared with strings, integers, durations
//     and booleans (text and type columns; arrays and doubles by type only), `= nil`,
//     `!= nil`; event and link attributes by presence;
//   - `=~` as ClickHouse's match() with the pattern anchored (both engines are RE2's
//     syntax; kept a superset: never under `!`, and `!~` not pushed);
//   - `&&`, `||` and `!` inside a filter (`!` only over exact parts);
//   - per trace (HAVING): a spanset's filter needs one span passing it; `&&` between
//     spansets needs both, `||` either, structural operators both sides (`!>` forms the
//     right one); `| count() > n` (and >=, =) over a first filter; trace:duration;
//     trace:rootName / trace:rootService against a span without a parent.
// In the library only: arithmetic, comparisons of two fields, childCount, event times,
// aggregates other than count(), by(), coalesce(), select(), the structure itself.
//
// ClickHouse 18.16 has everything used: arrayExists with lambdas over parallel arrays,
// has, notEmpty, match, toInt64OrZero, countIf, IN with a subquery.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "trace/query/traceql/ast.hpp"
#include "trace/query/traceql/candidates.hpp"
#include "trace/store/clickhouse/pushdown.hpp"
#include "trace/store/clickhouse/schema.hpp"
#include "trace/store/clickhouse/sql.hpp"

namespace trace {
inline namespace v0 {
namespace clickhouse {

// The HAVING condition on a trace's spans that every trace answering `q` passes; "1" when
// nothing can be said.
std::string traceql_trace_test(const traceql::query& q);

// The longest condition a statement carries (bytes); a longer one is left to the library.
inline constexpr std::size_t max_pushed_condition = 64 * 1024;

// The statement that reads the candidate spans of `q` (RowBinary): those passing
// `candidates`, or with `whole_traces` every span of the candidate traces, ordered by trace,
// then as find_trace orders a trace. `table` is the span table, `local_table` the table on
// one shard (the same table without a cluster): a trace lives whole on one shard, so its
// test runs there.
std::string candidate_spans_sql(const traceql::query& q, const filter& candidates, bool whole_traces,
                                const std::string& table, const std::string& local_table);

// ---------------------------------------------------------------------------------------

namespace detail {

// A filter inside braces, for one span s: F(s) implies span(s) and trace(s's trace).
// `exact`: F(s) is exactly span(s) (and trace is "1").
struct traceql_condition {
  std::string span = "1";
  std::string trace = "1";
  bool exact = false;
};

inline traceql_condition unknown() { return {}; }

// a AND b, a OR b, dropping the conditions that say nothing ("1").
inline std::string both(const std::string& a, const std::string& b) {
  if (a == "1") return b;
  if (b == "1") return a;
  return "(" + a + " AND " + b + ")";
}
inline std::string either(const std::string& a, const std::string& b) {
  if (a == "1" || b == "1") return "1";
  return "(" + a + " OR " + b + ")";
}
// Some span of the trace passes `span`.
inline std::string some_span(const std::string& span) { return span == "1" ? "1" : "countIf(" + span + ") > 0"; }
inline traceql_condition exact_span(std::string text) { return {std::move(text), "1", true}; }
inline traceql_condition superset_span(std::string text) { return {std::move(text), "1", false}; }

inline const char* sql_operator(traceql::field_op op) {
  using traceql::field_op;
  switch (op) {
    case field_op::eq: return " = ";
    case field_op::ne: return " != ";
    case field_op::lt: return " < ";
    case field_op::le: return " <= ";
    case field_op::gt: return " > ";
    case field_op::ge: return " >= ";
    default: return nullptr;
  }
}

// `a OP b` read as `b OP' a`.
inline traceql::field_op mirrored(traceql::field_op op) {
  using traceql::field_op;
  switch (op) {
    case field_op::lt: return field_op::gt;
    case field_op::le: return field_op::ge;
    case field_op::gt: return field_op::lt;
    case field_op::ge: return field_op::le;
    default: return op;
  }
}

// The pattern as ClickHouse's match() reads it: a whole-text match, as TraceQL's.
inline std::string anchored(const std::string& pattern) { return quote("^(?:" + pattern + ")$"); }

// The types of attribute_value's alternatives, as span_rows.hpp stores them.
enum attribute_type : int { t_bool, t_int, t_double, t_string, t_bools, t_ints, t_doubles, t_strings };

// One attribute list (keys, values, types) against `OP literal`: the scalar of the right
// type compared exactly; arrays and doubles let through by type for the library to decide.
inline std::string attribute_list_test(const std::string& prefix, const std::string& key, traceql::field_op op,
                                       const traceql::literal& value) {
  using traceql::field_op;
  using traceql::value_type;
  const std::string keys = prefix + "AttributeKeys", values = prefix + "AttributeValues", types = prefix + "AttributeTypes";
  auto exists = [&](const std::string& test) {
    return "arrayExists((k, v, t) -> k = " + quote(key) + " AND (" + test + "), " + keys + ", " + values + ", " + types + ")";
  };
  const char* sql_op = sql_operator(op);
  switch (value.type) {
    case value_type::string:
      if (op == field_op::match) return exists("(t = 3 AND match(v, " + anchored(value.text) + ")) OR t = 7");
      if (!sql_op) break;
      return exists("(t = 3 AND v" + std::string(sql_op) + quote(value.text) + ") OR t = 7");
    case value_type::integer:
    case value_type::duration:
      if (!sql_op) break;
      return exists("(t = 1 AND toInt64OrZero(v)" + std::string(sql_op) + std::to_string(value.integer) +
                    ") OR t IN (2, 5, 6)");
    case value_type::floating: return exists("t IN (1, 2, 5, 6)");
    case value_type::boolean:
      if (op != field_op::eq && op != field_op::ne) return exists("t IN (0, 4)");
      return exists("(t = 0 AND v" + std::string(sql_op) + quote(value.boolean ? "true" : "false") + ") OR t = 4");
    default: break;
  }
  return "has(" + keys + ", " + quote(key) + ")";
}

// Presence of the attribute in one scope.
inline std::string attribute_present(traceql::attribute_scope_sel scope, const std::string& key) {
  using traceql::attribute_scope_sel;
  switch (scope) {
    case attribute_scope_sel::span: return "has(SpanAttributeKeys, " + quote(key) + ")";
    case attribute_scope_sel::resource: return "has(ResourceAttributeKeys, " + quote(key) + ")";
    case attribute_scope_sel::instrumentation: return "has(ScopeAttributeKeys, " + quote(key) + ")";
    case attribute_scope_sel::event: return "arrayExists(keys -> has(keys, " + quote(key) + "), `Events.AttributeKeys`)";
    case attribute_scope_sel::link: return "arrayExists(keys -> has(keys, " + quote(key) + "), `Links.AttributeKeys`)";
    case attribute_scope_sel::unscoped:
      return "(has(SpanAttributeKeys, " + quote(key) + ") OR has(ResourceAttributeKeys, " + quote(key) + "))";
  }
  return "1";
}

inline traceql_condition attribute_condition(const traceql::field_expr& attribute, traceql::field_op op,
                                             const traceql::literal& value) {
  using traceql::attribute_scope_sel;
  using traceql::field_op;
  const std::string& key = attribute.key;
  // resource.service.name is the ServiceName column, always present; unscoped, a span
  // attribute of that name comes first.
  const bool service = key == "service.name" &&
                       (attribute.scope == attribute_scope_sel::resource || attribute.scope == attribute_scope_sel::unscoped);
  if (value.type == traceql::value_type::nil) {
    if (service) return exact_span(op == field_op::eq ? "0" : "1");
    std::string present = attribute_present(attribute.scope, key);
    return exact_span(op == field_op::eq ? "NOT " + present : present);
  }
  if (op == field_op::no_match) return unknown();
  std::string service_test;
  if (service && value.type == traceql::value_type::string) {
    if (op == field_op::match) service_test = "match(ServiceName, " + anchored(value.text) + ")";
    else if (const char* sql_op = sql_operator(op)) service_test = "ServiceName" + std::string(sql_op) + quote(value.text);
  }
  switch (attribute.scope) {
    case attribute_scope_sel::span:
      return superset_span(attribute_list_test("Span", key, op, value));
    case attribute_scope_sel::instrumentation:
      return superset_span(attribute_list_test("Scope", key, op, value));
    case attribute_scope_sel::resource:
      if (service) return service_test.empty() ? unknown() : superset_span(service_test);
      return superset_span(attribute_list_test("Resource", key, op, value));
    case attribute_scope_sel::unscoped: {
      std::string other = service ? service_test : attribute_list_test("Resource", key, op, value);
      if (other.empty()) return unknown();
      return superset_span("(" + attribute_list_test("Span", key, op, value) + " OR " + other + ")");
    }
    case attribute_scope_sel::event:
    case attribute_scope_sel::link: return superset_span(attribute_present(attribute.scope, key));
  }
  return unknown();
}

// A column of text compared with a string literal: exact, byte by byte, as the library.
inline traceql_condition text_condition(const char* column, traceql::field_op op, const traceql::literal& value) {
  if (value.type != traceql::value_type::string) return unknown();
  if (op == traceql::field_op::match) return superset_span("match(" + std::string(column) + ", " + anchored(value.text) + ")");
  const char* sql_op = sql_operator(op);
  if (!sql_op) return unknown();
  return exact_span(std::string(column) + sql_op + quote(value.text));
}

// A root span (no parent) of the trace passes `test`: a trace-level necessary condition
// (the trace's root is one of its spans without a parent).
inline traceql_condition root_condition(const char* column, traceql::field_op op, const traceql::literal& value) {
  traceql_condition on_root = text_condition(column, op, value);
  if (on_root.span == "1") return unknown();
  return {"1", "countIf(ParentSpanId = '' AND " + on_root.span + ") > 0", false};
}

inline traceql_condition intrinsic_condition(traceql::intrinsic which, traceql::field_op op, const traceql::literal& value) {
  using traceql::field_op;
  using traceql::intrinsic;
  using traceql::value_type;
  const bool equality = op == field_op::eq || op == field_op::ne;
  auto whole = [&](const char* column) -> traceql_condition {
    const char* sql_op = sql_operator(op);
    if (!sql_op || (value.type != value_type::duration && value.type != value_type::integer)) return unknown();
    // The columns are unsigned: a negative bound decides the test for every span.
    if (value.integer < 0) return exact_span(op == field_op::ne || op == field_op::gt || op == field_op::ge ? "1" : "0");
    return exact_span(std::string(column) + sql_op + std::to_string(value.integer));
  };
  auto in_array = [&](const char* column) -> traceql_condition {
    if (value.type != value_type::string) return unknown();
    if (op == field_op::eq) return exact_span("has(" + std::string(column) + ", " + quote(value.text) + ")");
    return superset_span("notEmpty(" + std::string(column) + ")");
  };
  switch (which) {
    case intrinsic::name: return text_condition("SpanName", op, value);
    case intrinsic::service: return text_condition("ServiceName", op, value);
    case intrinsic::status_message: return text_condition("StatusMessage", op, value);
    case intrinsic::span_id: return text_condition("SpanId", op, value);
    case intrinsic::trace_id: return text_condition("TraceId", op, value);
    case intrinsic::scope_name: return text_condition("ScopeName", op, value);
    case intrinsic::scope_version: return text_condition("ScopeVersion", op, value);
    case intrinsic::parent_id: {  // no parent: no value, stored as ''
      traceql_condition c = text_condition("ParentSpanId", op, value);
      if (c.span == "1") return c;
      return {"(ParentSpanId != '' AND " + c.span + ")", "1", c.exact};
    }
    case intrinsic::status:
      if (!equality || value.type != value_type::status) return unknown();
      return exact_span("StatusCode" + std::string(sql_operator(op)) + std::to_string(static_cast<int>(value.status)));
    case intrinsic::kind:
      if (!equality || value.type != value_type::kind) return unknown();
      return exact_span("SpanKind" + std::string(sql_operator(op)) + std::to_string(static_cast<int>(value.kind)));
    case intrinsic::duration: return whole("Duration");
    case intrinsic::start: return whole("Timestamp");
    case intrinsic::event_name: return in_array("`Events.Name`");
    case intrinsic::link_trace_id: return in_array("`Links.TraceId`");
    case intrinsic::link_span_id: return in_array("`Links.SpanId`");
    case intrinsic::trace_duration: {
      traceql_condition c = whole("(max(Timestamp + Duration) - min(Timestamp))");
      return {"1", c.span, false};
    }
    case intrinsic::root_name: return root_condition("SpanName", op, value);
    case intrinsic::root_service: return root_condition("ServiceName", op, value);
    case intrinsic::child_count:
    case intrinsic::event_time_since_start: return unknown();
  }
  return unknown();
}

inline traceql_condition field_condition(const traceql::field_expr& e);

inline traceql_condition compare_condition(const traceql::field_expr& e) {
  using traceql::field_expr;
  const field_expr& lhs = e.operands[0];
  const field_expr& rhs = e.operands[1];
  traceql::field_op op = e.ops.front();
  const bool literal_left = lhs.shape == field_expr::form::literal;
  const field_expr& field = literal_left ? rhs : lhs;
  const field_expr& literal = literal_left ? lhs : rhs;
  if (literal.shape != field_expr::form::literal) return unknown();
  if (literal_left) op = mirrored(op);
  if (field.shape == field_expr::form::intrinsic) {
    if (literal.value.type == traceql::value_type::nil) return unknown();
    return intrinsic_condition(field.which, op, literal.value);
  }
  if (field.shape == field_expr::form::attribute) return attribute_condition(field, op, literal.value);
  return unknown();
}

inline traceql_condition field_condition(const traceql::field_expr& e) {
  using traceql::field_expr;
  using traceql::field_op;
  switch (e.shape) {
    case field_expr::form::legacy: {
      sql_condition c = to_sql(*e.where);
      return {c.text, "1", c.exact};
    }
    case field_expr::form::compare: return compare_condition(e);
    case field_expr::form::unary: {
      if (e.ops.front() != field_op::not_) return unknown();
      traceql_condition inner = field_condition(e.operands.front());
      if (!inner.exact) return unknown();  // the negation of a superset bounds nothing
      return exact_span("NOT (" + inner.span + ")");
    }
    case field_expr::form::chain: {
      if (e.ops.front() != field_op::and_ && e.ops.front() != field_op::or_) return unknown();
      const bool conjunction = e.ops.front() == field_op::and_;
      traceql_condition out = field_condition(e.operands.front());
      for (std::size_t k = 1; k < e.operands.size(); ++k) {
        traceql_condition part = field_condition(e.operands[k]);
        out.span = conjunction ? both(out.span, part.span) : either(out.span, part.span);
        out.trace = conjunction ? both(out.trace, part.trace) : either(out.trace, part.trace);
        out.exact = out.exact && part.exact;
      }
      return out;
    }
    default: return unknown();
  }
}

// What a trace needs for a spanset (or pipeline) to be non-empty in it.
inline std::string spanset_test(const traceql::spanset_expr& s);

inline std::string filter_test(const std::optional<traceql::field_expr>& where, const std::string& also = "1") {
  if (!where) return some_span(also);
  traceql_condition c = field_condition(*where);
  return both(some_span(both(c.span, also)), c.trace);
}

inline std::string pipeline_test(const traceql::pipeline& p) {
  using traceql::pipeline_stage;
  const traceql::spanset_expr& first = p.stages.front().spans;
  std::string out = spanset_test(first);
  const bool from_filter = first.shape == traceql::spanset_expr::form::filter;
  const std::string first_spans = from_filter && first.where ? field_condition(*first.where).span : "1";
  for (std::size_t k = 1; k < p.stages.size(); ++k) {
    const pipeline_stage& stage = p.stages[k];
    if (stage.shape == pipeline_stage::form::spanset) {
      // A later filter keeps spans of the first: one span must pass both.
      if (from_filter && stage.spans.shape == traceql::spanset_expr::form::filter)
        out = both(out, filter_test(stage.spans.where, first_spans));
      else
        out = both(out, spanset_test(stage.spans));
      continue;
    }
    // count() > n (>= n, = n): a spanset holds at most the spans passing the first filter.
    if (stage.shape != pipeline_stage::form::scalar_filter || !from_filter) continue;
    const traceql::field_expr& test = *stage.test;
    if (test.shape != traceql::field_expr::form::compare) continue;
    const traceql::field_expr& lhs = test.operands[0];
    const traceql::field_expr& rhs = test.operands[1];
    if (lhs.shape != traceql::field_expr::form::aggregate || lhs.aggregate != traceql::aggregate_fn::count ||
        rhs.shape != traceql::field_expr::form::literal || rhs.value.type != traceql::value_type::integer)
      continue;
    switch (test.ops.front()) {
      case traceql::field_op::gt: out = both(out, "countIf(" + first_spans + ") > " + std::to_string(rhs.value.integer)); break;
      case traceql::field_op::ge:
      case traceql::field_op::eq: out = both(out, "countIf(" + first_spans + ") >= " + std::to_string(rhs.value.integer)); break;
      default: break;
    }
  }
  return out;
}

inline std::string spanset_test(const traceql::spanset_expr& s) {
  using traceql::spanset_expr;
  using traceql::spanset_op;
  switch (s.shape) {
    case spanset_expr::form::filter: return filter_test(s.where);
    case spanset_expr::form::group: return pipeline_test(*s.group);
    case spanset_expr::form::chain: break;
  }
  std::string acc = spanset_test(s.operands.front());
  for (std::size_t k = 0; k < s.ops.size(); ++k) {
    std::string right = spanset_test(s.operands[k + 1]);
    switch (s.ops[k]) {
      case spanset_op::or_: acc = either(acc, right); break;
      case spanset_op::not_child: case spanset_op::not_descendant: case spanset_op::not_parent:
      case spanset_op::not_ancestor: case spanset_op::not_sibling:
        acc = right;  // the right side's spans, whatever the left holds
        break;
      default: acc = both(acc, right); break;  // && and structure: both sides
    }
  }
  return acc;
}

}  // namespace detail

inline std::string traceql_trace_test(const traceql::query& q) { return detail::pipeline_test(q.spans); }

inline std::string candidate_spans_sql(const traceql::query& q, const filter& candidates, bool whole_traces,
                                       const std::string& table, const std::string& local_table) {
  // A condition past the bound is left out (every span passes it): ClickHouse refuses
  // statements over its max_query_size (256 KiB), and a query may be 1 MiB of text.
  auto bounded = [](std::string condition) { return condition.size() > max_pushed_condition ? std::string("1") : condition; };
  const std::string where = bounded(to_sql(candidates).text);
  std::string trace_test = bounded(traceql_trace_test(q));
  std::string sql = "SELECT " + column_list() + " FROM " + table + " WHERE ";
  if (whole_traces) {
    // Every span of the traces with a candidate span, each trace in find_trace's order.
    trace_test = detail::both(detail::some_span(where), trace_test);
    if (trace_test == "1") return sql + "1 ORDER BY TraceId, Timestamp, SpanId FORMAT RowBinary";
    return sql + "TraceId IN (SELECT TraceId FROM " + local_table + " GROUP BY TraceId HAVING " + trace_test +
           ") ORDER BY TraceId, Timestamp, SpanId FORMAT RowBinary";
  }
  sql += where;
  if (trace_test != "1")
    sql += " AND TraceId IN (SELECT TraceId FROM " + local_table + " GROUP BY TraceId HAVING " + trace_test + ")";
  return sql + " FORMAT RowBinary";
}

}  // namespace clickhouse
}  // namespace v0
}  // namespace trace
