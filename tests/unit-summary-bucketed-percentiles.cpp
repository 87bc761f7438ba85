// bucketed_percentiles: exact percentiles from two passes over the values (counted in
// log-linear buckets, then only the wanted buckets kept) must equal selection over all the
// values, whatever their spread: ties, values below 64, the top of the 64-bit range.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "trace/analytics/bucketed_percentiles.hpp"
#include "trace/analytics/percentile.hpp"

namespace {

std::vector<std::uint64_t> two_passes(const std::vector<std::uint64_t>& values, std::span<const double> ps) {
  trace::bucketed_percentiles select(ps);
  for (std::uint64_t v : values) select.count(v);
  select.locate();
  for (auto v = values.rbegin(); v != values.rend(); ++v) select.keep(*v);  // any order
  return select.finish();
}

std::vector<std::uint64_t> by_selection(std::vector<std::uint64_t> values, std::span<const double> ps) {
  return trace::percentiles(std::span<std::uint64_t>(values), ps);
}

}  // namespace

TEST_CASE("bucketed percentiles equal selection over all the values") {
  constexpr double ps[] = {0.0, 0.01, 0.5, 0.95, 0.99, 0.999, 1.0};
  std::mt19937_64 random(20);
  std::lognormal_distribution<double> latency(14.0, 1.5);
  std::uniform_int_distribution<std::uint64_t> small(0, 70), any;
  const std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
  for (std::size_t n : {1, 2, 3, 10, 100, 1000, 50'000}) {
    for (int spread = 0; spread < 5; ++spread) {
      std::vector<std::uint64_t> values(n);
      for (auto& v : values) {
        switch (spread) {
          case 0: v = static_cast<std::uint64_t>(latency(random)); break;
          case 1: v = small(random); break;                       // ties, and the one-value buckets below 64
          case 2: v = any(random); break;                         // the whole range
          case 3: v = top - small(random); break;                 // the last bucket
          default: v = 1'000'000 + small(random) % 3; break;      // all in one bucket
        }
      }
      INFO("n " << n << " spread " << spread);
      REQUIRE(two_passes(values, ps) == by_selection(values, ps));
    }
  }
}

TEST_CASE("bucketed percentiles: buckets follow the values' order, and nothing counted gives zeros") {
  using trace::bucketed_percentiles;
  std::size_t previous = 0;
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{63}, std::uint64_t{64}, std::uint64_t{127}, std::uint64_t{128},
                          std::uint64_t{1} << 40, (std::uint64_t{1} << 40) + 1, std::numeric_limits<std::uint64_t>::max()}) {
    const std::size_t b = bucketed_percentiles::bucket_of(v);
    CHECK(b >= previous);
    CHECK(b < bucketed_percentiles::bucket_count);
    previous = b;
  }
  CHECK(bucketed_percentiles::bucket_of(63) + 1 == bucketed_percentiles::bucket_of(64));
  CHECK(bucketed_percentiles::bucket_of(std::numeric_limits<std::uint64_t>::max()) == bucketed_percentiles::bucket_count - 1);

  constexpr double ps[] = {0.5, 0.99};
  trace::bucketed_percentiles none(ps);
  none.locate();
  CHECK(none.finish() == std::vector<std::uint64_t>{0, 0});
  constexpr double unordered[] = {0.9, 0.5};
  CHECK_THROWS_WITH(trace::bucketed_percentiles(unordered), Catch::Contains("ascending"));
}
