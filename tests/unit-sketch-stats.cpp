// Mergeable span statistics: per-shard parts merge into the statistics of the whole, equal
// to a sketch-percentile summary over all the spans.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "support/check_stats.hpp"
#include "support/make_span.hpp"
#include "trace/analytics/mergeable_stats.hpp"

namespace {

std::vector<trace::span> spans_of(std::size_t n) {
  std::mt19937_64 g(21);
  std::vector<trace::span> out;
  for (std::uint64_t i = 1; i <= n; ++i) {
    auto ms = 1 + g() % 500;
    out.push_back(trace_test::make_span(i, i, 0, "svc", "op", 0, ms,
                                        g() % 50 == 0 ? trace::status_code::error : trace::status_code::unset));
  }
  return out;
}

}  // namespace

TEST_CASE("shard statistics merge into the statistics of all spans") {
  auto spans = spans_of(20'000);
  std::vector<trace::mergeable_stats> shards(7);
  trace::mergeable_stats whole;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    bool error = spans[i].status.code == trace::status_code::error;
    shards[i % shards.size()].add(trace::duration_of(spans[i]), error);
    whole.add(trace::duration_of(spans[i]), error);
  }
  trace::mergeable_stats merged;
  for (const auto& shard : shards) merged.merge(shard);
  CHECK(merged == whole);
  CHECK(merged.count() == 20'000);
  CHECK(merged.errors() > 0);

  trace::summary_options sketch;
  sketch.percentiles = trace::percentile_method::sketch;
  trace_test::check_same_stats(merged.stats(), trace::summarize_spans(spans, sketch));

  auto exact = trace::summarize_spans(spans);
  CHECK(static_cast<double>(merged.stats().p99) == Approx(static_cast<double>(exact.p99)).epsilon(0.01));
}

TEST_CASE("empty statistics read as zeros and parts of other accuracy are refused") {
  trace_test::check_same_stats(trace::mergeable_stats{}.stats(), trace::span_stats{});
  trace::mergeable_stats coarse(0.05);
  coarse.add(10, false);
  trace::mergeable_stats fine;
  CHECK_THROWS_WITH(fine.merge(coarse), "invalid argument: quantile sketch merge: relative accuracies differ (0.01 vs 0.05)");
  CHECK(fine.count() == 0);
}
