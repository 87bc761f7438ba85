#pragma once
// opentelemetry-cpp's side of `instrument-bench --peer otel-cpp`: its SDK set up as our
// instrumentation is in the same run, and the same instrumented operations. Compiled only
// when the bench is configured with -DTRACE_BENCH_OTEL_CPP=ON, which builds opentelemetry-cpp
// (../shared/peers/opentelemetry-cpp) once under build/peers.

#include <opentelemetry/nostd/shared_ptr.h>
#include <opentelemetry/sdk/resource/resource.h>
#include <opentelemetry/sdk/trace/batch_span_processor.h>
#include <opentelemetry/sdk/trace/batch_span_processor_options.h>
#include <opentelemetry/sdk/trace/exporter.h>
#include <opentelemetry/sdk/trace/samplers/always_on.h>
#include <opentelemetry/sdk/trace/samplers/parent.h>
#include <opentelemetry/sdk/trace/samplers/trace_id_ratio.h>
#include <opentelemetry/sdk/trace/span_data.h>
#include <opentelemetry/sdk/trace/tracer_provider.h>
#include <opentelemetry/trace/noop.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace otel_peer {

namespace sdk = opentelemetry::sdk;
namespace api = opentelemetry::trace;
namespace nostd = opentelemetry::nostd;

// Records into the SDK's own SpanData (what its in-memory exporter keeps) and drops the
// batch: the same role as our discarding exporter.
class dropping_exporter final : public sdk::trace::SpanExporter {
 public:
  explicit dropping_exporter(std::shared_ptr<std::atomic<std::uint64_t>> count) : count_(std::move(count)) {}
  std::unique_ptr<sdk::trace::Recordable> MakeRecordable() noexcept override { return std::make_unique<sdk::trace::SpanData>(); }
  sdk::common::ExportResult Export(const nostd::span<std::unique_ptr<sdk::trace::Recordable>>& spans) noexcept override {
    *count_ += spans.size();
    return sdk::common::ExportResult::kSuccess;
  }
  bool ForceFlush(std::chrono::microseconds) noexcept override { return true; }
  bool Shutdown(std::chrono::microseconds) noexcept override { return true; }

 private:
  std::shared_ptr<std::atomic<std::uint64_t>> count_;
};

// A tracer provider with a batching processor into the dropping exporter, queue and batch
// sizes as ours are given, the same resource as ours.
struct pipeline {
  std::shared_ptr<std::atomic<std::uint64_t>> exported = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::shared_ptr<sdk::trace::TracerProvider> provider;
  nostd::shared_ptr<api::Tracer> tracer;

  pipeline(std::unique_ptr<sdk::trace::Sampler> sampler, std::size_t queue) {
    sdk::trace::BatchSpanProcessorOptions options;
    options.max_queue_size = queue;
    options.max_export_batch_size = 4096;
    options.schedule_delay_millis = std::chrono::milliseconds(50);
    auto processor = std::make_unique<sdk::trace::BatchSpanProcessor>(std::make_unique<dropping_exporter>(exported), options);
    auto resource = sdk::resource::Resource::Create({{"service.name", "bench"}, {"host.name", "bench-host"}});
    provider = std::make_shared<sdk::trace::TracerProvider>(std::move(processor), resource, std::move(sampler));
    tracer = provider->GetTracer("bench", "1.0");
  }
  void flush() { provider->ForceFlush(); }
};

inline std::unique_ptr<sdk::trace::Sampler> always_on() { return std::make_unique<sdk::trace::AlwaysOnSampler>(); }
inline std::unique_ptr<sdk::trace::Sampler> parent_based_ratio_zero() {
  return std::make_unique<sdk::trace::ParentBasedSampler>(std::make_shared<sdk::trace::TraceIdRatioBasedSampler>(0.0));
}

// What an application gets when no SDK is installed: the API's no-op tracer.
inline nostd::shared_ptr<api::Tracer> noop_tracer() {
  api::NoopTracerProvider noop;
  api::TracerProvider& provider = noop;  // the API's overloads with defaults
  return provider.GetTracer("bench", "1.0");
}

// The operations of our `instrumented_loop` and `rich_loop`, written as opentelemetry-cpp's
// users write them.
inline void three_attributes(api::Tracer& tracer, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    auto span = tracer.StartSpan("GET /items");
    span->SetAttribute("http.method", "GET");
    span->SetAttribute("http.status_code", 200);
    span->SetAttribute("item.count", static_cast<std::int64_t>(i));
    span->End();
  }
}

inline void ten_attributes_two_events(api::Tracer& tracer, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    auto span = tracer.StartSpan("GET /items");
    span->SetAttribute("http.method", "GET");
    span->SetAttribute("http.status_code", 200);
    span->SetAttribute("http.route", "/items/{id}");
    span->SetAttribute("http.scheme", "https");
    span->SetAttribute("net.peer.port", 443);
    span->SetAttribute("user.id", static_cast<std::int64_t>(i));
    span->SetAttribute("item.count", static_cast<std::int64_t>(i % 7));
    span->SetAttribute("cache.hit", i % 2 == 0);
    span->SetAttribute("retry.ratio", 0.25);
    span->SetAttribute("tenant", "acme");
    span->AddEvent("cache lookup", {{"key", "item:42"}});
    span->AddEvent("db query", {{"rows", static_cast<std::int64_t>(i % 10)}});
    span->End();
  }
}

}  // namespace otel_peer
