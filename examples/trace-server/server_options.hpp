#pragma once
// trace-server's command line: every flag, its default, and the parsing that refuses a bad
// value with a message naming the flag (docs/SERVER.md lists them).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <trace/core/time.hpp>
#include <trace/store/clickhouse/backend_url.hpp>

#include "http_server.hpp"

namespace trace_server {

// A command line that cannot be used; main prints it with the usage and exits 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct server_options {
  std::filesystem::path data_path;
  std::string host = "127.0.0.1";  // anything else is the user's explicit choice
  std::uint16_t port = 4318;       // OTLP/HTTP's default; 0 picks a free port (printed)
  std::chrono::milliseconds flush_timeout{1000};  // longest a group commit gathers requests
  double max_disk_percent = 95;                   // of the volume holding the data path
  std::uint64_t max_disk_bytes = 0;               // 0: no byte budget
  trace::duration_ns ttl = 0;                     // 0: keep spans forever
  trace::duration_ns cold_after = 0;              // 0: no cold tier; else segments this old move to Parquet files
  unsigned max_snapshots = 2;
  std::size_t max_body = 64u << 20;               // request bodies, after gzip inflation
  std::chrono::milliseconds read_timeout{30000};  // a request's whole arrival; an idle keep-alive
  std::uint64_t segment_bytes = 64ull << 20;      // the store's log rolls past this size
  unsigned threads = 2;                           // threads serving connections
  std::vector<std::string> replicate_to;          // replicas' HOST:PORT (docs/REPLICATION.md)
  unsigned required_acks = 1;                     // replicas that must apply a batch before the 200; ~0u: all
  // --backend clickhouse://...: a liaison in front of ClickHouse instead of an mmap store
  // in data_path (docs/SERVER.md, "Liaison"); backend_url is the text as given.
  std::optional<trace::clickhouse_options> backend;
  std::string backend_url;
};

// Parses the arguments after the program name; throws usage_error.
server_options parse_server_options(const std::vector<std::string>& args);

// The --help text.
std::string usage_text();

// How often retention runs for a TTL: a tenth of it, between a second and an hour.
std::chrono::milliseconds retention_period(trace::duration_ns ttl);

// Where and how the HTTP side listens, from the options (standalone and liaison alike).
http_config listen_config(const server_options& options);

}  // namespace trace_server
