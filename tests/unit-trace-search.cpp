#include <catch2/catch.hpp>
#include <trace/query.hpp>
#include <trace/store/memory.hpp>

#include <vector>

#include "support/make_span.hpp"

using namespace trace::where;
using trace::status_code;
using trace_test::make_span;
using trace_test::trace_n;

namespace {

trace::memory_store sample_store() {
  trace::memory_store store;
  store.append(std::vector{
      // trace 1: api root, slow db child with an error
      make_span(1, 11, 0, "api", "GET", 100, 300), make_span(1, 12, 11, "db", "query", 110, 290, status_code::error),
      // trace 2: api root only, later
      make_span(2, 21, 0, "api", "GET", 500, 510),
      // trace 3: web root, api child
      make_span(3, 31, 0, "web", "load", 50, 60), make_span(3, 32, 31, "api", "POST", 52, 58)});
  return store;
}

std::vector<std::uint64_t> found(const trace::memory_store& store, trace::trace_query q) {
  std::vector<std::uint64_t> out;
  for (const auto& id : trace::find_trace_ids(store, q)) out.push_back(id.low());
  return out;
}

using ids = std::vector<std::uint64_t>;

}  // namespace

TEST_CASE("a trace matches when one span satisfies every condition, newest first") {
  auto store = sample_store();
  CHECK(found(store, {service("api")}) == ids{2, 1, 3});
  CHECK(found(store, {service("api") && operation("POST")}) == ids{3});
  // service db and operation GET hold on different spans of trace 1: no single span has both.
  CHECK(found(store, {service("db") && operation("GET")}).empty());
  CHECK(found(store, {service("api") && min_duration(100 * trace::millisecond)}) == ids{1});
}

TEST_CASE("a matching trace comes back whole, with spans outside the window") {
  auto store = sample_store();
  auto traces = trace::find_traces(store, {service("db") && started_between(100 * trace::millisecond, 120 * trace::millisecond)});
  REQUIRE(traces.size() == 1);
  std::vector<std::uint64_t> spans;
  for (const auto& s : traces[0]) spans.push_back(s.id().value());
  CHECK(spans == ids{11, 12});
}

TEST_CASE("trace search limits, pages and filters on errors") {
  auto store = sample_store();
  CHECK(found(store, {any(), std::nullopt, 0, 2}) == ids{2, 1});
  CHECK(found(store, {any(), std::nullopt, 1, 2}) == ids{1, 3});
  CHECK(found(store, {any(), std::nullopt, 3, 2}).empty());
  CHECK(found(store, {any(), true}) == ids{1});
  CHECK(found(store, {service("api"), false}) == ids{2, 3});
  CHECK(found(store, {service("nobody")}).empty());
}
