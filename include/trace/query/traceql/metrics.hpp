#pragma once
// TraceQL metrics: a spanset query ending in rate(), count_over_time(), sum|min|max|avg_
// over_time(x), quantile_over_time(x, q...) or histogram_over_time(x), each `by (...)`, and
// optionally `| topk(n)` / `| bottomk(n)`, run over a time range cut in steps. Each
// matching span counts once, in the step holding its start. Durations are measured in
// seconds, as Tempo reports them.
//
// Quantiles come from the library's sketch (analytics/sketch.hpp: 1% relative error) unless
// `exact_quantiles` keeps every value (nearest rank). Histograms count values in buckets
// bounded by powers of two (the `__bucket` label is the upper bound), as Tempo's do.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "trace/analytics/sketch.hpp"
#include "trace/core/error.hpp"
#include "trace/query/trace_search.hpp"
#include "trace/query/traceql/ast.hpp"
#include "trace/query/traceql/candidates.hpp"
#include "trace/query/traceql/evaluate.hpp"
#include "trace/query/traceql/pushed_candidates.hpp"  // stores that run part of the query
#include "trace/query/traceql/span_local.hpp"
#include "trace/store/concepts.hpp"

namespace trace {
inline namespace v0 {

struct traceql_metrics_range {
  timestamp_ns start = 0;  // [start, end), cut into steps of `step`
  timestamp_ns end = 0;
  duration_ns step = 0;
  bool exact_quantiles = false;
};

struct traceql_series {
  std::vector<std::pair<std::string, std::string>> labels;  // by() labels, then `p` or `__bucket`
  std::vector<std::pair<timestamp_ns, double>> points;       // (step start, value), in time order
};

// The series of a metrics query, ordered by labels. Refuses a query without a metrics
// function, a step of 0, an empty range, or more than `max_metrics_steps` steps.
inline constexpr std::size_t max_metrics_steps = 11000;  // Prometheus's limit on points per series
template <span_store Store>
std::vector<traceql_series> traceql_metrics(const Store& store, const traceql::query& q, const traceql_metrics_range& range);

// ---------------------------------------------------------------------------------------

namespace traceql::detail {

// What one (labels, step) cell has seen.
struct metrics_cell {
  std::uint64_t count = 0;
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::optional<quantile_sketch> sketch{};
  std::vector<double> values{};                 // exact quantiles
  std::map<double, std::uint64_t> buckets{};    // histogram: upper bound -> count
};

// The nearest-rank quantile of `values` (sorted here).
inline double exact_quantile(std::vector<double>& values, double q) {
  std::sort(values.begin(), values.end());
  std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  return values[rank - 1];
}

inline std::string quantile_label(double q) {
  char buffer[32];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, q).ptr;
  return std::string(buffer, end);
}

}  // namespace traceql::detail

template <span_store Store>
std::vector<traceql_series> traceql_metrics(const Store& store, const traceql::query& q, const traceql_metrics_range& range) {
  using S = store_span_t<Store>;
  using namespace traceql;
  if (!q.metrics) throw error(errc::invalid_argument, "the query has no metrics function (rate(), count_over_time(), ...)");
  if (range.step == 0) throw error(errc::invalid_argument, "metrics step is 0");
  if (range.end <= range.start) throw error(errc::invalid_argument, "metrics range is empty (end is not after start)");
  const std::uint64_t steps = (range.end - range.start + range.step - 1) / range.step;
  if (steps > max_metrics_steps)
    throw error(errc::invalid_argument, "metrics range has " + std::to_string(steps) + " steps; the limit is " +
                                            std::to_string(max_metrics_steps));
  const metrics_stage& m = *q.metrics;

  // labels -> one cell per step
  std::map<std::vector<std::pair<std::string, std::string>>, std::vector<traceql::detail::metrics_cell>> cells;
  auto measure = [&](trace_evaluator<S>& evaluate, std::span<const S> spans) {
    span_mask counted(spans.size(), 0);  // a span in two spansets counts once
    for (const spanset_indices& set : evaluate.run(q.spans))
      for (std::uint32_t i : set.spans) counted[i] = 1;
    for (std::size_t i = 0; i < counted.size(); ++i) {
      if (!counted[i]) continue;
      const timestamp_ns at = start_of(spans[i]);
      if (at < range.start || at >= range.end) continue;
      std::optional<double> value;
      if (m.value) {
        const scalar v = evaluate.first_value(*m.value, i);
        if (!v.numeric()) continue;  // nothing to measure on this span
        value = v.type == value_type::duration ? static_cast<double>(v.integer) / 1e9 : v.as_double();
      }
      std::vector<std::pair<std::string, std::string>> labels;
      for (std::size_t k = 0; k < m.by.size(); ++k) labels.emplace_back(m.by_names[k], to_text(evaluate.first_value(m.by[k], i)));
      auto& row = cells[labels];
      if (row.empty()) row.resize(steps);
      traceql::detail::metrics_cell& cell = row[(at - range.start) / range.step];
      ++cell.count;
      if (!value) continue;
      cell.sum += *value;
      cell.min = std::min(cell.min, *value);
      cell.max = std::max(cell.max, *value);
      if (m.fn == metrics_fn::quantile_over_time) {
        if (range.exact_quantiles) cell.values.push_back(*value);
        else {
          if (!cell.sketch) cell.sketch.emplace();
          cell.sketch->add(*value);
        }
      } else if (m.fn == metrics_fn::histogram_over_time) {
        const double bound = *value <= 0 ? 0 : std::exp2(std::ceil(std::log2(*value)));
        ++cell.buckets[bound];
      }
    }
  };
  const filter candidates = candidate_filter(q);
  if (span_local(q)) {  // no trees: the spans from the fast path, by trace
    for (const std::vector<S>& group : candidate_groups(store, q, candidates)) {
      trace_evaluator<S> evaluate{std::span<const S>(group)};
      measure(evaluate, std::span<const S>(group));
    }
  } else {
    for_each_candidate_trace(store, q, candidates, [&](std::vector<S>&& spans) {
      const trace_tree<S> tree(std::move(spans));
      trace_evaluator<S> evaluate(tree);
      measure(evaluate, tree.spans());
      return false;
    });
  }

  std::vector<traceql_series> out;
  const double step_seconds = static_cast<double>(range.step) / 1e9;
  for (auto& entry : cells) {
    const auto& labels = entry.first;  // named, not bound: lambdas capture them (clang 14)
    auto& row = entry.second;
    auto time_of = [&range](std::size_t k) { return range.start + k * range.step; };
    auto emit = [&](std::vector<std::pair<std::string, std::string>> extra, auto value_of) {
      traceql_series s;
      s.labels = labels;
      s.labels.insert(s.labels.end(), extra.begin(), extra.end());
      for (std::size_t k = 0; k < row.size(); ++k)
        if (auto v = value_of(row[k])) s.points.emplace_back(time_of(k), *v);
      if (!s.points.empty()) out.push_back(std::move(s));
    };
    using cell = traceql::detail::metrics_cell;
    switch (m.fn) {
      case metrics_fn::rate:  // every step, zero included, from the first to the last
        emit({}, [&](const cell& c) -> std::optional<double> { return static_cast<double>(c.count) / step_seconds; });
        break;
      case metrics_fn::count_over_time:
        emit({}, [](const cell& c) -> std::optional<double> { return static_cast<double>(c.count); });
        break;
      case metrics_fn::sum_over_time:
        emit({}, [](const cell& c) -> std::optional<double> { return c.count ? std::optional(c.sum) : std::nullopt; });
        break;
      case metrics_fn::min_over_time:
        emit({}, [](const cell& c) -> std::optional<double> { return c.count ? std::optional(c.min) : std::nullopt; });
        break;
      case metrics_fn::max_over_time:
        emit({}, [](const cell& c) -> std::optional<double> { return c.count ? std::optional(c.max) : std::nullopt; });
        break;
      case metrics_fn::avg_over_time:
        emit({}, [](const cell& c) -> std::optional<double> {
          return c.count ? std::optional(c.sum / static_cast<double>(c.count)) : std::nullopt;
        });
        break;
      case metrics_fn::quantile_over_time:
        for (double quantile : m.quantiles)
          emit({{"p", traceql::detail::quantile_label(quantile)}}, [&](cell& c) -> std::optional<double> {
            if (range.exact_quantiles) return c.values.empty() ? std::nullopt : std::optional(traceql::detail::exact_quantile(c.values, quantile));
            return c.sketch ? std::optional(c.sketch->quantile(quantile)) : std::nullopt;
          });
        break;
      case metrics_fn::histogram_over_time: {
        std::map<double, bool> bounds;
        for (const cell& c : row)
          for (const auto& [bound, n] : c.buckets) bounds[bound] = true;
        for (const auto& [bound, unused] : bounds)
          emit({{"__bucket", traceql::detail::quantile_label(bound)}}, [bound = bound](const cell& c) -> std::optional<double> {
            auto it = c.buckets.find(bound);
            return it == c.buckets.end() ? std::nullopt : std::optional(static_cast<double>(it->second));
          });
        break;
      }
    }
  }

  // topk / bottomk: at each step, only the k highest (lowest) series keep their point.
  if (q.second.shape != second_stage::form::none) {
    const bool top = q.second.shape == second_stage::form::topk;
    std::map<timestamp_ns, std::vector<std::pair<double, std::size_t>>> at_step;  // value, series index
    for (std::size_t s = 0; s < out.size(); ++s)
      for (const auto& [t, v] : out[s].points) at_step[t].emplace_back(v, s);
    std::vector<std::vector<std::pair<timestamp_ns, double>>> kept(out.size());
    for (auto& [t, ranked] : at_step) {
      std::stable_sort(ranked.begin(), ranked.end(), [top](const auto& a, const auto& b) {
        return top ? a.first > b.first : a.first < b.first;
      });
      for (std::size_t r = 0; r < ranked.size() && r < q.second.k; ++r) kept[ranked[r].second].emplace_back(t, ranked[r].first);
    }
    std::vector<traceql_series> filtered;
    for (std::size_t s = 0; s < out.size(); ++s)
      if (!kept[s].empty()) {
        out[s].points = std::move(kept[s]);
        filtered.push_back(std::move(out[s]));
      }
    out = std::move(filtered);
  }
  return out;
}

}  // namespace v0
}  // namespace trace
