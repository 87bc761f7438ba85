#pragma once
// One thread's queue of ended spans for one batching processor: the thread pushes, the
// processor's worker pops, and nobody else touches it, so pushing is two plain stores and
// a release store, with no lock and no cache line shared with other producers.
//
// Records live in blocks of 64 linked as they fill, so a queue holds memory in proportion
// to what waits in it; the worker hands emptied blocks back for reuse. The number of
// records waiting is bounded: a push beyond the bound fails, and the caller counts a drop.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "trace/instrument/span_record.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

class span_ring {
 public:
  static constexpr std::size_t block_size = 64;

  explicit span_ring(std::size_t bound) : bound_(bound), write_block_(new block), read_block_(write_block_) {}
  ~span_ring() {
    for (block* at = read_block_; at;) delete std::exchange(at, at->next.load(std::memory_order_relaxed));
    for (block* at = free_; at;) delete std::exchange(at, at->next.load(std::memory_order_relaxed));
    for (block* at = returned_.load(std::memory_order_acquire); at;)
      delete std::exchange(at, at->next.load(std::memory_order_relaxed));
  }
  span_ring(const span_ring&) = delete;
  span_ring& operator=(const span_ring&) = delete;

  // Producer only. False when `bound` records wait; otherwise `waiting` is how many do
  // now, at most (the worker may have taken some since it was last looked at).
  bool try_push(span_record&& record, std::size_t& waiting) {
    std::uint64_t pushed = pushed_.load(std::memory_order_relaxed);
    if (pushed - popped_seen_ >= bound_) [[unlikely]] {
      popped_seen_ = popped_.load(std::memory_order_acquire);
      if (pushed - popped_seen_ >= bound_) return false;
    }
    if (write_index_ == block_size) [[unlikely]] {
      if (!free_) free_ = returned_.exchange(nullptr, std::memory_order_acquire);
      block* fresh = free_;
      if (fresh) free_ = fresh->next.exchange(nullptr, std::memory_order_relaxed);
      else fresh = new block;
      write_block_->next.store(fresh, std::memory_order_relaxed);  // published by pushed_ below
      write_block_ = fresh;
      write_index_ = 0;
    }
    write_block_->records[write_index_++] = std::move(record);
    pushed_.store(pushed + 1, std::memory_order_release);
    waiting = static_cast<std::size_t>(pushed + 1 - popped_seen_);
    return true;
  }

  // Producer only: whether `push_in_block` may be used now, i.e. the bound has room as far
  // as the producer last saw, and the current block has a free slot.
  bool has_room_in_block() const noexcept {
    return pushed_.load(std::memory_order_relaxed) - popped_seen_ < bound_ && write_index_ < block_size;
  }
  // Producer only, after `has_room_in_block`: the push with nothing to allocate or re-read;
  // returns how many records wait now, at most.
  std::size_t push_in_block(span_record&& record) noexcept {
    const std::uint64_t pushed = pushed_.load(std::memory_order_relaxed);
    write_block_->records[write_index_++].take_swapping(record);
    pushed_.store(pushed + 1, std::memory_order_release);
    return static_cast<std::size_t>(pushed + 1 - popped_seen_);
  }

  // Producer only: the exact count, for deciding to wake the worker.
  std::size_t refresh_waiting() noexcept {
    popped_seen_ = popped_.load(std::memory_order_acquire);
    return static_cast<std::size_t>(pushed_.load(std::memory_order_relaxed) - popped_seen_);
  }

  // Consumer only: passes up to `max` records, oldest first, to `take(span_record&)`, which
  // moves each out; returns how many.
  template <class Take>
  std::size_t drain(std::size_t max, Take&& take) {
    std::uint64_t popped = popped_.load(std::memory_order_relaxed);
    auto count = static_cast<std::size_t>(std::min<std::uint64_t>(pushed_.load(std::memory_order_acquire) - popped, max));
    for (std::size_t i = 0; i < count; ++i) {
      if (read_index_ == block_size) {
        // The record exists, so the producer has linked the next block and left this one.
        block* next = read_block_->next.load(std::memory_order_relaxed);
        recycle(read_block_);
        read_block_ = next;
        read_index_ = 0;
      }
      take(read_block_->records[read_index_++]);
    }
    popped_.store(popped + count, std::memory_order_release);
    return count;
  }

  // Any thread: how many records wait.
  std::size_t waiting() const noexcept {
    std::uint64_t popped = popped_.load(std::memory_order_acquire);
    return static_cast<std::size_t>(pushed_.load(std::memory_order_acquire) - popped);
  }

  std::atomic<bool> abandoned{false};  // its thread has exited: nothing more will be pushed
  std::atomic<bool> closed{false};     // its processor is gone: the thread forgets it

 private:
  struct block {
    span_record records[block_size];
    std::atomic<block*> next{nullptr};
  };

  // Hands an emptied block back to the producer. Blocks are never freed before the ring,
  // so it holds at most its high-water mark (bound / 64 + 2 blocks).
  void recycle(block* emptied) {
    block* head = returned_.load(std::memory_order_relaxed);
    do emptied->next.store(head, std::memory_order_relaxed);
    while (!returned_.compare_exchange_weak(head, emptied, std::memory_order_release, std::memory_order_relaxed));
  }

  const std::size_t bound_;
  // The producer's side.
  alignas(64) std::atomic<std::uint64_t> pushed_{0};
  std::uint64_t popped_seen_ = 0;
  block* write_block_;
  std::size_t write_index_ = 0;
  block* free_ = nullptr;  // blocks taken back from `returned_`, the producer's own
  // The consumer's side.
  alignas(64) std::atomic<std::uint64_t> popped_{0};
  block* read_block_;
  std::size_t read_index_ = 0;
  // Emptied blocks, pushed by the consumer, taken all at once by the producer.
  std::atomic<block*> returned_{nullptr};
};

// The ring the calling thread used last, in a trivially destructible thread_local: read
// with no initialisation guard, unlike `thread_rings`, which has a destructor.
struct last_ring {
  std::uint64_t owner = 0;  // serial numbers start at 1
  span_ring* ring = nullptr;
};
inline last_ring& this_thread_last_ring() noexcept {
  thread_local last_ring cached;  // constant-initialised, trivially destructible: no guard
  return cached;
}

// The calling thread's rings, one per batching processor it has ended spans into, keyed
// by the processor's serial number (never reused, unlike an address).
class thread_rings {
 public:
  thread_rings() = default;
  thread_rings(const thread_rings&) = delete;
  thread_rings& operator=(const thread_rings&) = delete;
  ~thread_rings() {
    this_thread_last_ring() = {};
    for (auto& entry : entries_) entry.ring->abandoned.store(true, std::memory_order_release);
  }

  span_ring* find(std::uint64_t owner) noexcept {
    for (auto& entry : entries_)
      if (entry.owner == owner) return remember(owner, entry.ring.get());
    return nullptr;
  }

  span_ring* add(std::uint64_t owner, std::shared_ptr<span_ring> ring) {
    // The rings of processors that are gone go now, not at thread exit.
    std::erase_if(entries_, [](const entry& each) { return each.ring->closed.load(std::memory_order_acquire); });
    entries_.push_back({owner, std::move(ring)});
    return remember(owner, entries_.back().ring.get());
  }

 private:
  struct entry {
    std::uint64_t owner = 0;
    std::shared_ptr<span_ring> ring{};
  };
  static span_ring* remember(std::uint64_t owner, span_ring* ring) noexcept {
    this_thread_last_ring() = {owner, ring};
    return ring;
  }

  std::vector<entry> entries_;
};

inline thread_rings& this_thread_rings() {
  thread_local thread_rings rings;
  return rings;
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
