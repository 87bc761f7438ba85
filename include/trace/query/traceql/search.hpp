#pragma once
// TraceQL search over any store: the traces a spanset query selects, newest first, each as
// Tempo's search returns it (root service and name, start, duration, and the spansets of
// matching spans).
//
// Candidate traces come from the stores' own fast paths (candidates.hpp, find_trace_ids);
// each candidate is read once (find_trace), built into a tree once, and evaluated once.

#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/query/trace_search.hpp"
#include "trace/query/traceql/ast.hpp"
#include "trace/query/traceql/candidates.hpp"
#include "trace/query/traceql/evaluate.hpp"
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

template <span_store Store>
std::vector<traceql_trace<store_span_t<Store>>> search_traceql(const Store& store, const traceql::query& q,
                                                              const traceql_search_options& options) {
  using S = store_span_t<Store>;
  if (q.metrics)
    throw error(errc::invalid_argument, "a metrics query (" + std::string("rate(), ..._over_time()") +
                                            ") returns series, not traces: run it with traceql_metrics");
  trace_query candidates;
  candidates.where = traceql::candidate_filter(q);
  candidates.limit = std::numeric_limits<std::size_t>::max();
  const auto select = traceql::detail::selected_fields(q.spans);

  std::vector<traceql_trace<S>> out;
  for (const trace_id& id : find_trace_ids(store, candidates)) {
    if (out.size() >= options.limit) break;
    std::vector<S> spans;
    for (auto&& s : store.find_trace(id)) spans.push_back(s);
    const trace_tree<S> tree(std::move(spans));
    traceql::trace_evaluator<S> evaluate(tree);
    if (evaluate.start() >= options.end || evaluate.start() + evaluate.duration() < options.start) continue;
    std::vector<traceql::spanset_indices> sets = evaluate.run(q.spans);
    if (sets.empty()) continue;
    traceql_trace<S>& t = out.emplace_back();
    t.id = id;
    if (auto root = evaluate.root()) {
      t.root_service = std::string(service_of(tree.span_at(*root)));
      t.root_name = std::string(name_of(tree.span_at(*root)));
    }
    t.start = evaluate.start();
    t.duration = evaluate.duration();
    for (traceql::spanset_indices& set : sets) {
      traceql_spanset<S>& r = t.spansets.emplace_back();
      r.by = std::move(set.by);
      std::vector<std::size_t> hits;
      for (std::size_t i = 0; i < set.spans.size(); ++i)
        if (set.spans[i]) hits.push_back(i);
      r.matched = hits.size();
      std::stable_sort(hits.begin(), hits.end(), [&tree](std::size_t a, std::size_t b) {
        return start_of(tree.span_at(a)) < start_of(tree.span_at(b));
      });
      if (hits.size() > options.spans_per_spanset) hits.resize(options.spans_per_spanset);
      for (std::size_t i : hits) {
        r.spans.push_back(tree.span_at(i));
        if (select.empty()) continue;
        auto& fields = r.selected.emplace_back();
        for (const auto& [field, name] : select) {
          const traceql::scalar v = evaluate.first_value(*field, i);
          if (v.type != traceql::value_type::nil) fields.emplace_back(*name, traceql::to_text(v));
        }
      }
    }
  }
  return out;
}

}  // namespace v0
}  // namespace trace
