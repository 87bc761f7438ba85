#pragma once
// A statistical detector of sudden shifts over time buckets, needing no hand-picked
// baseline window: each bucket is scored against the buckets before it by a robust
// z-score (the modified z-score of Iglewicz and Hoaglin),
//
//   score = 0.6745 · (x − median) / MAD
//
// where median and MAD (median absolute deviation from the median) come from up to
// `history` previous buckets. Median and MAD ignore a minority of outliers, so an earlier
// spike does not hide the next one, and a sustained shift becomes the new normal once it
// fills half the history. A bucket fires when all of these hold:
//   * at least `min_history` previous buckets had enough requests to count;
//   * |score| > `threshold` (3.5 by default, the usual cut-off for the modified z-score),
//     in the watched direction (rises by default);
//   * |x − median| ≥ `min_deviation`, so that a flat history (MAD = 0, any change scores
//     infinity) does not fire on a change too small to matter.
// `detect_red_shifts` runs it on each RED series' p95 latency and error rate. An error-rate
// shift must also be more than `threshold` binomial standard deviations above the median
// rate, sqrt(p(1 − p) / n) with p = max(median, 1 / n) and n the bucket's requests: with
// little traffic one or two failures are counting noise, not a shift, however flat the
// history was.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "trace/analytics/anomaly.hpp"  // anomaly_kind names the metric
#include "trace/analytics/detail/text.hpp"
#include "trace/analytics/red.hpp"
#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {

enum class shift_direction : std::uint8_t { rise, fall, both };

struct shift_options {
  std::size_t history = 30;     // previous buckets the median and MAD come from
  std::size_t min_history = 8;  // fewer usable previous buckets: no verdict
  double threshold = 3.5;
  double min_deviation = 0;  // in the series' unit
  shift_direction direction = shift_direction::rise;
};

struct shift_point {
  std::size_t index = 0;  // position in the series
  double value = 0;
  double median = 0;
  double mad = 0;
  double score = 0;  // ±infinity when the history was flat
};

// Shifts in `series`; `usable[i] == false` excludes bucket i both as a candidate and as
// history (e.g. a bucket with too few requests). An empty `usable` uses every bucket.
std::vector<shift_point> detect_shifts(std::span<const double> series, const shift_options& options = {},
                                       const std::vector<bool>& usable = {});

struct red_shift_options {
  red_options red;  // bucket size and per-operation series
  shift_options latency{30, 8, 3.5, 5.0 * millisecond, shift_direction::rise};
  shift_options errors{30, 8, 3.5, 0.02, shift_direction::rise};
  std::size_t min_requests = 5;  // a bucket with fewer requests is neither judged nor history
};

struct red_shift {
  std::string service;
  std::string operation;
  anomaly_kind metric = anomaly_kind::p95_latency;
  timestamp_ns bucket_start = 0;
  shift_point point;
  std::string description;
};

// Shifts of p95 latency and error rate in each service's (or operation's) RED series,
// in time order, then by service, operation and metric.
template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
std::vector<red_shift> detect_red_shifts(R&& spans, const red_shift_options& options = {});

namespace detail {

inline double median_of(std::vector<double>& values) {
  auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  double upper = *middle;
  if (values.size() % 2) return upper;
  double lower = *std::max_element(values.begin(), middle);
  return (lower + upper) / 2;
}

inline void check(const shift_options& o, const char* which) {
  if (o.history == 0 || o.min_history == 0 || o.min_history > o.history || !(o.threshold > 0) || !(o.min_deviation >= 0))
    throw error(errc::invalid_option, std::string("shift options (") + which +
                                          "): need 0 < min_history <= history, threshold > 0, min_deviation >= 0");
}

}  // namespace detail

inline std::vector<shift_point> detect_shifts(std::span<const double> series, const shift_options& options,
                                              const std::vector<bool>& usable) {
  detail::check(options, "detect_shifts");
  if (!usable.empty() && usable.size() != series.size())
    throw error(errc::invalid_argument, "detect_shifts: usable flags (" + std::to_string(usable.size()) +
                                            ") and series (" + std::to_string(series.size()) + ") differ in length");
  auto counts = [&](std::size_t i) { return usable.empty() || usable[i]; };
  std::vector<shift_point> out;
  std::vector<double> history, deviations;
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (!counts(i)) continue;
    history.clear();
    for (std::size_t j = i; j-- > 0 && history.size() < options.history;)
      if (counts(j)) history.push_back(series[j]);
    if (history.size() < options.min_history) continue;

    shift_point p;
    p.index = i;
    p.value = series[i];
    p.median = detail::median_of(history);
    deviations.clear();
    for (double h : history) deviations.push_back(std::abs(h - p.median));
    p.mad = detail::median_of(deviations);
    double deviation = p.value - p.median;
    if (deviation == 0) continue;
    p.score = p.mad > 0 ? 0.6745 * deviation / p.mad : std::copysign(std::numeric_limits<double>::infinity(), deviation);
    bool direction_ok = options.direction == shift_direction::both ||
                        (options.direction == shift_direction::rise ? deviation > 0 : deviation < 0);
    if (direction_ok && std::abs(p.score) > options.threshold && std::abs(deviation) >= options.min_deviation)
      out.push_back(p);
  }
  return out;
}

template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
std::vector<red_shift> detect_red_shifts(R&& spans, const red_shift_options& options) {
  detail::check(options.latency, "latency");
  detail::check(options.errors, "errors");
  std::vector<red_shift> out;
  for (const auto& series : red_metrics(std::forward<R>(spans), options.red)) {
    std::vector<double> latency, errors;
    std::vector<bool> usable;
    for (const auto& point : series.points) {
      latency.push_back(static_cast<double>(point.p95));
      errors.push_back(point.error_rate);
      usable.push_back(point.requests >= options.min_requests);
    }
    std::string who = series.operation.empty() ? series.service : series.service + " " + series.operation;
    for (const auto& p : detect_shifts(latency, options.latency, usable)) {
      auto at = series.points[p.index].bucket_start;
      out.push_back({series.service, series.operation, anomaly_kind::p95_latency, at, p,
                     who + " p95 latency " + format_duration(static_cast<duration_ns>(p.value)) + " in the bucket at " +
                         detail::format_timestamp(at) + " against a median of " +
                         format_duration(static_cast<duration_ns>(p.median))});
    }
    for (const auto& p : detect_shifts(errors, options.errors, usable)) {
      auto n = static_cast<double>(series.points[p.index].requests);
      double rate = std::max(p.median, 1 / n);
      if (p.value - p.median <= options.errors.threshold * std::sqrt(rate * (1 - rate) / n)) continue;
      auto at = series.points[p.index].bucket_start;
      out.push_back({series.service, series.operation, anomaly_kind::error_rate, at, p,
                     who + " error rate " + detail::percent_text(p.value) + " in the bucket at " +
                         detail::format_timestamp(at) + " against a median of " + detail::percent_text(p.median)});
    }
  }
  std::ranges::stable_sort(out, [](const red_shift& a, const red_shift& b) { return a.bucket_start < b.bucket_start; });
  return out;
}

}  // namespace v0
}  // namespace trace
