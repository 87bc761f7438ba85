#pragma once
// A span store in ClickHouse, reached over its HTTP interface (no client library): for
// when one process's embedded store is not enough. It models `span_store`, so trees,
// queries and analytics run on it unchanged; filters, ordering and paging run on the
// server where they can (`select`, `count`), and the aggregates of analytics/ have
// server-side twins in clickhouse/analytics.hpp.
//
//   trace::clickhouse_options options;
//   options.server.port = 8123;
//   trace::clickhouse_store store(options);
//   store.create_schema();
//   store.append(batch);                                   // one INSERT per call
//   auto slow = store.select({where::service("api") && where::min_duration(trace::second)});
//
// Reads return owning `span`s (a remote row has nothing to borrow from). Errors:
// `errc::io_error` when the server cannot be reached, `errc::remote_error` with the
// server's own message when it refuses a statement.
//
// Thread safety: none; one store object per thread (each holds one kept-alive connection).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/core/span.hpp"
#include "trace/core/span_traits.hpp"  // attribute_scope
#include "trace/core/validate.hpp"
#include "trace/query/span_query.hpp"
#include "trace/store/clickhouse/analytics.hpp"  // the GROUP BY statement push_down sends
#include "trace/store/clickhouse/http_client.hpp"
#include "trace/store/clickhouse/pushdown.hpp"
#include "trace/store/clickhouse/schema.hpp"
#include "trace/store/clickhouse/span_rows.hpp"
#include "trace/store/clickhouse/sql.hpp"
#include "trace/store/clickhouse/traceql_sql.hpp"
#include "trace/store/concepts.hpp"
#include "trace/query/traceql/pushed_candidates.hpp"

namespace trace {
inline namespace v0 {

enum class clickhouse_format : std::uint8_t { row_binary, json_each_row };

struct clickhouse_options {
  clickhouse::http_endpoint server{};  // host, HTTP port, timeouts
  std::string user = "default";
  std::string password{};
  std::string database = "default";
  std::string table = "otel_traces";
  clickhouse_format insert_format = clickhouse_format::row_binary;
  // Two or more shards: `cluster` names them in the servers' <remote_servers>; every shard
  // gets `<table>_local`, and `table` becomes a Distributed table over them. `shards` lists
  // the shards' HTTP endpoints, which create_schema, drop_schema and apply_retention visit.
  std::string cluster{};
  std::vector<clickhouse::http_endpoint> shards{};
  duration_ns retention = 0;  // apply_retention drops days that ended this long ago; 0: keep all
};

class clickhouse_store {
 public:
  explicit clickhouse_store(clickhouse_options options = {});

  // Creates the database and tables if missing (on every shard with a cluster).
  void create_schema();
  // Drops the tables (not the database).
  void drop_schema();

  // One INSERT for the whole batch, after every span passed `validate` (a refused batch
  // names the span and stores nothing). ClickHouse writes a batch of up to 1,048,576 rows
  // (its max_insert_block_size) atomically; on a cluster each shard's share is atomic.
  template <std::ranges::forward_range R>
  void append(const R& batch);
  template <class String>
  void append(const basic_span<String>& one) { append(std::span(&one, 1)); }

  std::size_t size() const;
  std::vector<span> scan() const { return scan(where::any()); }
  // The spans matching `where`, filtered on the server (see pushdown.hpp), in no order.
  std::vector<span> scan(const filter& where) const;
  // One trace's spans, by start time: a primary-key lookup, no scan.
  std::vector<span> find_trace(const trace_id& id) const;
  // As `select_spans(store.scan(), q)`, with filter, order and page run on the server when
  // the filter translates exactly; ties in the order go by trace id, then span id.
  std::vector<span> select(const span_query& q) const;
  std::size_t count(const filter& where) const;

  // The customisation point of store/concepts.hpp: count_matching(store, where),
  // group_spans(store, options, where) and summarize_spans(store, where) run on the server.
  // A group request whose filter does not translate exactly is refused (invalid_argument).
  std::size_t push_down(const count_request& r) const { return count(r.where); }
  group_page push_down(const group_request& r) const;
  // TraceQL search and metrics: the candidate spans of the traces that may answer the
  // query, chosen on the server (traceql_sql.hpp says which parts of a query go there).
  std::vector<span> push_down(const traceql::candidate_spans_request& r) const;

  // The distinct services; the distinct (operation, kind) pairs of `service` (of every
  // service when empty) among the spans starting in [begin, end]. Listed by the server, for
  // the query APIs' catalogs (api/detail/store_catalog.hpp), in no order.
  std::vector<std::string> distinct_services() const;
  std::vector<std::pair<std::string, span_kind>> distinct_operations(std::string_view service, timestamp_ns begin,
                                                                     timestamp_ns end) const;
  // The distinct attribute keys of spans (`span`) and of resources (`resource`) among the
  // spans starting in [begin, end]; and the distinct values of attribute `key` there, in the
  // scopes of `scopes` (a bit set of attribute_scope::span and ::resource), at most `limit`
  // from each scope. Listed by the server for Tempo's tag routes.
  struct attribute_key_lists {
    std::vector<std::string> span, resource;
  };
  attribute_key_lists distinct_attribute_keys(timestamp_ns begin, timestamp_ns end) const;
  std::vector<attribute_value> distinct_attribute_values(std::string_view key, std::uint8_t scopes, std::size_t limit,
                                                         timestamp_ns begin, timestamp_ns end) const;

  // Drops the daily partitions whose spans all started before now − retention; returns
  // how many partitions went. ClickHouse 18.16 has no TTL: call this from a timer.
  std::size_t apply_retention(timestamp_ns now);

  // Runs one statement; `data` is the body of an INSERT ... FORMAT. Returns the answer's
  // body. Throws `errc::remote_error` with the server's message when it refuses.
  std::string execute(std::string_view sql, std::string_view data = {}) const;

  const clickhouse_options& options() const noexcept { return options_; }
  // `database`.`table`, quoted, as statements name the span table.
  std::string table_name() const {
    return clickhouse::quote_identifier(options_.database) + "." + clickhouse::quote_identifier(options_.table);
  }

 private:
  std::string local_table() const { return options_.cluster.empty() ? options_.table : options_.table + "_local"; }
  std::string execute_on(clickhouse::http_client& client, std::string_view sql, std::string_view data) const;
  std::vector<span> read_spans(const std::string& where_and_rest) const;
  std::vector<span> read_rows(const std::string& statement) const;

  clickhouse_options options_;
  mutable clickhouse::http_client client_;
};

static_assert(span_store<clickhouse_store>);

// ---------------------------------------------------------------------------------------

inline clickhouse_store::clickhouse_store(clickhouse_options options)
    : options_(std::move(options)), client_(options_.server) {
  if (options_.database.empty() || options_.table.empty())
    throw error(errc::invalid_option, "clickhouse_store: database and table names must not be empty");
  if (!options_.cluster.empty() && options_.shards.empty())
    throw error(errc::invalid_option, "clickhouse_store: cluster \"" + options_.cluster + "\" given without its shards' endpoints");
}

inline std::string clickhouse_store::execute_on(clickhouse::http_client& client, std::string_view sql,
                                                std::string_view data) const {
  using clickhouse::url_encode;
  // wait_end_of_query: the server buffers the answer, so an exception thrown mid-query
  // arrives as an HTTP error instead of text appended to a 200 body.
  // Statements name tables with their database, so none is set here (a missing one would
  // fail even CREATE DATABASE).
  std::string target = "/?user=" + url_encode(options_.user) +
                       "&wait_end_of_query=1&insert_distributed_sync=1";
  if (!options_.password.empty()) target += "&password=" + url_encode(options_.password);
  std::string_view body = sql;
  if (!data.empty()) {
    target += "&query=" + url_encode(sql);
    body = data;
  }
  auto response = client.request("POST", target, body);
  const std::string* exception_code = response.header("X-ClickHouse-Exception-Code");
  if (response.status != 200 || exception_code) {
    std::string message = response.body;
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
    const auto& e = client.endpoint();
    throw error(errc::remote_error, "clickhouse " + e.host + ":" + std::to_string(e.port) + " answered HTTP " +
                                        std::to_string(response.status) + ": " + message);
  }
  return std::move(response.body);
}

inline std::string clickhouse_store::execute(std::string_view sql, std::string_view data) const {
  return execute_on(client_, sql, data);
}

inline void clickhouse_store::create_schema() {
  using namespace clickhouse;
  std::string create_database = "CREATE DATABASE IF NOT EXISTS " + quote_identifier(options_.database);
  if (options_.cluster.empty()) {
    execute(create_database);
    execute(create_table_sql(options_.database, options_.table, span_table_engine()));
    return;
  }
  // Without ZooKeeper there is no ON CLUSTER DDL: visit every shard.
  std::string distributed = distributed_engine(options_.cluster, options_.database, local_table());
  for (const auto& endpoint : options_.shards) {
    http_client shard(endpoint);
    execute_on(shard, create_database, {});
    execute_on(shard, create_table_sql(options_.database, local_table(), span_table_engine()), {});
    execute_on(shard, create_table_sql(options_.database, options_.table, distributed), {});
  }
  execute(create_database);
  execute(create_table_sql(options_.database, options_.table, distributed));
}

inline void clickhouse_store::drop_schema() {
  using namespace clickhouse;
  auto drop = [&](http_client& client, const std::string& table) {
    execute_on(client, "DROP TABLE IF EXISTS " + quote_identifier(options_.database) + "." + quote_identifier(table), {});
  };
  if (options_.cluster.empty()) {
    drop(client_, options_.table);
    return;
  }
  drop(client_, options_.table);
  for (const auto& endpoint : options_.shards) {
    http_client shard(endpoint);
    drop(shard, options_.table);
    drop(shard, local_table());
  }
}

template <std::ranges::forward_range R>
void clickhouse_store::append(const R& batch) {
  if (validate_batch(batch) == 0) return;
  std::string data;
  const bool binary = options_.insert_format == clickhouse_format::row_binary;
  for (const auto& s : batch) {
    if (binary)
      clickhouse::append_row_binary(data, s);
    else
      clickhouse::append_json_row(data, s);
  }
  execute("INSERT INTO " + table_name() + " (" + clickhouse::column_list() + ") FORMAT " +
              (binary ? "RowBinary" : "JSONEachRow"),
          data);
}

inline std::size_t clickhouse_store::size() const {
  return count(where::any());
}

inline std::size_t clickhouse_store::count(const filter& where) const {
  auto condition = clickhouse::to_sql(where);
  if (!condition.exact) return count_matching(scan(where), where);
  std::string body = execute("SELECT count() FROM " + table_name() + " WHERE " + condition.text + " FORMAT RowBinary");
  clickhouse::row_binary_reader r(body);
  return static_cast<std::size_t>(r.number<std::uint64_t>());
}

inline group_page clickhouse_store::push_down(const group_request& r) const {
  if (!clickhouse::to_sql(r.where).exact)
    throw error(errc::invalid_argument,
                "clickhouse group_spans: the filter does not translate exactly to SQL (attribute comparisons, event "
                "or link attributes); group `store.scan(filter)` with the generic group_spans instead");
  return clickhouse::read_group_page(execute(clickhouse::group_statement(r, table_name())), r.options);
}

inline std::vector<span> clickhouse_store::read_spans(const std::string& where_and_rest) const {
  return read_rows("SELECT " + clickhouse::column_list() + " FROM " + table_name() + " WHERE " + where_and_rest +
                   " FORMAT RowBinary");
}

inline std::vector<span> clickhouse_store::read_rows(const std::string& statement) const {
  std::string body = execute(statement);
  std::vector<span> out;
  clickhouse::row_binary_reader r(body);
  while (!r.at_end()) out.push_back(clickhouse::read_row_binary(r));
  return out;
}

inline std::vector<span> clickhouse_store::scan(const filter& where) const {
  auto condition = clickhouse::to_sql(where);
  auto spans = read_spans(condition.text);
  if (!condition.exact) std::erase_if(spans, [&](const span& s) { return !matches(where, s); });
  return spans;
}

inline std::vector<span> clickhouse_store::push_down(const traceql::candidate_spans_request& r) const {
  // A trace lives whole on one shard: its test runs on each shard's own table.
  const std::string local = clickhouse::quote_identifier(options_.database) + "." + clickhouse::quote_identifier(local_table());
  auto spans = read_rows(clickhouse::candidate_spans_sql(r.q, r.candidates, r.whole_traces, table_name(), local));
  // The candidate condition may have been a superset or left out: each span is checked.
  if (!r.whole_traces) std::erase_if(spans, [&](const span& s) { return !matches(r.candidates, s); });
  return spans;
}

inline std::vector<std::string> clickhouse_store::distinct_services() const {
  const std::string body = execute("SELECT DISTINCT ServiceName FROM " + table_name() + " FORMAT RowBinary");
  std::vector<std::string> out;
  clickhouse::row_binary_reader r(body);
  while (!r.at_end()) out.emplace_back(r.string());
  return out;
}

inline std::vector<std::pair<std::string, span_kind>> clickhouse_store::distinct_operations(std::string_view service, timestamp_ns begin,
                                                                                           timestamp_ns end) const {
  std::string where = "Timestamp >= " + std::to_string(begin) + " AND Timestamp <= " + std::to_string(end);
  if (!service.empty()) where += " AND ServiceName = " + clickhouse::quote(service);
  const std::string body =
      execute("SELECT DISTINCT SpanName, SpanKind FROM " + table_name() + " WHERE " + where + " FORMAT RowBinary");
  std::vector<std::pair<std::string, span_kind>> out;
  clickhouse::row_binary_reader r(body);
  while (!r.at_end()) {
    std::string name(r.string());
    out.emplace_back(std::move(name), static_cast<span_kind>(r.number<std::uint8_t>()));
  }
  return out;
}

inline clickhouse_store::attribute_key_lists clickhouse_store::distinct_attribute_keys(timestamp_ns begin,
                                                                                       timestamp_ns end) const {
  const std::string from = " FROM " + table_name() + " WHERE Timestamp >= " + std::to_string(begin) +
                           " AND Timestamp <= " + std::to_string(end) + " FORMAT RowBinary";
  attribute_key_lists out;
  for (auto [column, keys] : {std::pair{"SpanAttributeKeys", &out.span}, std::pair{"ResourceAttributeKeys", &out.resource}}) {
    const std::string body = execute("SELECT DISTINCT arrayJoin(" + std::string(column) + ")" + from);
    clickhouse::row_binary_reader r(body);
    while (!r.at_end()) keys->emplace_back(r.string());
  }
  return out;
}

inline std::vector<attribute_value> clickhouse_store::distinct_attribute_values(std::string_view key, std::uint8_t scopes,
                                                                                 std::size_t limit, timestamp_ns begin,
                                                                                 timestamp_ns end) const {
  const std::string window = " FROM " + table_name() + " WHERE Timestamp >= " + std::to_string(begin) +
                             " AND Timestamp <= " + std::to_string(end);
  const std::string rest = " LIMIT " + std::to_string(limit) + " FORMAT RowBinary";
  const std::string quoted = clickhouse::quote(key);
  std::vector<attribute_value> out;
  for (auto [scope, prefix] : {std::pair{attribute_scope::span, "Span"}, std::pair{attribute_scope::resource, "Resource"}}) {
    if (!(scopes & static_cast<std::uint8_t>(scope))) continue;
    // A span holds a key once, so its position in the keys names its value and its type.
    const std::string keys = std::string(prefix) + "AttributeKeys", at = "[indexOf(" + keys + ", " + quoted + ")]";
    const std::string body = execute("SELECT DISTINCT " + std::string(prefix) + "AttributeTypes" + at + ", " + prefix +
                                     "AttributeValues" + at + window + " AND has(" + keys + ", " + quoted + ")" + rest);
    clickhouse::row_binary_reader r(body);
    while (!r.at_end()) {
      const auto type = r.number<std::uint8_t>();
      out.push_back(clickhouse::parse_attribute(type, r.string()));
    }
  }
  // The service is a resource attribute held in a column of its own.
  if (key == "service.name" && (scopes & static_cast<std::uint8_t>(attribute_scope::resource))) {
    const std::string body = execute("SELECT DISTINCT ServiceName" + window + rest);
    clickhouse::row_binary_reader r(body);
    while (!r.at_end()) out.emplace_back(std::string(r.string()));
  }
  return out;
}

inline std::vector<span> clickhouse_store::find_trace(const trace_id& id) const {
  return read_spans("TraceId = " + clickhouse::quote(id.to_hex()) + " ORDER BY Timestamp, SpanId");
}

inline std::vector<span> clickhouse_store::select(const span_query& q) const {
  auto condition = clickhouse::to_sql(q.where);
  std::string order;
  switch (q.order) {
    case span_order::none: break;
    case span_order::start_ascending: order = " ORDER BY Timestamp ASC, TraceId, SpanId"; break;
    case span_order::start_descending: order = " ORDER BY Timestamp DESC, TraceId, SpanId"; break;
    case span_order::duration_descending: order = " ORDER BY Duration DESC, TraceId, SpanId"; break;
  }
  if (condition.exact) {
    std::string page;
    if (q.limit != std::numeric_limits<std::size_t>::max())
      page = " LIMIT " + std::to_string(q.offset) + ", " + std::to_string(q.limit);
    else if (q.offset)
      page = " LIMIT " + std::to_string(q.offset) + ", 18446744073709551615";
    return read_spans(condition.text + order + page);
  }
  auto spans = read_spans(condition.text + order);
  std::erase_if(spans, [&](const span& s) { return !matches(q.where, s); });
  if (q.offset >= spans.size()) return {};
  spans.erase(spans.begin(), spans.begin() + static_cast<std::ptrdiff_t>(q.offset));
  if (spans.size() > q.limit) spans.resize(q.limit);
  return spans;
}

inline std::size_t clickhouse_store::apply_retention(timestamp_ns now) {
  using namespace clickhouse;
  if (options_.retention == 0 || now < options_.retention) return 0;
  // Partition p holds starts in [p·width, (p+1)·width): it may go when (p+1)·width <= cutoff.
  std::uint64_t first_kept = (now - options_.retention) / partition_width;
  std::size_t dropped = 0;
  auto prune = [&](http_client& client) {
    std::string body = execute_on(client,
                                  "SELECT DISTINCT toUInt64(partition) FROM system.parts WHERE active AND database = " +
                                      quote(options_.database) + " AND table = " + quote(local_table()) +
                                      " FORMAT RowBinary",
                                  {});
    row_binary_reader r(body);
    while (!r.at_end()) {
      auto partition = r.number<std::uint64_t>();
      if (partition >= first_kept) continue;
      execute_on(client, "ALTER TABLE " + quote_identifier(options_.database) + "." + quote_identifier(local_table()) +
                             " DROP PARTITION " + std::to_string(partition), {});
      ++dropped;
    }
  };
  if (options_.cluster.empty()) {
    prune(client_);
  } else {
    for (const auto& endpoint : options_.shards) {
      http_client shard(endpoint);
      prune(shard);
    }
  }
  return dropped;
}

}  // namespace v0
}  // namespace trace
