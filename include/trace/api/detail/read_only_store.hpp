#pragma once
// The query routes only read. They take a whole store (a `span_store`) or a read view of one
// that has the reading half of the concept only, such as `mmap_store::reader` (one
// consistent view per request while a writer appends): `readable_store`. A view is wrapped
// in `read_only_store`, which models `span_store` by refusing appends, so that the library's
// algorithms (trace search, its columnar fast path) run on it unchanged.

#include <concepts>
#include <cstddef>
#include <ranges>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/span.hpp"
#include "trace/store/columnar_store.hpp"

namespace trace {
inline namespace v0 {
namespace api {

// `readable_store`: size(), scan() and find_trace(id) as `span_store` defines them.
template <class S>
concept readable_store = requires(const S& cstore, const trace_id& id) {
  { cstore.size() } -> std::convertible_to<std::size_t>;
  { cstore.scan() } -> std::ranges::input_range;
  { cstore.find_trace(id) } -> std::ranges::sized_range;
  requires span_like<std::ranges::range_value_t<decltype(cstore.scan())>>;
  requires span_like<std::ranges::range_value_t<decltype(cstore.find_trace(id))>>;
};

namespace detail {

template <readable_store View>
class read_only_store {
 public:
  explicit read_only_store(const View& view) noexcept : view_(&view) {}

  template <class R>
  [[noreturn]] void append(const R&) {
    throw error(errc::invalid_argument, "the query routes read a store; they do not append to it");
  }
  std::size_t size() const { return view_->size(); }
  auto scan() const { return view_->scan(); }
  auto find_trace(const trace_id& id) const { return view_->find_trace(id); }
  auto blocks() const
    requires requires(const View& v) { v.blocks(); }
  {
    return view_->blocks();
  }

 private:
  const View* view_;
};

// `f(store)` with a `span_store`: the store itself, or a view wrapped.
template <readable_store S, class F>
decltype(auto) with_span_store(const S& store, F&& f) {
  if constexpr (span_store<S>) return f(store);
  else return f(read_only_store<S>(store));
}

}  // namespace detail
}  // namespace api
}  // namespace v0
}  // namespace trace
