#pragma once
// Summary statistics over any range of spans: the whole set, per service and per
// operation (count, distinct traces, errors, average and p50/p95/p99 durations), the top
// error operations, and error patterns (errors by operation and status message). Percentiles are exact by default (see
// percentile.hpp for their definition), or estimated by a quantile sketch in bounded memory
// (see sketch.hpp) when `summary_options::percentiles` says so.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "trace/analytics/percentile.hpp"
#include "trace/analytics/sketch.hpp"
#include "trace/core/span_traits.hpp"

namespace trace {
inline namespace v0 {

struct span_stats {
  std::size_t count = 0;
  std::size_t errors = 0;
  double error_rate = 0;  // errors / count, 0 when empty
  duration_ns min = 0;
  duration_ns max = 0;
  double average = 0;  // ns
  duration_ns p50 = 0;
  duration_ns p95 = 0;
  duration_ns p99 = 0;

  friend bool operator==(const span_stats&, const span_stats&) = default;
};

struct service_summary {
  std::string service;
  span_stats stats;

  friend bool operator==(const service_summary&, const service_summary&) = default;
};

struct operation_summary {
  std::string service;
  std::string operation;
  span_stats stats;

  friend bool operator==(const operation_summary&, const operation_summary&) = default;
};

struct error_operation {
  std::string service;
  std::string operation;
  std::size_t errors = 0;

  friend bool operator==(const error_operation&, const error_operation&) = default;
};

// Errors of one operation with one status message.
struct error_pattern {
  std::string operation;
  std::string message;
  std::size_t count = 0;

  friend bool operator==(const error_pattern&, const error_pattern&) = default;
};

struct summary_report {
  span_stats spans;
  std::size_t trace_count = 0;
  std::vector<service_summary> services;      // most spans first
  std::vector<operation_summary> operations;  // slowest average first
  std::vector<error_operation> top_error_operations;  // most errors first
  std::vector<error_pattern> error_patterns;          // most frequent first

  friend bool operator==(const summary_report&, const summary_report&) = default;
};

// exact: keeps every duration (8 bytes a span); sketch: a few KB a group, p50/p95/p99
// within `sketch_accuracy` relative error, rounded to whole nanoseconds; none: no
// percentiles (p50/p95/p99 stay 0), for reports that need only counts, errors and
// min/max/average, which then cost nothing per span beyond those.
enum class percentile_method { exact, sketch, none };

struct summary_options {
  std::size_t top_errors = 10;  // length of the top error operations and error patterns
  percentile_method percentiles = percentile_method::exact;
  double sketch_accuracy = quantile_sketch::default_relative_accuracy;
};

namespace detail {

// Count, errors, sum, min and max of one group's durations: all of span_stats but the
// percentiles, which `finish` leaves at 0.
struct running_stats {
  std::size_t count = 0;
  std::size_t errors = 0;
  double sum = 0;
  duration_ns min = std::numeric_limits<duration_ns>::max();
  duration_ns max = 0;

  void add(duration_ns duration, bool error) noexcept {
    ++count;
    errors += error;
    sum += static_cast<double>(duration);
    min = std::min(min, duration);
    max = std::max(max, duration);
  }

  span_stats finish() const noexcept {
    span_stats stats;
    stats.count = count;
    if (count == 0) return stats;
    stats.errors = errors;
    stats.error_rate = static_cast<double>(errors) / static_cast<double>(count);
    stats.min = min;
    stats.max = max;
    stats.average = sum / static_cast<double>(count);
    return stats;
  }
};

// p50/p95/p99 from a group's sketch, or exactly from all its `durations` (reordered).
inline void set_sketch_percentiles(span_stats& stats, const quantile_sketch& sketch) {
  stats.p50 = static_cast<duration_ns>(std::llround(sketch.quantile(0.50)));
  stats.p95 = static_cast<duration_ns>(std::llround(sketch.quantile(0.95)));
  stats.p99 = static_cast<duration_ns>(std::llround(sketch.quantile(0.99)));
}

// The exact percentiles a span_stats holds: p50, p95, p99.
inline constexpr double exact_percentile_points[] = {0.50, 0.95, 0.99};

inline void set_exact_percentiles(span_stats& stats, std::span<duration_ns> durations) {
  auto values = percentiles(durations, std::span<const double>(exact_percentile_points));
  stats.p50 = values[0];
  stats.p95 = values[1];
  stats.p99 = values[2];
}

// Collects one group's durations and counts; `finish` turns them into span_stats.
class stats_accumulator {
 public:
  stats_accumulator() = default;
  explicit stats_accumulator(const summary_options& options)
      : method_(options.percentiles),
        sketch_(method_ == percentile_method::sketch ? options.sketch_accuracy
                                                     : quantile_sketch::default_relative_accuracy) {}

  void reserve(std::size_t count) {
    if (method_ == percentile_method::exact) durations_.reserve(count);
  }

  void add(duration_ns duration, bool error) {
    if (method_ == percentile_method::sketch)
      sketch_.add(static_cast<double>(duration));
    else if (method_ == percentile_method::exact)
      durations_.push_back(duration);
    counts_.add(duration, error);
  }

  span_stats finish() {
    span_stats stats = counts_.finish();
    if (stats.count == 0) return stats;
    if (method_ == percentile_method::sketch)
      set_sketch_percentiles(stats, sketch_);
    else if (method_ == percentile_method::exact)
      set_exact_percentiles(stats, durations_);
    return stats;
  }

 private:
  percentile_method method_ = percentile_method::exact;
  std::vector<duration_ns> durations_;
  // Held directly, used only by the sketch method: inside a std::optional, g++ 12 at -O3
  // reports the sketch's fields as maybe-uninitialized when the accumulator is moved.
  quantile_sketch sketch_;
  running_stats counts_;
};

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

template <class Value>
using string_map = std::unordered_map<std::string, Value, string_hash, std::equal_to<>>;

// The value under `key`, made by `make()` when absent.
template <class Value, class Make>
Value& entry(string_map<Value>& map, std::string_view key, Make&& make) {
  auto found = map.find(key);
  if (found != map.end()) return found->second;
  return map.emplace(std::string(key), make()).first->second;
}

template <class Value>
Value& entry(string_map<Value>& map, std::string_view key) {
  return entry(map, key, [] { return Value{}; });
}

}  // namespace detail

// Count, errors, min/max/average and p50/p95/p99 of the spans' durations.
template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
span_stats summarize_spans(R&& spans, const summary_options& options = {}) {
  detail::stats_accumulator all(options);
  if constexpr (std::ranges::sized_range<R>) all.reserve(std::ranges::size(spans));
  for (auto&& s : spans) all.add(duration_of(s), status_of(s) == status_code::error);
  return all.finish();
}

namespace detail {

// Derives the top error operations and puts every list of a filled report in its order.
inline void order_report(summary_report& report, const summary_options& options) {
  std::ranges::sort(report.services, [](const service_summary& a, const service_summary& b) {
    return a.stats.count != b.stats.count ? a.stats.count > b.stats.count : a.service < b.service;
  });
  std::ranges::sort(report.operations, [](const operation_summary& a, const operation_summary& b) {
    if (a.stats.average != b.stats.average) return a.stats.average > b.stats.average;
    return std::tie(a.service, a.operation) < std::tie(b.service, b.operation);
  });
  for (const auto& op : report.operations)
    if (op.stats.errors) report.top_error_operations.push_back({op.service, op.operation, op.stats.errors});
  std::ranges::sort(report.top_error_operations, [](const error_operation& a, const error_operation& b) {
    if (a.errors != b.errors) return a.errors > b.errors;
    return std::tie(a.service, a.operation) < std::tie(b.service, b.operation);
  });
  if (report.top_error_operations.size() > options.top_errors) report.top_error_operations.resize(options.top_errors);
  std::ranges::sort(report.error_patterns, [](const error_pattern& a, const error_pattern& b) {
    if (a.count != b.count) return a.count > b.count;
    return std::tie(a.operation, a.message) < std::tie(b.operation, b.message);
  });
  if (report.error_patterns.size() > options.top_errors) report.error_patterns.resize(options.top_errors);
}

// Error counts per (operation, status message).
class error_pattern_counter {
 public:
  void add(std::string_view operation, std::string_view message) {
    ++entry(entry(counts_, operation), message);
  }
  void emit(std::vector<error_pattern>& out) const {
    for (const auto& [operation, messages] : counts_)
      for (const auto& [message, count] : messages) out.push_back({operation, message, count});
  }

 private:
  string_map<string_map<std::size_t>> counts_;
};

}  // namespace detail

// The full report: overall stats, trace count, per service, per operation, error tables.
// For a whole `memory_store`, `summarize(store)` (store_summary.hpp) gives the same report
// from the columns, much faster.
template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
summary_report summarize(R&& spans, const summary_options& options = {}) {
  struct service_group {
    detail::stats_accumulator stats;
    detail::string_map<detail::stats_accumulator> operations;
  };
  detail::stats_accumulator all(options);
  std::unordered_set<trace_id> traces;
  detail::string_map<service_group> by_service;
  detail::error_pattern_counter errors;
  auto fresh = [&options] { return detail::stats_accumulator(options); };
  for (auto&& s : spans) {
    duration_ns duration = duration_of(s);
    bool error = status_of(s) == status_code::error;
    all.add(duration, error);
    traces.insert(trace_id_of(s));
    auto& service = detail::entry(by_service, service_of(s), [&] { return service_group{fresh(), {}}; });
    service.stats.add(duration, error);
    detail::entry(service.operations, name_of(s), fresh).add(duration, error);
    if (error) errors.add(name_of(s), status_message_of(s));
  }

  summary_report report;
  report.spans = all.finish();
  report.trace_count = traces.size();
  for (auto& [service, group] : by_service) {
    report.services.push_back({service, group.stats.finish()});
    for (auto& [operation, stats] : group.operations) report.operations.push_back({service, operation, stats.finish()});
  }
  errors.emit(report.error_patterns);
  detail::order_report(report, options);
  return report;
}

}  // namespace v0
}  // namespace trace
