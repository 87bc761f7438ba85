// An instrumented order pipeline: each request arrives with a W3C traceparent from an
// upstream caller, is validated, fans out to worker threads that price its items (one
// item in a while fails), and is stored. Spans go through the batching processor into an
// in-memory store; at exit the app prints one failed request's trace as a tree and a
// summary of everything recorded.
//
// With `--otlp-endpoint http://host:4318` (or OTEL_EXPORTER_OTLP_ENDPOINT set, or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), the spans also go to that OpenTelemetry collector
// (Jaeger, Tempo, ...) over OTLP/HTTP; the other OTEL_EXPORTER_OTLP_* variables apply too.
//
// Timings and ids differ on every run, so this example has no golden output.

#include <trace/instrument.hpp>
#include <trace/instrument/otlp_http_exporter.hpp>
#include <trace/trace.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using memory_sink = trace::store_exporter<trace::memory_store>;
using headers = std::map<std::string, std::string, std::less<>>;

// Hands every batch to the in-memory store (for the report printed at the end) and to the
// collector.
class tee_exporter final : public trace::span_exporter {
 public:
  tee_exporter(std::shared_ptr<trace::span_exporter> first, std::shared_ptr<trace::span_exporter> second)
      : first_(std::move(first)), second_(std::move(second)) {}
  void export_spans(std::span<const trace::span> batch) override {
    first_->export_spans(batch);
    second_->export_spans(batch);
  }
  void force_flush() override {
    first_->force_flush();
    second_->force_flush();
  }
  void shutdown() override {
    first_->shutdown();
    second_->shutdown();
  }

 private:
  std::shared_ptr<trace::span_exporter> first_, second_;
};

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

int run(const std::optional<std::string>& otlp_endpoint) {
  auto sink = std::make_shared<memory_sink>();
  std::shared_ptr<trace::span_exporter> exporter = sink;
  std::shared_ptr<trace::otlp_http_exporter> collector;
  if (otlp_endpoint || std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT") || std::getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
    auto options = trace::otlp_http_options_from_env();
    if (otlp_endpoint) options.endpoint = *otlp_endpoint + (otlp_endpoint->ends_with('/') ? "v1/traces" : "/v1/traces");
    collector = std::make_shared<trace::otlp_http_exporter>(options);
    exporter = std::make_shared<tee_exporter>(sink, collector);
  }
  auto processor = std::make_shared<trace::batch_span_processor>(
      exporter, trace::batch_options{.max_queue_size = 4096, .max_export_batch_size = 256,
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
  if (collector) {
    auto sent = collector->stats();
    std::cout << "== OTLP/HTTP to " << collector->options().endpoint << '\n'
              << "accepted " << sent.spans_exported << ", rejected " << sent.spans_rejected << ", failed "
              << sent.spans_failed << ", dropped " << sent.spans_dropped_overflow << ", requests " << sent.requests
              << ", retries " << sent.retries << '\n';
    if (!sent.last_error.empty()) std::cout << "last error: " << sent.last_error << '\n';
    std::cout << '\n';
  }

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
  return 0;
}

int main(int argc, char** argv) {
  std::optional<std::string> otlp_endpoint;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--otlp-endpoint" && i + 1 < argc) {
      otlp_endpoint = argv[++i];
    } else {
      std::cerr << "usage: instrumented_app [--otlp-endpoint http://host:4318]\n";
      return 2;
    }
  }
  try {
    return run(otlp_endpoint);
  } catch (const trace::error& e) {
    std::cerr << "instrumented_app: " << e.what() << '\n';
    return 1;
  }
}
