#pragma once
// Exact percentiles of values read twice, without holding them all: the first pass counts
// the values in buckets of a log-linear scale (64 a power of two, in value order), which
// places each wanted rank in one bucket; the second pass keeps only the values of those
// buckets, and selection among them gives what `percentiles` (percentile.hpp) gives over all
// the values. For 1M durations that is a 30 KiB table and a few thousand values kept, where
// one array of them all took 8 MB (a page fault per 4 KiB) and three selections over it.
//
//   bucketed_percentiles select(ps);
//   for (v : values) select.count(v);
//   select.locate();
//   for (v : values) select.keep(v);   // the same values again, in any order
//   std::vector<std::uint64_t> out = select.finish();

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "trace/analytics/percentile.hpp"
#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {

class bucketed_percentiles {
 public:
  // `ps`: each in [0, 1], ascending (as `percentiles` takes them).
  explicit bucketed_percentiles(std::span<const double> ps) : ps_(ps.begin(), ps.end()), counts_(bucket_count, 0) {
    double previous = 0;
    for (double p : ps_) {
      if (!(p >= 0.0 && p <= 1.0) || p < previous)
        throw error(errc::invalid_argument, "percentiles must lie in [0, 1] in ascending order");
      previous = p;
    }
  }

  // First pass: every value once.
  void count(std::uint64_t value) noexcept {
    ++counts_[bucket_of(value)];
    ++values_;
  }
  // Between the passes: finds the bucket of each wanted rank.
  void locate() {
    wanted_.assign(bucket_count, no_slot);
    targets_.clear();
    if (values_ == 0) return;
    std::size_t bucket = 0, below = 0;  // values in the buckets before `bucket`
    for (double p : ps_) {
      const std::size_t rank = percentile_index(values_, p);
      while (below + counts_[bucket] <= rank) below += counts_[bucket++];
      if (wanted_[bucket] == no_slot) {
        wanted_[bucket] = static_cast<std::uint32_t>(kept_.size());
        kept_.emplace_back().reserve(counts_[bucket]);
      }
      targets_.push_back({wanted_[bucket], rank - below});
    }
  }
  // Second pass: the same values again.
  void keep(std::uint64_t value) {
    if (const std::uint32_t slot = wanted_[bucket_of(value)]; slot != no_slot) kept_[slot].push_back(value);
  }
  // The percentiles, in the order of `ps` (0 each when no value was counted).
  std::vector<std::uint64_t> finish() {
    std::vector<std::uint64_t> out(ps_.size(), 0);
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      std::vector<std::uint64_t>& bucket = kept_[targets_[i].slot];
      const auto nth = bucket.begin() + static_cast<std::ptrdiff_t>(targets_[i].rank);
      std::nth_element(bucket.begin(), nth, bucket.end());
      out[i] = *nth;
    }
    return out;
  }

  // Values below 64 each have a bucket; above, a power of two [2^k, 2^(k+1)) is cut in 64
  // equal buckets. Monotone in the value, so buckets hold consecutive runs of the sorted values.
  static std::size_t bucket_of(std::uint64_t value) noexcept {
    if (value < sub_buckets) return static_cast<std::size_t>(value);
    const unsigned shift = static_cast<unsigned>(std::bit_width(value)) - 7;  // value >> shift is in [64, 128)
    return sub_buckets * (shift + 1) + static_cast<std::size_t>((value >> shift) - sub_buckets);
  }
  static constexpr std::size_t sub_buckets = 64;
  static constexpr std::size_t bucket_count = sub_buckets * (64 - 6 + 1);

 private:
  static constexpr std::uint32_t no_slot = ~std::uint32_t{0};
  struct target {
    std::uint32_t slot;  // in kept_
    std::size_t rank;    // within that bucket's values
  };
  std::vector<double> ps_;
  std::vector<std::size_t> counts_;
  std::size_t values_ = 0;
  std::vector<std::uint32_t> wanted_;  // by bucket: its slot in kept_, or no_slot
  std::vector<std::vector<std::uint64_t>> kept_;
  std::vector<target> targets_;
};

}  // namespace v0
}  // namespace trace
