#pragma once
// Attribute values (bool, int64, double, string and homogeneous arrays of those) and the
// small flat map that holds them on spans, resources, scopes, events and links.
//
// `String` is `std::string` for owning values and `std::string_view` for values that
// point into someone else's memory (a parse buffer, a store).

#include <charconv>
#include <cstdint>
#include <memory_resource>  // views' attributes in a decoder's arena
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace trace {
inline namespace v0 {

template <class String>
using basic_attribute_value =
    std::variant<bool, std::int64_t, double, String, std::vector<bool>, std::vector<std::int64_t>,
                 std::vector<double>, std::vector<String>>;

using attribute_value = basic_attribute_value<std::string>;

namespace detail {

inline void append_double(std::string& out, double value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);  // shortest round trip
  out.append(buffer, result.ptr);
}

template <class T>
void append_scalar(std::string& out, const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    out += value ? "true" : "false";
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    out += std::to_string(value);
  } else if constexpr (std::is_same_v<T, double>) {
    append_double(out, value);
  } else {
    out.append(std::string_view(value));
  }
}

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

}  // namespace detail

// The value's string form, as Jaeger compares tags: ints in decimal, doubles in shortest
// round-trip form ("72.5"), bools as true/false, arrays as "[a,b]".
template <class String>
std::string to_string(const basic_attribute_value<String>& value) {
  std::string out;
  std::visit(
      [&out](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (detail::is_vector<V>::value) {
          out += '[';
          bool first = true;
          for (const auto& item : v) {
            if (!first) out += ',';
            first = false;
            detail::append_scalar(out, static_cast<typename V::value_type>(item));
          }
          out += ']';
        } else {
          detail::append_scalar(out, v);
        }
      },
      value);
  return out;
}

// Equal type and equal value, across owning and viewing string types.
template <class A, class B>
bool same_value(const basic_attribute_value<A>& a, const basic_attribute_value<B>& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&b](const auto& left) -> bool {
        using L = std::decay_t<decltype(left)>;
        constexpr std::size_t index = [] {
          if constexpr (std::is_same_v<L, bool>) return 0;
          else if constexpr (std::is_same_v<L, std::int64_t>) return 1;
          else if constexpr (std::is_same_v<L, double>) return 2;
          else if constexpr (std::is_same_v<L, std::vector<bool>>) return 4;
          else if constexpr (std::is_same_v<L, std::vector<std::int64_t>>) return 5;
          else if constexpr (std::is_same_v<L, std::vector<double>>) return 6;
          else if constexpr (detail::is_vector<L>::value) return 7;
          else return 3;
        }();
        const auto& right = std::get<index>(b);
        if constexpr (index == 3) {
          return std::string_view(left) == std::string_view(right);
        } else if constexpr (index == 7) {
          if (left.size() != right.size()) return false;
          for (std::size_t i = 0; i < left.size(); ++i)
            if (std::string_view(left[i]) != std::string_view(right[i])) return false;
          return true;
        } else {
          return left == right;
        }
      },
      a);
}

// Converts between string types; to `std::string` it copies, to a view it borrows.
template <class To, class From>
basic_attribute_value<To> convert_value(const basic_attribute_value<From>& value) {
  return std::visit(
      [](const auto& v) -> basic_attribute_value<To> {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, From>) {
          return To(v);
        } else if constexpr (std::is_same_v<V, std::vector<From>>) {
          return std::vector<To>(v.begin(), v.end());
        } else {
          return v;
        }
      },
      value);
}

template <class String>
struct basic_attribute {
  String key{};
  basic_attribute_value<String> value{};

  friend bool operator==(const basic_attribute&, const basic_attribute&) = default;
};

// A flat map in insertion order: a span carries a handful of attributes, for which a
// linear search over one contiguous vector beats any node-based map.
//
// Views keep theirs in a `std::pmr::vector`, so that a decoder can place the attributes of
// every span of a request in one arena instead of allocating for each span
// (`otlp::proto::decode_request_views`). A view made without a resource allocates as a
// `std::vector` does; a copy always does; a move takes the source's resource along.
template <class String>
class basic_attributes {
  static constexpr bool is_view = std::is_same_v<String, std::string_view>;

 public:
  using value_type = basic_attribute<String>;
  using storage_type = std::conditional_t<is_view, std::pmr::vector<value_type>, std::vector<value_type>>;
  using const_iterator = typename storage_type::const_iterator;

  basic_attributes() = default;
  basic_attributes(std::initializer_list<value_type> items) {
    for (const auto& item : items) set(item.key, item.value);
  }
  // Views only: the items are allocated from `memory`, which must outlive them.
  explicit basic_attributes(std::pmr::memory_resource* memory)
    requires is_view
      : items_(memory) {}

  // Inserts or replaces.
  void set(String key, basic_attribute_value<String> value) {
    for (auto& item : items_) {
      if (std::string_view(item.key) == std::string_view(key)) {
        item.value = std::move(value);
        return;
      }
    }
    items_.push_back({std::move(key), std::move(value)});
  }

  const basic_attribute_value<String>* find(std::string_view key) const noexcept {
    for (const auto& item : items_)
      if (std::string_view(item.key) == key) return &item.value;
    return nullptr;
  }

  bool erase(std::string_view key) {
    for (auto it = items_.begin(); it != items_.end(); ++it) {
      if (std::string_view(it->key) == key) {
        items_.erase(it);
        return true;
      }
    }
    return false;
  }

  // Where the items are allocated (for views, a `std::pmr::polymorphic_allocator`).
  typename storage_type::allocator_type get_allocator() const noexcept { return items_.get_allocator(); }
  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  void reserve(std::size_t n) { items_.reserve(n); }
  const_iterator begin() const noexcept { return items_.begin(); }
  const_iterator end() const noexcept { return items_.end(); }

  friend bool operator==(const basic_attributes&, const basic_attributes&) = default;

 private:
  storage_type items_;
};

using attributes = basic_attributes<std::string>;

}  // namespace v0
}  // namespace trace
