// Trace-level analytics: per-trace duration, size, services, errors and critical-path
// shares; comparing two traces of the same shape.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/make_span.hpp"
#include "trace/analytics/trace_profile.hpp"
#include "trace/store/memory.hpp"

using trace_test::make_span;

namespace {

// frontend 0–100 ms → checkout 10–90 → payments 20–80 (failing); checkout also calls
// inventory 30–40, hidden under payments, so never on the critical path.
std::vector<trace::span> purchase(std::uint64_t trace, std::uint64_t pay_end = 80, std::uint64_t checkout_end = 90,
                                  std::uint64_t root_end = 100) {
  return {
      make_span(trace, 1, 0, "frontend", "POST /buy", 0, root_end),
      make_span(trace, 2, 1, "checkout", "Place", 10, checkout_end),
      make_span(trace, 3, 2, "payments", "Charge", 20, pay_end, trace::status_code::error),
      make_span(trace, 4, 2, "inventory", "Reserve", 30, 40),
  };
}

}  // namespace

TEST_CASE("a trace profile has duration, size, services, errors and critical-path shares") {
  auto p = trace::profile_trace(purchase(1));
  CHECK(p.trace == trace_test::trace_n(1));
  CHECK(p.duration == 100 * trace::millisecond);
  CHECK(p.span_count == 4);
  CHECK(p.error_count == 1);
  CHECK(p.services == std::vector<std::string>{"checkout", "frontend", "inventory", "payments"});
  REQUIRE(p.critical_path.size() == 3);  // inventory never decided the end
  CHECK(p.critical_path[0].service == "payments");
  CHECK(p.critical_path[0].critical_time == 60 * trace::millisecond);
  CHECK(p.critical_path[0].share == Approx(0.6));
  CHECK(p.critical_path[1].service == "checkout");  // 10–20 and 80–90; ties keep name order
  CHECK(p.critical_path[1].critical_time == 20 * trace::millisecond);
  CHECK(p.critical_path[2].service == "frontend");
  CHECK(p.critical_path[2].share == Approx(0.2));
}

TEST_CASE("profiles of many traces come longest first, from a store scan too") {
  auto spans = purchase(1);
  auto slow = purchase(2, 180, 190, 200);
  spans.insert(spans.end(), slow.begin(), slow.end());
  trace::memory_store store;
  store.append(spans);
  auto profiles = trace::profile_traces(store.scan());
  REQUIRE(profiles.size() == 2);
  CHECK(profiles[0].trace == trace_test::trace_n(2));
  CHECK(profiles[0].duration == 200 * trace::millisecond);
  CHECK(profiles[0].critical_path[0].critical_time == 160 * trace::millisecond);
  CHECK(profiles[1].duration == 100 * trace::millisecond);
  CHECK(trace::profile_trace(std::vector<trace::span>{}).span_count == 0);
}

TEST_CASE("comparing two traces of the same shape lists the spans that got slower") {
  auto c = trace::compare_traces(purchase(1), purchase(2, 180, 190, 200));
  CHECK(c.same_shape);
  CHECK(c.before == 100 * trace::millisecond);
  CHECK(c.after == 200 * trace::millisecond);
  REQUIRE(c.slower.size() == 3);
  CHECK(c.slower[0].path == "frontend:POST /buy#0");
  CHECK(c.slower[0].delta() == 100 * static_cast<std::int64_t>(trace::millisecond));
  CHECK(c.slower[1].path == "frontend:POST /buy#0/checkout:Place#0");
  CHECK(c.slower[2].path == "frontend:POST /buy#0/checkout:Place#0/payments:Charge#0");
  CHECK(c.slower[2].before == 60 * trace::millisecond);
  CHECK(c.slower[2].after == 160 * trace::millisecond);
  CHECK(c.missing.empty());
  CHECK(c.added.empty());

  // A threshold hides small changes.
  CHECK(trace::compare_traces(purchase(1), purchase(2, 81, 91, 101), 2 * trace::millisecond).slower.empty());
}

TEST_CASE("repeated calls are matched in start order and shape changes are reported") {
  auto before = purchase(1);
  before.push_back(make_span(1, 5, 2, "inventory", "Reserve", 41, 45));  // a second Reserve
  auto after = purchase(2);
  after.push_back(make_span(2, 5, 2, "inventory", "Reserve", 41, 55));
  after.push_back(make_span(2, 6, 1, "frontend", "render", 95, 99));
  auto c = trace::compare_traces(before, after);
  CHECK_FALSE(c.same_shape);
  REQUIRE(c.slower.size() == 1);
  CHECK(c.slower[0].path == "frontend:POST /buy#0/checkout:Place#0/inventory:Reserve#1");
  CHECK(c.added == std::vector<std::string>{"frontend:POST /buy#0/frontend:render#0"});
  CHECK(c.missing.empty());
  CHECK(trace::compare_traces(after, before).missing == c.added);
}
