#pragma once
// The SQLite baseline: flujo's normalized `spans` table (seed 002) and its five indexes,
// journal_mode=WAL, synchronous=NORMAL, one prepared INSERT, 10k spans per transaction.
//
// What we added to flujo's shape, and why:
//   * a `service TEXT` column (flujo keeps the pipeline name in `runs`; our spans carry a
//     service each) and an index on it, since the filtered search selects by service;
//   * `run_id` holds the trace id (flujo's run is one trace), `name` the operation,
//     `status` the status code's name ('unset', 'ok', 'error'), `attributes` the span's
//     attributes as JSON, exactly where flujo keeps its flexible metadata;
//   * `runs` exists only so the foreign key names a real table; it stays empty, and
//     foreign-key enforcement is left at SQLite's default (off), as flujo leaves it.
// Times are REAL seconds since the epoch as in flujo, so durations computed in SQL carry
// the rounding of a double near 1.7e9 s (about 0.24 us).
//
// Two loading variants:
//   flujo: schema and indexes first, then the load (what flujo does);
//   tuned: the load into the bare table, then CREATE INDEX for all indexes and ANALYZE,
//          with a 512 MiB page cache and memory-mapped reads for the queries that follow.
//
// This header is the only place SQLite appears; the library never includes it.

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core.hpp"

namespace bench {

class sqlite_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A prepared statement, finalized on destruction.
class statement {
 public:
  statement() = default;
  statement(sqlite3* db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK)
      throw sqlite_error("prepare \"" + std::string(sql) + "\": " + sqlite3_errmsg(db));
  }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement(statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  statement& operator=(statement&& other) noexcept {
    std::swap(db_, other.db_);
    std::swap(stmt_, other.stmt_);
    return *this;
  }
  ~statement() { sqlite3_finalize(stmt_); }

  sqlite3_stmt* get() const noexcept { return stmt_; }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  void bind(int i, std::string_view text) { check(sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT)); }
  void bind_static(int i, std::string_view text) { check(sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC)); }
  void bind(int i, double value) { check(sqlite3_bind_double(stmt_, i, value)); }
  void bind(int i, std::int64_t value) { check(sqlite3_bind_int64(stmt_, i, value)); }
  void bind_null(int i) { check(sqlite3_bind_null(stmt_, i)); }
  // True while a row is available.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw sqlite_error(std::string("step: ") + sqlite3_errmsg(db_));
  }
  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const { return sqlite3_column_double(stmt_, column); }
  std::string_view text(int column) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string_view();
  }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) throw sqlite_error(std::string("bind: ") + sqlite3_errmsg(db_));
  }
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

enum class sqlite_variant { flujo, tuned };

inline std::string_view to_string(sqlite_variant v) { return v == sqlite_variant::flujo ? "flujo" : "tuned"; }

// One row's text forms, built in the timed path since an application has to build them too.
inline void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static const char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[(c >> 4) & 0xf];
      out += hex[c & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

inline void attributes_json(const trace::attributes& items, std::string& out) {
  out.clear();
  out += '{';
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, item.key);
    out += ':';
    if (const auto* text = std::get_if<std::string>(&item.value))
      append_json_string(out, *text);
    else if (const auto* number = std::get_if<std::int64_t>(&item.value))
      out += std::to_string(*number);
    else if (const auto* flag = std::get_if<bool>(&item.value))
      out += *flag ? "true" : "false";
    else
      append_json_string(out, trace::to_string(item.value));  // doubles and arrays: as text
  }
  out += '}';
}

inline double seconds_of(trace::timestamp_ns t) { return static_cast<double>(t) / 1e9; }

class sqlite_baseline {
 public:
  static constexpr std::size_t batch_size = 10'000;

  sqlite_baseline(std::filesystem::path file, sqlite_variant variant) : file_(std::move(file)), variant_(variant) {
    remove_files();
    if (sqlite3_open(file_.c_str(), &db_) != SQLITE_OK) {
      std::string message = sqlite3_errmsg(db_);
      sqlite3_close_v2(db_);  // v2: deferred until the last statement is finalized
      throw sqlite_error("open " + file_.string() + ": " + message);
    }
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE runs (run_id TEXT PRIMARY KEY)");
    exec(
        "CREATE TABLE spans ("
        " span_id TEXT PRIMARY KEY,"
        " run_id TEXT NOT NULL,"
        " parent_span_id TEXT,"
        " name TEXT NOT NULL,"
        " start_time REAL NOT NULL,"
        " end_time REAL,"
        " status TEXT DEFAULT 'running',"
        " attributes TEXT,"
        " created_at DATETIME DEFAULT CURRENT_TIMESTAMP,"
        " service TEXT NOT NULL,"
        " FOREIGN KEY (run_id) REFERENCES runs(run_id) ON DELETE CASCADE,"
        " FOREIGN KEY (parent_span_id) REFERENCES spans(span_id) ON DELETE CASCADE)");
    if (variant_ == sqlite_variant::flujo) create_indexes();
    insert_ = statement(db_,
                        "INSERT INTO spans (span_id, run_id, parent_span_id, name, start_time, end_time, status,"
                        " attributes, service) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  }
  sqlite_baseline(const sqlite_baseline&) = delete;
  sqlite_baseline& operator=(const sqlite_baseline&) = delete;
  ~sqlite_baseline() {
    insert_ = statement();
    sqlite3_close_v2(db_);  // v2: deferred until the last statement is finalized
    remove_files();
  }

  sqlite3* handle() const noexcept { return db_; }

  // Loads every span, 10k per transaction; for the tuned variant also builds the indexes
  // and statistics afterwards. Returns the number of rows inserted.
  std::size_t load(const std::vector<trace::span>& spans) {
    std::string span_hex(16, '0'), parent_hex(16, '0'), trace_hex(32, '0'), json;
    for (std::size_t begin = 0; begin < spans.size(); begin += batch_size) {
      std::size_t end = std::min(spans.size(), begin + batch_size);
      exec("BEGIN");
      for (std::size_t i = begin; i < end; ++i) {
        const trace::span& s = spans[i];
        trace::detail::write_hex64(s.id.value(), span_hex.data());
        trace::detail::write_hex64(s.trace.high(), trace_hex.data());
        trace::detail::write_hex64(s.trace.low(), trace_hex.data() + 16);
        attributes_json(s.attributes, json);
        insert_.bind_static(1, span_hex);
        insert_.bind_static(2, trace_hex);
        if (s.parent.valid()) {
          trace::detail::write_hex64(s.parent.value(), parent_hex.data());
          insert_.bind_static(3, parent_hex);
        } else {
          insert_.bind_null(3);
        }
        insert_.bind_static(4, s.name);
        insert_.bind(5, seconds_of(s.start));
        insert_.bind(6, seconds_of(s.end));
        insert_.bind_static(7, trace::to_string(s.status.code));
        insert_.bind_static(8, json);
        insert_.bind_static(9, s.resource.service_name);
        insert_.step();
        insert_.reset();
      }
      exec("COMMIT");
    }
    if (variant_ == sqlite_variant::tuned) {
      create_indexes();
      exec("ANALYZE");
    }
    return spans.size();
  }

  // Settings for the read side of the tuned variant (not part of the timed load).
  void tune_reads() {
    exec("PRAGMA cache_size=-524288");
    exec("PRAGMA mmap_size=1073741824");
  }

  // Bytes the data set takes on disk, after folding the WAL into the main file.
  std::uintmax_t disk_bytes() {
    exec("PRAGMA wal_checkpoint(TRUNCATE)");
    std::uintmax_t total = 0;
    for (const char* suffix : {"", "-wal"}) {
      std::error_code ec;
      auto size = std::filesystem::file_size(file_.string() + suffix, ec);
      if (!ec) total += size;
    }
    return total;
  }

  void exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message ? message : "unknown error";
      sqlite3_free(message);
      throw sqlite_error(std::string(sql) + ": " + text);
    }
  }

 private:
  void create_indexes() {
    exec("CREATE INDEX idx_spans_run_id ON spans(run_id)");
    exec("CREATE INDEX idx_spans_status ON spans(status)");
    exec("CREATE INDEX idx_spans_name ON spans(name)");
    exec("CREATE INDEX idx_spans_start_time ON spans(start_time)");
    exec("CREATE INDEX idx_spans_parent_span_id ON spans(parent_span_id)");
    exec("CREATE INDEX idx_spans_service ON spans(service)");  // ours: the added column
  }

  void remove_files() {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(file_.string() + suffix, ec);
  }

  std::filesystem::path file_;
  sqlite_variant variant_;
  sqlite3* db_ = nullptr;
  statement insert_;
};

// The read queries, as an application on the flujo schema would write them.
class sqlite_queries {
 public:
  static constexpr const char* by_trace_sql =
      "SELECT span_id, parent_span_id, name, start_time, end_time, status FROM spans WHERE run_id = ?1";
  static constexpr const char* error_count_sql = "SELECT count(*) FROM spans WHERE status = 'error' AND name = ?1";
  static constexpr const char* search_sql =
      "SELECT run_id FROM spans WHERE service = ?1 AND json_extract(attributes, '$.tenant') = ?2"
      " GROUP BY run_id ORDER BY max(start_time) DESC LIMIT ?3";
  static constexpr const char* group_by_sql =
      "SELECT service, name, count(*), avg(end_time - start_time),"
      " sum(status = 'error') * 1.0 / count(*) FROM spans GROUP BY service, name";
  static constexpr const char* durations_sql = "SELECT end_time - start_time AS d FROM spans ORDER BY d";

  explicit sqlite_queries(sqlite3* db)
      : by_trace_(db, by_trace_sql),
        error_count_(db, error_count_sql),
        search_(db, search_sql),
        group_by_(db, group_by_sql),
        durations_(db, durations_sql),
        count_(db, "SELECT count(*) FROM spans") {}

  // SQLite's plan for each query, one line per step, for the record.
  static std::string explain(sqlite3* db) {
    std::string out;
    for (const char* sql : {by_trace_sql, error_count_sql, search_sql, group_by_sql, durations_sql}) {
      out += sql;
      out += '\n';
      statement plan(db, std::string("EXPLAIN QUERY PLAN ") + sql);
      while (plan.step()) {
        out += "    ";
        out += plan.text(3);
        out += '\n';
      }
    }
    return out;
  }

  // Reads every column the library's lookup hands back; returns the row count.
  std::size_t trace_by_id(std::string_view trace_hex, std::uint64_t& checksum) {
    by_trace_.reset();
    by_trace_.bind_static(1, trace_hex);
    std::size_t rows = 0;
    while (by_trace_.step()) {
      checksum += by_trace_.text(0).size() + by_trace_.text(1).size() + by_trace_.text(2).size() +
                  static_cast<std::uint64_t>(by_trace_.real(3) + by_trace_.real(4)) + by_trace_.text(5).size();
      ++rows;
    }
    return rows;
  }

  std::int64_t count_errors(std::string_view operation) {
    error_count_.reset();
    error_count_.bind_static(1, operation);
    error_count_.step();
    return error_count_.int64(0);
  }

  // Traces with a span of `service` whose tenant attribute is `tenant`, newest matching
  // span first (the library's order), at most `limit` of them.
  std::vector<std::string> search(std::string_view service, std::string_view tenant, std::int64_t limit) {
    search_.reset();
    search_.bind_static(1, service);
    search_.bind_static(2, tenant);
    search_.bind(3, limit);
    std::vector<std::string> out;
    while (search_.step()) out.emplace_back(search_.text(0));
    return out;
  }

  struct group_row {
    std::string service, operation;
    std::int64_t count = 0;
    double average_seconds = 0, error_rate = 0;
  };
  std::vector<group_row> group_by() {
    group_by_.reset();
    std::vector<group_row> out;
    while (group_by_.step())
      out.push_back({std::string(group_by_.text(0)), std::string(group_by_.text(1)), group_by_.int64(2),
                     group_by_.real(3), group_by_.real(4)});
    return out;
  }

  // Exact quantiles of end - start, in seconds, ranked as the library ranks them (index
  // round((n - 1) q) of the ascending values): one sort, read in order up to the last rank.
  std::vector<double> percentiles(const std::vector<double>& quantiles) {
    count_.reset();
    count_.step();
    auto n = static_cast<std::size_t>(count_.int64(0));
    std::vector<std::size_t> ranks;
    for (double q : quantiles) ranks.push_back(nearest_rank(q, n));
    std::vector<double> out(quantiles.size(), 0.0);
    durations_.reset();
    std::size_t row = 0, next = 0;
    while (next < ranks.size() && durations_.step()) {
      while (next < ranks.size() && ranks[next] == row) out[next++] = durations_.real(0);
      ++row;
    }
    return out;
  }

  static std::size_t nearest_rank(double q, std::size_t n) {
    return n == 0 ? 0 : static_cast<std::size_t>(static_cast<double>(n - 1) * q + 0.5);
  }

 private:
  statement by_trace_, error_count_, search_, group_by_, durations_, count_;
};

}  // namespace bench
