#pragma once
// Queries that read each span on its own: one spanset filter, then filters, aggregates,
// by(), coalesce(), select() and a metrics function over span fields, with no structural
// operator, no `&&`/`||` between spansets and no field of the trace or the tree
// (trace:duration, trace:rootName, trace:rootService, childCount).
//
// Such a query needs neither whole traces nor trees: the spans passing its first filter's
// necessary condition (candidates.hpp) come from the store's fast path (column blocks, zone
// maps), grouped by trace, and the pipeline runs on each group. Search then reads whole
// traces only for the traces it returns.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ranges>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "trace/query/filter.hpp"
#include "trace/query/row_filter.hpp"  // the columnar stores' fast path
#include "trace/query/traceql/ast.hpp"
#include "trace/store/columnar_store.hpp"
#include "trace/store/concepts.hpp"

namespace trace {
inline namespace v0 {
namespace traceql {

bool span_local(const field_expr& e);
bool span_local(const query& q);

// The spans passing `where`, grouped by trace; the groups ordered by their latest span's
// start, newest first (as find_trace_ids orders traces).
template <span_store Store>
std::vector<std::vector<store_span_t<Store>>> spans_by_trace(const Store& store, const filter& where);

// ---------------------------------------------------------------------------------------

inline bool span_local(const field_expr& e) {
  if (e.shape == field_expr::form::intrinsic &&
      (e.which == intrinsic::trace_duration || e.which == intrinsic::root_name || e.which == intrinsic::root_service ||
       e.which == intrinsic::child_count))
    return false;
  for (const field_expr& operand : e.operands)
    if (!span_local(operand)) return false;
  return true;
}

inline bool span_local(const query& q) {
  auto all_local = [](const std::vector<field_expr>& fields) {
    return std::all_of(fields.begin(), fields.end(), [](const field_expr& f) { return span_local(f); });
  };
  for (const pipeline_stage& stage : q.spans.stages) {
    switch (stage.shape) {
      case pipeline_stage::form::spanset:
        if (stage.spans.shape != spanset_expr::form::filter) return false;
        if (stage.spans.where && !span_local(*stage.spans.where)) return false;
        break;
      case pipeline_stage::form::scalar_filter:
        if (!span_local(*stage.test)) return false;
        break;
      case pipeline_stage::form::by:
      case pipeline_stage::form::select:
        if (!all_local(stage.fields)) return false;
        break;
      case pipeline_stage::form::coalesce: break;
    }
  }
  if (q.metrics && ((q.metrics->value && !span_local(*q.metrics->value)) || !all_local(q.metrics->by))) return false;
  return true;
}

namespace detail {

// The spans `each` hands over, grouped by trace; the groups ordered by their latest span's
// start, newest first.
template <class S, class ForEach>
std::vector<std::vector<S>> group_by_trace(ForEach&& each) {
  std::unordered_map<trace_id, std::size_t> index;
  std::vector<std::vector<S>> groups;
  std::vector<timestamp_ns> latest;
  each([&](const S& s) {
    auto [it, inserted] = index.emplace(trace_id_of(s), groups.size());
    if (inserted) {
      groups.emplace_back();
      latest.push_back(start_of(s));
    }
    groups[it->second].push_back(s);
    latest[it->second] = std::max(latest[it->second], start_of(s));
  });
  std::vector<std::size_t> order(groups.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&latest](std::size_t a, std::size_t b) { return latest[a] > latest[b]; });
  std::vector<std::vector<S>> out;
  out.reserve(groups.size());
  for (std::size_t i : order) out.push_back(std::move(groups[i]));
  return out;
}

}  // namespace detail

template <span_store Store>
std::vector<std::vector<store_span_t<Store>>> spans_by_trace(const Store& store, const filter& where) {
  using S = store_span_t<Store>;
  return detail::group_by_trace<S>([&](auto&& add) {
    if constexpr (columnar_store<Store>) {
      using block = std::ranges::range_value_t<decltype(store.blocks())>;
      if constexpr (std::is_convertible_v<decltype(std::declval<const block&>().span(0u)), S>) {
        for_each_match(store, where, [&add](const auto& b, std::uint32_t row) { add(b.span(row)); });
        return;
      }
    }
    for (auto&& s : store.scan())
      if (matches(where, s)) add(s);
  });
}

}  // namespace traceql
}  // namespace v0
}  // namespace trace
