#pragma once
// RED series (rate, errors, duration) per service, or per service and operation, over
// time buckets: the data a dashboard plots. Every series has a point for every bucket
// from the first to the last bucket seen in any series, so series line up and a quiet
// bucket shows as zero rather than as a gap.

#include <cstdint>
#include <map>
#include <ranges>
#include <string>
#include <utility>
#include <vector>

#include "trace/analytics/group_by.hpp"
#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {

struct red_point {
  timestamp_ns bucket_start = 0;
  std::size_t requests = 0;
  std::size_t errors = 0;
  double rate = 0;        // requests per second
  double error_rate = 0;  // errors / requests, 0 when idle
  duration_ns p50 = 0;
  duration_ns p95 = 0;
  duration_ns p99 = 0;
};

struct red_series {
  std::string service;
  std::string operation;  // empty unless per operation
  std::vector<red_point> points;
};

struct red_options {
  duration_ns bucket = minute;  // > 0
  bool per_operation = false;
  percentile_method percentiles = percentile_method::sketch;
  double sketch_accuracy = quantile_sketch::default_relative_accuracy;
};

// Series ordered by service, then operation.
template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
std::vector<red_series> red_metrics(R&& spans, const red_options& options = {}) {
  if (options.bucket == 0) throw error(errc::invalid_option, "red_metrics: bucket must be longer than 0 ns");
  group_by_options grouping;
  grouping.keys = {by::service()};
  if (options.per_operation) grouping.keys.push_back(by::operation());
  grouping.bucket = options.bucket;
  grouping.order = group_order::key;
  grouping.percentiles = options.percentiles;
  grouping.sketch_accuracy = options.sketch_accuracy;
  auto rows = group_spans(std::forward<R>(spans), grouping).rows;
  if (rows.empty()) return {};

  timestamp_ns first = rows.front().bucket_start, last = rows.back().bucket_start;  // rows are in time order
  auto bucket_count = static_cast<std::size_t>((last - first) / options.bucket) + 1;
  double seconds = static_cast<double>(options.bucket) / static_cast<double>(second);

  std::map<std::pair<std::string, std::string>, red_series> series;
  for (auto& row : rows) {
    std::string operation = options.per_operation ? row.key[1] : std::string();
    auto& one = series[{row.key[0], operation}];
    if (one.points.empty()) {
      one.service = row.key[0];
      one.operation = operation;
      one.points.resize(bucket_count);
      for (std::size_t i = 0; i < bucket_count; ++i) one.points[i].bucket_start = first + i * options.bucket;
    }
    auto& point = one.points[static_cast<std::size_t>((row.bucket_start - first) / options.bucket)];
    point.requests = row.stats.count;
    point.errors = row.stats.errors;
    point.rate = static_cast<double>(row.stats.count) / seconds;
    point.error_rate = row.stats.error_rate;
    point.p50 = row.stats.p50;
    point.p95 = row.stats.p95;
    point.p99 = row.stats.p99;
  }
  std::vector<red_series> out;
  out.reserve(series.size());
  for (auto& entry : series) out.push_back(std::move(entry.second));
  return out;
}

}  // namespace v0
}  // namespace trace
