#pragma once
// Field-by-field comparison of two span_stats, so a failure names the field that differs.
#include <catch2/catch.hpp>

#include "trace/analytics/summary.hpp"

namespace trace_test {

inline void check_same_stats(const trace::span_stats& a, const trace::span_stats& b) {
  CHECK(a.count == b.count);
  CHECK(a.errors == b.errors);
  CHECK(a.error_rate == b.error_rate);
  CHECK(a.min == b.min);
  CHECK(a.max == b.max);
  CHECK(a.average == b.average);
  CHECK(a.p50 == b.p50);
  CHECK(a.p95 == b.p95);
  CHECK(a.p99 == b.p99);
}

}  // namespace trace_test
