#pragma once
// Group-by aggregation: spans grouped by any mix of service,
// operation, status, kind and attribute values, optionally also by time bucket, with
// count, errors, error rate, min/max/average and p50/p95/p99 per group, ordered and paged.
//
//   trace::group_by_options options;
//   options.keys = {trace::by::service(), trace::by::attribute("http.method")};
//   options.bucket = trace::minute;
//   options.order = trace::group_order::p95;
//   auto page = trace::group_spans(store.scan(), options);
//
// Time buckets are aligned to the epoch: a span falls in the bucket holding its start.
// For a whole `memory_store`, `group_spans(store, options)` (store_group_by.hpp) gives the
// same page from the columns, much faster.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <ranges>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "trace/analytics/summary.hpp"  // span_stats, percentile_method, detail::stats_accumulator
#include "trace/core/attribute.hpp"     // to_string of attribute values
#include "trace/core/span_traits.hpp"

namespace trace {
inline namespace v0 {

// One part of a group key.
struct group_field {
  enum class source : std::uint8_t { service, operation, status, kind, attribute };
  source from = source::service;
  std::string attribute_key;  // with source::attribute: looked up on the span, then its resource

  friend bool operator==(const group_field&, const group_field&) = default;
};

namespace by {
inline group_field service() { return {group_field::source::service, {}}; }
inline group_field operation() { return {group_field::source::operation, {}}; }
inline group_field status() { return {group_field::source::status, {}}; }
inline group_field kind() { return {group_field::source::kind, {}}; }
inline group_field attribute(std::string key) { return {group_field::source::attribute, std::move(key)}; }
}  // namespace by

// Groups are listed by the metric named here, largest first (`key`: by time bucket, then
// key values, ascending). Ties go by time bucket, then key values.
enum class group_order : std::uint8_t { key, count, errors, error_rate, average, max, p50, p95, p99 };

struct group_by_options {
  std::vector<group_field> keys;  // none: one group of everything (per bucket)
  duration_ns bucket = 0;         // 0: no time buckets
  group_order order = group_order::count;
  std::size_t offset = 0;  // groups skipped after ordering
  std::size_t limit = std::numeric_limits<std::size_t>::max();
  percentile_method percentiles = percentile_method::exact;  // none: p50/p95/p99 stay 0
  double sketch_accuracy = quantile_sketch::default_relative_accuracy;
};

struct group_row {
  std::vector<std::string> key;  // one value per field of `keys`; "" for a missing attribute
  timestamp_ns bucket_start = 0;  // 0 without time buckets
  span_stats stats;
  friend bool operator==(const group_row&, const group_row&) = default;
};

struct group_page {
  std::vector<group_row> rows;   // the requested page
  std::size_t total_groups = 0;  // before offset and limit
  friend bool operator==(const group_page&, const group_page&) = default;
};

// Groups `spans` as `options` say. O(n) plus the ordering of the groups.
template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
group_page group_spans(R&& spans, const group_by_options& options = {});

// The text of one key field for a span: service and operation names, status and kind
// names (to_string), or the attribute's value as text.
template <span_like S>
std::string group_value(const S& span, const group_field& field);

namespace detail {

template <span_like S>
void append_group_value(std::string& out, const S& s, const group_field& field) {
  switch (field.from) {
    case group_field::source::service: out += service_of(s); return;
    case group_field::source::operation: out += name_of(s); return;
    case group_field::source::status: out += to_string(status_of(s)); return;
    case group_field::source::kind: out += to_string(kind_of(s)); return;
    case group_field::source::attribute:
      visit_attributes(s, [&](attribute_scope where, std::string_view key, const auto& value) {
        if (key != field.attribute_key) return false;
        if (where != attribute_scope::span && where != attribute_scope::resource) return false;
        out += to_string(value);
        return true;
      });
      return;
  }
}

inline double order_value(const span_stats& s, group_order order) {
  switch (order) {
    case group_order::key: return 0;
    case group_order::count: return static_cast<double>(s.count);
    case group_order::errors: return static_cast<double>(s.errors);
    case group_order::error_rate: return s.error_rate;
    case group_order::average: return s.average;
    case group_order::max: return static_cast<double>(s.max);
    case group_order::p50: return static_cast<double>(s.p50);
    case group_order::p95: return static_cast<double>(s.p95);
    case group_order::p99: return static_cast<double>(s.p99);
  }
  return 0;
}

// Key values joined by a byte names do not contain, then the bucket's 8 bytes.
inline std::vector<std::string> split_group_key(std::string_view joined, std::size_t fields) {
  std::vector<std::string> parts;
  parts.reserve(fields);
  for (std::size_t i = 0; i < fields; ++i) {
    auto cut = joined.find('\0');
    parts.emplace_back(joined.substr(0, cut));
    joined.remove_prefix(cut + 1);
  }
  return parts;
}

// Puts every group of `page` in `options.order` and keeps the requested page of them.
inline void order_and_page(group_page& page, const group_by_options& options) {
  page.total_groups = page.rows.size();
  auto order = options.order;
  std::ranges::sort(page.rows, [&](const group_row& a, const group_row& b) {
    double va = order_value(a.stats, order), vb = order_value(b.stats, order);
    if (va != vb) return va > vb;
    return std::tie(a.bucket_start, a.key) < std::tie(b.bucket_start, b.key);
  });
  auto first = std::min(options.offset, page.rows.size());
  auto last = first + std::min(options.limit, page.rows.size() - first);
  page.rows.erase(page.rows.begin() + static_cast<std::ptrdiff_t>(last), page.rows.end());
  page.rows.erase(page.rows.begin(), page.rows.begin() + static_cast<std::ptrdiff_t>(first));
}

}  // namespace detail

template <span_like S>
std::string group_value(const S& span, const group_field& field) {
  std::string out;
  detail::append_group_value(out, span, field);
  return out;
}

template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
group_page group_spans(R&& spans, const group_by_options& options) {
  struct group {
    timestamp_ns bucket_start;
    detail::stats_accumulator stats;
  };
  summary_options accumulate;
  accumulate.percentiles = options.percentiles;
  accumulate.sketch_accuracy = options.sketch_accuracy;

  detail::string_map<group> groups;
  std::string key;
  for (auto&& s : spans) {
    key.clear();
    for (const auto& field : options.keys) {
      detail::append_group_value(key, s, field);
      key += '\0';
    }
    timestamp_ns bucket_start = options.bucket ? start_of(s) / options.bucket * options.bucket : 0;
    key.append(reinterpret_cast<const char*>(&bucket_start), sizeof bucket_start);
    auto& g = detail::entry(groups, key, [&] { return group{bucket_start, detail::stats_accumulator(accumulate)}; });
    g.stats.add(duration_of(s), status_of(s) == status_code::error);
  }

  group_page page;
  page.rows.reserve(groups.size());
  for (auto& [joined, g] : groups)
    page.rows.push_back({detail::split_group_key(joined, options.keys.size()), g.bucket_start, g.stats.finish()});
  detail::order_and_page(page, options);
  return page;
}

}  // namespace v0
}  // namespace trace
