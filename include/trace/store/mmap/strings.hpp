#pragma once
// A segment's string table. Id 0 is the empty string; blocks append to the table in order.
// It holds the service and operation names, the encoded resources and scopes, and, in a
// sealed segment, the short strings of the span extras (attribute keys and values, event
// names, ...), which the extras then name by id ("refs", see codec.hpp).
//
//   string_table_builder  the writer's side: interns a string, giving it an id
//   string_list           the readers' side: id → bytes in the mapping
//   string_refs           the ids one block may name (those below the end of its own strings)

#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "trace/store/mmap/append_only_list.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

// Sealing interns extras strings up to this many bytes. Longer ones (stack traces, SQL,
// payloads) are nearly always unique: interning them would only grow the table and cost a
// hash of every byte, so they stay inline.
inline constexpr std::size_t max_interned_extras_text = 64;

struct transparent_string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

// Interning is on the write path of every span (its names in the log; the extras' short
// strings and the names again when sealing), so the table is open-addressed: a probe reads
// one slot holding the text's hash and id, and the text is compared only when the hashes
// match, instead of hashing with std::hash and chasing a node per lookup.
class string_table_builder {
 public:
  std::uint32_t intern(std::string_view text) {
    if (text.empty()) return 0;
    if (2 * (texts_.size() + 1) > slots_.size()) grow();
    const std::uint64_t hash = hash_text(text);
    for (std::size_t i = hash & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      slot& s = slots_[i];
      if (s.id == 0) {
        texts_.emplace_back(text);
        s = {hash, next_};
        added_.push_back(texts_.back());  // a deque never moves its elements
        return next_++;
      }
      if (s.hash == hash && texts_[s.id - 1] == text) return s.id;
    }
  }
  std::uint32_t next_id() const noexcept { return next_; }
  // Strings interned since the last call, in id order.
  std::vector<std::string_view> take_added() { return std::exchange(added_, {}); }
  // Forgets strings added by a block that was never written.
  void roll_back(std::uint32_t to) {
    texts_.resize(to - 1);
    next_ = to;
    added_.clear();
    rehash(slots_.size());
  }

 private:
  struct slot {
    std::uint64_t hash = 0;
    std::uint32_t id = 0;  // 0: empty
  };
  // A multiply-and-shift mix of 8 bytes at a time: the texts are short (names, keys, values
  // of at most max_interned_extras_text bytes), where std::hash's setup dominates.
  static std::uint64_t hash_text(std::string_view text) noexcept {
    auto mix = [](std::uint64_t h, std::uint64_t word) {
      h = (h ^ word) * 0xbf58476d1ce4e5b9u;
      return h ^ (h >> 31);
    };
    std::uint64_t h = 0x9e3779b97f4a7c15u * (text.size() + 1);
    std::size_t at = 0;
    for (; at + 8 <= text.size(); at += 8) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + at, 8);
      h = mix(h, word);
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, text.data() + at, text.size() - at);
    h = mix(h, tail) * 0x94d049bb133111ebu;
    return h ^ (h >> 29);
  }
  void grow() { rehash(slots_.empty() ? 64 : 2 * slots_.size()); }
  void rehash(std::size_t size) {
    slots_.assign(size, slot{});
    for (std::uint32_t id = 1; id <= texts_.size(); ++id) {
      const std::uint64_t hash = hash_text(texts_[id - 1]);
      std::size_t i = hash & (size - 1);
      while (slots_[i].id) i = (i + 1) & (size - 1);
      slots_[i] = {hash, id};
    }
  }

  std::vector<slot> slots_;     // a power of two, at most half full
  std::deque<std::string> texts_;  // by id - 1
  std::vector<std::string_view> added_;
  std::uint32_t next_ = 1;
};

using string_list = append_only_list<std::string_view>;

// The strings a block's extras may name: ids below `end` of `table`. Default: none, for
// bytes that hold inline strings only (resources and scopes).
struct string_refs {
  const string_list* table = nullptr;
  std::uint32_t end = 0;
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
