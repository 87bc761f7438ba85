#pragma once
// Append-only storage of runs of `T` in fixed-size pages. A run is contiguous and never moves:
// growing adds a page, it never copies what is stored, so pointers into earlier runs stay
// valid. A run is named by its position, a global element index (page * page_size + offset);
// a run longer than a page gets an allocation of several pages, each with its entry in the
// page table, so a position always resolves in one step. The rest of a page that cannot hold
// the next run is left unused.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace trace {
inline namespace v0 {
namespace detail {

template <class T, unsigned PageShift>
class paged_arena {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  static constexpr std::size_t page_size = std::size_t{1} << PageShift;

  // Room for `n` contiguous elements, uninitialised: its position and first element.
  std::pair<std::uint64_t, T*> allocate(std::size_t n) {
    if (n > limit_ - next_) add_allocation(n);
    const std::uint64_t at = next_;
    next_ += n;
    return {at, n ? locate(at) : nullptr};
  }

  // The first element of the run at `position` (which must hold at least one element).
  const T* at(std::uint64_t position) const noexcept { return locate(position); }
  T* at(std::uint64_t position) noexcept { return locate(position); }

  // The position the next run would take if it fits in the current page.
  std::uint64_t end_position() const noexcept { return next_; }

  // Bytes held: every page allocated (used or not) and the page table.
  std::size_t memory_bytes() const noexcept {
    return pages_.size() * page_size * sizeof(T) + pages_.capacity() * sizeof(T*) +
           allocations_.capacity() * sizeof(std::unique_ptr<T[]>);
  }

 private:
  T* locate(std::uint64_t position) const noexcept {
    return pages_[position >> PageShift] + (position & (page_size - 1));
  }

  void add_allocation(std::size_t n) {
    const std::size_t count = n <= page_size ? 1 : (n + page_size - 1) / page_size;
    // Not zeroed: pages are touched (and so take RAM) only as runs are written.
    auto pages = std::make_unique_for_overwrite<T[]>(count * page_size);
    const std::uint64_t first = pages_.size();
    for (std::size_t k = 0; k < count; ++k) pages_.push_back(pages.get() + k * page_size);
    allocations_.push_back(std::move(pages));
    next_ = first << PageShift;
    limit_ = (first + count) << PageShift;
  }

  std::vector<T*> pages_;  // by page index
  std::vector<std::unique_ptr<T[]>> allocations_;
  std::uint64_t next_ = 0, limit_ = 0;
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
