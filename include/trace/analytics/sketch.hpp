#pragma once
// A mergeable quantile sketch with a relative-error guarantee, after DDSketch (Masson,
// Rim and Lee, VLDB 2019).
//
// A positive value x goes to bucket i = ceil(log_γ x), with γ = (1 + α) / (1 − α), and the
// bucket is answered by 2γ^i / (γ + 1). Every value of bucket i lies in (γ^(i−1), γ^i], so
// that answer is within a factor α of any of them. The quantile walk finds the bucket that
// holds the value of the requested rank (the rank of percentile.hpp, round((n − 1)·p)), so:
//
//   |quantile(p) − exact(p)| ≤ α · exact(p)   for every p, every input, every merge order.
//
// Buckets are dense between the smallest and largest index seen; a span duration range
// (1 ns .. a day) needs about 1 600 buckets at α = 1%, the whole range of a positive
// double about 71 000, so no bucket is ever collapsed and the guarantee holds without a
// size cap. Merging adds counts bucket by bucket, so merge(a, b) equals the sketch of the
// union, bucket for bucket.
//
// Values must be finite and non-negative (durations); values below the smallest normal
// double count as zero and are answered by 0 exactly.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "trace/analytics/detail/text.hpp"  // format_number for messages
#include "trace/analytics/percentile.hpp"  // percentile_index: the rank definition shared with exact percentiles
#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {

class quantile_sketch {
 public:
  static constexpr double default_relative_accuracy = 0.01;

  quantile_sketch() : quantile_sketch(default_relative_accuracy) {}
  // `relative_accuracy` (α) in (0, 1); refused with errc::invalid_option otherwise.
  explicit quantile_sketch(double relative_accuracy);

  // Counts `value` `times` times. Refuses negative, infinite and NaN values.
  void add(double value, std::uint64_t times = 1);
  // Adds every value counted by `other`, which must have the same accuracy.
  void merge(const quantile_sketch& other);

  // The p-quantile (p in [0, 1]) within relative error α of the exact one; 0 when empty.
  double quantile(double p) const;

  std::uint64_t count() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  double sum() const noexcept { return sum_; }
  double average() const noexcept { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  double min() const noexcept { return count_ ? min_ : 0.0; }  // exact
  double max() const noexcept { return count_ ? max_ : 0.0; }  // exact
  double relative_accuracy() const noexcept { return alpha_; }
  std::size_t bucket_count() const noexcept { return buckets_.size(); }

  // Compact bytes (format described at `serialize` below) and back; decoding refuses
  // damaged input with errc::corrupt_data naming the byte offset.
  std::vector<std::uint8_t> serialize() const;
  static quantile_sketch deserialize(std::span<const std::uint8_t> bytes);

  friend bool operator==(const quantile_sketch&, const quantile_sketch&) = default;

 private:
  int index_of(double value) const { return static_cast<int>(std::ceil(std::log(value) / log_gamma_)); }
  double value_of(int index) const { return 2.0 * std::exp(index * log_gamma_) / (gamma_ + 1.0); }
  void grow_to(int index);

  double alpha_;
  double gamma_;
  double log_gamma_;
  std::vector<std::uint64_t> buckets_;  // buckets_[k] counts values of index min_index_ + k
  int min_index_ = 0;
  std::uint64_t zero_count_ = 0;
  std::uint64_t count_ = 0;
  double sum_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

namespace detail {

inline void put_varint(std::vector<std::uint8_t>& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

inline void put_double(std::vector<std::uint8_t>& out, double value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  for (int shift = 0; shift < 64; shift += 8) out.push_back(static_cast<std::uint8_t>(bits >> shift));
}

// Reads the sketch encoding, naming the offset of whatever is wrong.
class sketch_reader {
 public:
  explicit sketch_reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw error(errc::corrupt_data, "quantile sketch: " + what + " at byte " + std::to_string(at_));
  }
  std::uint8_t byte() {
    if (at_ >= bytes_.size()) fail("truncated input");
    return bytes_[at_++];
  }
  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t b = byte();
      value |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return value;
    }
    fail("varint longer than 10 bytes");
  }
  double real() {
    std::uint64_t bits = 0;
    for (int shift = 0; shift < 64; shift += 8) bits |= static_cast<std::uint64_t>(byte()) << shift;
    double value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  }
  std::size_t remaining() const noexcept { return bytes_.size() - at_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

inline constexpr std::uint8_t sketch_magic[3] = {'T', 'Q', 'S'};
inline constexpr std::uint8_t sketch_version = 1;

}  // namespace detail

inline quantile_sketch::quantile_sketch(double relative_accuracy) : alpha_(relative_accuracy) {
  if (!(relative_accuracy > 0.0 && relative_accuracy < 1.0))
    throw error(errc::invalid_option, "quantile sketch: relative accuracy must lie in (0, 1), got " +
                                          detail::format_number(relative_accuracy));
  gamma_ = (1.0 + alpha_) / (1.0 - alpha_);
  log_gamma_ = std::log(gamma_);
}

inline void quantile_sketch::grow_to(int index) {
  if (buckets_.empty()) {
    buckets_.assign(1, 0);
    min_index_ = index;
  } else if (index < min_index_) {
    buckets_.insert(buckets_.begin(), static_cast<std::size_t>(min_index_ - index), 0);
    min_index_ = index;
  } else if (index - min_index_ >= static_cast<int>(buckets_.size())) {
    buckets_.resize(static_cast<std::size_t>(index - min_index_) + 1, 0);
  }
}

inline void quantile_sketch::add(double value, std::uint64_t times) {
  if (!(value >= 0.0 && value <= std::numeric_limits<double>::max()))
    throw error(errc::invalid_argument,
                "quantile sketch: value must be finite and non-negative, got " + detail::format_number(value));
  if (times == 0) return;
  if (value < std::numeric_limits<double>::min()) {
    zero_count_ += times;
  } else {
    int index = index_of(value);
    grow_to(index);
    buckets_[static_cast<std::size_t>(index - min_index_)] += times;
  }
  count_ += times;
  sum_ += value * static_cast<double>(times);
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

inline void quantile_sketch::merge(const quantile_sketch& other) {
  if (other.alpha_ != alpha_)
    throw error(errc::invalid_argument, "quantile sketch merge: relative accuracies differ (" +
                                            detail::format_number(alpha_) + " vs " +
                                            detail::format_number(other.alpha_) + ")");
  if (other.empty()) return;
  if (!other.buckets_.empty()) {
    grow_to(other.min_index_);
    grow_to(other.min_index_ + static_cast<int>(other.buckets_.size()) - 1);
    auto shift = static_cast<std::size_t>(other.min_index_ - min_index_);
    for (std::size_t k = 0; k < other.buckets_.size(); ++k) buckets_[shift + k] += other.buckets_[k];
  }
  zero_count_ += other.zero_count_;
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

inline double quantile_sketch::quantile(double p) const {
  if (!(p >= 0.0 && p <= 1.0))
    throw error(errc::invalid_argument, "quantile sketch: quantile must lie in [0, 1], got " + detail::format_number(p));
  if (count_ == 0) return 0.0;
  std::uint64_t rank = percentile_index(static_cast<std::size_t>(count_), p);
  if (rank < zero_count_) return 0.0;
  // The lowest and highest ranks are known exactly.
  if (rank == 0) return min_;
  if (rank == count_ - 1) return max_;
  std::uint64_t seen = zero_count_;
  for (std::size_t k = 0; k < buckets_.size(); ++k) {
    seen += buckets_[k];
    // The exact min and max bound every value, so clamping only moves the answer closer.
    if (seen > rank) return std::clamp(value_of(min_index_ + static_cast<int>(k)), min_, max_);
  }
  return max_;  // unreachable while counts are consistent
}

// Encoding, integers as LEB128 varints, doubles as 8 little-endian IEEE-754 bytes:
//   "TQS" version(1 byte) α count zero_count [min max sum, when count > 0]
//   zigzag(min_index) bucket_count bucket counts...
// The first and last bucket counts are non-zero, so one sketch has one encoding.
inline std::vector<std::uint8_t> quantile_sketch::serialize() const {
  std::vector<std::uint8_t> out(std::begin(detail::sketch_magic), std::end(detail::sketch_magic));
  out.push_back(detail::sketch_version);
  detail::put_double(out, alpha_);
  detail::put_varint(out, count_);
  detail::put_varint(out, zero_count_);
  if (count_) {
    detail::put_double(out, min_);
    detail::put_double(out, max_);
    detail::put_double(out, sum_);
  }
  auto zigzag = (static_cast<std::uint64_t>(static_cast<std::int64_t>(min_index_)) << 1) ^
                static_cast<std::uint64_t>(static_cast<std::int64_t>(min_index_) >> 63);
  detail::put_varint(out, zigzag);
  detail::put_varint(out, buckets_.size());
  for (std::uint64_t c : buckets_) detail::put_varint(out, c);
  return out;
}

inline quantile_sketch quantile_sketch::deserialize(std::span<const std::uint8_t> bytes) {
  detail::sketch_reader in(bytes);
  for (std::uint8_t expected : detail::sketch_magic)
    if (in.byte() != expected) in.fail("not a quantile sketch (bad magic)");
  if (std::uint8_t version = in.byte(); version != detail::sketch_version)
    in.fail("unsupported version " + std::to_string(version));
  double alpha = in.real();
  if (!(alpha > 0.0 && alpha < 1.0)) in.fail("relative accuracy " + detail::format_number(alpha) + " out of (0, 1)");
  quantile_sketch sketch(alpha);
  sketch.count_ = in.varint();
  sketch.zero_count_ = in.varint();
  if (sketch.zero_count_ > sketch.count_) in.fail("zero count exceeds the total count");
  if (sketch.count_) {
    sketch.min_ = in.real();
    sketch.max_ = in.real();
    sketch.sum_ = in.real();
    if (!(sketch.min_ >= 0.0 && sketch.min_ <= sketch.max_ && std::isfinite(sketch.max_)))
      in.fail("minimum and maximum inconsistent");
  }
  std::uint64_t zigzag = in.varint();
  auto min_index = static_cast<std::int64_t>(zigzag >> 1) ^ -static_cast<std::int64_t>(zigzag & 1);
  std::uint64_t size = in.varint();
  // Each count takes at least a byte: this refuses absurd sizes before allocating.
  if (size > in.remaining()) in.fail("bucket count " + std::to_string(size) + " exceeds the input");
  if (min_index < std::numeric_limits<int>::min() / 2 ||
      min_index + static_cast<std::int64_t>(size) > std::numeric_limits<int>::max() / 2)
    in.fail("bucket index out of range");
  sketch.min_index_ = size ? static_cast<int>(min_index) : 0;
  sketch.buckets_.resize(static_cast<std::size_t>(size));
  std::uint64_t total = sketch.zero_count_;
  for (auto& c : sketch.buckets_) {
    c = in.varint();
    if (c > sketch.count_ - total) in.fail("bucket counts exceed the total count");
    total += c;
  }
  if (size && (sketch.buckets_.front() == 0 || sketch.buckets_.back() == 0)) in.fail("empty edge bucket");
  if (total != sketch.count_) in.fail("bucket counts do not add up to the total count");
  if (in.remaining()) in.fail("trailing bytes");
  return sketch;
}

}  // namespace v0
}  // namespace trace
