#pragma once
// Anomalies of a current window against a baseline window (Tael's anomaly report), per
// service or per service and operation:
//
//   error_rate   current rate above baseline + 5 points (medium), + 20 points (high)
//   p95_latency  current p95 above 1.5× baseline and more than 25 ms above it (medium),
//                above 2× baseline (high)
//
// All thresholds are options. A group present in only one window is not compared: there
// is nothing to compare it with. See shift_detector.hpp for a detector that needs no
// hand-picked baseline.

#include <algorithm>
#include <cstdint>
#include <map>
#include <ranges>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "trace/analytics/detail/text.hpp"  // percent_text
#include "trace/analytics/summary.hpp"  // span_stats, detail::stats_accumulator
#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {

enum class anomaly_kind : std::uint8_t { error_rate, p95_latency };
enum class anomaly_severity : std::uint8_t { medium, high };

constexpr std::string_view to_string(anomaly_kind kind) noexcept {
  return kind == anomaly_kind::error_rate ? "error_rate" : "p95_latency";
}
constexpr std::string_view to_string(anomaly_severity severity) noexcept {
  return severity == anomaly_severity::high ? "high" : "medium";
}

struct anomaly {
  std::string service;
  std::string operation;  // empty unless per operation
  anomaly_kind kind = anomaly_kind::error_rate;
  anomaly_severity severity = anomaly_severity::medium;
  double current = 0;   // error rate as a fraction, or p95 in ns
  double baseline = 0;  // same unit
  double delta = 0;     // current − baseline
  std::string description;  // "checkout error rate increased from 1.0% to 12.5%"
};

struct anomaly_options {
  double error_rate_medium = 0.05;  // rise in error rate, in fractions (0.05 = 5 points)
  double error_rate_high = 0.20;
  double latency_ratio = 1.5;                         // current p95 / baseline p95 above this ...
  duration_ns latency_min_delta = 25 * millisecond;   // ... and current − baseline above this
  double latency_high_ratio = 2.0;
  bool per_operation = false;
  std::size_t min_requests = 1;  // spans a group needs in each window to be compared
  percentile_method percentiles = percentile_method::exact;
};

// [from, to): spans whose start falls inside.
struct time_window {
  timestamp_ns from = 0;
  timestamp_ns to = 0;
  bool contains(timestamp_ns t) const noexcept { return t >= from && t < to; }
};

// Anomalies of `current` spans against `baseline` spans, high severity first, then by
// service, operation and kind.
template <std::ranges::input_range C, std::ranges::input_range B>
  requires span_like<std::ranges::range_value_t<C>> && span_like<std::ranges::range_value_t<B>>
std::vector<anomaly> compare_windows(C&& current, B&& baseline, const anomaly_options& options = {});

// The same over one range of spans, split into two windows by start time in one pass.
template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
std::vector<anomaly> detect_anomalies(R&& spans, time_window current, time_window baseline,
                                      const anomaly_options& options = {});

namespace detail {

inline void check(const anomaly_options& o) {
  if (!(o.error_rate_medium >= 0 && o.error_rate_high >= o.error_rate_medium))
    throw error(errc::invalid_option, "anomaly options: error rate thresholds need 0 <= medium <= high");
  if (!(o.latency_ratio >= 1 && o.latency_high_ratio >= o.latency_ratio))
    throw error(errc::invalid_option, "anomaly options: latency ratios need 1 <= ratio <= high ratio");
}

// Statistics of one window per service, or per service and operation.
class window_stats {
 public:
  explicit window_stats(const anomaly_options& o) : options_(o) {
    accumulate_.percentiles = o.percentiles;
  }

  template <span_like S>
  void add(const S& s) {
    // Service and operation joined by a byte names do not contain.
    key_.assign(service_of(s)).push_back('\0');
    if (options_.per_operation) key_.append(name_of(s));
    entry(groups_, key_, [this] { return stats_accumulator(accumulate_); })
        .add(duration_of(s), status_of(s) == status_code::error);
  }

  std::map<std::pair<std::string, std::string>, span_stats> finish() {
    std::map<std::pair<std::string, std::string>, span_stats> out;
    for (auto& [key, acc] : groups_) {
      auto cut = key.find('\0');
      out.emplace(std::pair{key.substr(0, cut), key.substr(cut + 1)}, acc.finish());
    }
    return out;
  }

 private:
  const anomaly_options& options_;
  summary_options accumulate_;
  string_map<stats_accumulator> groups_;
  std::string key_;
};

inline std::vector<anomaly> compare_stats(window_stats& current, window_stats& baseline, const anomaly_options& options) {
  auto now = current.finish();
  auto before = baseline.finish();
  std::vector<anomaly> out;
  for (const auto& [group, c] : now) {
    auto found = before.find(group);
    if (found == before.end()) continue;
    const span_stats& b = found->second;
    if (c.count < options.min_requests || b.count < options.min_requests) continue;
    std::string who = group.second.empty() ? group.first : group.first + " " + group.second;

    if (c.error_rate > b.error_rate + options.error_rate_medium) {
      auto severity = c.error_rate > b.error_rate + options.error_rate_high ? anomaly_severity::high : anomaly_severity::medium;
      out.push_back({group.first, group.second, anomaly_kind::error_rate, severity, c.error_rate, b.error_rate,
                     c.error_rate - b.error_rate,
                     who + " error rate increased from " + percent_text(b.error_rate) + " to " +
                         percent_text(c.error_rate)});
    }
    auto cp = static_cast<double>(c.p95), bp = static_cast<double>(b.p95);
    if (cp > bp * options.latency_ratio && cp - bp > static_cast<double>(options.latency_min_delta)) {
      auto severity = cp > bp * options.latency_high_ratio ? anomaly_severity::high : anomaly_severity::medium;
      out.push_back({group.first, group.second, anomaly_kind::p95_latency, severity, cp, bp, cp - bp,
                     who + " p95 latency increased from " + format_duration(b.p95) + " to " + format_duration(c.p95)});
    }
  }
  std::ranges::stable_sort(out, [](const anomaly& a, const anomaly& b) { return a.severity > b.severity; });
  return out;
}

}  // namespace detail

template <std::ranges::input_range C, std::ranges::input_range B>
  requires span_like<std::ranges::range_value_t<C>> && span_like<std::ranges::range_value_t<B>>
std::vector<anomaly> compare_windows(C&& current, B&& baseline, const anomaly_options& options) {
  detail::check(options);
  detail::window_stats now(options), before(options);
  for (auto&& s : current) now.add(s);
  for (auto&& s : baseline) before.add(s);
  return detail::compare_stats(now, before, options);
}

template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
std::vector<anomaly> detect_anomalies(R&& spans, time_window current, time_window baseline,
                                      const anomaly_options& options) {
  detail::check(options);
  detail::window_stats now(options), before(options);
  for (auto&& s : spans) {
    timestamp_ns start = start_of(s);
    if (current.contains(start)) now.add(s);
    if (baseline.contains(start)) before.add(s);
  }
  return detail::compare_stats(now, before, options);
}

}  // namespace v0
}  // namespace trace
