#pragma once
// Maps low-cardinality strings (service and operation names, attribute keys) to dense
// 32-bit ids. Id 0 is the empty string. Views handed out stay valid for the interner's life.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace trace {
inline namespace v0 {
namespace detail {

class string_interner {
 public:
  string_interner() { intern_new(""); }

  // The index holds views into `strings_`: a copy would point into the original, while a
  // move carries the deque's elements (and so the views' targets) along.
  string_interner(const string_interner&) = delete;
  string_interner& operator=(const string_interner&) = delete;
  string_interner(string_interner&&) = default;
  string_interner& operator=(string_interner&&) = default;

  std::uint32_t intern(std::string_view text) {
    if (auto found = index_.find(text); found != index_.end()) return found->second;
    return intern_new(text);
  }

  std::optional<std::uint32_t> find(std::string_view text) const {
    if (auto found = index_.find(text); found != index_.end()) return found->second;
    return std::nullopt;
  }

  std::string_view get(std::uint32_t id) const noexcept { return strings_[id]; }
  std::size_t size() const noexcept { return strings_.size(); }

  // Bytes held: the strings (with their heap beyond the inline buffer), and the index's
  // buckets and nodes (a node: next pointer, view, id, cached hash).
  std::size_t memory_bytes() const noexcept {
    std::size_t bytes = strings_.size() * sizeof(std::string) + index_.bucket_count() * sizeof(void*) +
                        index_.size() * (sizeof(void*) + sizeof(std::string_view) + 2 * sizeof(std::size_t));
    for (const std::string& text : strings_)
      if (text.capacity() > 15) bytes += text.capacity() + 1;
    return bytes;
  }

 private:
  std::uint32_t intern_new(std::string_view text) {
    auto id = static_cast<std::uint32_t>(strings_.size());
    // A deque never moves its elements, so views into them (even SSO ones) stay valid.
    const std::string& stored = strings_.emplace_back(text);
    index_.emplace(std::string_view(stored), id);
    return id;
  }

  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, std::uint32_t> index_;
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
