#pragma once
// Maps low-cardinality strings (service and operation names, attribute keys) to dense
// 32-bit ids. Id 0 is the empty string. Views handed out stay valid for the interner's life.
//
// The index is a flat open-addressing table: each slot packs the top 32 bits of the text's
// hash with its id, so a probe compares texts only when the hashes agree, and growing
// rehashes from the slots alone (the slot's position is the hash's top bits).
//
// Ingest interns several short texts per span, most of them seen before, so the hash and
// the comparison are inline and read whole words (`text_hash`, `same_text`), and `get` reads
// one flat array of views rather than the deque that owns the texts.

#include <bit>
#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/ids.hpp"  // mix64

namespace trace {
inline namespace v0 {
namespace detail {

inline std::uint64_t load_word(const char* p) noexcept {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}
inline std::uint32_t load_half(const char* p) noexcept {
  std::uint32_t half;
  std::memcpy(&half, p, sizeof half);
  return half;
}

// Equal texts; up to 16 bytes by two (overlapping) word loads each, without a call.
inline bool same_text(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n >= 8 && n <= 16)
    return load_word(a.data()) == load_word(b.data()) && load_word(a.data() + n - 8) == load_word(b.data() + n - 8);
  if (n >= 4 && n < 8)
    return load_half(a.data()) == load_half(b.data()) && load_half(a.data() + n - 4) == load_half(b.data() + n - 4);
  return n == 0 || std::memcmp(a.data(), b.data(), n) == 0;
}

// A 64-bit hash of a text, a word at a time, finished by mix64 (the index uses its top bits).
inline std::uint64_t text_hash(std::string_view text) noexcept {
  const char* p = text.data();
  std::size_t n = text.size();
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
  if (n < 8) {
    std::uint64_t tail = 0;
    if (n >= 4) tail = load_half(p) | std::uint64_t{load_half(p + n - 4)} << 32;
    else if (n) tail = static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[n / 2]) << 8 | static_cast<unsigned char>(p[n - 1]) << 16;
    return mix64(h ^ tail);
  }
  for (; n > 8; n -= 8, p += 8) h = (h ^ load_word(p)) * 0xff51afd7ed558ccdULL;
  return mix64(h ^ load_word(p + n - 8));  // the last word, overlapping the one before when n < 8 here
}

class string_interner {
 public:
  string_interner() { intern(""); }

  // Moving carries the deque's elements (and so the views' targets) along; a copy would not.
  string_interner(const string_interner&) = delete;
  string_interner& operator=(const string_interner&) = delete;
  string_interner(string_interner&&) = default;
  string_interner& operator=(string_interner&&) = default;

  std::uint32_t intern(std::string_view text) {
    if ((views_.size() + 1) * 2 > slots_.size()) grow();
    const std::uint64_t h = hash_of(text);
    for (std::size_t i = h >> shift_;; i = (i + 1) & (slots_.size() - 1)) {
      const std::uint64_t slot = slots_[i];
      if (!slot) {
        const auto id = static_cast<std::uint32_t>(views_.size());
        views_.push_back(strings_.emplace_back(text));  // a deque never moves its elements, so views (even SSO ones) stay valid
        slots_[i] = (h & 0xffffffff00000000ULL) | (std::uint64_t{id} + 1);
        return id;
      }
      if ((slot >> 32) == (h >> 32) && same_text(views_[id_in(slot)], text)) return id_in(slot);
    }
  }

  std::optional<std::uint32_t> find(std::string_view text) const {
    if (slots_.empty()) return std::nullopt;  // a moved-from interner
    const std::uint64_t h = hash_of(text);
    for (std::size_t i = h >> shift_;; i = (i + 1) & (slots_.size() - 1)) {
      const std::uint64_t slot = slots_[i];
      if (!slot) return std::nullopt;
      if ((slot >> 32) == (h >> 32) && same_text(views_[id_in(slot)], text)) return id_in(slot);
    }
  }

  std::string_view get(std::uint32_t id) const noexcept { return views_[id]; }
  // Whether id holds `text`: the check of a guessed id, cheaper than a lookup.
  bool holds(std::uint32_t id, std::string_view text) const noexcept { return same_text(views_[id], text); }
  std::size_t size() const noexcept { return views_.size(); }

  // Bytes held: the strings (with their heap beyond the inline buffer) and the index.
  std::size_t memory_bytes() const noexcept {
    std::size_t bytes = strings_.size() * sizeof(std::string) + views_.capacity() * sizeof(std::string_view) +
                        slots_.capacity() * sizeof(std::uint64_t);
    for (const std::string& text : strings_)
      if (text.capacity() > 15) bytes += text.capacity() + 1;
    return bytes;
  }

 private:
  static std::uint64_t hash_of(std::string_view text) noexcept { return text_hash(text); }
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

  std::deque<std::string> strings_;  // owns the texts
  std::vector<std::string_view> views_;  // by id
  std::vector<std::uint64_t> slots_;  // (hash top 32 bits << 32) | (id + 1); 0: empty
  unsigned shift_ = 64;
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
