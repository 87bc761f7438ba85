// RED series: rate, errors and duration percentiles per service (and operation) over
// aligned time buckets, with quiet buckets filled in.
#include <catch2/catch.hpp>

#include <vector>

#include "support/make_span.hpp"
#include "trace/analytics/red.hpp"

using trace_test::make_span;
using trace::status_code;

namespace {

// checkout: 3 spans in minute 0, none in minute 1, 1 error span in minute 2.
// search: 1 span in minute 1.
std::vector<trace::span> workload() {
  return {
      make_span(1, 1, 0, "checkout", "pay", 0, 100),
      make_span(1, 2, 0, "checkout", "pay", 10'000, 10'300),
      make_span(1, 3, 0, "checkout", "cart", 20'000, 20'010),
      make_span(2, 4, 0, "search", "find", 70'000, 70'040),
      make_span(3, 5, 0, "checkout", "pay", 125'000, 125'500, status_code::error),
  };
}

}  // namespace

TEST_CASE("RED series per service cover every bucket from first to last") {
  trace::red_options options;
  options.percentiles = trace::percentile_method::exact;
  auto series = trace::red_metrics(workload(), options);
  REQUIRE(series.size() == 2);
  CHECK(series[0].service == "checkout");
  CHECK(series[0].operation.empty());
  CHECK(series[1].service == "search");

  const auto& checkout = series[0].points;
  REQUIRE(checkout.size() == 3);
  CHECK(checkout[0].bucket_start == 0);
  CHECK(checkout[1].bucket_start == trace::minute);
  CHECK(checkout[2].bucket_start == 2 * trace::minute);
  CHECK(checkout[0].requests == 3);
  CHECK(checkout[0].rate == Approx(3.0 / 60));
  CHECK(checkout[0].errors == 0);
  CHECK(checkout[0].p50 == 100 * trace::millisecond);
  CHECK(checkout[0].p99 == 300 * trace::millisecond);
  CHECK(checkout[1].requests == 0);  // quiet minute shows as zero
  CHECK(checkout[1].p95 == 0);
  CHECK(checkout[2].errors == 1);
  CHECK(checkout[2].error_rate == 1.0);

  const auto& search = series[1].points;
  REQUIRE(search.size() == 3);  // aligned with checkout's buckets
  CHECK(search[0].requests == 0);
  CHECK(search[1].requests == 1);
  CHECK(search[1].p95 == 40 * trace::millisecond);
}

TEST_CASE("RED series per operation split each service") {
  trace::red_options options;
  options.per_operation = true;
  options.bucket = trace::hour;
  auto series = trace::red_metrics(workload(), options);
  REQUIRE(series.size() == 3);
  CHECK(series[0].service == "checkout");
  CHECK(series[0].operation == "cart");
  CHECK(series[1].operation == "pay");
  REQUIRE(series[1].points.size() == 1);
  CHECK(series[1].points[0].requests == 3);
  CHECK(series[1].points[0].errors == 1);
  CHECK(series[1].points[0].rate == Approx(3.0 / 3600));
  // Default percentiles come from the sketch: within 1% of the exact 300 ms.
  CHECK(static_cast<double>(series[1].points[0].p50) == Approx(300.0 * trace::millisecond).epsilon(0.01));
}

TEST_CASE("RED series of no spans are empty and a zero bucket is refused") {
  CHECK(trace::red_metrics(std::vector<trace::span>{}).empty());
  trace::red_options options;
  options.bucket = 0;
  CHECK_THROWS_WITH(trace::red_metrics(workload(), options), "invalid option: red_metrics: bucket must be longer than 0 ns");
}
