// The robust z-score shift detector over time buckets: when it fires, when it stays quiet,
// and its use on RED series built from spans.
#include <catch2/catch.hpp>

#include <limits>
#include <vector>

#include "support/make_span.hpp"
#include "trace/analytics/shift_detector.hpp"

namespace {

std::vector<std::size_t> indices(const std::vector<trace::shift_point>& points) {
  std::vector<std::size_t> out;
  for (const auto& p : points) out.push_back(p.index);
  return out;
}

// A noisy level around 20 with a repeating pattern, so median and MAD are known.
std::vector<double> noisy(std::size_t n) {
  const double pattern[] = {19, 21, 20, 22, 18, 20, 21, 19};
  std::vector<double> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(pattern[i % 8]);
  return out;
}

}  // namespace

TEST_CASE("a spike far outside the recent spread fires, ordinary noise does not") {
  auto series = noisy(40);
  series[30] = 45;
  auto shifts = trace::detect_shifts(series);
  REQUIRE(indices(shifts) == std::vector<std::size_t>{30});
  const auto& p = shifts[0];
  CHECK(p.value == 45);
  CHECK(p.median == 20);
  CHECK(p.mad == 1);
  CHECK(p.score == Approx(0.6745 * 25));
}

TEST_CASE("a modest rise below the threshold does not fire") {
  auto series = noisy(40);
  series[30] = 25;  // 5 MADs above: score 3.37 < 3.5
  CHECK(trace::detect_shifts(series).empty());
  series[30] = 26;  // score 4.05
  CHECK(indices(trace::detect_shifts(series)) == std::vector<std::size_t>{30});
}

TEST_CASE("an earlier outlier does not hide the next one") {
  auto series = noisy(40);
  series[20] = 90;
  series[25] = 60;
  CHECK(indices(trace::detect_shifts(series)) == std::vector<std::size_t>{20, 25});
}

TEST_CASE("a sustained shift fires until it fills half the history") {
  std::vector<double> series(20, 10.0);
  series.resize(40, 50.0);
  trace::shift_options options;
  options.history = 10;
  // Until five of the ten previous buckets are at 50, the median stays 10 and the MAD 0.
  CHECK(indices(trace::detect_shifts(series, options)) == std::vector<std::size_t>{20, 21, 22, 23, 24});
}

TEST_CASE("on a flat history only changes of at least min_deviation fire") {
  std::vector<double> series(20, 0.0);
  series[15] = 0.01;
  series[18] = 0.2;
  trace::shift_options options;
  options.min_deviation = 0.05;
  auto shifts = trace::detect_shifts(series, options);
  REQUIRE(indices(shifts) == std::vector<std::size_t>{18});
  CHECK(shifts[0].score == std::numeric_limits<double>::infinity());
  options.min_deviation = 0;
  CHECK(indices(trace::detect_shifts(series, options)) == std::vector<std::size_t>{15, 18});
}

TEST_CASE("no verdict before min_history usable buckets") {
  auto series = noisy(12);
  series[5] = 100;
  CHECK(trace::detect_shifts(series).empty());  // only 5 buckets of history
  trace::shift_options options;
  options.min_history = 5;
  CHECK(indices(trace::detect_shifts(series, options)) == std::vector<std::size_t>{5});
}

TEST_CASE("direction selects rises, falls or both") {
  auto series = noisy(40);
  series[20] = 0;
  series[30] = 45;
  trace::shift_options options;
  CHECK(indices(trace::detect_shifts(series, options)) == std::vector<std::size_t>{30});
  options.direction = trace::shift_direction::fall;
  CHECK(indices(trace::detect_shifts(series, options)) == std::vector<std::size_t>{20});
  options.direction = trace::shift_direction::both;
  CHECK(indices(trace::detect_shifts(series, options)) == std::vector<std::size_t>{20, 30});
}

TEST_CASE("unusable buckets are neither judged nor history") {
  auto series = noisy(20);
  series[12] = 500;
  series[15] = 45;
  std::vector<bool> usable(20, true);
  usable[12] = false;
  CHECK(indices(trace::detect_shifts(series, {}, usable)) == std::vector<std::size_t>{15});
  CHECK_THROWS_WITH(trace::detect_shifts(series, {}, std::vector<bool>(3, true)),
                    "invalid argument: detect_shifts: usable flags (3) and series (20) differ in length");
  trace::shift_options bad;
  bad.min_history = 40;
  CHECK_THROWS_WITH(trace::detect_shifts(series, bad),
                    "invalid option: shift options (detect_shifts): need 0 < min_history <= history, threshold > 0, "
                    "min_deviation >= 0");
}

TEST_CASE("RED shifts find the minute where latency and errors jumped") {
  std::vector<trace::span> spans;
  std::uint64_t id = 1;
  const std::uint64_t durations[] = {18, 20, 22, 19, 21, 20, 23, 17, 20, 20};
  for (std::uint64_t minute = 0; minute < 20; ++minute) {
    for (std::uint64_t i = 0; i < 10; ++i, ++id) {
      std::uint64_t start = minute * 60'000 + i * 1000;
      std::uint64_t ms = minute == 15 ? 200 : durations[(i + minute) % 10];
      bool error = minute == 17 ? i < 8 : minute == 13 ? i < 3 : (minute % 2 == 0 && i == 0);
      spans.push_back(trace_test::make_span(id, id, 0, "checkout", "pay", start, start + ms,
                                            error ? trace::status_code::error : trace::status_code::unset));
    }
  }
  // Every quiet minute has p95 23 ms (the largest of ten) and alternates 10% and 0% errors.
  // Minute 13's 3 failures of 10 are far from the history but within binomial noise
  // (3.5 · sqrt(0.1 · 0.9 / 10) = 33 points above the median); minute 17's 8 are not.
  trace::red_shift_options options;
  options.red.percentiles = trace::percentile_method::exact;
  auto shifts = trace::detect_red_shifts(spans, options);
  REQUIRE(shifts.size() == 2);
  CHECK(shifts[0].metric == trace::anomaly_kind::p95_latency);
  CHECK(shifts[0].bucket_start == 15 * trace::minute);
  CHECK(shifts[0].description ==
        "checkout p95 latency 200ms in the bucket at 1970-01-01T00:15:00Z against a median of 23.0ms");
  CHECK(shifts[1].metric == trace::anomaly_kind::error_rate);
  CHECK(shifts[1].bucket_start == 17 * trace::minute);
  CHECK(shifts[1].description == "checkout error rate 80.0% in the bucket at 1970-01-01T00:17:00Z against a median of 10.0%");
}
