#pragma once
// Server-side twins of analytics/: the same answers as `summarize_spans` and `group_spans`
// over the store's spans, computed by ClickHouse so only one row per group travels.
//
//   auto stats = trace::summarize_spans(store, where::service("api"));
//   auto page = trace::group_spans(store, options);      // options as for the generic one
//
// Percentiles follow percentile.hpp's definition exactly (the value at zero-based index
// round((n − 1)·p) of the sorted durations), so they match `percentile_method::exact`;
// a request for sketch percentiles gets exact ones too, and `percentile_method::none` leaves
// them 0 without collecting durations on the server. The filter must translate exactly
// (pushdown.hpp); one that does not is refused rather than answered approximately.

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "trace/analytics/group_by.hpp"
#include "trace/store/clickhouse.hpp"

namespace trace {
inline namespace v0 {

span_stats summarize_spans(const clickhouse_store& store, const filter& where = where::any());
group_page group_spans(const clickhouse_store& store, const group_by_options& options,
                       const filter& where = where::any());

namespace detail {

inline std::string clickhouse_group_key(const group_field& field) {
  using clickhouse::quote;
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

inline std::string clickhouse_percentile(const char* p) {
  return "sorted[toUInt64((length(sorted) - 1) * " + std::string(p) + " + 0.5) + 1]";
}

}  // namespace detail

inline group_page group_spans(const clickhouse_store& store, const group_by_options& options, const filter& where) {
  auto condition = clickhouse::to_sql(where);
  if (!condition.exact)
    throw error(errc::invalid_argument,
                "clickhouse group_spans: the filter does not translate exactly to SQL (attribute comparisons, event "
                "or link attributes); group `store.scan(filter)` with the generic group_spans instead");
  std::string group_by = " GROUP BY ";
  for (std::size_t i = 0; i < options.keys.size(); ++i) group_by += "key" + std::to_string(i) + ", ";
  group_by += "bucket";

  // The inner query aggregates (keys, bucket, counts, the sorted durations); the outer one
  // picks the percentiles out of the sorted array.
  std::string inner = "SELECT ";
  for (std::size_t i = 0; i < options.keys.size(); ++i)
    inner += "toString(" + detail::clickhouse_group_key(options.keys[i]) + ") AS key" + std::to_string(i) + ", ";
  inner += options.bucket ? "intDiv(Timestamp, " + std::to_string(options.bucket) + ") * " +
                                std::to_string(options.bucket) + " AS bucket, "
                          : "toUInt64(0) AS bucket, ";
  const bool percentiles = options.percentiles != percentile_method::none;
  inner += "count() AS n, countIf(StatusCode = 2) AS errors, min(Duration) AS low, max(Duration) AS high, "
           "sum(Duration) AS total";
  if (percentiles) inner += ", arraySort(groupArray(Duration)) AS sorted";
  inner += " FROM " + store.table_name() + " WHERE " + condition.text + group_by;
  std::string outer = "SELECT ";
  for (std::size_t i = 0; i < options.keys.size(); ++i) outer += "key" + std::to_string(i) + ", ";
  outer += "bucket, n, errors, low, high, total, ";
  outer += percentiles ? detail::clickhouse_percentile("0.5") + ", " + detail::clickhouse_percentile("0.95") + ", " +
                             detail::clickhouse_percentile("0.99")
                       : std::string("toUInt64(0), toUInt64(0), toUInt64(0)");
  outer += " FROM (" + inner + ") FORMAT RowBinary";

  std::string body = store.execute(outer);
  clickhouse::row_binary_reader r(body);
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
  detail::order_and_page(page, options);
  return page;
}

inline span_stats summarize_spans(const clickhouse_store& store, const filter& where) {
  auto page = group_spans(store, group_by_options{}, where);
  return page.rows.empty() ? span_stats{} : page.rows.front().stats;
}

}  // namespace v0
}  // namespace trace
