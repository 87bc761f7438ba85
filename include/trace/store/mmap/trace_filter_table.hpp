#pragma once
// The store-wide trace membership table: which sealed segments may hold a trace id, answered
// by reading 8 words per 64 segments, independent loads (docs/FORMAT.md, "Trace filter table").
//
// It is derived data, kept in memory only: built from the segments' own trace filters (each
// checked against its checksum before use) at the first lookup after the store opens, and
// extended when a segment seals. Segments whose filters share one geometry (block count and hash count; a
// filter's block count is a power of two, so segments of similar sizes share it) are
// grouped 64 to a slice, and the slice stores their filters bit-sliced: word
// [block * 512 + bit] has bit m set when member m's filter sets `bit` in `block`. A lookup
// computes the id's block and bit positions once per slice and ANDs `hashes` words from one
// 4 KiB block: the set bits left are the members that may hold the id. A slice costs 64
// filters' memory whatever its members, so a geometry with fewer than `min_slice_members`
// segments left over is not sliced: those segments' filters are probed one by one (a store of
// a few segments builds no slice, where one slice cost more than all its lookups). A segment
// without a filter (written before version 5) or whose filter fails its checks is listed apart
// and asked one by one too (the latter throws again there, as a lookup did before this table).

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/ids.hpp"
#include "trace/store/mmap/segment.hpp"
#include "trace/store/mmap/trace_filter.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

inline constexpr std::size_t filter_slice_width = 64;  // members per slice: the bits of one word
inline constexpr std::size_t min_slice_members = 8;    // fewer of one geometry are probed one by one
inline constexpr std::size_t filter_block_bits = trace_filter_block_bytes * 8;

// Transposes a 64x64 bit matrix in place: bit c of row r moves to bit r of row c.
inline void transpose_bits(std::uint64_t (&rows)[64]) noexcept {
  std::uint64_t mask = 0x00000000ffffffffull;
  for (unsigned width = 32; width != 0; width >>= 1, mask ^= mask << width) {
    for (unsigned r = 0; r < 64; r = (r + width + 1) & ~width) {
      const std::uint64_t t = ((rows[r] >> width) ^ rows[r + width]) & mask;
      rows[r] ^= t << width;
      rows[r + width] ^= t;
    }
  }
}

// Up to 64 sealed segments whose filters have one geometry, their bits sliced.
class filter_slice {
 public:
  filter_slice(std::uint64_t blocks, std::uint32_t hashes, std::vector<std::shared_ptr<const segment>> members)
      : blocks_(blocks), hashes_(hashes), members_(std::move(members)),
        words_(std::make_unique<std::uint64_t[]>(static_cast<std::size_t>(blocks) * filter_block_bits)) {
    std::vector<const std::byte*> bits;
    for (const auto& m : members_) bits.push_back(m->trace_filter().block(0));
    std::uint64_t rows[64];
    for (std::uint64_t b = 0; b < blocks_; ++b) {
      std::uint64_t* out = words_.get() + b * filter_block_bits;
      for (std::size_t w = 0; w < filter_block_bits / 64; ++w) {
        // Row m: word w of member m's block b; after the transpose, row i says which
        // members set bit w * 64 + i of the block.
        for (std::size_t m = 0; m < 64; ++m)
          rows[m] = m < bits.size() ? load<std::uint64_t>(bits[m] + b * trace_filter_block_bytes + w * 8) : 0;
        transpose_bits(rows);
        std::memcpy(out + w * 64, rows, sizeof rows);
      }
    }
  }

  std::uint64_t blocks() const noexcept { return blocks_; }
  std::uint32_t hashes() const noexcept { return hashes_; }
  const std::vector<std::shared_ptr<const segment>>& members() const noexcept { return members_; }
  bool full() const noexcept { return members_.size() == filter_slice_width; }

  // The members that may hold `id`, as bits (bit m: members()[m]).
  std::uint64_t candidates(const trace_id& id) const noexcept {
    const trace_filter_probe p = probe_for(id, blocks_);
    const std::uint64_t* block = words_.get() + p.block * filter_block_bits;
    std::uint64_t may = ~std::uint64_t{0};
    for (std::uint32_t k = 0; k < hashes_; ++k) may &= block[(p.first + k * p.step) & (filter_block_bits - 1)];
    return may;
  }

 private:
  std::uint64_t blocks_;
  std::uint32_t hashes_;
  std::vector<std::shared_ptr<const segment>> members_;
  std::unique_ptr<std::uint64_t[]> words_;
};

class trace_filter_table {
 public:
  // The table for `frozen` (sealed segments by sequence), built at its first lookup: opening
  // a large store from a cold page cache would otherwise read every segment's filter before
  // any query (seconds at 100M spans), and queries that look no trace up never need them.
  // `previous`'s full slices are kept when it was built and `frozen` only adds segments after
  // the ones it covered (a seal); otherwise (compaction, retention, the cold tier, a table
  // never asked) it is built anew. `min_members`: the fewest segments of one geometry that
  // make a slice (tests lower it to slice every geometry).
  static std::shared_ptr<const trace_filter_table> update(const std::shared_ptr<const trace_filter_table>& previous,
                                                          const std::vector<std::shared_ptr<const segment>>& frozen,
                                                          std::size_t min_members = min_slice_members) {
    auto table = std::make_shared<trace_filter_table>();
    if (previous && previous->built_.load(std::memory_order_acquire)) table->previous_ = previous;  // no chain of unbuilt tables
    table->frozen_ = frozen;
    table->min_members_ = std::max<std::size_t>(min_members, 1);
    return table;
  }
  // Calls f(segment) for each sealed segment that may hold `id`, in sequence order.
  template <class F>
  void for_each_candidate(const trace_id& id, F&& f) const {
    build();
    const segment* found[8];
    std::vector<const segment*> more;
    std::size_t count = 0;
    auto add = [&](const segment* s) {
      if (count < std::size(found)) found[count++] = s;
      else more.push_back(s);
    };
    for (const auto& slice : slices_)
      for (std::uint64_t may = slice->candidates(id); may; may &= may - 1)
        add(slice->members()[static_cast<std::size_t>(std::countr_zero(may))].get());
    for (const auto& s : probed_)
      if (s->may_hold(id)) add(s.get());
    for (const auto& s : unfiltered_)
      if (s->may_hold(id)) add(s.get());
    if (!more.empty() || count > 1) {
      // Slices group by geometry, so their members interleave; a handful of candidates.
      more.insert(more.begin(), found, found + count);
      std::sort(more.begin(), more.end(), [](const segment* a, const segment* b) { return a->sequence() < b->sequence(); });
      for (const segment* s : more) f(*s);
      return;
    }
    if (count) f(*found[0]);
  }

  std::size_t slice_count() const {
    build();
    return slices_.size();
  }
  std::size_t unfiltered_count() const {
    build();
    return unfiltered_.size();
  }
  // Segments with a usable filter that no slice holds (their geometry has too few of them).
  std::size_t probed_count() const {
    build();
    return probed_.size();
  }

 private:
  // Once, by whichever reader asks first; the others wait for it.
  void build() const {
    std::call_once(built_once_, [this] {
      const_cast<trace_filter_table*>(this)->build_now();
      built_.store(true, std::memory_order_release);
    });
  }
  void build_now() {
    std::size_t kept = 0;
    if (const auto& previous = previous_; previous && previous->covered_.size() <= frozen_.size() &&
                                          std::equal(previous->covered_.begin(), previous->covered_.end(), frozen_.begin(),
                                                     [](const segment* a, const std::shared_ptr<const segment>& b) { return a == b.get(); })) {
      // Full slices stay as they are; the members of the last, open slices and those probed
      // one by one join again (in sequence order, so that each geometry's slices fill in order).
      for (const auto& s : previous->slices_)
        if (s->full()) slices_.push_back(s);
      unfiltered_ = previous->unfiltered_;
      covered_ = previous->covered_;
      kept = previous->covered_.size();
      for (const auto& s : previous->slices_)
        if (!s->full()) pending_.insert(pending_.end(), s->members().begin(), s->members().end());
      pending_.insert(pending_.end(), previous->probed_.begin(), previous->probed_.end());
      std::ranges::sort(pending_, {}, [](const std::shared_ptr<const segment>& s) { return s->sequence(); });
    }
    for (std::size_t i = kept; i < frozen_.size(); ++i) add(frozen_[i]);
    close_pending();
    previous_.reset();
    frozen_ = {};
  }

  void add(const std::shared_ptr<const segment>& s) {
    covered_.push_back(s.get());
    try {
      if (!s->trace_filter().empty()) {
        pending_.push_back(s);
        return;
      }
    } catch (const error&) {
      // A damaged filter: asked one by one, so that the lookup reports the damage.
    }
    unfiltered_.push_back(s);
  }
  // Groups the pending segments by geometry into slices (at most one open slice each); a
  // group too small to slice is probed one by one.
  void close_pending() {
    while (!pending_.empty()) {
      const trace_filter_view& first = pending_.front()->trace_filter();
      std::vector<std::shared_ptr<const segment>> members, rest;
      for (auto& s : pending_) {
        const trace_filter_view& f = s->trace_filter();
        if (members.size() < filter_slice_width && f.blocks() == first.blocks() && f.hashes() == first.hashes())
          members.push_back(std::move(s));
        else
          rest.push_back(std::move(s));
      }
      if (members.size() >= min_members_)
        slices_.push_back(std::make_shared<const filter_slice>(first.blocks(), first.hashes(), std::move(members)));
      else
        probed_.insert(probed_.end(), members.begin(), members.end());
      pending_ = std::move(rest);
    }
  }

  std::vector<std::shared_ptr<const filter_slice>> slices_;
  std::vector<std::shared_ptr<const segment>> unfiltered_;
  std::vector<std::shared_ptr<const segment>> probed_;   // filtered, in geometries too small to slice
  std::vector<std::shared_ptr<const segment>> pending_;  // while building: filtered, not yet in a slice
  std::vector<const segment*> covered_;                  // the frozen segments this table was built from
  // What the table is built from, until it is.
  std::shared_ptr<const trace_filter_table> previous_;
  std::vector<std::shared_ptr<const segment>> frozen_;
  std::size_t min_members_ = min_slice_members;
  mutable std::once_flag built_once_;
  mutable std::atomic<bool> built_{false};
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
