// summarize(store), read from the columns, must equal the generic summarize(store.scan()).

#include <catch2/catch.hpp>
#include <trace/analytics/store_summary.hpp>
#include <trace/store/memory.hpp>

#include <random>
#include <vector>

#include "support/make_span.hpp"

namespace {
trace::memory_store random_store(std::uint64_t seed, std::size_t count) {
  std::mt19937_64 random(seed);
  const char* services[] = {"api", "db", "cache", "auth"};
  const char* names[] = {"GET", "POST", "query", "get", "login"};
  const char* messages[] = {"", "timeout", "refused"};
  std::vector<trace::span> spans;
  for (std::uint64_t i = 1; i <= count; ++i) {
    auto s = trace_test::make_span(1 + random() % 100, i, 0, services[random() % 4], names[random() % 5], 0, 0);
    s.start = random() % 1000;
    s.end = s.start + random() % 100000;
    if (random() % 10 == 0) s.status = {trace::status_code::error, messages[random() % 3]};
    spans.push_back(std::move(s));
  }
  trace::memory_store store;
  store.append(spans);
  return store;
}
}  // namespace

TEST_CASE("the store's summary equals the generic one, exact percentiles") {
  for (std::uint64_t seed : {1, 2, 3}) {
    auto store = random_store(seed, 5000);
    auto fast = trace::summarize(store);
    auto generic = trace::summarize(store.scan());
    CHECK(fast.spans.count == 5000);
    CHECK(fast.operations.size() == generic.operations.size());
    CHECK(fast == generic);
  }
}

TEST_CASE("the store's summary equals the generic one with sketches and short error lists") {
  auto store = random_store(9, 3000);
  trace::summary_options options{.top_errors = 3, .percentiles = trace::percentile_method::sketch};
  auto fast = trace::summarize(store, options);
  CHECK(fast.error_patterns.size() == 3);
  CHECK(fast == trace::summarize(store.scan(), options));
}

TEST_CASE("an empty store summarises to an empty report") {
  trace::memory_store store;
  CHECK(trace::summarize(store) == trace::summary_report{});
}
