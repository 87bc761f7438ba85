#pragma once
// Maps low-cardinality strings (service and operation names, attribute keys) to dense
// 32-bit ids. Id 0 is the empty string. Views handed out stay valid for the interner's life.
//
// The index is a flat open-addressing table: each slot packs the top 32 bits of the text's
// hash with its id, so a probe compares texts only when the hashes agree, and growing
// rehashes from the slots alone (the slot's position is the hash's top bits).

#include <bit>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trace {
inline namespace v0 {
namespace detail {

class string_interner {
 public:
  string_interner() { intern(""); }

  // Moving carries the deque's elements (and so the views' targets) along; a copy would not.
  string_interner(const string_interner&) = delete;
  string_interner& operator=(const string_interner&) = delete;
  string_interner(string_interner&&) = default;
  string_interner& operator=(string_interner&&) = default;

  std::uint32_t intern(std::string_view text) {
    if ((strings_.size() + 1) * 2 > slots_.size()) grow();
    const std::uint64_t h = hash_of(text);
    for (std::size_t i = h >> shift_;; i = (i + 1) & (slots_.size() - 1)) {
      const std::uint64_t slot = slots_[i];
      if (!slot) {
        const auto id = static_cast<std::uint32_t>(strings_.size());
        strings_.emplace_back(text);  // a deque never moves its elements, so views (even SSO ones) stay valid
        slots_[i] = (h & 0xffffffff00000000ULL) | (std::uint64_t{id} + 1);
        return id;
      }
      if ((slot >> 32) == (h >> 32) && strings_[id_in(slot)] == text) return id_in(slot);
    }
  }

  std::optional<std::uint32_t> find(std::string_view text) const {
    if (slots_.empty()) return std::nullopt;  // a moved-from interner
    const std::uint64_t h = hash_of(text);
    for (std::size_t i = h >> shift_;; i = (i + 1) & (slots_.size() - 1)) {
      const std::uint64_t slot = slots_[i];
      if (!slot) return std::nullopt;
      if ((slot >> 32) == (h >> 32) && strings_[id_in(slot)] == text) return id_in(slot);
    }
  }

  std::string_view get(std::uint32_t id) const noexcept { return strings_[id]; }
  std::size_t size() const noexcept { return strings_.size(); }

  // Bytes held: the strings (with their heap beyond the inline buffer) and the index.
  std::size_t memory_bytes() const noexcept {
    std::size_t bytes = strings_.size() * sizeof(std::string) + slots_.capacity() * sizeof(std::uint64_t);
    for (const std::string& text : strings_)
      if (text.capacity() > 15) bytes += text.capacity() + 1;
    return bytes;
  }

 private:
  static std::uint64_t hash_of(std::string_view text) noexcept { return std::hash<std::string_view>{}(text); }
  static std::uint32_t id_in(std::uint64_t slot) noexcept { return static_cast<std::uint32_t>(slot) - 1; }

  void grow() {
    std::vector<std::uint64_t> old = std::move(slots_);
    const std::size_t capacity = old.empty() ? 64 : old.size() * 2;
    slots_.assign(capacity, 0);
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
    for (std::uint64_t slot : old) {
      if (!slot) continue;
      std::size_t i = static_cast<std::size_t>(slot >> shift_);
      while (slots_[i]) i = (i + 1) & (capacity - 1);
      slots_[i] = slot;
    }
  }

  std::deque<std::string> strings_;
  std::vector<std::uint64_t> slots_;  // (hash top 32 bits << 32) | (id + 1); 0: empty
  unsigned shift_ = 64;
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
