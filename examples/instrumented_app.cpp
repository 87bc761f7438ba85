// An instrumented order pipeline: each request arrives with a W3C traceparent from an
// upstream caller, is validated, fans out to worker threads that price its items (one
// item in a while fails), and is stored. Spans go through the batching processor into an
// in-memory store; at exit the app prints one failed request's trace as a tree and a
// summary of everything recorded.
//
// Timings and ids differ on every run, so this example has no golden output.

#include <trace/instrument.hpp>
#include <trace/trace.hpp>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using memory_sink = trace::store_exporter<trace::memory_store>;
using headers = std::map<std::string, std::string, std::less<>>;

void busy_for(std::chrono::microseconds how_long) { std::this_thread::sleep_for(how_long); }

// Deterministic "now and then": about one item in eleven is out of stock.
void price_item(const trace::tracer& tracer, int order, int item) {
  auto span = tracer.start_span("price item");
  span.set_attribute("order.id", order).set_attribute("item.index", item);
  busy_for(std::chrono::microseconds(200 + 50 * item));
  try {
    if ((order * 7 + item) % 11 == 0) throw std::runtime_error("item " + std::to_string(item) + " out of stock");
    auto lookup = tracer.start_span("read price cache");
    busy_for(std::chrono::microseconds(80));
  } catch (const std::exception& failure) {
    span.record_exception(failure);
    throw;
  }
}

// The server side of one request: the caller's context comes in through headers.
bool handle_order(const trace::tracer& tracer, int order, headers incoming) {
  auto caller = trace::extract(trace::map_carrier(incoming));
  trace::span_options options{.kind = trace::span_kind::server};
  if (caller) options.parent = *caller;
  auto request = tracer.start_span("POST /orders", std::move(options));
  request.set_attribute("order.id", order);

  {
    auto validate = tracer.start_span("validate");
    busy_for(std::chrono::microseconds(150));
  }

  // Fan out: each worker adopts the request's context, so its spans become children.
  constexpr int items = 3;
  std::vector<std::thread> workers;
  std::vector<char> failed(items, 0);
  for (int item = 0; item < items; ++item) {
    workers.emplace_back([&, item, context = request.context()] {
      trace::context_scope adopt(context);
      try {
        price_item(tracer, order, item);
      } catch (const std::exception&) {
        failed[item] = 1;
      }
    });
  }
  for (auto& worker : workers) worker.join();

  bool any_failed = false;
  for (char f : failed) any_failed |= f != 0;
  if (any_failed) {
    request.set_status(trace::status_code::error, "an item could not be priced");
    request.add_event("order rejected", trace::event_level::warn);
    return false;
  }
  auto store = tracer.start_span("store order", {.kind = trace::span_kind::client});
  busy_for(std::chrono::microseconds(300));
  request.set_status(trace::status_code::ok);
  return true;
}

}  // namespace

int main() {
  auto sink = std::make_shared<memory_sink>();
  auto processor = std::make_shared<trace::batch_span_processor>(
      sink, trace::batch_options{.max_queue_size = 4096, .max_export_batch_size = 256,
                                 .schedule_delay = std::chrono::milliseconds(100)});
  trace::tracer_provider provider({.service_name = "orders",
                                   .resource_attributes = {{"deployment.environment", std::string("demo")}},
                                   .processor = processor});
  trace::tracer server = provider.get_tracer("orders.http", "0.1.0");
  trace::tracer client = provider.get_tracer("shop.frontend", "0.1.0");

  constexpr int orders = 24;
  trace::trace_id failed_trace;
  int accepted = 0;
  for (int order = 1; order <= orders; ++order) {
    // The upstream caller: a client span whose context travels in the request headers.
    auto call = client.start_span("submit order", {.kind = trace::span_kind::client});
    headers outgoing;
    trace::map_carrier carrier(outgoing);
    trace::inject(call.context(), carrier);
    if (handle_order(server, order, outgoing))
      ++accepted;
    else if (!failed_trace.valid())
      failed_trace = call.context().trace;
  }
  provider.shutdown();  // exports everything still queued

  std::cout << "orders: " << orders << ", accepted: " << accepted << ", rejected: " << orders - accepted << '\n'
            << "spans exported: " << processor->exported() << ", dropped: " << processor->dropped() << "\n\n";

  sink->read([&](const trace::memory_store& store) {
    if (failed_trace.valid()) {
      auto tree = trace::build_tree(store.find_trace(failed_trace));
      std::cout << "== a rejected order, trace " << failed_trace.to_hex() << '\n'
                << trace::render_text(tree, {.show_service = false, .bar_width = 20}) << '\n';
    }
    auto report = trace::summarize(store.scan());
    std::cout << "== summary\n"
              << "spans " << report.spans.count << ", traces " << report.trace_count << ", errors "
              << report.spans.errors << '\n';
    for (const auto& op : report.operations)
      std::cout << "  " << op.operation << ": " << op.stats.count << " spans, p50 "
                << trace::format_duration(op.stats.p50) << ", p95 " << trace::format_duration(op.stats.p95)
                << ", errors " << op.stats.errors << '\n';
    for (const auto& pattern : report.error_patterns)
      std::cout << "  error in " << pattern.operation << ": \"" << pattern.message << "\" x" << pattern.count << '\n';
  });
}
