// ClickHouse beside the memory store on the bench workload (bench/workload.hpp): ingest
// spans/s with RowBinary and with JSONEachRow inserts, find_trace latency, a filtered count
// and a group-by with percentiles. Needs a running server:
//
//   clickhouse_bench [spans=200000] [url=$TRACE_CLICKHOUSE_URL or http://127.0.0.1:18123]
//
// Times are wall-clock on this machine, server and client sharing its cores.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "../../bench/workload.hpp"
#include "trace/analytics/group_by.hpp"
#include "trace/store/clickhouse.hpp"
#include "trace/store/clickhouse/analytics.hpp"
#include "trace/store/memory.hpp"

namespace {

using bench_clock = std::chrono::steady_clock;

double seconds_since(bench_clock::time_point start) {
  return std::chrono::duration<double>(bench_clock::now() - start).count();
}

constexpr std::size_t batch_size = 10'000;

template <class Store>
double ingest(Store& store, const std::vector<trace::span>& spans) {
  auto start = bench_clock::now();
  for (std::size_t i = 0; i < spans.size(); i += batch_size) {
    auto last = std::min(i + batch_size, spans.size());
    store.append(std::vector<trace::span>(spans.begin() + static_cast<std::ptrdiff_t>(i),
                                          spans.begin() + static_cast<std::ptrdiff_t>(last)));
  }
  return static_cast<double>(spans.size()) / seconds_since(start);
}

// Mean microseconds per lookup, touching every span found.
template <class Store>
double lookup_us(const Store& store, const std::vector<trace::trace_id>& ids, std::size_t& spans_seen) {
  auto start = bench_clock::now();
  for (const auto& id : ids)
    for (auto&& s : store.find_trace(id)) spans_seen += trace::duration_of(s) > 0;
  return seconds_since(start) * 1e6 / static_cast<double>(ids.size());
}

template <class F>
double time_ms(F&& f) {
  auto start = bench_clock::now();
  f();
  return seconds_since(start) * 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = argc > 1 ? std::stoul(argv[1]) : 200'000;
  std::string url = argc > 2 ? argv[2] : (std::getenv("TRACE_CLICKHOUSE_URL") ? std::getenv("TRACE_CLICKHOUSE_URL") : "http://127.0.0.1:18123");
  trace::clickhouse_options options;
  options.server = trace::clickhouse::parse_http_endpoint(url);
  options.database = "trace_bench";

  bench::workload_config config;
  config.spans = count;
  auto data = bench::generate(config);
  std::mt19937_64 random(7);
  std::vector<trace::trace_id> memory_ids, server_ids;
  for (int i = 0; i < 2000; ++i) memory_ids.push_back(data.trace_ids[random() % data.trace_ids.size()]);
  for (int i = 0; i < 200; ++i) server_ids.push_back(data.trace_ids[random() % data.trace_ids.size()]);
  std::printf("workload: %zu spans, %zu traces, batches of %zu\n\n", data.spans.size(), data.trace_ids.size(), batch_size);

  trace::memory_store memory;
  double memory_ingest = ingest(memory, data.spans);

  options.table = "bench_row_binary";
  options.insert_format = trace::clickhouse_format::row_binary;
  trace::clickhouse_store binary(options);
  binary.drop_schema();
  binary.create_schema();
  double binary_ingest = ingest(binary, data.spans);

  options.table = "bench_json_each_row";
  options.insert_format = trace::clickhouse_format::json_each_row;
  trace::clickhouse_store json(options);
  json.drop_schema();
  json.create_schema();
  double json_ingest = ingest(json, data.spans);
  json.drop_schema();

  std::size_t memory_seen = 0, server_seen = 0;
  double memory_lookup = lookup_us(memory, memory_ids, memory_seen);
  double server_lookup = lookup_us(binary, server_ids, server_seen);
  double round_trip_us = time_ms([&] {
                           for (int i = 0; i < 100; ++i) binary.execute("SELECT 1");
                         }) * 10;

  const char* service = bench::service_names()[2];
  std::size_t memory_count = 0, server_count = 0;
  double memory_count_ms = time_ms([&] { memory_count = trace::count_matching(memory.scan(), trace::where::service(service)); });
  double server_count_ms = time_ms([&] { server_count = binary.count(trace::where::service(service)); });

  trace::group_by_options grouping;
  grouping.keys = {trace::by::service(), trace::by::operation()};
  grouping.order = trace::group_order::p95;
  trace::group_page memory_groups, server_groups;
  double memory_group_ms = time_ms([&] { memory_groups = trace::group_spans(memory.scan(), grouping); });
  double server_group_ms = time_ms([&] { server_groups = trace::group_spans(binary, grouping); });
  if (!std::getenv("TRACE_BENCH_KEEP")) binary.drop_schema();

  std::printf("%-44s %14s %14s\n", "", "memory_store", "clickhouse");
  std::printf("%-44s %14.0f %14.0f\n", "ingest, spans/s (RowBinary)", memory_ingest, binary_ingest);
  std::printf("%-44s %14s %14.0f\n", "ingest, spans/s (JSONEachRow)", "", json_ingest);
  std::printf("%-44s %14.3f %14.1f\n", "find_trace, us per trace", memory_lookup, server_lookup);
  std::printf("%-44s %14.1f %14.1f\n", "  spans per trace found", static_cast<double>(memory_seen) / static_cast<double>(memory_ids.size()),
              static_cast<double>(server_seen) / static_cast<double>(server_ids.size()));
  std::printf("%-44s %14s %14.1f\n", "SELECT 1 round trip, us", "", round_trip_us);
  std::printf("%-44s %14.2f %14.2f\n", "count where service = x, ms", memory_count_ms, server_count_ms);
  std::printf("%-44s %14.2f %14.2f\n", "group by service, operation with p95, ms", memory_group_ms, server_group_ms);
  bool same = memory_count == server_count && memory_groups.total_groups == server_groups.total_groups &&
              memory_groups.rows.front().stats.p95 == server_groups.rows.front().stats.p95;
  std::printf("\nanswers agree: %s (count %zu, %zu groups)\n", same ? "yes" : "NO", server_count,
              server_groups.total_groups);
  return same ? 0 : 1;
}
