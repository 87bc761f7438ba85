#pragma once
// Candidate traces from a store that runs part of a TraceQL query in its own query language
// (the ClickHouse store, in SQL). Such a store offers the push_down customisation point of
// store/concepts.hpp for this request:
//
//   s.push_down(traceql::candidate_spans_request{q, candidates, whole})  -> std::vector<span>
//
// answering with exactly the spans that pass `candidates` (candidate_filter(q)), or with
// `whole` every span, of the traces that may answer `q`: every trace with an answer is among
// them, others may be. Whole traces come with each trace's spans in find_trace's order. Search and metrics then run as over any store, on those spans and
// traces; the answer is the generic one, only fewer traces are read, in one request rather
// than one per trace. Stores without it go through spans_by_trace, find_trace_ids and
// find_trace.

#include <algorithm>
#include <functional>
#include <limits>
#include <optional>
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
  bool whole_traces = false;  // every span of those traces, not only those passing `candidates`
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

// Calls f(spans) with the whole of each trace that may answer `q` (a std::vector of the
// store's spans), in find_trace_ids' order of the traces passing `candidates`: by their
// latest passing span's start, newest first, ties by id; stops when f returns true.
template <span_store Store, class F>
void for_each_candidate_trace(const Store& store, const query& q, const filter& candidates, F&& f) {
  using S = store_span_t<Store>;
  if constexpr (pushes_down_traceql<Store>) {
    auto traces = detail::group_by_trace<S>([&](auto&& add) {
      for (auto&& s : store.push_down(candidate_spans_request{q, candidates, true})) add(s);
    });
    std::vector<std::pair<std::pair<timestamp_ns, trace_id>, std::size_t>> ranked;  // (latest, id), index
    for (std::size_t i = 0; i < traces.size(); ++i) {
      std::optional<timestamp_ns> latest;
      for (const S& s : traces[i])
        if (matches(candidates, s)) latest = std::max(latest.value_or(0), start_of(s));
      if (latest) ranked.push_back({{*latest, trace_id_of(traces[i].front())}, i});
    }
    std::sort(ranked.begin(), ranked.end(), std::greater<>{});
    for (const auto& entry : ranked)
      if (f(std::move(traces[entry.second]))) return;
  } else {
    trace_query by_trace;
    by_trace.where = candidates;
    by_trace.limit = std::numeric_limits<std::size_t>::max();
    for (const trace_id& id : find_trace_ids(store, by_trace)) {
      std::vector<S> spans;
      for (auto&& s : store.find_trace(id)) spans.push_back(s);
      if (f(std::move(spans))) return;
    }
  }
}

}  // namespace traceql
}  // namespace v0
}  // namespace trace
