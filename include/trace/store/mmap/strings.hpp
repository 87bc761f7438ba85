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

class string_table_builder {
 public:
  std::uint32_t intern(std::string_view text) {
    if (text.empty()) return 0;
    if (auto found = ids_.find(text); found != ids_.end()) return found->second;
    auto id = next_++;
    auto [it, inserted] = ids_.emplace(std::string(text), id);
    added_.push_back(it->first);  // node-based map: the key never moves
    return id;
  }
  std::uint32_t next_id() const noexcept { return next_; }
  // Strings interned since the last call, in id order.
  std::vector<std::string_view> take_added() { return std::exchange(added_, {}); }
  // Forgets strings added by a block that was never written.
  void roll_back(std::uint32_t to) {
    for (auto it = ids_.begin(); it != ids_.end();) it = it->second >= to ? ids_.erase(it) : std::next(it);
    next_ = to;
    added_.clear();
  }

 private:
  std::unordered_map<std::string, std::uint32_t, transparent_string_hash, std::equal_to<>> ids_;
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
