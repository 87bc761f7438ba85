// The quantile sketch: its relative-error bound against exact percentiles on realistic and
// adversarial inputs, merge equal to the sketch of the union, and its byte encoding.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "trace/analytics/sketch.hpp"
#include "trace/analytics/summary.hpp"

namespace {

// Values are whole numbers (nanoseconds) so that sums are exact in any order.
std::vector<double> uniform_values(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::vector<double> out(n);
  for (auto& v : out) v = static_cast<double>(1 + g() % 1'000'000);
  return out;
}

double unit(std::mt19937_64& g) { return (static_cast<double>(g() >> 11) + 0.5) / 9007199254740992.0; }

double normal(std::mt19937_64& g) {
  return std::sqrt(-2.0 * std::log(unit(g))) * std::cos(6.283185307179586 * unit(g));
}

std::vector<double> lognormal_values(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::vector<double> out(n);
  for (auto& v : out) v = std::round(std::exp(std::log(2e6) + 1.2 * normal(g)));  // around 2 ms
  return out;
}

// Fast cache hits near 200 us and slow misses near 80 ms.
std::vector<double> bimodal_values(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::vector<double> out(n);
  for (auto& v : out) {
    bool slow = g() % 10 == 0;
    v = std::round((slow ? 80e6 : 200e3) * (1.0 + 0.1 * normal(g)));
    v = std::max(v, 1.0);
  }
  return out;
}

// Log-uniform over 1 ns .. 10^18 ns (thirty years).
std::vector<double> huge_range_values(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::vector<double> out(n);
  for (auto& v : out) v = std::round(std::pow(10.0, 18.0 * unit(g)));
  return out;
}

// Every value sits exactly on a bucket boundary γ^i, the place rounding hurts most, with
// zeros mixed in and the input sorted descending.
std::vector<double> boundary_values(double alpha) {
  double gamma = (1 + alpha) / (1 - alpha);
  std::vector<double> out;
  for (int i = -50; i < 2000; i += 3) out.push_back(std::pow(gamma, i));
  out.insert(out.end(), 40, 0.0);
  std::sort(out.rbegin(), out.rend());
  return out;
}

trace::quantile_sketch sketch_of(const std::vector<double>& values, double alpha = 0.01) {
  trace::quantile_sketch sketch(alpha);
  for (double v : values) sketch.add(v);
  return sketch;
}

// Largest relative error of the sketch over p = 0, 0.001, ..., 1 against exact percentiles.
double worst_relative_error(const trace::quantile_sketch& sketch, std::vector<double> values) {
  std::sort(values.begin(), values.end());
  double worst = 0;
  for (int i = 0; i <= 1000; ++i) {
    double p = i / 1000.0;
    double exact = values[trace::percentile_index(values.size(), p)];
    double estimate = sketch.quantile(p);
    double error = exact == 0 ? (estimate == 0 ? 0 : 1) : std::abs(estimate - exact) / exact;
    worst = std::max(worst, error);
  }
  return worst;
}

constexpr double rounding_slack = 1e-9;  // log/exp rounding at bucket boundaries

}  // namespace

TEST_CASE("sketch quantiles stay within the relative accuracy of exact percentiles") {
  struct distribution {
    const char* name;
    std::vector<double> values;
  };
  std::vector<distribution> cases = {
      {"uniform", uniform_values(100'000, 1)},
      {"log-normal", lognormal_values(100'000, 2)},
      {"bimodal", bimodal_values(100'000, 3)},
      {"constant", std::vector<double>(10'000, 12'345'678.0)},
      {"huge range", huge_range_values(100'000, 4)},
      {"bucket boundaries", boundary_values(0.01)},
  };
  for (double alpha : {0.01, 0.05, 0.001}) {
    for (const auto& c : cases) {
      auto sketch = sketch_of(c.values, alpha);
      double worst = worst_relative_error(sketch, c.values);
      INFO(c.name << " at alpha " << alpha << ": worst relative error " << worst);
      CHECK(worst <= alpha + rounding_slack);
      CHECK(sketch.count() == c.values.size());
    }
  }
}

TEST_CASE("the accuracy bound is tight enough to tell the sketch from a coarse one") {
  // A 1% sketch must be far better than a 10% one on the same spread of values: guards
  // against a bucketing that ignores alpha and still passes a loose test.
  auto values = lognormal_values(50'000, 9);
  double fine = worst_relative_error(sketch_of(values, 0.01), values);
  double coarse = worst_relative_error(sketch_of(values, 0.10), values);
  CHECK(fine <= 0.01 + rounding_slack);
  CHECK(coarse > 0.03);
  CHECK(coarse <= 0.10 + rounding_slack);
}

TEST_CASE("count, sum, min and max are exact") {
  auto values = uniform_values(10'000, 5);
  auto sketch = sketch_of(values);
  double sum = 0;
  for (double v : values) sum += v;
  CHECK(sketch.sum() == sum);
  CHECK(sketch.min() == *std::min_element(values.begin(), values.end()));
  CHECK(sketch.max() == *std::max_element(values.begin(), values.end()));
  CHECK(sketch.average() == sum / static_cast<double>(values.size()));
  CHECK(sketch.quantile(0) == sketch.min());
  CHECK(sketch.quantile(1) == sketch.max());
}

TEST_CASE("an empty sketch answers zero") {
  trace::quantile_sketch sketch;
  CHECK(sketch.empty());
  CHECK(sketch.relative_accuracy() == 0.01);
  CHECK(sketch.quantile(0.5) == 0);
  CHECK(sketch.min() == 0);
  CHECK(sketch.max() == 0);
  CHECK(sketch.average() == 0);
}

TEST_CASE("repeated adds count like single adds") {
  trace::quantile_sketch once, repeated;
  for (int i = 0; i < 7; ++i) once.add(42);
  repeated.add(42, 7);
  repeated.add(1000, 0);
  CHECK(once == repeated);
}

TEST_CASE("zeros are answered exactly") {
  trace::quantile_sketch sketch;
  sketch.add(0, 60);
  sketch.add(500, 40);
  CHECK(sketch.quantile(0.5) == 0);
  CHECK(sketch.quantile(0.6) == 0);     // rank round(99 * 0.6) = 59, the last zero
  CHECK(sketch.quantile(0.61) == Approx(500).epsilon(0.01));  // rank 60, the first non-zero
}

TEST_CASE("merge of two sketches equals the sketch of the union") {
  auto a = lognormal_values(20'000, 11);
  auto b = bimodal_values(30'000, 12);
  b.push_back(0);
  auto all = a;
  all.insert(all.end(), b.begin(), b.end());

  auto merged = sketch_of(a);
  merged.merge(sketch_of(b));
  CHECK(merged == sketch_of(all));

  auto reversed = sketch_of(b);
  reversed.merge(sketch_of(a));
  CHECK(reversed == merged);
  for (double p : {0.0, 0.5, 0.95, 0.99, 1.0}) CHECK(merged.quantile(p) == sketch_of(all).quantile(p));
}

TEST_CASE("per-shard sketches merge into one answer") {
  auto values = lognormal_values(40'000, 13);
  std::vector<trace::quantile_sketch> shards(8);
  for (std::size_t i = 0; i < values.size(); ++i) shards[i % shards.size()].add(values[i]);
  trace::quantile_sketch total;
  for (const auto& shard : shards) total.merge(shard);
  CHECK(total == sketch_of(values));
}

TEST_CASE("merged sketches over a huge range keep the bound") {
  // Sums of values up to 10^18 depend on addition order, so compare quantiles, not sketches.
  auto values = huge_range_values(40'000, 17);
  std::vector<trace::quantile_sketch> shards(8);
  for (std::size_t i = 0; i < values.size(); ++i) shards[i % shards.size()].add(values[i]);
  trace::quantile_sketch total;
  for (const auto& shard : shards) total.merge(shard);
  auto whole = sketch_of(values);
  for (int i = 0; i <= 100; ++i) CHECK(total.quantile(i / 100.0) == whole.quantile(i / 100.0));
  CHECK(worst_relative_error(total, values) <= 0.01 + rounding_slack);
}

TEST_CASE("merging with an empty sketch changes nothing, either way round") {
  auto sketch = sketch_of(uniform_values(100, 14));
  auto copy = sketch;
  copy.merge(trace::quantile_sketch{});
  CHECK(copy == sketch);
  trace::quantile_sketch empty;
  empty.merge(sketch);
  CHECK(empty == sketch);
}

TEST_CASE("sketches of different accuracy refuse to merge") {
  trace::quantile_sketch a(0.01), b(0.02);
  CHECK_THROWS_WITH(a.merge(b), "invalid argument: quantile sketch merge: relative accuracies differ (0.01 vs 0.02)");
}

TEST_CASE("bad accuracy, values and quantiles are refused with a message") {
  CHECK_THROWS_WITH(trace::quantile_sketch(0), "invalid option: quantile sketch: relative accuracy must lie in (0, 1), got 0");
  CHECK_THROWS_WITH(trace::quantile_sketch(1.5), "invalid option: quantile sketch: relative accuracy must lie in (0, 1), got 1.5");
  trace::quantile_sketch sketch;
  CHECK_THROWS_WITH(sketch.add(-1), "invalid argument: quantile sketch: value must be finite and non-negative, got -1");
  CHECK_THROWS_WITH(sketch.add(INFINITY), "invalid argument: quantile sketch: value must be finite and non-negative, got inf");
  CHECK_THROWS_WITH(sketch.quantile(1.01), "invalid argument: quantile sketch: quantile must lie in [0, 1], got 1.01");
  CHECK(sketch.empty());
}

TEST_CASE("a duration-range sketch stays small") {
  trace::quantile_sketch sketch;
  sketch.add(1);                                          // 1 ns
  sketch.add(static_cast<double>(24ULL * 3600 * 1'000'000'000));  // one day
  CHECK(sketch.bucket_count() < 1700);
  CHECK(sketch.serialize().size() < 2000);
}

TEST_CASE("serialisation round-trips exactly") {
  auto values = lognormal_values(10'000, 15);
  values.push_back(0);
  auto sketch = sketch_of(values, 0.02);
  auto bytes = sketch.serialize();
  auto back = trace::quantile_sketch::deserialize(bytes);
  CHECK(back == sketch);
  CHECK(back.quantile(0.99) == sketch.quantile(0.99));
  CHECK(back.relative_accuracy() == 0.02);
  CHECK(trace::quantile_sketch::deserialize(trace::quantile_sketch{}.serialize()) == trace::quantile_sketch{});
  // Far smaller than the values themselves.
  CHECK(bytes.size() < values.size());
}

TEST_CASE("damaged sketch bytes are refused with the offset") {
  trace::quantile_sketch sketch;
  sketch.add(10);
  sketch.add(1000);
  const auto good = sketch.serialize();
  using trace::quantile_sketch;

  // Layout here: magic and version 0-3, alpha 4-11, count 12, zero count 13, min/max/sum
  // 14-37, first bucket index 38-39, bucket count 40-41, then the counts.
  auto truncated = std::vector<std::uint8_t>(good.begin(), good.begin() + 18);
  CHECK_THROWS_WITH(quantile_sketch::deserialize(truncated), "corrupt data: quantile sketch: truncated input at byte 18");

  auto magic = good;
  magic[0] = 'X';
  CHECK_THROWS_WITH(quantile_sketch::deserialize(magic), "corrupt data: quantile sketch: not a quantile sketch (bad magic) at byte 1");

  auto version = good;
  version[3] = 9;
  CHECK_THROWS_WITH(quantile_sketch::deserialize(version), "corrupt data: quantile sketch: unsupported version 9 at byte 4");

  auto trailing = good;
  trailing.push_back(0);
  CHECK_THROWS_WITH(quantile_sketch::deserialize(trailing),
                    "corrupt data: quantile sketch: trailing bytes at byte " + std::to_string(good.size()));

  // The total count lives right after magic, version and alpha (byte 12).
  auto count = good;
  count[12] = 3;
  CHECK_THROWS_WITH(quantile_sketch::deserialize(count),
                    "corrupt data: quantile sketch: bucket counts do not add up to the total count at byte " +
                        std::to_string(good.size()));

  auto zeros = good;
  zeros[13] = 5;
  CHECK_THROWS_WITH(quantile_sketch::deserialize(zeros), "corrupt data: quantile sketch: zero count exceeds the total count at byte 14");

  auto huge = good;
  huge[40] = 0xff;
  huge[41] = 0x7f;
  CHECK_THROWS_WITH(quantile_sketch::deserialize(huge), "corrupt data: quantile sketch: bucket count 16383 exceeds the input at byte 42");

  auto edge = good;
  edge[42] = 0;  // first bucket emptied: not the canonical encoding
  CHECK_THROWS_WITH(quantile_sketch::deserialize(edge), Catch::Contains("quantile sketch: empty edge bucket"));
}

TEST_CASE("summaries take exact or sketch percentiles by option") {
  std::vector<trace::span> spans;
  auto durations = lognormal_values(5'000, 16);
  for (std::size_t i = 0; i < durations.size(); ++i) {
    trace::span s;
    s.trace = trace::trace_id{1, i + 1};
    s.id = trace::span_id{i + 1};
    s.name = "op";
    s.resource.service_name = "svc";
    s.start = 1'000;
    s.end = 1'000 + static_cast<trace::duration_ns>(durations[i]);
    spans.push_back(s);
  }
  auto exact = trace::summarize_spans(spans);
  trace::summary_options options;
  options.percentiles = trace::percentile_method::sketch;
  auto sketched = trace::summarize_spans(spans, options);
  CHECK(sketched.count == exact.count);
  CHECK(sketched.min == exact.min);
  CHECK(sketched.max == exact.max);
  CHECK(sketched.average == exact.average);
  for (auto [e, s] : {std::pair{exact.p50, sketched.p50}, {exact.p95, sketched.p95}, {exact.p99, sketched.p99}}) {
    CHECK(static_cast<double>(s) == Approx(static_cast<double>(e)).epsilon(0.0101));
  }
  CHECK(sketched.p99 != exact.p99);  // it really is an estimate

  auto report = trace::summarize(spans, options);
  REQUIRE(report.services.size() == 1);
  CHECK(static_cast<double>(report.services[0].stats.p95) == Approx(static_cast<double>(exact.p95)).epsilon(0.0101));
}
