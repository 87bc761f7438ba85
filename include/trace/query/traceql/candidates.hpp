#pragma once
// Which traces can answer a spanset query: a single-span `trace::filter` that some span of
// every answering trace passes. It is handed to the stores' fast paths (find_trace_ids over
// column blocks, zone maps, SQL), so only those traces are read and built into trees.
//
// The filter is a necessary condition, never a sufficient one: exact where our filter means
// the same as TraceQL (name, service, status, kind, duration, regular expressions on name
// and service), "the attribute is present" for attribute comparisons (arrays and scopes
// make anything stricter unsafe), and "any span" where nothing can be said. `!` is pushed
// only over exact parts.

#include <cstdint>
#include <limits>
#include <optional>

#include "trace/query/filter.hpp"
#include "trace/query/traceql/ast.hpp"

namespace trace {
inline namespace v0 {
namespace traceql {

// Exactly the spans a field expression selects, when our filter can say it.
std::optional<filter> exact_filter(const field_expr& e);
// A filter every span the expression selects passes (perhaps others too).
filter necessary_filter(const field_expr& e);
// A filter some span of every trace with an answer passes.
filter candidate_filter(const query& q);

// ---------------------------------------------------------------------------------------

namespace detail {

inline bool is_literal(const field_expr& e, value_type t) {
  return e.shape == field_expr::form::literal && e.type == t;
}

inline std::optional<filter> exact_comparison(const field_expr& e) {
  const field_expr& lhs = e.operands[0];
  const field_expr& rhs = e.operands[1];
  const field_op op = e.ops.front();
  if (lhs.shape != field_expr::form::intrinsic) return std::nullopt;
  const bool equality = op == field_op::eq || op == field_op::ne;
  auto sign = [op](filter f) { return op == field_op::ne || op == field_op::no_match ? !std::move(f) : f; };
  switch (lhs.which) {
    case intrinsic::name:
    case intrinsic::service: {
      const bool name = lhs.which == intrinsic::name;
      if (op == field_op::match || op == field_op::no_match)
        return sign(name ? where::operation_matches(rhs.value.text) : where::service_matches(rhs.value.text));
      if (!equality || !is_literal(rhs, value_type::string)) return std::nullopt;
      return sign(name ? where::operation(rhs.value.text) : where::service(rhs.value.text));
    }
    case intrinsic::status:
      if (!equality || !is_literal(rhs, value_type::status)) return std::nullopt;
      return sign(where::status(rhs.value.status));
    case intrinsic::kind:
      if (!equality || !is_literal(rhs, value_type::kind)) return std::nullopt;
      return sign(where::kind(rhs.value.kind));
    case intrinsic::duration: {
      if (!is_literal(rhs, value_type::duration) || rhs.value.integer < 0) return std::nullopt;
      const auto v = static_cast<duration_ns>(rhs.value.integer);
      constexpr duration_ns top = std::numeric_limits<duration_ns>::max();
      switch (op) {
        case field_op::eq: return filter(filters::duration_within{v, v});
        case field_op::ne: return !filter(filters::duration_within{v, v});
        case field_op::ge: return filter(filters::duration_within{v, top});
        case field_op::le: return filter(filters::duration_within{0, v});
        case field_op::gt: return filter(filters::duration_within{v + 1, top});
        case field_op::lt: return v == 0 ? !filter(filters::match_all{}) : filter(filters::duration_within{0, v - 1});
        default: return std::nullopt;
      }
    }
    default: return std::nullopt;
  }
}

inline std::uint8_t scopes_of(attribute_scope_sel s) {
  switch (s) {
    case attribute_scope_sel::unscoped:
      return static_cast<std::uint8_t>(attribute_scope::span) | static_cast<std::uint8_t>(attribute_scope::resource);
    case attribute_scope_sel::span: return static_cast<std::uint8_t>(attribute_scope::span);
    case attribute_scope_sel::resource: return static_cast<std::uint8_t>(attribute_scope::resource);
    case attribute_scope_sel::event: return static_cast<std::uint8_t>(attribute_scope::event);
    case attribute_scope_sel::link: return static_cast<std::uint8_t>(attribute_scope::link);
    case attribute_scope_sel::instrumentation: return static_cast<std::uint8_t>(attribute_scope::scope);
  }
  return all_attribute_scopes;
}

inline filter necessary_spanset(const spanset_expr& s);

inline filter necessary_pipeline(const pipeline& p) { return necessary_spanset(p.stages.front().spans); }

// A filter some span of every trace where this spanset is not empty passes.
inline filter necessary_spanset(const spanset_expr& s) {
  switch (s.shape) {
    case spanset_expr::form::filter: return s.where ? necessary_filter(*s.where) : filter(filters::match_all{});
    case spanset_expr::form::group: return necessary_pipeline(*s.group);
    case spanset_expr::form::chain: break;
  }
  // Folded left: the running result, then each operator with its right operand.
  filter acc = necessary_spanset(s.operands.front());
  for (std::size_t k = 0; k < s.ops.size(); ++k) {
    filter right = necessary_spanset(s.operands[k + 1]);
    switch (s.ops[k]) {
      case spanset_op::or_: acc = std::move(acc) || std::move(right); break;
      case spanset_op::not_child: case spanset_op::not_descendant: case spanset_op::not_parent:
      case spanset_op::not_ancestor: case spanset_op::not_sibling:
        acc = std::move(right);  // the right side's spans, whatever the left holds
        break;
      default: break;  // && and the other structural forms need the left side: keep its condition
    }
  }
  return acc;
}

}  // namespace detail

inline std::optional<filter> exact_filter(const field_expr& e) {
  switch (e.shape) {
    case field_expr::form::legacy: return *e.where;
    case field_expr::form::compare: return detail::exact_comparison(e);
    case field_expr::form::unary:
      if (e.ops.front() != field_op::not_) return std::nullopt;
      if (auto inner = exact_filter(e.operands.front())) return !std::move(*inner);
      return std::nullopt;
    case field_expr::form::chain: {
      if (e.ops.front() != field_op::and_ && e.ops.front() != field_op::or_) return std::nullopt;
      std::optional<filter> acc;
      for (const field_expr& operand : e.operands) {
        auto f = exact_filter(operand);
        if (!f) return std::nullopt;
        acc = !acc ? std::move(*f) : e.ops.front() == field_op::and_ ? std::move(*acc) && std::move(*f)
                                                                      : std::move(*acc) || std::move(*f);
      }
      return acc;
    }
    default: return std::nullopt;
  }
}

inline filter necessary_filter(const field_expr& e) {
  if (auto exact = exact_filter(e)) return std::move(*exact);
  if (e.shape == field_expr::form::chain && (e.ops.front() == field_op::and_ || e.ops.front() == field_op::or_)) {
    const bool conjunction = e.ops.front() == field_op::and_;
    std::optional<filter> acc;
    for (const field_expr& operand : e.operands) {
      filter f = necessary_filter(operand);
      if (std::holds_alternative<filters::match_all>(f.get())) {
        if (!conjunction) return filters::match_all{};
        continue;
      }
      acc = !acc ? std::move(f) : conjunction ? std::move(*acc) && std::move(f) : std::move(*acc) || std::move(f);
    }
    return acc ? std::move(*acc) : filter(filters::match_all{});
  }
  if (e.shape == field_expr::form::compare) {
    const field_expr& lhs = e.operands[0];
    const field_expr& rhs = e.operands[1];
    const bool absent = (e.ops.front() == field_op::eq) && (lhs.type == value_type::nil || rhs.type == value_type::nil);
    const field_expr& attribute = lhs.shape == field_expr::form::attribute ? lhs : rhs;
    if (!absent && attribute.shape == field_expr::form::attribute && attribute.key != "service.name")
      return where::attribute(attribute.key, detail::scopes_of(attribute.scope)).exists();
  }
  return filters::match_all{};
}

inline filter candidate_filter(const query& q) { return detail::necessary_pipeline(q.spans); }

}  // namespace traceql
}  // namespace v0
}  // namespace trace
