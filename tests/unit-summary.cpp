#include <catch2/catch.hpp>
#include <trace/analytics.hpp>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "support/make_span.hpp"

using trace::status_code;
using trace_test::make_span;

namespace {
std::vector<std::uint64_t> pct(std::vector<std::uint64_t> values) {
  constexpr double ps[] = {0.5, 0.95, 0.99};
  return trace::percentiles(std::span<std::uint64_t>(values), std::span<const double>(ps));
}
}  // namespace

TEST_CASE("percentiles of no, one and two values") {
  CHECK(pct({}) == std::vector<std::uint64_t>{0, 0, 0});
  CHECK(pct({7}) == std::vector<std::uint64_t>{7, 7, 7});
  CHECK(pct({9, 3}) == std::vector<std::uint64_t>{9, 9, 9});  // index round(0.5) = 1
  CHECK(pct({3, 9, 5}) == std::vector<std::uint64_t>{5, 9, 9});
}

TEST_CASE("percentiles follow nearest rank round((n - 1) p) on the sorted values") {
  std::vector<std::uint64_t> values(1000);
  std::iota(values.begin(), values.end(), 1);  // 1..1000
  std::shuffle(values.begin(), values.end(), std::mt19937_64(7));
  CHECK(pct(values) == std::vector<std::uint64_t>{501, 950, 990});  // indexes 500, 949, 989
  std::vector<std::uint64_t> p0 = values;
  CHECK(trace::percentile(std::span<std::uint64_t>(p0), 0.0) == 1);
  CHECK(trace::percentile(std::span<std::uint64_t>(p0), 1.0) == 1000);
}

TEST_CASE("percentiles agree with a full sort on random data") {
  std::mt19937_64 random(42);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::uint64_t> values(1 + random() % 5000);
    for (auto& v : values) v = random() % 1000;  // many ties
    auto sorted = values;
    std::sort(sorted.begin(), sorted.end());
    auto at = [&](double p) { return sorted[trace::percentile_index(sorted.size(), p)]; };
    CHECK(pct(values) == std::vector<std::uint64_t>{at(0.5), at(0.95), at(0.99)});
  }
}

TEST_CASE("percentile requests out of range or out of order are refused") {
  std::vector<std::uint64_t> values{1, 2};
  constexpr double backwards[] = {0.9, 0.5};
  constexpr double too_big[] = {1.5};
  CHECK_THROWS_WITH(trace::percentiles(std::span<std::uint64_t>(values), std::span<const double>(backwards)),
                    "invalid argument: percentiles must lie in [0, 1] in ascending order");
  CHECK_THROWS_AS(trace::percentiles(std::span<std::uint64_t>(values), std::span<const double>(too_big)), trace::error);
}

TEST_CASE("extreme durations do not overflow") {
  auto a = make_span(1, 1, 0, "s", "long", 0, 0);
  a.end = std::numeric_limits<std::uint64_t>::max();
  auto b = make_span(1, 2, 1, "s", "long", 0, 0);
  b.end = std::numeric_limits<std::uint64_t>::max();
  auto stats = trace::summarize_spans(std::vector{a, b});
  CHECK(stats.max == std::numeric_limits<std::uint64_t>::max());
  CHECK(stats.p99 == std::numeric_limits<std::uint64_t>::max());
  CHECK(stats.average == Approx(1.8446744073709552e19));
}

TEST_CASE("an empty range summarises to zeros") {
  auto report = trace::summarize(std::vector<trace::span>{});
  CHECK(report.spans.count == 0);
  CHECK(report.spans.error_rate == 0);
  CHECK(report.trace_count == 0);
  CHECK(report.services.empty());
  CHECK(report.top_error_operations.empty());
}

TEST_CASE("the report breaks down by service and operation and ranks errors") {
  std::vector spans{
      make_span(1, 1, 0, "api", "GET", 0, 100, status_code::ok),
      make_span(1, 2, 1, "db", "query", 10, 30, status_code::error),
      make_span(2, 3, 0, "api", "GET", 0, 300),
      make_span(2, 4, 3, "db", "query", 0, 40, status_code::error),
      make_span(3, 5, 0, "api", "POST", 0, 10, status_code::error),
  };
  spans[1].status.message = "deadlock";
  spans[3].status.message = "deadlock";
  spans[4].status.message = "bad request";
  auto report = trace::summarize(spans);
  CHECK(report.spans.count == 5);
  CHECK(report.trace_count == 3);
  CHECK(report.spans.errors == 3);
  CHECK(report.spans.error_rate == Approx(0.6));
  CHECK(report.spans.average == Approx(94e6));
  CHECK(report.spans.min == 10 * trace::millisecond);
  CHECK(report.spans.max == 300 * trace::millisecond);
  CHECK(report.spans.p50 == 40 * trace::millisecond);

  REQUIRE(report.services.size() == 2);
  CHECK(report.services[0].service == "api");
  CHECK(report.services[0].stats.count == 3);
  CHECK(report.services[0].stats.error_rate == Approx(1.0 / 3));
  CHECK(report.services[1].service == "db");
  CHECK(report.services[1].stats.average == Approx(30e6));

  REQUIRE(report.operations.size() == 3);
  CHECK(report.operations[0].operation == "GET");  // slowest average first
  CHECK(report.operations[0].stats.average == Approx(200e6));
  CHECK(report.operations[2].operation == "POST");

  REQUIRE(report.top_error_operations.size() == 2);
  CHECK(report.top_error_operations[0].service == "db");
  CHECK(report.top_error_operations[0].errors == 2);
  CHECK(report.top_error_operations[1].operation == "POST");

  REQUIRE(report.error_patterns.size() == 2);
  CHECK(report.error_patterns[0].operation == "query");
  CHECK(report.error_patterns[0].message == "deadlock");
  CHECK(report.error_patterns[0].count == 2);
}

TEST_CASE("top error lists are cut to the requested length") {
  std::vector<trace::span> spans;
  for (std::uint64_t i = 1; i <= 15; ++i)
    spans.push_back(make_span(i, i, 0, "s", "op" + std::to_string(i), 0, i, status_code::error));
  auto report = trace::summarize(spans, {.top_errors = 4});
  CHECK(report.top_error_operations.size() == 4);
  CHECK(report.error_patterns.size() == 4);
  CHECK(report.operations.size() == 15);
}
