// Shipping an instrumented app's spans to ClickHouse, then asking them back with the same
// query objects as for an embedded store. Needs a running server:
//
//   ship_to_clickhouse [http://127.0.0.1:8123]
//
// The spans go through the batching processor into a `clickhouse_store` (one INSERT per
// batch); afterwards the app searches traces, lists the slowest spans and groups by
// operation on the server. Ids and timings differ on every run: no golden output.

#include <trace/instrument.hpp>
#include <trace/store/clickhouse.hpp>
#include <trace/store/clickhouse/analytics.hpp>
#include <trace/trace.hpp>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

namespace {

using clickhouse_sink = trace::store_exporter<trace::clickhouse_store>;

void handle_request(const trace::tracer& tracer, int n) {
  auto request = tracer.start_span(n % 3 ? "GET /items" : "POST /cart", {.kind = trace::span_kind::server});
  request.set_attribute("request.number", n);
  {
    auto query = tracer.start_span("SELECT items", {.kind = trace::span_kind::client});
    std::this_thread::sleep_for(std::chrono::microseconds(100 + 37 * (n % 7)));
  }
  if (n % 10 == 0) request.set_status(trace::status_code::error, "cart is locked");
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = argc > 1 ? argv[1] : "http://127.0.0.1:8123";
  trace::clickhouse_options options;
  options.database = "trace_demo";
  try {
    options.server = trace::clickhouse::parse_http_endpoint(url);
    trace::clickhouse_store(options).create_schema();
    auto sink = std::make_shared<clickhouse_sink>(options);
    auto processor = std::make_shared<trace::batch_span_processor>(
        sink, trace::batch_options{.max_queue_size = 4096, .max_export_batch_size = 512,
                                   .schedule_delay = std::chrono::milliseconds(200)});
    trace::tracer_provider provider({.service_name = "shop", .processor = processor});
    trace::tracer tracer = provider.get_tracer("shop.http", "1.0");
    for (int n = 1; n <= 50; ++n) handle_request(tracer, n);
    provider.shutdown();  // flushes the last batch into ClickHouse
    std::cout << "exported " << processor->exported() << " spans, " << processor->dropped() << " dropped\n";

    sink->read([](const trace::clickhouse_store& store) {
      using namespace trace::where;
      auto failed = trace::find_traces(store, {service("shop") && status(trace::status_code::error), {}, 0, 3});
      std::cout << failed.size() << " failed traces; the first one:\n"
                << trace::render_text(trace::build_tree(failed.front())) << '\n';
      auto slowest = store.select({operation("SELECT items"), trace::span_order::duration_descending, 0, 3});
      for (const auto& s : slowest) std::cout << "slow query: " << trace::format_duration(s.duration()) << '\n';
      trace::group_by_options by_operation;
      by_operation.keys = {trace::by::operation()};
      for (const auto& row : trace::group_spans(store, by_operation).rows)
        std::cout << row.key[0] << ": " << row.stats.count << " spans, p95 " << trace::format_duration(row.stats.p95)
                  << ", error rate " << row.stats.error_rate << '\n';
    });
  } catch (const trace::error& e) {
    std::cerr << "ship_to_clickhouse: " << e.what() << '\n';
    return 1;
  }
}
