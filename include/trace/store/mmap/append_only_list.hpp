#pragma once
// `append_only_list<T>`: a list that grows at the end without ever moving an element, so a
// reader thread may hold pointers into it, and read every element below a count that was
// published to it (through a mutex or an acquire load), while the one writer thread appends.
// Elements live in chunks of 64, 128, 256, ... slots; the chunk directory is a fixed array,
// so appending never rewrites memory that a reader may be looking at. Only the unpublished
// tail may be removed (`truncate`), which is how a block that fails its checks is undone.

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <memory>

namespace trace {
inline namespace v0 {
namespace detail {

template <class T>
class append_only_list {
 public:
  append_only_list() = default;
  append_only_list(const append_only_list&) = delete;
  append_only_list& operator=(const append_only_list&) = delete;

  // Safe on any thread for indices below a count published after they were appended.
  const T& operator[](std::size_t i) const noexcept {
    auto [chunk, offset] = locate(i);
    return chunks_[chunk][offset];
  }
  T& operator[](std::size_t i) noexcept {
    auto [chunk, offset] = locate(i);
    return chunks_[chunk][offset];
  }
  // The count the writer reached; readers use it only for elements they know are published.
  std::size_t size() const noexcept { return size_.load(std::memory_order_acquire); }
  bool empty() const noexcept { return size() == 0; }
  const T& front() const noexcept { return (*this)[0]; }
  const T& back() const noexcept { return (*this)[size() - 1]; }

  // Writer only.
  T& push_back(T value) {
    const std::size_t n = size_.load(std::memory_order_relaxed);
    auto [chunk, offset] = locate(n);
    if (!chunks_[chunk]) chunks_[chunk] = std::make_unique<T[]>(first_chunk << chunk);
    T& slot = chunks_[chunk][offset];
    slot = std::move(value);
    size_.store(n + 1, std::memory_order_release);
    return slot;
  }
  // Writer only: forgets elements from `n` on (they must never have been published).
  void truncate(std::size_t n) noexcept {
    if (n < size_.load(std::memory_order_relaxed)) size_.store(n, std::memory_order_release);
  }

 private:
  static constexpr std::size_t first_chunk = 64;
  static constexpr std::size_t chunk_count = 48;  // 64 · (2^48 − 1) slots: never the limit

  struct position {
    std::size_t chunk, offset;
  };
  // Chunk k holds indices [64·(2^k − 1), 64·(2^(k+1) − 1)).
  static position locate(std::size_t i) noexcept {
    const std::size_t chunk = static_cast<std::size_t>(std::bit_width(i / first_chunk + 1)) - 1;
    return {chunk, i - first_chunk * ((std::size_t{1} << chunk) - 1)};
  }

  std::array<std::unique_ptr<T[]>, chunk_count> chunks_{};
  std::atomic<std::size_t> size_{0};
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
