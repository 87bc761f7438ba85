// Readers on other threads while one thread appends, rolls and compacts: every reader must
// see a committed prefix of the batches, each batch whole, and everything it was shown must
// stay readable while the writer replaces the segments under it. Run under ThreadSanitizer
// by .ci/steps/tsan.sh. Catch2's assertions are not thread-safe, so the threads collect
// problems and the main thread asserts.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "mmap_test_support.hpp"
#include "trace/store/mmap.hpp"

namespace {

// Batch k is the whole of trace k: 1..5 spans.
std::uint64_t batch_size(std::uint64_t k) { return 1 + k % 5; }

std::vector<trace::span> batch(std::uint64_t k) {
  std::vector<trace::span> out;
  for (std::uint64_t i = 0; i < batch_size(k); ++i) out.push_back(test_support::make_span(k, i));
  return out;
}

trace::trace_id trace_of(std::uint64_t k) { return test_support::make_span(k, 0).trace; }

class problems {
 public:
  void add(std::string what) {
    std::lock_guard lock(mutex_);
    if (list_.size() < 20) list_.push_back(std::move(what));
  }
  std::vector<std::string> take() {
    std::lock_guard lock(mutex_);
    return list_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> list_;
};

// Checks one reader's view: whole batches 0..K-1 and nothing else, agreeing with its size,
// and a trace looked up through the same view equal to what was appended.
void check_view(const trace::mmap_store::reader& view, std::uint64_t probe, problems& found) {
  std::map<std::uint64_t, std::uint64_t> per_trace;  // trace id's high word → spans seen
  std::size_t total = 0;
  for (trace::mmap_span s : view.scan()) {
    ++per_trace[s.trace().high()];
    ++total;
  }
  if (total != view.size())
    found.add("scan yields " + std::to_string(total) + " spans but the view's size is " + std::to_string(view.size()));
  std::uint64_t k = 0, expected_total = 0;
  for (const auto& [high, count] : per_trace) {
    if (high != trace_of(k).high()) {
      found.add("batches are not a prefix: batch " + std::to_string(k) + " missing");
      return;
    }
    if (count != batch_size(k))
      found.add("batch " + std::to_string(k) + " seen with " + std::to_string(count) + " of " +
                std::to_string(batch_size(k)) + " spans");
    expected_total += batch_size(k++);
  }
  if (expected_total != total) found.add("span count does not match the batches seen");
  if (k == 0) return;
  const std::uint64_t pick = probe % k;
  auto spans = view.find_trace(trace_of(pick));
  if (spans.size() != batch_size(pick))
    found.add("find_trace(batch " + std::to_string(pick) + ") gave " + std::to_string(spans.size()) + " spans");
  for (const trace::mmap_span& s : spans) {
    const std::uint64_t index = s.id().value() - pick * 1000 - 1;
    if (index >= batch_size(pick) || s.materialize() != test_support::make_span(pick, index))
      found.add("batch " + std::to_string(pick) + " span " + std::to_string(index) + " differs from what was appended");
  }
}

}  // namespace

TEST_CASE("readers on other threads see whole committed batches while the writer appends, rolls and compacts") {
  test_support::temp_dir dir;
  trace::mmap_store store({.path = dir.path(), .sync = trace::sync_policy::none, .segment_bytes = 64 << 10});
  constexpr std::uint64_t batches = 600;
  std::atomic<bool> writing{true};
  std::atomic<std::uint64_t> views_checked{0}, nonempty_views{0};
  problems found;

  std::thread writer([&] {
    try {
      for (std::uint64_t k = 0; k < batches; ++k) {
        store.append(batch(k));
        if (k % 97 == 96) store.roll();
        if (k % 211 == 210) store.compact();
      }
    } catch (const std::exception& e) {
      found.add(std::string("writer failed: ") + e.what());
    }
    writing = false;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r)
    readers.emplace_back([&, r] {
      std::size_t last_size = 0;
      for (std::uint64_t round = static_cast<std::uint64_t>(r); writing || round < 4; round += 2) {
        auto view = store.read();
        if (view.size() < last_size) found.add("a later view holds fewer spans than an earlier one");
        last_size = view.size();
        check_view(view, round * 7919, found);
        ++views_checked;
        if (!view.empty()) ++nonempty_views;
        // The store's own calls take a fresh view each time; a trace already seen stays whole.
        if (store.find_trace(trace_of(0)).size() != (view.empty() ? 0 : batch_size(0)) && !view.empty())
          found.add("store.find_trace lost batch 0");
      }
    });
  writer.join();
  for (auto& t : readers) t.join();

  CHECK(found.take() == std::vector<std::string>{});
  CHECK(views_checked >= 8);
  CHECK(nonempty_views >= 1);
  auto final_view = store.read();
  CHECK(final_view.size() == [] {
    std::size_t n = 0;
    for (std::uint64_t k = 0; k < batches; ++k) n += batch_size(k);
    return n;
  }());
  check_view(final_view, 12345, found);
  CHECK(found.take() == std::vector<std::string>{});
}

TEST_CASE("a view keeps what it showed, unchanged, after the writer seals and compacts") {
  test_support::temp_dir dir;
  trace::mmap_store store({.path = dir.path(), .segment_bytes = 64 << 10});
  for (std::uint64_t k = 0; k < 40; ++k) store.append(batch(k));
  auto before = store.read();
  auto range = store.scan();
  auto trace5 = store.find_trace(trace_of(5));
  REQUIRE(before.size() > 0);

  store.roll();  // the log these views point into is sealed and its file deleted
  for (std::uint64_t k = 40; k < 60; ++k) store.append(batch(k));
  store.roll();
  CHECK(store.compact() >= 1);  // the sealed segment the views were not shown is merged away too

  problems found;
  check_view(before, 5, found);
  CHECK(found.take() == std::vector<std::string>{});
  std::size_t in_range = 0;
  for (trace::mmap_span s : range) in_range += s.materialize() == batch(s.trace().high() - 0x1000)[s.id().value() % 1000 - 1];
  CHECK(in_range == before.size());
  REQUIRE(trace5.size() == batch_size(5));
  for (const trace::mmap_span& s : trace5) CHECK(s.materialize() == test_support::make_span(5, s.id().value() - 5001));
  CHECK(store.size() > before.size());
  CHECK(store.read().size() == store.size());
}

// A log opened read-only indexes its traces at the first lookup, whichever thread asks first;
// the others wait for it and find every trace.
TEST_CASE("lookups on several threads into a read-only store's log each find every trace") {
  test_support::temp_dir dir;
  constexpr std::uint64_t batches = 300;
  {
    trace::mmap_store store({.path = dir.path()});
    for (std::uint64_t k = 0; k < batches; ++k) store.append(batch(k));
  }
  const trace::mmap_store store({.path = dir.path(), .mode = trace::open_mode::read_only});
  REQUIRE(store.segments().size() == 1);
  REQUIRE_FALSE(store.segments().front().sealed);
  problems found;
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < 4; ++t)
    threads.emplace_back([&store, &found, t] {
      for (std::uint64_t i = 0; i < batches; ++i) {
        const std::uint64_t k = (i * 7 + t * 75) % batches;  // each thread starts elsewhere
        if (const auto spans = store.find_trace(trace_of(k)); spans.size() != batch_size(k))
          found.add("thread " + std::to_string(t) + ": find_trace(batch " + std::to_string(k) + ") gave " +
                    std::to_string(spans.size()) + " spans");
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(found.take() == std::vector<std::string>{});
}
