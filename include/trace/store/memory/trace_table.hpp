#pragma once
// The memory store's traces: each distinct trace id gets a dense number, in order of first
// appearance, and a record (the id, its first and last row) kept in fixed-size pages that
// never move. Rows hold the 4-byte number instead of the 16-byte id. An open-addressing index
// finds a number by id: each slot packs the top 32 bits of the id's hash with the number, so
// a probe compares hashes without touching the records, and growing rehashes from the slots
// alone.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "trace/core/ids.hpp"
#include "trace/store/memory/paged_arena.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

class trace_table {
 public:
  static constexpr std::uint32_t none = 0xffffffffu;

  struct record {
    trace_id id;
    std::uint32_t head;  // first row of the trace
    std::uint32_t tail;  // last row
  };

  // The number of `id`, or `none`.
  std::uint32_t find(const trace_id& id) const noexcept {
    if (slots_.empty()) return none;
    const std::uint64_t h = hash_of(id);
    for (std::size_t i = h >> shift_;; i = (i + 1) & mask()) {
      const std::uint64_t slot = slots_[i];
      if (!slot) return none;
      if ((slot >> 32) == (h >> 32) && get(number_in(slot)).id == id) return number_in(slot);
    }
  }

  // The record of `id`'s trace, added with head = tail = `row` when new; `added` says which.
  record& find_or_add(const trace_id& id, std::uint32_t row, bool& added, std::uint32_t& number) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    const std::uint64_t h = hash_of(id);
    for (std::size_t i = h >> shift_;; i = (i + 1) & mask()) {
      const std::uint64_t slot = slots_[i];
      if (!slot) {
        number = static_cast<std::uint32_t>(count_++);
        slots_[i] = (h & 0xffffffff00000000ULL) | (std::uint64_t{number} + 1);
        record* r = records_.allocate(1).second;
        *r = record{id, row, row};
        added = true;
        return *r;
      }
      if ((slot >> 32) == (h >> 32) && get(number_in(slot)).id == id) {
        number = number_in(slot);
        added = false;
        return get(number);
      }
    }
  }

  const record& get(std::uint32_t number) const noexcept { return *records_.at(number); }
  record& get(std::uint32_t number) noexcept { return *records_.at(number); }
  std::size_t size() const noexcept { return count_; }

  std::size_t memory_bytes() const noexcept { return records_.memory_bytes() + slots_.capacity() * sizeof(std::uint64_t); }

 private:
  static std::uint64_t hash_of(const trace_id& id) noexcept { return static_cast<std::uint64_t>(std::hash<trace_id>{}(id)); }
  static std::uint32_t number_in(std::uint64_t slot) noexcept { return static_cast<std::uint32_t>(slot) - 1; }
  std::size_t mask() const noexcept { return slots_.size() - 1; }

  void grow() {
    std::vector<std::uint64_t> old = std::move(slots_);
    const std::size_t capacity = old.empty() ? 1024 : old.size() * 2;
    slots_.assign(capacity, 0);
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
    for (std::uint64_t slot : old) {
      if (!slot) continue;
      // The slot's position is the hash's top bits, which the slot keeps.
      std::size_t i = static_cast<std::size_t>(slot >> shift_);
      while (slots_[i]) i = (i + 1) & mask();
      slots_[i] = slot;
    }
  }

  paged_arena<record, 12> records_;  // by number
  std::vector<std::uint64_t> slots_;  // (hash top 32 bits << 32) | (number + 1); 0: empty
  unsigned shift_ = 64;
  std::size_t count_ = 0;
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
