#pragma once
// The operators of a random-access iterator over numbered rows, written once for the memory
// store's iterators (a column's values, a range's span_refs): `Derived` holds whatever it
// reads rows from and says how, `Value read(std::size_t row) const`; the base holds the row.

#include <compare>
#include <cstddef>
#include <iterator>

namespace trace {
inline namespace v0 {
namespace detail {

template <class Derived, class Value>
class row_iterator {
 public:
  using value_type = Value;
  using difference_type = std::ptrdiff_t;
  using iterator_concept = std::random_access_iterator_tag;

  Value operator*() const noexcept { return self().read(row_); }
  Value operator[](difference_type n) const noexcept { return self().read(moved(n)); }
  Derived& operator++() noexcept { ++row_; return self(); }
  Derived operator++(int) noexcept { Derived before = self(); ++row_; return before; }
  Derived& operator--() noexcept { --row_; return self(); }
  Derived operator--(int) noexcept { Derived before = self(); --row_; return before; }
  Derived& operator+=(difference_type n) noexcept { row_ = moved(n); return self(); }
  Derived& operator-=(difference_type n) noexcept { return *this += -n; }
  friend Derived operator+(Derived it, difference_type n) noexcept { return it += n; }
  friend Derived operator+(difference_type n, Derived it) noexcept { return it += n; }
  friend Derived operator-(Derived it, difference_type n) noexcept { return it -= n; }
  friend difference_type operator-(const Derived& a, const Derived& b) noexcept {
    return static_cast<difference_type>(a.row_) - static_cast<difference_type>(b.row_);
  }
  friend bool operator==(const Derived& a, const Derived& b) noexcept { return a.row_ == b.row_; }
  friend auto operator<=>(const Derived& a, const Derived& b) noexcept { return a.row_ <=> b.row_; }

 protected:
  row_iterator() = default;
  explicit row_iterator(std::size_t row) noexcept : row_(row) {}

 private:
  const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
  std::size_t moved(difference_type n) const noexcept { return static_cast<std::size_t>(static_cast<difference_type>(row_) + n); }

  std::size_t row_ = 0;
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
