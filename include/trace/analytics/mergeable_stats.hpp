#pragma once
// Span statistics that merge: count, errors, sum, min and max exactly, percentiles from a
// quantile sketch. Summarise each segment, shard or time slice on its own, merge the parts,
// and read one `span_stats`, the same as `summarize_spans` with sketch percentiles over all
// the spans would give.

#include <cmath>
#include <cstddef>

#include "trace/analytics/sketch.hpp"
#include "trace/analytics/summary.hpp"  // span_stats
#include "trace/core/time.hpp"

namespace trace {
inline namespace v0 {

class mergeable_stats {
 public:
  mergeable_stats() = default;
  explicit mergeable_stats(double relative_accuracy) : latencies_(relative_accuracy) {}

  void add(duration_ns duration, bool error) {
    latencies_.add(static_cast<double>(duration));
    errors_ += error;
  }
  // Refuses a part of another accuracy (see quantile_sketch::merge).
  void merge(const mergeable_stats& other) {
    latencies_.merge(other.latencies_);
    errors_ += other.errors_;
  }

  std::size_t count() const noexcept { return static_cast<std::size_t>(latencies_.count()); }
  std::size_t errors() const noexcept { return errors_; }
  const quantile_sketch& latencies() const noexcept { return latencies_; }

  // p50/p95/p99 rounded to whole nanoseconds; the rest exact (for durations below 2^53 ns,
  // 104 days, which a double holds exactly).
  span_stats stats() const {
    span_stats s;
    s.count = count();
    if (s.count == 0) return s;
    s.errors = errors_;
    s.error_rate = static_cast<double>(errors_) / static_cast<double>(s.count);
    s.min = static_cast<duration_ns>(latencies_.min());
    s.max = static_cast<duration_ns>(latencies_.max());
    s.average = latencies_.average();
    s.p50 = static_cast<duration_ns>(std::llround(latencies_.quantile(0.50)));
    s.p95 = static_cast<duration_ns>(std::llround(latencies_.quantile(0.95)));
    s.p99 = static_cast<duration_ns>(std::llround(latencies_.quantile(0.99)));
    return s;
  }

  friend bool operator==(const mergeable_stats&, const mergeable_stats&) = default;

 private:
  quantile_sketch latencies_;
  std::size_t errors_ = 0;
};

}  // namespace v0
}  // namespace trace
