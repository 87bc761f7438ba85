#pragma once
// Open-addressing hash table from trace id to the first and last row of that trace; the
// rows of one trace are chained through a `next` column kept by the store. Linear probing
// over a flat array keeps a lookup to one or two cache lines.

#include <cstdint>
#include <functional>
#include <vector>

#include "trace/core/ids.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

class trace_index {
 public:
  static constexpr std::uint32_t no_row = 0xffffffffu;

  struct entry {
    trace_id id{};  // an invalid id marks an empty slot
    std::uint32_t head = no_row;
    std::uint32_t tail = no_row;
  };

  // The entry of `id`, or nullptr.
  const entry* find(const trace_id& id) const noexcept {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = slot_of(id);; i = (i + 1) & mask_) {
      const entry& slot = slots_[i];
      if (slot.id == id) return &slot;
      if (!slot.id.valid()) return nullptr;
    }
  }

  // The entry of `id`, inserted empty (head = tail = no_row) when new.
  entry& find_or_insert(const trace_id& id) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    for (std::size_t i = slot_of(id);; i = (i + 1) & mask_) {
      entry& slot = slots_[i];
      if (slot.id == id) return slot;
      if (!slot.id.valid()) {
        slot.id = id;
        ++count_;
        return slot;
      }
    }
  }

  std::size_t size() const noexcept { return count_; }

  void clear() noexcept {
    slots_.clear();
    mask_ = 0;
    count_ = 0;
  }

 private:
  std::size_t slot_of(const trace_id& id) const noexcept { return std::hash<trace_id>{}(id) & mask_; }

  void grow() {
    std::vector<entry> old = std::move(slots_);
    std::size_t capacity = old.empty() ? 1024 : old.size() * 2;
    slots_.assign(capacity, entry{});
    mask_ = capacity - 1;
    for (const entry& e : old) {
      if (!e.id.valid()) continue;
      std::size_t i = slot_of(e.id);
      while (slots_[i].id.valid()) i = (i + 1) & mask_;
      slots_[i] = e;
    }
  }

  std::vector<entry> slots_;
  std::size_t mask_ = 0;
  std::size_t count_ = 0;
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
