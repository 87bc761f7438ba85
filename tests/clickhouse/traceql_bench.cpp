// TraceQL on ClickHouse with the SQL push-down beside the generic path (the same store seen
// only as a span_store: one scan of the table, then find_trace per candidate trace), on the
// bench workload (bench/workload.hpp). Checks that both answer the same, and prints times
// and their ratio. Needs a running server:
//
//   clickhouse_traceql_bench [spans=50000] [url=$TRACE_CLICKHOUSE_URL or http://127.0.0.1:18123]
//
// Wall-clock times on this machine, server and client sharing its cores.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "../../bench/workload.hpp"
#include "trace/query/traceql.hpp"
#include "trace/query/traceql/metrics.hpp"
#include "trace/query/traceql/search.hpp"
#include "generic_view.hpp"
#include "trace/store/clickhouse.hpp"

namespace {

using trace_test::generic_view;

using bench_clock = std::chrono::steady_clock;

template <class F>
double time_ms(F&& f) {
  auto start = bench_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(bench_clock::now() - start).count();
}

template <class Span>
std::string described(const std::vector<trace::traceql_trace<Span>>& traces) {
  std::ostringstream out;
  for (const auto& t : traces) {
    out << t.id.to_hex() << ' ' << t.root_name << ' ' << t.duration;
    for (const auto& set : t.spansets) {
      out << " [" << set.matched;
      for (const auto& s : set.spans) out << ' ' << trace::span_id_of(s).to_hex();
      out << ']';
    }
    out << '\n';
  }
  return out.str();
}

std::string described(const std::vector<trace::traceql_series>& series) {
  std::ostringstream out;
  for (const auto& s : series) {
    for (const auto& [k, v] : s.labels) out << k << '=' << v << ';';
    for (const auto& [t, v] : s.points) out << ' ' << t << ':' << v;
    out << '\n';
  }
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t count = argc > 1 ? std::stoul(argv[1]) : 50'000;
  const char* env = std::getenv("TRACE_CLICKHOUSE_URL");
  const std::string url = argc > 2 ? argv[2] : env ? env : "http://127.0.0.1:18123";
  trace::clickhouse_options options;
  options.server = trace::clickhouse::parse_http_endpoint(url);
  options.database = "trace_bench";
  options.table = "traceql_bench";

  bench::workload_config config;
  config.spans = count;
  const auto data = bench::generate(config);
  trace::clickhouse_store store(options);
  store.drop_schema();
  store.create_schema();
  for (std::size_t i = 0; i < data.spans.size(); i += 10'000)
    store.append(std::vector<trace::span>(data.spans.begin() + static_cast<std::ptrdiff_t>(i),
                                          data.spans.begin() + static_cast<std::ptrdiff_t>(std::min(i + 10'000, data.spans.size()))));
  std::printf("workload: %zu spans, %zu traces\n\n", data.spans.size(), data.trace_ids.size());
  std::printf("%-64s %10s %10s %8s\n", "search (limit 20) / metrics", "pushed ms", "generic ms", "ratio");

  bool same = true;
  const generic_view generic(store);
  for (const char* text : {"{ kind = server } >> { status = error }", "{ span.tenant = \"tenant-0001\" && status = error }",
                           "{ service = \"checkout\" } | count() > 3", "{ trace:duration > 100ms && kind = server }"}) {
    const auto q = trace::parse_traceql_query(text);
    std::string pushed, plain;
    const double pushed_ms = time_ms([&] { pushed = described(trace::search_traceql(store, q)); });
    const double plain_ms = time_ms([&] { plain = described(trace::search_traceql(generic, q)); });
    same = same && pushed == plain;
    std::printf("%-64s %10.1f %10.1f %7.2fx%s\n", text, pushed_ms, plain_ms, plain_ms / pushed_ms, pushed == plain ? "" : "  DIFFERENT");
  }
  trace::traceql_metrics_range range;
  range.start = data.spans.front().start;
  for (const auto& s : data.spans) {
    range.start = std::min(range.start, s.start);
    range.end = std::max(range.end, s.start + 1);
  }
  range.step = (range.end - range.start) / 60 + 1;
  range.exact_quantiles = true;
  for (const char* text : {"{ status = error } | rate() by (resource.service.name)",
                           "{ kind = server } > { status = error } | count_over_time()"}) {
    const auto q = trace::parse_traceql_query(text);
    std::string pushed, plain;
    const double pushed_ms = time_ms([&] { pushed = described(trace::traceql_metrics(store, q, range)); });
    const double plain_ms = time_ms([&] { plain = described(trace::traceql_metrics(generic, q, range)); });
    same = same && pushed == plain;
    std::printf("%-64s %10.1f %10.1f %7.2fx%s\n", text, pushed_ms, plain_ms, plain_ms / pushed_ms, pushed == plain ? "" : "  DIFFERENT");
  }
  if (!std::getenv("TRACE_BENCH_KEEP")) store.drop_schema();
  std::printf("\nanswers agree: %s\n", same ? "yes" : "NO");
  return same ? 0 : 1;
}
