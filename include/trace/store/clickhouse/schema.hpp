#pragma once
// The table layout of the ClickHouse store (docs/CLICKHOUSE.md explains each choice): the
// OpenTelemetry Collector exporter's `otel_traces`, adapted to ClickHouse 18.16, which has
// neither Map nor TTL nor skip indices:
//   - attributes as parallel arrays: keys, values as text, and the value's type;
//   - times as UInt64 nanoseconds since the epoch, durations as UInt64 nanoseconds;
//   - ORDER BY (TraceId, Timestamp), so a trace is a primary-key range in each partition
//     and `find_trace` never scans (Jaeger's ClickHouse plugin keys its spans table the
//     same way); scans by time prune whole daily partitions;
//   - retention by dropping daily partitions older than a cutoff, ClickHouse's own way
//     before TTL existed.
// With a cluster, every shard holds `<table>_local` and `<table>` is a Distributed table
// over them, sharded by a hash of the trace id, so a trace lives whole on one shard.

#include <string>
#include <vector>

#include "trace/core/time.hpp"
#include "trace/store/clickhouse/sql.hpp"

namespace trace {
inline namespace v0 {
namespace clickhouse {

// Spans in one partition: one UTC day.
inline constexpr duration_ns partition_width = 24 * hour;

struct column {
  const char* name;
  const char* type;
};

// The columns in RowBinary / insert order.
inline constexpr column span_columns[] = {
    {"Timestamp", "UInt64"},
    {"TraceId", "String"},
    {"SpanId", "String"},
    {"ParentSpanId", "String"},
    {"TraceState", "String"},
    {"SpanName", "String"},
    {"SpanKind", "UInt8"},
    {"ServiceName", "String"},
    {"ResourceAttributeKeys", "Array(String)"},
    {"ResourceAttributeValues", "Array(String)"},
    {"ResourceAttributeTypes", "Array(UInt8)"},
    {"ScopeName", "String"},
    {"ScopeVersion", "String"},
    {"ScopeAttributeKeys", "Array(String)"},
    {"ScopeAttributeValues", "Array(String)"},
    {"ScopeAttributeTypes", "Array(UInt8)"},
    {"SpanAttributeKeys", "Array(String)"},
    {"SpanAttributeValues", "Array(String)"},
    {"SpanAttributeTypes", "Array(UInt8)"},
    {"Duration", "UInt64"},
    {"StatusCode", "UInt8"},
    {"StatusMessage", "String"},
    {"Events.Timestamp", "Array(UInt64)"},
    {"Events.Name", "Array(String)"},
    {"Events.Level", "Array(Int8)"},
    {"Events.AttributeKeys", "Array(Array(String))"},
    {"Events.AttributeValues", "Array(Array(String))"},
    {"Events.AttributeTypes", "Array(Array(UInt8))"},
    {"Links.TraceId", "Array(String)"},
    {"Links.SpanId", "Array(String)"},
    {"Links.TraceState", "Array(String)"},
    {"Links.AttributeKeys", "Array(Array(String))"},
    {"Links.AttributeValues", "Array(Array(String))"},
    {"Links.AttributeTypes", "Array(Array(UInt8))"},
    {"DroppedAttributesCount", "UInt32"},
    {"DroppedEventsCount", "UInt32"},
    {"DroppedLinksCount", "UInt32"},
};

// "`Timestamp`, `TraceId`, ..." for SELECT and INSERT.
inline std::string column_list() {
  std::string out;
  for (const column& c : span_columns) {
    if (!out.empty()) out += ", ";
    out += quote_identifier(c.name);
  }
  return out;
}

// "CREATE TABLE IF NOT EXISTS db.table (columns) ENGINE = ..." for the span columns.
inline std::string create_table_sql(const std::string& database, const std::string& table, const std::string& engine) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + quote_identifier(database) + "." + quote_identifier(table) + " (";
  bool first = true;
  for (const column& c : span_columns) {
    if (!first) sql += ", ";
    first = false;
    sql += quote_identifier(c.name);
    sql += ' ';
    sql += c.type;
  }
  return sql + ") ENGINE = " + engine;
}

// The engine of the table that holds spans. A granule of 1024 rows rather than 8192: a
// trace lookup reads whole granules of every column, so smaller ones make it cheaper, for
// a primary index 8 times larger (still a few MB per billion spans).
inline std::string span_table_engine() {
  return "MergeTree PARTITION BY intDiv(Timestamp, " + std::to_string(partition_width) +
         ") ORDER BY (TraceId, Timestamp) SETTINGS index_granularity = 1024";
}

// The engine of a Distributed table over `local_table` on every shard of `cluster`.
inline std::string distributed_engine(const std::string& cluster, const std::string& database,
                                      const std::string& local_table) {
  return "Distributed(" + quote(cluster) + ", " + quote(database) + ", " + quote(local_table) + ", sipHash64(TraceId))";
}

}  // namespace clickhouse
}  // namespace v0
}  // namespace trace
