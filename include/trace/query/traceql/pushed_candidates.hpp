#pragma once
// Candidate traces from a store that runs part of a TraceQL query in its own query language
// (the ClickHouse store, in SQL). Such a store offers the push_down customisation point of
// store/concepts.hpp for this request:
//
//   s.push_down(traceql::candidate_spans_request{q, candidates})  -> std::vector<span>
//
// answering with exactly the spans that pass `candidates` (candidate_filter(q)), taken from
// the traces that may answer `q`: every trace with an answer is among them, others may be.
// Search and metrics then run as over any store, on those spans and traces; the answer is
// the generic one, only fewer traces are read. Stores without it go through
// spans_by_trace and find_trace_ids.

#include <algorithm>
#include <functional>
#include <limits>
#include <ranges>
#include <utility>
#include <vector>

#include "trace/query/filter.hpp"
#include "trace/query/trace_search.hpp"
#include "trace/query/traceql/ast.hpp"
#include "trace/query/traceql/span_local.hpp"
#include "trace/store/concepts.hpp"

namespace trace {
inline namespace v0 {
namespace traceql {

struct candidate_spans_request {
  const query& q;
  const filter& candidates;  // candidate_filter(q)
};

template <class Store>
concept pushes_down_traceql = requires(const Store& store, const candidate_spans_request& r) {
  { store.push_down(r) } -> std::ranges::input_range;
};

// The spans passing `candidates` of the traces that may answer `q`, grouped by trace, the
// groups newest first (as spans_by_trace orders them).
template <span_store Store>
std::vector<std::vector<store_span_t<Store>>> candidate_groups(const Store& store, const query& q, const filter& candidates) {
  if constexpr (pushes_down_traceql<Store>) {
    auto spans = store.push_down(candidate_spans_request{q, candidates});
    return detail::group_by_trace<store_span_t<Store>>([&spans](auto&& add) {
      for (auto&& s : spans) add(s);
    });
  } else {
    return spans_by_trace(store, candidates);
  }
}

// The ids of the traces that may answer `q`, ordered as find_trace_ids orders the traces
// passing `candidates`: by their latest passing span's start, newest first, ties by id.
template <span_store Store>
std::vector<trace_id> candidate_trace_ids(const Store& store, const query& q, const filter& candidates) {
  if constexpr (pushes_down_traceql<Store>) {
    std::vector<std::pair<timestamp_ns, trace_id>> ranked;
    for (const auto& group : candidate_groups(store, q, candidates)) {
      timestamp_ns latest = 0;
      for (const auto& s : group) latest = std::max(latest, start_of(s));
      ranked.emplace_back(latest, trace_id_of(group.front()));
    }
    std::sort(ranked.begin(), ranked.end(), std::greater<>{});
    std::vector<trace_id> out;
    out.reserve(ranked.size());
    for (const auto& entry : ranked) out.push_back(entry.second);
    return out;
  } else {
    trace_query by_trace;
    by_trace.where = candidates;
    by_trace.limit = std::numeric_limits<std::size_t>::max();
    return find_trace_ids(store, by_trace);
  }
}

}  // namespace traceql
}  // namespace v0
}  // namespace trace
