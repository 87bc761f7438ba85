// The batching processor feeding the memory-mapped store: spans recorded on several
// threads are durable in the store's directory once the provider shuts down.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "trace/instrument.hpp"
#include "trace/store/mmap.hpp"

namespace {

// A fresh directory, removed with everything in it at the end of the test.
class scratch_directory {
 public:
  scratch_directory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "trace-instrument-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~scratch_directory() { std::filesystem::remove_all(path_); }
  scratch_directory(const scratch_directory&) = delete;
  scratch_directory& operator=(const scratch_directory&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

TEST_CASE("spans from several threads reach the mmap store through the batching processor, and survive reopening") {
  scratch_directory directory;
  constexpr int threads = 3, per_thread = 300;
  trace::trace_id trace;
  trace::mmap_options options;  // set field by field: mmap_options has members without initializers
  options.path = directory.path();
  options.sync = trace::sync_policy::every_batch;
  {
    auto sink = std::make_shared<trace::store_exporter<trace::mmap_store>>(options);
    auto processor = std::make_shared<trace::batch_span_processor>(
        sink, trace::batch_options{.max_queue_size = 4096, .max_export_batch_size = 100,
                                   .schedule_delay = std::chrono::milliseconds(5)});
    trace::tracer_provider provider({.service_name = "ingest", .processor = processor});
    auto tracer = provider.get_tracer("ingest.worker");
    {
      auto root = tracer.start_span("batch job");
      trace = root.context().trace;
      std::vector<std::thread> workers;
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&tracer, context = root.context(), t] {
          trace::context_scope adopt(context);
          for (int i = 0; i < per_thread; ++i)
            tracer.start_span("record").set_attribute("worker", t).set_attribute("index", i);
        });
      }
      for (auto& worker : workers) worker.join();
    }
    provider.shutdown();
    CHECK(processor->dropped() == 0);
    CHECK(processor->failed() == 0);
    CHECK(sink->read([](const trace::mmap_store& store) { return store.size(); }) == 1 + threads * per_thread);
  }
  options.mode = trace::open_mode::read_only;
  trace::mmap_store reopened(options);
  auto spans = reopened.find_trace(trace);
  CHECK(spans.size() == 1 + threads * per_thread);
  std::size_t records = 0;
  for (const auto& s : spans) records += trace::name_of(s) == "record";
  CHECK(records == threads * per_thread);
}
