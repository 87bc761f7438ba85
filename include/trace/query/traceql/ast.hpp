#pragma once
// The syntax tree of a TraceQL query, as `parse_traceql_query` (query/traceql.hpp) builds it:
//
//   query      = pipeline [ "|" metrics [ "|" topk|bottomk ] ] [ with(...) ]
//   pipeline   = stage { "|" stage }            spansets, scalar filters, by, coalesce, select
//   spanset    = "{" field "}" | "(" pipeline ")" | spanset op spanset
//   field      = literals, attributes, intrinsics, arithmetic, comparisons, && || !
//
// Chains of one operator level (`a + b - c`, `{a} > {b} > {c}`, `x && y && z`) are one flat
// node folded left to right, so a long query stays shallow: only parentheses and `!` nest,
// and the parser bounds both (max_query_nesting). Every node keeps the byte offset where it
// was written, for errors that point at it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "trace/core/status.hpp"
#include "trace/query/filter.hpp"  // trace::filter: the bare `--where` form
#include "trace/query/regex.hpp"

namespace trace {
inline namespace v0 {
namespace traceql {

// Static types, as Tempo's validation sees them. `attribute` is an attribute's value,
// unknown until read, so it is compatible with every other type.
enum class value_type : std::uint8_t { nil, boolean, integer, floating, string, duration, status, kind, attribute };

constexpr const char* to_string(value_type t) noexcept {
  switch (t) {
    case value_type::nil: return "nil";
    case value_type::boolean: return "boolean";
    case value_type::integer: return "integer";
    case value_type::floating: return "float";
    case value_type::string: return "string";
    case value_type::duration: return "duration";
    case value_type::status: return "status";
    case value_type::kind: return "kind";
    case value_type::attribute: return "attribute";
  }
  return "value";
}

// "a string", "an integer": the type with its article, for messages.
inline std::string a_type(value_type t) {
  const std::string name = to_string(t);
  return (name[0] == 'a' || name[0] == 'i' ? "an " : "a ") + name;
}

// Fields every span has (or its trace, event, link or scope), by their TraceQL names.
enum class intrinsic : std::uint8_t {
  name, status, status_message, kind, duration, child_count, span_id, parent_id,
  service, start,  // ours: `service` is resource.service.name, `start` the span's start time
  trace_duration, root_name, root_service, trace_id,
  event_name, event_time_since_start, link_trace_id, link_span_id,
  scope_name, scope_version
};

// Where `scope.key` looks: `.key` (unscoped) reads the span's attribute, else the resource's.
enum class attribute_scope_sel : std::uint8_t { unscoped, span, resource, event, link, instrumentation };

enum class field_op : std::uint8_t {
  or_, and_, not_, negate, eq, ne, lt, le, gt, ge, match, no_match, add, sub, mul, div, mod, pow
};

enum class aggregate_fn : std::uint8_t { count, avg, min, max, sum };

struct literal {
  value_type type = value_type::nil;
  bool boolean = false;
  std::int64_t integer = 0;  // also a duration, in nanoseconds
  double floating = 0;
  std::string text{};
  status_code status = status_code::unset;
  span_kind kind = span_kind::unspecified;
};

// An expression inside `{ }`, or a scalar expression of a pipeline (with aggregates).
struct field_expr {
  enum class form : std::uint8_t { literal, intrinsic, attribute, unary, chain, compare, aggregate, legacy };
  form shape = form::literal;
  value_type type = value_type::boolean;  // static type
  std::size_t offset = 0;                 // where it starts in the query (0-based bytes)
  literal value{};                        // literal
  intrinsic which = intrinsic::name;      // intrinsic
  attribute_scope_sel scope = attribute_scope_sel::unscoped;  // attribute
  std::string key{};                                          // attribute
  aggregate_fn aggregate = aggregate_fn::count;               // aggregate
  // unary: ops[0] operands[0]; chain: operands[0] ops[0] operands[1] ops[1] ...;
  // compare: operands[0] ops[0] operands[1]; aggregate: its argument in operands[0] (none for count).
  std::vector<field_expr> operands{};
  std::vector<field_op> ops{};
  std::shared_ptr<const regex> pattern{};  // compare with =~ / !~
  std::shared_ptr<const filter> where{};   // legacy: a bare `--where` filter
};

// Operators between spansets. For `a OP b`, the plain forms return b's spans that stand in
// the relation to some span of a; `&` forms return both sides' spans that do; `!` forms
// return b's spans that do not.
enum class spanset_op : std::uint8_t {
  and_, or_,
  child, descendant, parent, ancestor, sibling,
  union_child, union_descendant, union_parent, union_ancestor, union_sibling,
  not_child, not_descendant, not_parent, not_ancestor, not_sibling
};

struct pipeline;

struct spanset_expr {
  enum class form : std::uint8_t { filter, chain, group };
  form shape = form::filter;
  std::size_t offset = 0;
  std::optional<field_expr> where{};           // filter; empty for `{ }`
  std::vector<spanset_expr> operands{};        // chain
  std::vector<spanset_op> ops{};               // chain
  std::shared_ptr<const pipeline> group{};     // `( pipeline )`
};

struct pipeline_stage {
  enum class form : std::uint8_t { spanset, scalar_filter, by, coalesce, select };
  form shape = form::spanset;
  std::size_t offset = 0;
  spanset_expr spans{};              // spanset
  std::optional<field_expr> test{};  // scalar_filter: a comparison of aggregates and literals
  std::vector<field_expr> fields{};  // by, select
  std::vector<std::string> names{};  // by, select: the fields as written
};

struct pipeline {
  std::vector<pipeline_stage> stages{};
};

enum class metrics_fn : std::uint8_t {
  rate, count_over_time, sum_over_time, min_over_time, max_over_time, avg_over_time, quantile_over_time,
  histogram_over_time
};

struct metrics_stage {
  metrics_fn fn = metrics_fn::rate;
  std::size_t offset = 0;
  std::optional<field_expr> value{};  // the measured field (all but rate and count_over_time)
  std::vector<double> quantiles{};    // quantile_over_time
  std::vector<field_expr> by{};
  std::vector<std::string> by_names{};
};

struct second_stage {
  enum class form : std::uint8_t { none, topk, bottomk };
  form shape = form::none;
  std::size_t k = 0;
};

struct hint {
  std::string name;
  literal value;
};

struct query {
  pipeline spans{};
  std::optional<metrics_stage> metrics{};
  second_stage second{};
  std::vector<hint> hints{};
  bool most_recent() const {
    for (const hint& h : hints)
      if (h.name == "most_recent" && h.value.type == value_type::boolean) return h.value.boolean;
    return false;
  }
};

}  // namespace traceql
}  // namespace v0
}  // namespace trace
