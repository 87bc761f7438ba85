#pragma once
// Evaluating a TraceQL pipeline on one trace. The trace is built into a tree once
// (tree/trace_tree.hpp); trace-level intrinsics are computed once; a spanset is a mask over
// the trace's spans, and every structural operator is one or two passes over the tree, so a
// query costs O(spans × query size) per trace, never quadratic in the spans.
//
// Spans the tree leaves out (a repeated span id) still match filters, but stand in no
// relation to any other span. Orphans (parent missing) are roots: they have no parent.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "trace/core/span_traits.hpp"
#include "trace/query/filter.hpp"
#include "trace/query/traceql/ast.hpp"
#include "trace/query/traceql/value.hpp"
#include "trace/tree/trace_tree.hpp"

namespace trace {
inline namespace v0 {
namespace traceql {

using span_mask = std::vector<char>;  // one flag per span of the trace, in the tree's order

// A group of matching spans of one trace (their indices, ascending); `by` holds the labels
// of a by() that formed it. Lists, not masks: a by() into many groups stays O(spans).
struct spanset_indices {
  std::vector<std::uint32_t> spans;
  std::vector<std::pair<std::string, std::string>> by{};
};

template <span_like S>
class trace_evaluator {
 public:
  explicit trace_evaluator(const trace_tree<S>& tree);
  // Without a tree, for queries that read each span on its own (span_local.hpp): no span has
  // a parent, children or a root, and the trace is only these spans.
  explicit trace_evaluator(std::span<const S> spans);

  // The spansets a pipeline leaves (empty ones dropped), starting from every span.
  std::vector<spanset_indices> run(const pipeline& p);

  // Trace-level facts, computed once.
  std::optional<std::size_t> root() const noexcept { return root_; }
  timestamp_ns start() const noexcept { return start_; }
  duration_ns duration() const noexcept { return end_ - start_; }

  // The values of a field on span i (several for arrays, events and links).
  bool values(const field_expr& e, std::size_t i, value_sink sink);
  // The first value, or nil; its text stays valid until the next call.
  scalar first_value(const field_expr& e, std::size_t i);
  bool test(const field_expr& e, std::size_t i);

 private:
  std::vector<spanset_indices> run(const pipeline& p, const span_mask& input);
  span_mask spanset(const spanset_expr& e, const span_mask& input);
  span_mask combine(spanset_op op, const span_mask& a, const span_mask& b);
  bool compare(const field_expr& e, std::size_t i);
  bool intrinsic_values(intrinsic which, std::size_t i, value_sink sink);
  bool attribute_values(const field_expr& e, std::size_t i, value_sink sink);
  scalar aggregate(const field_expr& e);
  std::string group_key(const std::vector<field_expr>& fields, std::size_t i,
                        std::vector<std::pair<std::string, std::string>>* labels, const std::vector<std::string>& names);

  // Relations, as masks over every span: span i has its parent / a child / an ancestor /
  // a descendant / a sibling in `x`.
  std::size_t parent_of(std::size_t i) const {
    if (!tree_) return trace_tree<S>::npos;
    const auto& n = tree_->node_at(i);
    return n.in_tree ? n.parent : trace_tree<S>::npos;
  }
  span_mask parent_in(const span_mask& x) const;
  span_mask child_in(const span_mask& x) const;
  span_mask ancestor_in(const span_mask& x) const;
  span_mask descendant_in(const span_mask& x) const;
  span_mask sibling_in(const span_mask& x) const;

  std::span<const S> spans_;
  const trace_tree<S>* tree_ = nullptr;  // null: spans read one at a time (span_local.hpp)
  std::vector<std::size_t> preorder_;  // spans in the tree, parents before children
  std::optional<std::size_t> root_;
  timestamp_ns start_ = 0;
  timestamp_ns end_ = 0;
  const std::vector<std::uint32_t>* aggregate_over_ = nullptr;  // the spanset a scalar filter reads
  std::string first_text_;  // the text of first_value's answer, valid until its next call
};

namespace detail {

// Events and links are not part of `span_like`; read them from the library's span or from
// a store's span through materialize(), and from no other type.
template <class S, class F>
void with_full_span(const S& s, F&& f) {
  if constexpr (requires { s.events; s.links; }) f(s);
  else if constexpr (requires { s.materialize(); }) f(s.materialize());
}

template <class F>
bool each_attribute_element(const auto& value, F&& f) {
  return std::visit(
      [&f](const auto& v) -> bool {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, bool>) return f(scalar::of(v));
        else if constexpr (std::is_same_v<V, std::int64_t>) return f(scalar::of_integer(v));
        else if constexpr (std::is_same_v<V, double>) return f(scalar::of_floating(v));
        else if constexpr (std::is_convertible_v<const V&, std::string_view>) return f(scalar::of_text(std::string_view(v)));
        else {
          for (const auto& item : v) {
            using I = std::decay_t<decltype(item)>;
            scalar s;
            if constexpr (std::is_same_v<typename V::value_type, bool>) s = scalar::of(static_cast<bool>(item));
            else if constexpr (std::is_same_v<I, std::int64_t>) s = scalar::of_integer(item);
            else if constexpr (std::is_same_v<I, double>) s = scalar::of_floating(item);
            else s = scalar::of_text(std::string_view(item));
            if (f(s)) return true;
          }
          return false;
        }
      },
      value);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------

template <span_like S>
trace_evaluator<S>::trace_evaluator(std::span<const S> spans) : spans_(spans) {
  for (std::size_t i = 0; i < spans.size(); ++i) {
    start_ = i == 0 ? start_of(spans[i]) : std::min(start_, start_of(spans[i]));
    end_ = i == 0 ? end_of(spans[i]) : std::max(end_, end_of(spans[i]));
  }
  if (end_ < start_) end_ = start_;
}

template <span_like S>
trace_evaluator<S>::trace_evaluator(const trace_tree<S>& tree) : trace_evaluator(tree.spans()) {
  tree_ = &tree;
  preorder_.reserve(tree.size());
  tree.depth_first([this](std::size_t i, std::uint32_t) { preorder_.push_back(i); });
  for (std::size_t r : tree.roots())
    if (!parent_id_of(tree.span_at(r)).valid()) {
      root_ = r;
      break;
    }
}

template <span_like S>
std::vector<spanset_indices> trace_evaluator<S>::run(const pipeline& p) {
  return run(p, span_mask(spans_.size(), 1));
}

template <span_like S>
std::vector<spanset_indices> trace_evaluator<S>::run(const pipeline& p, const span_mask& input) {
  auto indices_of = [](const span_mask& m) {
    std::vector<std::uint32_t> out;
    for (std::size_t i = 0; i < m.size(); ++i)
      if (m[i]) out.push_back(static_cast<std::uint32_t>(i));
    return out;
  };
  std::vector<spanset_indices> sets;
  if (auto first = indices_of(spanset(p.stages.front().spans, input)); !first.empty()) sets.push_back({std::move(first)});
  for (std::size_t k = 1; k < p.stages.size() && !sets.empty(); ++k) {
    const pipeline_stage& stage = p.stages[k];
    std::vector<spanset_indices> next;
    switch (stage.shape) {
      case pipeline_stage::form::spanset:
        for (spanset_indices& set : sets) {
          std::vector<std::uint32_t> kept;
          if (stage.spans.shape == spanset_expr::form::filter) {  // only the set's spans are read
            for (std::uint32_t i : set.spans)
              if (!stage.spans.where || test(*stage.spans.where, i)) kept.push_back(i);
          } else {  // structure reads the whole trace: one mask per spanset
            span_mask m(spans_.size(), 0);
            for (std::uint32_t i : set.spans) m[i] = 1;
            kept = indices_of(spanset(stage.spans, m));
          }
          if (!kept.empty()) next.push_back({std::move(kept), std::move(set.by)});
        }
        break;
      case pipeline_stage::form::scalar_filter:
        for (spanset_indices& set : sets) {
          aggregate_over_ = &set.spans;
          const bool keep = test(*stage.test, 0);
          aggregate_over_ = nullptr;
          if (keep) next.push_back(std::move(set));
        }
        break;
      case pipeline_stage::form::by:
        for (spanset_indices& set : sets) {
          std::unordered_map<std::string, std::size_t> groups;  // key -> index in next
          for (std::uint32_t i : set.spans) {
            std::vector<std::pair<std::string, std::string>> labels;
            auto [it, inserted] = groups.emplace(group_key(stage.fields, i, &labels, stage.names), next.size());
            if (inserted) {
              spanset_indices group{{}, set.by};
              group.by.insert(group.by.end(), labels.begin(), labels.end());
              next.push_back(std::move(group));
            }
            next[it->second].spans.push_back(i);
          }
        }
        break;
      case pipeline_stage::form::coalesce: {
        span_mask all(spans_.size(), 0);
        for (const spanset_indices& set : sets)
          for (std::uint32_t i : set.spans) all[i] = 1;
        next.push_back({indices_of(all)});
        break;
      }
      case pipeline_stage::form::select: next = std::move(sets); break;
    }
    sets = std::move(next);
  }
  return sets;
}

template <span_like S>
std::string trace_evaluator<S>::group_key(const std::vector<field_expr>& fields, std::size_t i,
                                          std::vector<std::pair<std::string, std::string>>* labels,
                                          const std::vector<std::string>& names) {
  std::string key;
  for (std::size_t f = 0; f < fields.size(); ++f) {
    std::string text;
    bool found = false;
    auto take = [&](const scalar& v) {
      text = to_text(v);
      found = true;
      return true;
    };
    values(fields[f], i, take);
    if (!found) text = "nil";
    key += text;
    key += '\0';
    if (labels) labels->emplace_back(names[f], std::move(text));
  }
  return key;
}

template <span_like S>
span_mask trace_evaluator<S>::spanset(const spanset_expr& e, const span_mask& input) {
  switch (e.shape) {
    case spanset_expr::form::filter: {
      span_mask out(input.size(), 0);
      for (std::size_t i = 0; i < input.size(); ++i) out[i] = input[i] && (!e.where || test(*e.where, i));
      return out;
    }
    case spanset_expr::form::chain: {
      span_mask acc = spanset(e.operands.front(), input);
      for (std::size_t k = 0; k < e.ops.size(); ++k) acc = combine(e.ops[k], acc, spanset(e.operands[k + 1], input));
      return acc;
    }
    case spanset_expr::form::group: {
      span_mask out(input.size(), 0);
      for (const spanset_indices& set : run(*e.group, input))
        for (std::uint32_t i : set.spans) out[i] = 1;
      return out;
    }
  }
  return span_mask(input.size(), 0);
}

template <span_like S>
span_mask trace_evaluator<S>::combine(spanset_op op, const span_mask& a, const span_mask& b) {
  const std::size_t n = a.size();
  span_mask out(n, 0);
  auto either = [&](const span_mask& x, const span_mask& y) {
    for (std::size_t i = 0; i < n; ++i) out[i] = x[i] | y[i];
  };
  auto b_where = [&](const span_mask& relation, bool wanted) {
    for (std::size_t i = 0; i < n; ++i) out[i] = b[i] && (relation[i] != 0) == wanted;
  };
  // Union forms: b's spans related to a, and a's spans in the converse relation to b.
  auto both = [&](const span_mask& b_rel, const span_mask& a_rel) {
    for (std::size_t i = 0; i < n; ++i) out[i] = (b[i] && b_rel[i]) || (a[i] && a_rel[i]);
  };
  switch (op) {
    case spanset_op::and_: {
      bool any_a = false, any_b = false;
      for (std::size_t i = 0; i < n; ++i) {
        any_a |= a[i] != 0;
        any_b |= b[i] != 0;
      }
      if (any_a && any_b) either(a, b);
      return out;
    }
    case spanset_op::or_: either(a, b); return out;
    case spanset_op::child: b_where(parent_in(a), true); return out;
    case spanset_op::descendant: b_where(ancestor_in(a), true); return out;
    case spanset_op::parent: b_where(child_in(a), true); return out;
    case spanset_op::ancestor: b_where(descendant_in(a), true); return out;
    case spanset_op::sibling: b_where(sibling_in(a), true); return out;
    case spanset_op::not_child: b_where(parent_in(a), false); return out;
    case spanset_op::not_descendant: b_where(ancestor_in(a), false); return out;
    case spanset_op::not_parent: b_where(child_in(a), false); return out;
    case spanset_op::not_ancestor: b_where(descendant_in(a), false); return out;
    case spanset_op::not_sibling: b_where(sibling_in(a), false); return out;
    case spanset_op::union_child: both(parent_in(a), child_in(b)); return out;
    case spanset_op::union_descendant: both(ancestor_in(a), descendant_in(b)); return out;
    case spanset_op::union_parent: both(child_in(a), parent_in(b)); return out;
    case spanset_op::union_ancestor: both(descendant_in(a), ancestor_in(b)); return out;
    case spanset_op::union_sibling: both(sibling_in(a), sibling_in(b)); return out;
  }
  return out;
}

template <span_like S>
span_mask trace_evaluator<S>::parent_in(const span_mask& x) const {
  span_mask out(x.size(), 0);
  for (std::size_t i = 0; i < x.size(); ++i)
    if (std::size_t p = parent_of(i); p != trace_tree<S>::npos) out[i] = x[p];
  return out;
}

template <span_like S>
span_mask trace_evaluator<S>::child_in(const span_mask& x) const {
  span_mask out(x.size(), 0);
  for (std::size_t i = 0; i < x.size(); ++i)
    if (std::size_t p = parent_of(i); p != trace_tree<S>::npos && x[i]) out[p] = 1;
  return out;
}

template <span_like S>
span_mask trace_evaluator<S>::ancestor_in(const span_mask& x) const {
  span_mask out(x.size(), 0);
  for (std::size_t i : preorder_)  // the parent's answer is known before its children's
    if (std::size_t p = parent_of(i); p != trace_tree<S>::npos) out[i] = x[p] || out[p];
  return out;
}

template <span_like S>
span_mask trace_evaluator<S>::descendant_in(const span_mask& x) const {
  span_mask out(x.size(), 0);
  for (auto it = preorder_.rbegin(); it != preorder_.rend(); ++it)  // children before their parent
    if (std::size_t p = parent_of(*it); p != trace_tree<S>::npos && (x[*it] || out[*it])) out[p] = 1;
  return out;
}

template <span_like S>
span_mask trace_evaluator<S>::sibling_in(const span_mask& x) const {
  std::vector<std::uint32_t> children_in_x(x.size(), 0);
  for (std::size_t i = 0; i < x.size(); ++i)
    if (std::size_t p = parent_of(i); p != trace_tree<S>::npos && x[i]) ++children_in_x[p];
  span_mask out(x.size(), 0);
  for (std::size_t i = 0; i < x.size(); ++i)
    if (std::size_t p = parent_of(i); p != trace_tree<S>::npos) out[i] = children_in_x[p] > (x[i] ? 1u : 0u);
  return out;
}

// ---- fields ----

template <span_like S>
bool trace_evaluator<S>::test(const field_expr& e, std::size_t i) {
  switch (e.shape) {
    case field_expr::form::compare: return compare(e, i);
    case field_expr::form::legacy: return matches(*e.where, spans_[i]);
    case field_expr::form::unary:
      if (e.ops.front() == field_op::not_) return !test(e.operands.front(), i);
      break;
    case field_expr::form::chain:
      if (e.ops.front() == field_op::and_ || e.ops.front() == field_op::or_) {
        const bool conjunction = e.ops.front() == field_op::and_;
        for (const field_expr& operand : e.operands)
          if (test(operand, i) != conjunction) return !conjunction;
        return conjunction;
      }
      break;
    default: break;
  }
  // An attribute (or a literal) as a condition: true when it is the boolean true.
  bool truth = false;
  auto take = [&truth](const scalar& v) {
    truth = v.type == value_type::boolean && v.boolean;
    return truth;
  };
  values(e, i, take);
  return truth;
}

template <span_like S>
bool trace_evaluator<S>::compare(const field_expr& e, std::size_t i) {
  const field_op op = e.ops.front();
  const field_expr& lhs = e.operands[0];
  const field_expr& rhs = e.operands[1];
  const bool lhs_nil = lhs.type == value_type::nil, rhs_nil = rhs.type == value_type::nil;
  if (lhs_nil || rhs_nil) {  // `= nil`: absent; `!= nil`: present
    bool present = false;
    auto seen = [&present](const scalar&) { return present = true; };
    values(lhs_nil ? rhs : lhs, i, seen);
    return op == field_op::eq ? !present : present;
  }
  if (op == field_op::match || op == field_op::no_match) {
    bool any_text = false, any_match = false;
    auto each = [&](const scalar& v) {
      if (v.type != value_type::string) return false;
      any_text = true;
      any_match = e.pattern->full_match(v.text);
      return any_match;
    };
    values(lhs, i, each);
    return op == field_op::match ? any_match : any_text && !any_match;
  }
  // `!=`: some comparable value, and none equal; the others: some pair passes.
  const bool negative = op == field_op::ne;
  bool comparable = false, hit = false;
  auto outer = [&](const scalar& a) {
    auto inner = [&](const scalar& b) {
      std::optional<bool> r = compare_values(a, negative ? field_op::eq : op, b);
      if (!r) return false;
      comparable = true;
      hit = *r;
      return hit;
    };
    return values(rhs, i, inner);
  };
  values(lhs, i, outer);
  return negative ? comparable && !hit : hit;
}

template <span_like S>
scalar trace_evaluator<S>::first_value(const field_expr& e, std::size_t i) {
  scalar out;
  // A value's text may live only as long as the sink call (an id formatted on the stack, an
  // event name of a span materialized for the call): the one returned is copied here.
  auto take = [this, &out](const scalar& v) {
    out = v;
    first_text_.assign(v.text);
    out.text = first_text_;
    return true;
  };
  values(e, i, take);
  return out;
}

template <span_like S>
bool trace_evaluator<S>::values(const field_expr& e, std::size_t i, value_sink sink) {
  switch (e.shape) {
    case field_expr::form::literal: return sink(scalar::of(e.value));
    case field_expr::form::intrinsic: return intrinsic_values(e.which, i, sink);
    case field_expr::form::attribute: return attribute_values(e, i, sink);
    case field_expr::form::aggregate: {
      const scalar v = aggregate(e);
      return v.type != value_type::nil && sink(v);
    }
    case field_expr::form::compare:
    case field_expr::form::legacy: return sink(scalar::of(test(e, i)));
    case field_expr::form::unary: {
      if (e.ops.front() == field_op::not_) return sink(scalar::of(test(e, i)));
      const scalar v = arithmetic(scalar::of_integer(0), field_op::sub, first_value(e.operands.front(), i));
      scalar typed = v;
      if (typed.type == value_type::integer && e.operands.front().type == value_type::duration) typed.type = value_type::duration;
      return typed.type != value_type::nil && sink(typed);
    }
    case field_expr::form::chain: {
      if (e.ops.front() == field_op::and_ || e.ops.front() == field_op::or_) return sink(scalar::of(test(e, i)));
      // `^` binds right to left; the other operators of a chain left to right.
      if (e.ops.front() == field_op::pow) {
        scalar acc = first_value(e.operands.back(), i);
        for (std::size_t k = e.ops.size(); k-- > 0;) acc = arithmetic(first_value(e.operands[k], i), field_op::pow, acc);
        return acc.type != value_type::nil && sink(acc);
      }
      scalar acc = first_value(e.operands.front(), i);
      for (std::size_t k = 0; k < e.ops.size(); ++k) acc = arithmetic(acc, e.ops[k], first_value(e.operands[k + 1], i));
      return acc.type != value_type::nil && sink(acc);
    }
  }
  return false;
}

template <span_like S>
scalar trace_evaluator<S>::aggregate(const field_expr& e) {
  if (!aggregate_over_) return {};
  const std::vector<std::uint32_t>& set = *aggregate_over_;
  std::int64_t count = 0;
  if (e.aggregate == aggregate_fn::count) return scalar::of_integer(static_cast<std::int64_t>(set.size()));
  scalar acc;
  double sum = 0;
  for (std::uint32_t i : set) {
    const scalar v = first_value(e.operands.front(), i);
    if (!v.numeric()) continue;
    ++count;
    sum += v.as_double();
    if (acc.type == value_type::nil) acc = v;
    else if (e.aggregate == aggregate_fn::min && compare_values(v, field_op::lt, acc).value_or(false)) acc = v;
    else if (e.aggregate == aggregate_fn::max && compare_values(v, field_op::gt, acc).value_or(false)) acc = v;
    else if (e.aggregate == aggregate_fn::sum || e.aggregate == aggregate_fn::avg) acc = arithmetic(acc, field_op::add, v);
  }
  if (count == 0) return {};
  if (e.aggregate == aggregate_fn::avg) {
    const double mean = sum / static_cast<double>(count);
    if (acc.type == value_type::duration) return scalar::of_integer(static_cast<std::int64_t>(mean + 0.5), value_type::duration);
    return scalar::of_floating(mean);
  }
  return acc;
}

template <span_like S>
bool trace_evaluator<S>::intrinsic_values(intrinsic which, std::size_t i, value_sink sink) {
  const S& s = spans_[i];
  char hex[32];
  auto id_text = [&hex](const auto& id) {
    const std::string text = id.to_hex();
    std::copy(text.begin(), text.end(), hex);
    return std::string_view(hex, text.size());
  };
  switch (which) {
    case intrinsic::name: return sink(scalar::of_text(name_of(s)));
    case intrinsic::service: return sink(scalar::of_text(service_of(s)));
    case intrinsic::status_message: return sink(scalar::of_text(status_message_of(s)));
    case intrinsic::status: {
      scalar v;
      v.type = value_type::status;
      v.status = status_of(s);
      return sink(v);
    }
    case intrinsic::kind: {
      scalar v;
      v.type = value_type::kind;
      v.kind = kind_of(s);
      return sink(v);
    }
    case intrinsic::duration:
      return sink(scalar::of_integer(static_cast<std::int64_t>(duration_of(s)), value_type::duration));
    case intrinsic::start: return sink(scalar::of_integer(static_cast<std::int64_t>(start_of(s))));
    case intrinsic::child_count:
      return sink(scalar::of_integer(static_cast<std::int64_t>(tree_ && tree_->node_at(i).in_tree ? tree_->node_at(i).children.size() : 0)));
    case intrinsic::span_id: return sink(scalar::of_text(id_text(span_id_of(s))));
    case intrinsic::parent_id:
      if (!parent_id_of(s).valid()) return false;
      return sink(scalar::of_text(id_text(parent_id_of(s))));
    case intrinsic::trace_id: return sink(scalar::of_text(id_text(trace_id_of(s))));
    case intrinsic::trace_duration:
      return sink(scalar::of_integer(static_cast<std::int64_t>(duration()), value_type::duration));
    case intrinsic::root_name:
      return root_ && sink(scalar::of_text(name_of(spans_[*root_])));
    case intrinsic::root_service:
      return root_ && sink(scalar::of_text(service_of(spans_[*root_])));
    case intrinsic::scope_name: return sink(scalar::of_text(scope_name_of(s)));
    case intrinsic::scope_version: return sink(scalar::of_text(scope_version_of(s)));
    case intrinsic::event_name:
    case intrinsic::event_time_since_start:
    case intrinsic::link_trace_id:
    case intrinsic::link_span_id: {
      bool stopped = false;
      detail::with_full_span(s, [&](const auto& full) {
        if (which == intrinsic::event_name || which == intrinsic::event_time_since_start) {
          for (const auto& ev : full.events) {
            const scalar v = which == intrinsic::event_name
                                 ? scalar::of_text(std::string_view(ev.name))
                                 : scalar::of_integer(static_cast<std::int64_t>(ev.time) - static_cast<std::int64_t>(full.start),
                                                      value_type::duration);
            if ((stopped = sink(v))) return;
          }
        } else {
          for (const auto& l : full.links) {
            const scalar v = which == intrinsic::link_trace_id ? scalar::of_text(id_text(l.trace))
                                                               : scalar::of_text(id_text(l.span));
            if ((stopped = sink(v))) return;
          }
        }
      });
      return stopped;
    }
  }
  return false;
}

template <span_like S>
bool trace_evaluator<S>::attribute_values(const field_expr& e, std::size_t i, value_sink sink) {
  auto wanted = [&e](attribute_scope scope) {
    switch (e.scope) {
      case attribute_scope_sel::unscoped: return scope == attribute_scope::span || scope == attribute_scope::resource;
      case attribute_scope_sel::span: return scope == attribute_scope::span;
      case attribute_scope_sel::resource: return scope == attribute_scope::resource;
      case attribute_scope_sel::event: return scope == attribute_scope::event;
      case attribute_scope_sel::link: return scope == attribute_scope::link;
      case attribute_scope_sel::instrumentation: return scope == attribute_scope::scope;
    }
    return false;
  };
  const S& s = spans_[i];
  // `service.name` lives in the resource's own field, not always among its attributes.
  if (e.key == "service.name" && (e.scope == attribute_scope_sel::resource || e.scope == attribute_scope_sel::unscoped)) {
    bool on_span = false;
    if (e.scope == attribute_scope_sel::unscoped) {
      auto probe = [&](attribute_scope scope, std::string_view key, const auto&) {
        return on_span = scope == attribute_scope::span && key == e.key;
      };
      visit_attributes(s, probe);
    }
    if (!on_span) return sink(scalar::of_text(service_of(s)));
  }
  // Unscoped: the span's attribute if it has one, else the resource's (Tempo's order).
  bool span_had = false, stopped = false;
  for (int pass = 0; pass < (e.scope == attribute_scope_sel::unscoped ? 2 : 1) && !stopped && !span_had; ++pass) {
    auto visit = [&](attribute_scope scope, std::string_view key, const auto& value) {
      if (key != e.key || !wanted(scope)) return false;
      if (e.scope == attribute_scope_sel::unscoped && (pass == 0) != (scope == attribute_scope::span)) return false;
      span_had = span_had || scope == attribute_scope::span;
      return stopped = detail::each_attribute_element(value, [&sink](const scalar& v) { return sink(v); });
    };
    visit_attributes(s, visit);
  }
  return stopped;
}

}  // namespace traceql
}  // namespace v0
}  // namespace trace
