// Span processors: the simple one exports on the ending thread; the batch one exports from
// its own thread on size, on interval, on force_flush and at shutdown, drops (and counts)
// when its bounded queue is full, and never loses or corrupts what it accepted.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/numbered.hpp"
#include "trace/instrument/batch_processor.hpp"
#include "trace/instrument/exporter.hpp"
#include "trace/instrument/simple_processor.hpp"
#include "trace/store/memory.hpp"

using namespace std::chrono_literals;

namespace {

// Keeps what it is given; optionally holds every export until `open()` is called.
class recording_exporter : public trace::span_exporter {
 public:
  explicit recording_exporter(bool gated = false) : gate_open_(!gated) {}

  void export_spans(std::span<const trace::span> batch) override {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return gate_open_; });
    spans_.insert(spans_.end(), batch.begin(), batch.end());
    batch_sizes_.push_back(batch.size());
    changed_.notify_all();
  }
  void force_flush() override {
    std::lock_guard lock(mutex_);
    ++flushes_;
  }
  void shutdown() override {
    std::lock_guard lock(mutex_);
    ++shutdowns_;
  }

  void open() {
    std::lock_guard lock(mutex_);
    gate_open_ = true;
    changed_.notify_all();
  }
  // Waits up to five seconds for `count` spans; the count it saw.
  std::size_t wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 5s, [&] { return spans_.size() >= count; });
    return spans_.size();
  }
  std::vector<trace::span> spans() const {
    std::lock_guard lock(mutex_);
    return spans_;
  }
  std::vector<std::size_t> batch_sizes() const {
    std::lock_guard lock(mutex_);
    return batch_sizes_;
  }
  int shutdowns() const {
    std::lock_guard lock(mutex_);
    return shutdowns_;
  }
  int flushes() const {
    std::lock_guard lock(mutex_);
    return flushes_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool gate_open_;
  std::vector<trace::span> spans_;
  std::vector<std::size_t> batch_sizes_;
  int shutdowns_ = 0;
  int flushes_ = 0;
};

class failing_exporter : public trace::span_exporter {
 public:
  void export_spans(std::span<const trace::span>) override { throw std::runtime_error("sink is down"); }
};

const trace::resource test_resource{"svc", {{"host", std::string("h1")}}, 0};
const trace::scope test_scope{"lib", "1.0", {}, 0};
const trace::span_origin origin{&test_resource, &test_scope};

trace::span make_span(std::uint64_t id, std::string name = "op") {
  trace::span s;
  s.trace = trace::trace_id{1, id};
  s.id = trace::span_id{id};
  s.name = std::move(name);
  s.start = 100;
  s.end = 200;
  s.attributes.set("n", static_cast<std::int64_t>(id));
  return s;
}

}  // namespace

TEST_CASE("simple processor: exports each span at once, with the origin's resource and scope") {
  auto exporter = std::make_shared<recording_exporter>();
  trace::simple_span_processor processor(exporter);
  processor.on_end(make_span(1), origin);
  auto spans = exporter->spans();
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].id == trace::span_id{1});
  CHECK(spans[0].resource == test_resource);
  CHECK(spans[0].scope == test_scope);
  CHECK(processor.exported() == 1);
}

TEST_CASE("simple processor: a throwing exporter is counted, not propagated") {
  trace::simple_span_processor processor(std::make_shared<failing_exporter>());
  processor.on_end(make_span(1), origin);
  processor.on_end(make_span(2), origin);
  CHECK(processor.failed() == 2);
  CHECK(processor.exported() == 0);
}

TEST_CASE("simple processor: after shutdown spans are dropped and the exporter shut down once") {
  auto exporter = std::make_shared<recording_exporter>();
  trace::simple_span_processor processor(exporter);
  processor.shutdown();
  processor.shutdown();
  processor.on_end(make_span(1), origin);
  CHECK(exporter->spans().empty());
  CHECK(processor.dropped() == 1);
  CHECK(exporter->shutdowns() == 1);
}

TEST_CASE("processors refuse a null exporter") {
  CHECK_THROWS_WITH(trace::simple_span_processor(nullptr), "invalid option: simple_span_processor: the exporter is null");
  CHECK_THROWS_WITH(trace::batch_span_processor(nullptr), "invalid option: batch_span_processor: the exporter is null");
}

TEST_CASE("batch processor: inconsistent options are refused") {
  auto exporter = std::make_shared<recording_exporter>();
  CHECK_THROWS_WITH(trace::batch_span_processor(exporter, {.max_queue_size = 10, .max_export_batch_size = 20}),
                    "invalid option: batch_span_processor: max_export_batch_size 20 exceeds max_queue_size 10");
  CHECK_THROWS_WITH(trace::batch_span_processor(exporter, {.max_queue_size = 0}),
                    "invalid option: batch_span_processor: max_queue_size and max_export_batch_size must be positive");
  CHECK_THROWS_WITH(trace::batch_span_processor(exporter, {.schedule_delay = 0ms}),
                    "invalid option: batch_span_processor: schedule_delay must be positive");
}

TEST_CASE("batch processor: a full batch is exported without waiting for the interval") {
  auto exporter = std::make_shared<recording_exporter>();
  trace::batch_span_processor processor(exporter, {.max_queue_size = 100, .max_export_batch_size = 10, .schedule_delay = 1h});
  for (std::uint64_t i = 1; i <= 10; ++i) processor.on_end(make_span(i), origin);
  CHECK(exporter->wait_for(10) == 10);
  CHECK(exporter->batch_sizes() == std::vector<std::size_t>{10});
}

TEST_CASE("batch processor: fewer spans than a batch are exported when the interval passes") {
  auto exporter = std::make_shared<recording_exporter>();
  trace::batch_span_processor processor(exporter, {.max_queue_size = 100, .max_export_batch_size = 50, .schedule_delay = 20ms});
  for (std::uint64_t i = 1; i <= 3; ++i) processor.on_end(make_span(i), origin);
  CHECK(exporter->wait_for(3) == 3);
}

TEST_CASE("batch processor: force_flush exports everything ended before it, in batches of at most max_export_batch_size") {
  auto exporter = std::make_shared<recording_exporter>();
  trace::batch_span_processor processor(exporter, {.max_queue_size = 100, .max_export_batch_size = 10, .schedule_delay = 1h});
  for (std::uint64_t i = 1; i <= 35; ++i) processor.on_end(make_span(i), origin);
  CHECK(processor.force_flush(5000ms));
  auto spans = exporter->spans();
  REQUIRE(spans.size() == 35);
  for (std::size_t size : exporter->batch_sizes()) CHECK(size <= 10);
  CHECK(spans[0].resource == test_resource);
  CHECK(spans[0].scope == test_scope);
  CHECK(exporter->flushes() == 1);
  CHECK(processor.exported() == 35);
}

TEST_CASE("batch processor: force_flush times out when the exporter is stuck") {
  auto exporter = std::make_shared<recording_exporter>(/*gated=*/true);
  trace::batch_span_processor processor(exporter, {.max_queue_size = 10, .max_export_batch_size = 5, .schedule_delay = 1h});
  processor.on_end(make_span(1), origin);
  CHECK_FALSE(processor.force_flush(50ms));
  exporter->open();
  CHECK(processor.force_flush(5000ms));
  CHECK(exporter->spans().size() == 1);
}

TEST_CASE("batch processor: shutdown exports everything accepted, then drops and counts later spans") {
  auto exporter = std::make_shared<recording_exporter>();
  trace::batch_span_processor processor(exporter, {.max_queue_size = 100, .max_export_batch_size = 50, .schedule_delay = 1h});
  for (std::uint64_t i = 1; i <= 7; ++i) processor.on_end(make_span(i), origin);
  processor.shutdown();
  CHECK(exporter->spans().size() == 7);
  processor.on_end(make_span(8), origin);
  processor.shutdown();
  CHECK(exporter->spans().size() == 7);
  CHECK(processor.dropped() == 1);
  CHECK(exporter->shutdowns() == 1);
}

TEST_CASE("batch processor: a throwing exporter is counted and the worker keeps going") {
  trace::batch_span_processor processor(std::make_shared<failing_exporter>(),
                                        {.max_queue_size = 10, .max_export_batch_size = 5, .schedule_delay = 1h});
  processor.on_end(make_span(1), origin);
  CHECK(processor.force_flush(5000ms));
  processor.on_end(make_span(2), origin);
  CHECK(processor.force_flush(5000ms));
  CHECK(processor.failed() == 2);
}

TEST_CASE("batch processor under overload: drops are counted, accepted spans arrive intact, once each") {
  auto exporter = std::make_shared<recording_exporter>(/*gated=*/true);
  constexpr int threads = 4, per_thread = 1000;
  trace::batch_span_processor processor(exporter, {.max_queue_size = 64, .max_export_batch_size = 16, .schedule_delay = 1ms});
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&processor, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto id = static_cast<std::uint64_t>(t * per_thread + i + 1);
        processor.on_end(make_span(id, trace_test::numbered("t", id)), origin);
      }
    });
  }
  for (auto& worker : workers) worker.join();  // never blocked by the stuck exporter
  exporter->open();
  processor.shutdown();

  auto spans = exporter->spans();
  CHECK(processor.dropped() > 0);
  CHECK(spans.size() + processor.dropped() == threads * per_thread);
  CHECK(processor.exported() == spans.size());
  std::set<std::uint64_t> seen;
  for (const auto& s : spans) {
    CHECK(seen.insert(s.id.value()).second);
    CHECK(s.name == "t" + std::to_string(s.id.value()));
    CHECK(*s.attributes.find("n") == trace::attribute_value(static_cast<std::int64_t>(s.id.value())));
    CHECK(s.resource.service_name == "svc");
  }
}

TEST_CASE("store_exporter: the batch thread appends to a memory_store while another thread reads it") {
  auto sink = std::make_shared<trace::store_exporter<trace::memory_store>>();
  trace::batch_span_processor processor(sink, {.max_queue_size = 4096, .max_export_batch_size = 8, .schedule_delay = 1ms});
  bool count_went_down = false;  // the reader reports; Catch2 assertions stay on this thread
  std::thread reader([&] {
    std::size_t last = 0;
    while (last < 2000) {
      std::size_t now = sink->read([](const trace::memory_store& store) {
        std::size_t counted = 0;
        for (auto ref : store.scan()) counted += ref.service() == "svc";
        return counted;
      });
      count_went_down |= now < last;
      last = now;
    }
  });
  for (std::uint64_t i = 1; i <= 2000; ++i) processor.on_end(make_span(i), origin);
  processor.shutdown();
  reader.join();
  CHECK_FALSE(count_went_down);
  CHECK(sink->read([](const trace::memory_store& store) { return store.size(); }) == 2000);
  CHECK(processor.dropped() == 0);
}

TEST_CASE("batch processor: force_flush from several threads while others end spans") {
  auto exporter = std::make_shared<recording_exporter>();
  trace::batch_span_processor processor(exporter, {.max_queue_size = 8192, .max_export_batch_size = 32, .schedule_delay = 1h});
  constexpr int producers = 2, flushers = 2, per_producer = 1000;
  std::atomic<int> failed_flushes{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&processor, p] {
      for (int i = 0; i < per_producer; ++i)
        processor.on_end(make_span(static_cast<std::uint64_t>(p * per_producer + i + 1)), origin);
    });
  }
  for (int f = 0; f < flushers; ++f) {
    threads.emplace_back([&processor, &failed_flushes] {
      for (int i = 0; i < 20; ++i)
        if (!processor.force_flush(5000ms)) ++failed_flushes;
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failed_flushes == 0);
  // Everything ended before this flush is exported by the time it returns.
  CHECK(processor.force_flush(5000ms));
  CHECK(exporter->spans().size() == producers * per_producer);
  CHECK(processor.dropped() == 0);
}
