#pragma once
// Where the ClickHouse tests find their servers: TRACE_CLICKHOUSE_URL (one server,
// "http://127.0.0.1:18123") and, for the cluster tests, TRACE_CLICKHOUSE_SHARDS (the
// shards' URLs, comma-separated) and TRACE_CLICKHOUSE_CLUSTER (the cluster's name in
// <remote_servers>). .ci/steps/clickhouse.sh starts the servers and sets them.
//
// Without them a test program fails before any test runs, so a forgotten variable never
// passes for a green run. These programs are built with the others but not registered with
// ctest (the main test run must not need ClickHouse); the CI step runs them.

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "trace/store/clickhouse/http_client.hpp"

namespace trace_test {

inline std::vector<trace::clickhouse::http_endpoint> parse_endpoints(const std::string& urls) {
  std::vector<trace::clickhouse::http_endpoint> out;
  std::size_t from = 0;
  while (from <= urls.size()) {
    auto comma = urls.find(',', from);
    std::string one = urls.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    if (!one.empty()) out.push_back(trace::clickhouse::parse_http_endpoint(one));
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return out;
}

// Constructed at namespace scope: checks the variables before Catch2 runs anything.
struct require_environment {
  explicit require_environment(std::initializer_list<const char*> variables) {
    std::string missing;
    for (const char* v : variables)
      if (!std::getenv(v)) missing += std::string(missing.empty() ? "" : ", ") + v;
    if (missing.empty()) return;
    std::cerr << "FAIL: " << missing << " not set; start servers with tests/clickhouse/start.sh "
              << "(or run .ci/steps/clickhouse.sh)\n";
    std::exit(1);
  }
};

}  // namespace trace_test
