#pragma once
// Server-side answers to the analytics of analytics/: `group_spans(store, options, where)`
// and `summarize_spans(store, where)` over a `clickhouse_store` are pushed down (the store's
// `push_down(group_request)`, store/concepts.hpp) and computed by ClickHouse, so only one
// row per group travels.
//
//   auto stats = trace::summarize_spans(store, where::service("api"));
//   auto page = trace::group_spans(store, options);      // options as for the generic one
//
// Percentiles follow percentile.hpp's definition exactly (the value at zero-based index
// round((n − 1)·p) of the sorted durations), so they match `percentile_method::exact`;
// a request for sketch percentiles gets exact ones too, and `percentile_method::none` leaves
// them 0 without collecting durations on the server. The filter must translate exactly
// (pushdown.hpp); one that does not is refused rather than answered approximately.
// This header holds the statement and the reading of its answer; clickhouse.hpp includes it.

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "trace/analytics/store_group_by.hpp"  // group_request, the generic group_spans
#include "trace/core/error.hpp"
#include "trace/store/clickhouse/pushdown.hpp"
#include "trace/store/clickhouse/span_rows.hpp"  // row_binary_reader

namespace trace {
inline namespace v0 {

namespace clickhouse {

// The statement that groups the spans of `table` as `r` asks, answering in RowBinary.
std::string group_statement(const group_request& r, const std::string& table);
// The page read from that statement's answer.
group_page read_group_page(std::string_view body, const group_by_options& options);

namespace detail {

inline std::string group_key(const group_field& field) {
  switch (field.from) {
    case group_field::source::service: return "ServiceName";
    case group_field::source::operation: return "SpanName";
    case group_field::source::status: return "transform(StatusCode, [0, 1, 2], ['unset', 'ok', 'error'], '')";
    case group_field::source::kind:
      return "transform(SpanKind, [0, 1, 2, 3, 4, 5], "
             "['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'], '')";
    case group_field::source::attribute: {
      // The span's own attribute first, then the resource's; index 0 reads as ''.
      std::string key = quote(field.attribute_key);
      return "if(has(SpanAttributeKeys, " + key + "), SpanAttributeValues[indexOf(SpanAttributeKeys, " + key +
             ")], ResourceAttributeValues[indexOf(ResourceAttributeKeys, " + key + ")])";
    }
  }
  return "''";
}

inline std::string percentile_sql(const char* p) {
  return "sorted[toUInt64((length(sorted) - 1) * " + std::string(p) + " + 0.5) + 1]";
}

}  // namespace detail

inline std::string group_statement(const group_request& r, const std::string& table) {
  const group_by_options& options = r.options;
  auto condition = to_sql(r.where);  // the caller checked that it is exact
  std::string group_by = " GROUP BY ";
  for (std::size_t i = 0; i < options.keys.size(); ++i) group_by += "key" + std::to_string(i) + ", ";
  group_by += "bucket";

  // The inner query aggregates (keys, bucket, counts, the sorted durations); the outer one
  // picks the percentiles out of the sorted array.
  std::string inner = "SELECT ";
  for (std::size_t i = 0; i < options.keys.size(); ++i)
    inner += "toString(" + detail::group_key(options.keys[i]) + ") AS key" + std::to_string(i) + ", ";
  inner += options.bucket ? "intDiv(Timestamp, " + std::to_string(options.bucket) + ") * " +
                                std::to_string(options.bucket) + " AS bucket, "
                          : "toUInt64(0) AS bucket, ";
  const bool percentiles = options.percentiles != percentile_method::none;
  inner += "count() AS n, countIf(StatusCode = 2) AS errors, min(Duration) AS low, max(Duration) AS high, "
           "sum(Duration) AS total";
  if (percentiles) inner += ", arraySort(groupArray(Duration)) AS sorted";
  inner += " FROM " + table + " WHERE " + condition.text + group_by;
  std::string outer = "SELECT ";
  for (std::size_t i = 0; i < options.keys.size(); ++i) outer += "key" + std::to_string(i) + ", ";
  outer += "bucket, n, errors, low, high, total, ";
  outer += percentiles ? detail::percentile_sql("0.5") + ", " + detail::percentile_sql("0.95") + ", " +
                             detail::percentile_sql("0.99")
                       : std::string("toUInt64(0), toUInt64(0), toUInt64(0)");
  outer += " FROM (" + inner + ") FORMAT RowBinary";
  return outer;
}

inline group_page read_group_page(std::string_view body, const group_by_options& options) {
  row_binary_reader r(body);
  group_page page;
  while (!r.at_end()) {
    group_row row;
    for (std::size_t i = 0; i < options.keys.size(); ++i) row.key.emplace_back(r.string());
    row.bucket_start = r.number<std::uint64_t>();
    span_stats& s = row.stats;
    s.count = static_cast<std::size_t>(r.number<std::uint64_t>());
    s.errors = static_cast<std::size_t>(r.number<std::uint64_t>());
    s.min = r.number<std::uint64_t>();
    s.max = r.number<std::uint64_t>();
    auto total = r.number<std::uint64_t>();
    s.p50 = r.number<std::uint64_t>();
    s.p95 = r.number<std::uint64_t>();
    s.p99 = r.number<std::uint64_t>();
    s.error_rate = static_cast<double>(s.errors) / static_cast<double>(s.count);
    s.average = static_cast<double>(total) / static_cast<double>(s.count);
    page.rows.push_back(std::move(row));
  }
  trace::detail::order_and_page(page, options);
  return page;
}

}  // namespace clickhouse
}  // namespace v0
}  // namespace trace
