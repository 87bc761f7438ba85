// Anomalies of a current window against a baseline: Tael's default thresholds, their
// options, per-operation comparison, and the report's wording.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/make_span.hpp"
#include "trace/analytics/anomaly.hpp"

using trace_test::make_span;
using trace::anomaly_kind;
using trace::anomaly_severity;

namespace {

std::uint64_t next_id = 1;

// `count` spans of `service`/`operation` lasting `ms`, the first `errors` of them failing.
void add(std::vector<trace::span>& out, const std::string& service, std::uint64_t count, std::uint64_t errors,
         std::uint64_t ms, std::uint64_t start_ms = 0, const std::string& operation = "op") {
  for (std::uint64_t i = 0; i < count; ++i) {
    auto id = next_id++;
    out.push_back(make_span(id, id, 0, service, operation, start_ms, start_ms + ms,
                            i < errors ? trace::status_code::error : trace::status_code::unset));
  }
}

const trace::anomaly* find(const std::vector<trace::anomaly>& report, const std::string& service, anomaly_kind kind) {
  for (const auto& a : report)
    if (a.service == service && a.kind == kind) return &a;
  return nullptr;
}

}  // namespace

TEST_CASE("error rate rises beyond 5 points are medium, beyond 20 points high") {
  std::vector<trace::span> baseline, current;
  add(baseline, "cart", 100, 2, 10);  // 2%
  add(current, "cart", 100, 10, 10);  // 10%: +8 points
  add(baseline, "pay", 100, 0, 10);
  add(current, "pay", 100, 30, 10);  // +30 points
  add(baseline, "search", 100, 1, 10);
  add(current, "search", 100, 5, 10);  // +4 points: nothing
  auto report = trace::compare_windows(current, baseline);
  REQUIRE(report.size() == 2);
  CHECK(report[0].service == "pay");  // high first
  CHECK(report[0].severity == anomaly_severity::high);
  CHECK(report[0].current == Approx(0.30));
  CHECK(report[0].baseline == 0);
  CHECK(report[0].delta == Approx(0.30));
  CHECK(report[0].description == "pay error rate increased from 0.0% to 30.0%");
  CHECK(report[1].service == "cart");
  CHECK(report[1].severity == anomaly_severity::medium);
  CHECK(report[1].description == "cart error rate increased from 2.0% to 10.0%");
  CHECK(find(report, "search", anomaly_kind::error_rate) == nullptr);
}

TEST_CASE("p95 latency rises need 1.5x and 25 ms; above 2x they are high") {
  std::vector<trace::span> baseline, current;
  add(baseline, "a", 20, 0, 40);
  add(current, "a", 20, 0, 70);  // 1.75x, +30 ms: medium
  add(baseline, "b", 20, 0, 40);
  add(current, "b", 20, 0, 100);  // 2.5x: high
  add(baseline, "c", 20, 0, 10);
  add(current, "c", 20, 0, 30);  // 3x but only +20 ms: nothing
  add(baseline, "d", 20, 0, 100);
  add(current, "d", 20, 0, 140);  // +40 ms but 1.4x: nothing
  auto report = trace::compare_windows(current, baseline);
  REQUIRE(report.size() == 2);
  CHECK(report[0].service == "b");
  CHECK(report[0].kind == anomaly_kind::p95_latency);
  CHECK(report[0].severity == anomaly_severity::high);
  CHECK(report[0].current == 100.0 * trace::millisecond);
  CHECK(report[0].delta == 60.0 * trace::millisecond);
  CHECK(report[0].description == "b p95 latency increased from 40.0ms to 100ms");
  CHECK(report[1].service == "a");
  CHECK(report[1].severity == anomaly_severity::medium);
  CHECK(std::string(to_string(report[1].kind)) == "p95_latency");
  CHECK(std::string(to_string(report[1].severity)) == "medium");
}

TEST_CASE("thresholds are options") {
  std::vector<trace::span> baseline, current;
  add(baseline, "cart", 100, 2, 10);
  add(current, "cart", 100, 10, 10);
  add(baseline, "c", 20, 0, 10);
  add(current, "c", 20, 0, 30);
  trace::anomaly_options strict;
  strict.error_rate_medium = 0.10;
  strict.error_rate_high = 0.10;
  CHECK(trace::compare_windows(current, baseline, strict).empty());

  trace::anomaly_options loose;
  loose.error_rate_high = 0.06;
  loose.latency_min_delta = 10 * trace::millisecond;
  auto report = trace::compare_windows(current, baseline, loose);
  REQUIRE(report.size() == 2);
  CHECK(find(report, "cart", anomaly_kind::error_rate)->severity == anomaly_severity::high);
  CHECK(find(report, "c", anomaly_kind::p95_latency)->severity == anomaly_severity::high);
}

TEST_CASE("groups missing from a window or below the minimum size are not compared") {
  std::vector<trace::span> baseline, current;
  add(current, "new", 10, 10, 500);
  add(baseline, "few", 2, 0, 10);
  add(current, "few", 2, 2, 10);
  CHECK(trace::compare_windows(current, baseline).size() == 1);
  trace::anomaly_options options;
  options.min_requests = 3;
  CHECK(trace::compare_windows(current, baseline, options).empty());
}

TEST_CASE("per operation, each operation is compared on its own") {
  std::vector<trace::span> baseline, current;
  add(baseline, "api", 50, 0, 10, 0, "GET /fast");
  add(current, "api", 50, 0, 10, 0, "GET /fast");
  add(baseline, "api", 50, 0, 40, 0, "GET /slow");
  add(current, "api", 50, 0, 90, 0, "GET /slow");
  trace::anomaly_options options;
  options.per_operation = true;
  auto report = trace::compare_windows(current, baseline, options);
  REQUIRE(report.size() == 1);
  CHECK(report[0].operation == "GET /slow");
  CHECK(report[0].description == "api GET /slow p95 latency increased from 40.0ms to 90.0ms");
}

TEST_CASE("one range splits into current and baseline windows by start time") {
  std::vector<trace::span> spans;
  add(spans, "api", 100, 1, 20, 0);           // baseline hour
  add(spans, "api", 100, 40, 20, 3'600'000);  // current hour
  trace::time_window baseline{0, trace::hour}, current{trace::hour, 2 * trace::hour};
  auto report = trace::detect_anomalies(spans, current, baseline);
  REQUIRE(report.size() == 1);
  CHECK(report[0].description == "api error rate increased from 1.0% to 40.0%");
  CHECK(trace::detect_anomalies(spans, baseline, baseline).empty());
}

TEST_CASE("inconsistent thresholds are refused") {
  std::vector<trace::span> none;
  trace::anomaly_options options;
  options.error_rate_high = 0.01;
  CHECK_THROWS_WITH(trace::compare_windows(none, none, options),
                    "invalid option: anomaly options: error rate thresholds need 0 <= medium <= high");
  options = {};
  options.latency_ratio = 0.5;
  CHECK_THROWS_WITH(trace::compare_windows(none, none, options),
                    "invalid option: anomaly options: latency ratios need 1 <= ratio <= high ratio");
}
