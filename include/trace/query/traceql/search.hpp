#pragma once
// TraceQL search over any store: the traces a spanset query selects, newest first, each as
// Tempo's search returns it (root service and name, start, duration, and the spansets of
// matching spans).
//
// Candidate traces come from the stores' own fast paths (candidates.hpp, find_trace_ids, or
// the store's query language: pushed_candidates.hpp);
// each candidate is read once (find_trace), built into a tree once, and evaluated once.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/query/trace_search.hpp"
#include "trace/query/traceql/ast.hpp"
#include "trace/query/traceql/candidates.hpp"
#include "trace/query/traceql/evaluate.hpp"
#include "trace/query/traceql/pushed_candidates.hpp"  // stores that run part of the query
#include "trace/query/traceql/span_local.hpp"
#include "trace/store/concepts.hpp"
#include "trace/tree/trace_tree.hpp"

namespace trace {
inline namespace v0 {

struct traceql_search_options {
  std::size_t limit = 20;                 // traces
  std::size_t spans_per_spanset = 3;      // spans kept per spanset (Tempo's spss); `matched` counts all
  timestamp_ns start = 0;                 // traces overlapping [start, end)
  timestamp_ns end = std::numeric_limits<timestamp_ns>::max();
};

template <class Span>
struct traceql_spanset {
  std::vector<Span> spans;  // the first `spans_per_spanset` matching spans, in start order
  std::size_t matched = 0;  // how many spans matched
  std::vector<std::pair<std::string, std::string>> by{};  // labels of a by()
  // For each of `spans`, the select()ed fields as (field as written, value as text).
  std::vector<std::vector<std::pair<std::string, std::string>>> selected{};
};

template <class Span>
struct traceql_trace {
  trace_id id{};
  std::string root_service{};  // empty when the trace has no root span
  std::string root_name{};
  timestamp_ns start = 0;
  duration_ns duration = 0;
  std::vector<traceql_spanset<Span>> spansets{};
};

// The traces a spanset query selects. A metrics query is refused (traceql_metrics runs it).
template <span_store Store>
std::vector<traceql_trace<store_span_t<Store>>> search_traceql(const Store& store, const traceql::query& q,
                                                              const traceql_search_options& options = {});

// ---------------------------------------------------------------------------------------

namespace traceql::detail {

// The select() stages' fields, in order.
inline std::vector<std::pair<const field_expr*, const std::string*>> selected_fields(const pipeline& p) {
  std::vector<std::pair<const field_expr*, const std::string*>> out;
  for (const pipeline_stage& stage : p.stages)
    if (stage.shape == pipeline_stage::form::select)
      for (std::size_t k = 0; k < stage.fields.size(); ++k) out.emplace_back(&stage.fields[k], &stage.names[k]);
  return out;
}

}  // namespace traceql::detail

namespace traceql::detail {

// Root (the earliest span without a parent), start and duration of a whole trace.
template <class Span>
void summarize_trace(std::span<const Span> spans, traceql_trace<Span>& t) {
  const Span* root = nullptr;
  timestamp_ns end = 0;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const Span& s = spans[i];
    t.start = i == 0 ? start_of(s) : std::min(t.start, start_of(s));
    end = std::max(end, end_of(s));
    if (!parent_id_of(s).valid() &&
        (!root || start_of(s) < start_of(*root) || (start_of(s) == start_of(*root) && span_id_of(s) < span_id_of(*root))))
      root = &s;
  }
  t.duration = end > t.start ? end - t.start : 0;
  if (root) {
    t.root_service = std::string(service_of(*root));
    t.root_name = std::string(name_of(*root));
  }
}

// The spansets of one trace, as the search returns them.
template <class Span>
void add_spansets(traceql_trace<Span>& t, std::span<const Span> spans, trace_evaluator<Span>& evaluate,
                  std::vector<spanset_indices>& sets,
                  const std::vector<std::pair<const field_expr*, const std::string*>>& select,
                  const traceql_search_options& options) {
  for (spanset_indices& set : sets) {
    traceql_spanset<Span>& r = t.spansets.emplace_back();
    r.by = std::move(set.by);
    std::vector<std::uint32_t> hits = std::move(set.spans);
    r.matched = hits.size();
    std::stable_sort(hits.begin(), hits.end(),
                     [&spans](std::uint32_t a, std::uint32_t b) { return start_of(spans[a]) < start_of(spans[b]); });
    if (hits.size() > options.spans_per_spanset) hits.resize(options.spans_per_spanset);
    for (std::uint32_t i : hits) {
      r.spans.push_back(spans[i]);
      if (select.empty()) continue;
      auto& fields = r.selected.emplace_back();
      for (const auto& [field, name] : select) {
        const scalar v = evaluate.first_value(*field, i);
        if (v.type != value_type::nil) fields.emplace_back(*name, to_text(v));
      }
    }
  }
}

}  // namespace traceql::detail

template <span_store Store>
std::vector<traceql_trace<store_span_t<Store>>> search_traceql(const Store& store, const traceql::query& q,
                                                              const traceql_search_options& options) {
  using S = store_span_t<Store>;
  if (q.metrics)
    throw error(errc::invalid_argument, "a metrics query (rate(), ..._over_time()) returns series, not traces: run it with traceql_metrics");
  const filter candidates = traceql::candidate_filter(q);
  const auto select = traceql::detail::selected_fields(q.spans);
  auto overlaps = [&options](const traceql_trace<S>& t) {
    return t.start < options.end && t.start + t.duration >= options.start;
  };
  std::vector<traceql_trace<S>> out;
  if (traceql::span_local(q)) {  // no trees: spans from the fast path, whole traces only for answers
    for (const std::vector<S>& group : traceql::candidate_groups(store, q, candidates)) {
      if (out.size() >= options.limit) break;
      traceql::trace_evaluator<S> evaluate{std::span<const S>(group)};
      std::vector<traceql::spanset_indices> sets = evaluate.run(q.spans);
      if (sets.empty()) continue;
      traceql_trace<S> t;
      t.id = trace_id_of(group.front());
      std::vector<S> whole;
      for (auto&& s : store.find_trace(t.id)) whole.push_back(s);
      traceql::detail::summarize_trace(std::span<const S>(whole), t);
      if (!overlaps(t)) continue;
      traceql::detail::add_spansets(t, std::span<const S>(group), evaluate, sets, select, options);
      out.push_back(std::move(t));
    }
    return out;
  }
  traceql::for_each_candidate_trace(store, q, candidates, [&](std::vector<S>&& spans) {
    if (out.size() >= options.limit) return true;
    if (spans.empty()) return false;
    const trace_tree<S> tree(std::move(spans));
    traceql_trace<S> t;
    t.id = trace_id_of(tree.spans().front());
    traceql::detail::summarize_trace(tree.spans(), t);
    if (!overlaps(t)) return false;
    traceql::trace_evaluator<S> evaluate(tree);
    std::vector<traceql::spanset_indices> sets = evaluate.run(q.spans);
    if (sets.empty()) return false;
    traceql::detail::add_spansets(t, tree.spans(), evaluate, sets, select, options);
    out.push_back(std::move(t));
    return false;
  });
  return out;
}

}  // namespace v0
}  // namespace trace
