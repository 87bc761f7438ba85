// The ClickHouse store over a two-shard cluster: a Distributed table over one local table
// per shard (TRACE_CLICKHOUSE_SHARDS, TRACE_CLICKHOUSE_CLUSTER), queried through the first
// shard, running the same storage test list as a single server.
#include "clickhouse/test_env.hpp"

static const trace_test::require_environment environment{"TRACE_CLICKHOUSE_SHARDS", "TRACE_CLICKHOUSE_CLUSTER"};

#include "clickhouse/store_test_list.hpp"
#include "clickhouse/traceql_test_list.hpp"

trace::clickhouse_options trace_test::base_options() {
  trace::clickhouse_options options;
  options.shards = parse_endpoints(std::getenv("TRACE_CLICKHOUSE_SHARDS"));
  options.server = options.shards.front();
  options.cluster = std::getenv("TRACE_CLICKHOUSE_CLUSTER");
  options.database = "trace_cluster";
  return options;
}

TEST_CASE("cluster: spans spread over both shards, each trace whole on one of them") {
  scratch_store store;
  auto spans = workload(40, 3);
  store->append(spans);
  REQUIRE(trace_test::base_options().shards.size() == 2);
  std::size_t total = 0;
  for (const auto& endpoint : trace_test::base_options().shards) {
    trace::clickhouse_options local = store->options();
    local.server = endpoint;
    local.cluster.clear();
    local.table = store->options().table + "_local";
    clickhouse_store shard(local);
    auto here = shard.size();
    CHECK(here > 0);  // sipHash64 of 40 trace ids does not land on one shard
    total += here;
    for (const span& s : shard.scan()) CHECK(shard.find_trace(s.trace).size() == 3);
  }
  CHECK(total == spans.size());
}
