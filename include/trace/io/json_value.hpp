#pragma once
// A JSON document tree: null, bool, exact 64-bit integers (signed and unsigned), doubles,
// strings, arrays and objects whose members keep document order. Each value remembers the
// byte offset where it began in the parsed text, so that a reader built on top can say
// where a bad field is.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace trace {
inline namespace v0 {
namespace json {

class value;
struct member;
using array = std::vector<value>;
using object = std::vector<member>;  // document order; duplicate keys are kept

enum class kind : std::uint8_t { null, boolean, signed_integer, unsigned_integer, number, string, array, object };

constexpr std::string_view to_string(kind k) noexcept {
  switch (k) {
    case kind::null: return "null";
    case kind::boolean: return "a boolean";
    case kind::signed_integer:
    case kind::unsigned_integer: return "an integer";
    case kind::number: return "a number";
    case kind::string: return "a string";
    case kind::array: return "an array";
    case kind::object: return "an object";
  }
  return "a value";
}

class value {
 public:
  // Variant order matches `kind`.
  using storage = std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, array, object>;

  // Constructors are defined below `member`, which the containers need complete.
  value() noexcept;
  value(std::nullptr_t) noexcept;
  value(bool b) noexcept;
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  value(I i) noexcept;
  value(double d) noexcept;
  value(std::string s) noexcept;
  value(std::string_view s);
  value(const char* s);
  value(array a) noexcept;
  value(object o) noexcept;

  kind type() const noexcept { return static_cast<kind>(data_.index()); }
  bool is_null() const noexcept { return type() == kind::null; }
  bool is_integer() const noexcept { return type() == kind::signed_integer || type() == kind::unsigned_integer; }

  template <class T>
  const T* get_if() const noexcept { return std::get_if<T>(&data_); }
  template <class T>
  T* get_if() noexcept { return std::get_if<T>(&data_); }
  const storage& data() const noexcept { return data_; }

  // The first member named `key` of an object; nullptr when absent or not an object.
  const value* find(std::string_view key) const noexcept;

  // Byte offset of the value's first character in the parsed text (0 for built values).
  std::size_t offset() const noexcept { return offset_; }
  void set_offset(std::size_t offset) noexcept { offset_ = offset; }

  // Compares content only, not where it came from.
  friend bool operator==(const value& a, const value& b);

 private:
  storage data_;  // no initializer here: clang would need `member` complete
  std::size_t offset_ = 0;
};

struct member {
  std::string key;
  value val;

  friend bool operator==(const member&, const member&) = default;
};

inline value::value() noexcept = default;
inline value::value(std::nullptr_t) noexcept {}
inline value::value(bool b) noexcept : data_(b) {}
template <std::integral I>
  requires(!std::same_as<I, bool>)
value::value(I i) noexcept {
  if constexpr (std::is_signed_v<I>)
    data_ = static_cast<std::int64_t>(i);
  else if (static_cast<std::uint64_t>(i) <= static_cast<std::uint64_t>(INT64_MAX))
    data_ = static_cast<std::int64_t>(i);  // one form per integer, so equal numbers compare equal
  else
    data_ = static_cast<std::uint64_t>(i);
}
inline value::value(double d) noexcept : data_(d) {}
inline value::value(std::string s) noexcept : data_(std::move(s)) {}
inline value::value(std::string_view s) : data_(std::string(s)) {}
inline value::value(const char* s) : data_(std::string(s)) {}
inline value::value(array a) noexcept : data_(std::move(a)) {}
inline value::value(object o) noexcept : data_(std::move(o)) {}
inline bool operator==(const value& a, const value& b) { return a.data_ == b.data_; }

inline const value* value::find(std::string_view key) const noexcept {
  if (const auto* members = get_if<object>())
    for (const auto& m : *members)
      if (m.key == key) return &m.val;
  return nullptr;
}

}  // namespace json
}  // namespace v0
}  // namespace trace
