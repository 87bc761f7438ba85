// The ClickHouse store against one real clickhouse-server (TRACE_CLICKHOUSE_URL), running
// the shared storage test list of tests/clickhouse/store_test_list.hpp and the TraceQL list of
// tests/clickhouse/traceql_test_list.hpp.
#include "clickhouse/test_env.hpp"

static const trace_test::require_environment environment{"TRACE_CLICKHOUSE_URL"};

#include "clickhouse/store_test_list.hpp"
#include "clickhouse/traceql_test_list.hpp"

trace::clickhouse_options trace_test::base_options() {
  trace::clickhouse_options options;
  options.server = trace::clickhouse::parse_http_endpoint(std::getenv("TRACE_CLICKHOUSE_URL"));
  options.database = "trace_test";
  return options;
}

TEST_CASE("clickhouse: an unreachable server is an i/o error naming it") {
  trace::clickhouse_options options = trace_test::base_options();
  options.server.port = 1;  // nothing listens on tcpmux
  clickhouse_store store(options);
  CHECK(trace_test::error_of([&] { store.size(); }) ==
        "i/o error: http " + options.server.host + ":1: cannot connect: Connection refused");
}
