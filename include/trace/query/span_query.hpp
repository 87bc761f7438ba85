#pragma once
// Span lists: a filter, an order, an offset and a limit, over any range of spans; and
// counts of matching spans, over a range or a whole store.

#include <algorithm>
#include <cstddef>
#include <limits>
#include <ranges>
#include <vector>

#include "trace/query/filter.hpp"
#include "trace/query/row_filter.hpp"  // the columnar stores' fast path
#include "trace/store/columnar_store.hpp"

namespace trace {
inline namespace v0 {

enum class span_order : std::uint8_t {
  none,                // input order
  start_ascending,     // oldest first
  start_descending,    // newest first
  duration_descending  // slowest first
};

struct span_query {
  filter where{};
  span_order order = span_order::none;
  std::size_t offset = 0;
  std::size_t limit = std::numeric_limits<std::size_t>::max();
};

template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
std::size_t count_matching(R&& spans, const filter& f) {
  std::size_t count = 0;
  for (auto&& s : spans) count += matches(f, s);
  return count;
}

// The request a store may answer itself through `push_down` (store/concepts.hpp).
struct count_request {
  const filter& where;
};

// Over a whole store: answered by the store when it pushes the request down; read from the
// blocks' columns for a `columnar_store` (row_filter.hpp); otherwise a scan.
template <span_store Store>
std::size_t count_matching(const Store& store, const filter& f) {
  if constexpr (requires { store.push_down(count_request{f}); }) {
    return store.push_down(count_request{f});
  } else if constexpr (columnar_store<Store>) {
    std::size_t count = 0;
    for_each_match(store, f, [&count](const auto&, std::uint32_t) { ++count; });
    return count;
  } else {
    return count_matching(store.scan(), f);
  }
}

// The matching spans (copies of the range's elements: for a store, cheap references), in
// the requested order, the page [offset, offset + limit). Ties keep input order.
template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
std::vector<std::ranges::range_value_t<R>> select_spans(R&& spans, const span_query& q) {
  using S = std::ranges::range_value_t<R>;
  std::vector<S> hits;
  const bool unordered = q.order == span_order::none;
  const std::size_t wanted = q.limit > std::numeric_limits<std::size_t>::max() - q.offset
                                 ? std::numeric_limits<std::size_t>::max()
                                 : q.offset + q.limit;
  for (auto&& s : spans) {
    if (unordered && hits.size() >= wanted) break;  // input order: stop at the page's end
    if (matches(q.where, s)) hits.push_back(s);
  }
  auto by = [&](auto key, bool descending) {
    std::ranges::stable_sort(hits, [&](const S& a, const S& b) {
      return descending ? key(b) < key(a) : key(a) < key(b);
    });
  };
  switch (q.order) {
    case span_order::none: break;
    case span_order::start_ascending: by([](const S& s) { return start_of(s); }, false); break;
    case span_order::start_descending: by([](const S& s) { return start_of(s); }, true); break;
    case span_order::duration_descending: by([](const S& s) { return duration_of(s); }, true); break;
  }
  if (q.offset >= hits.size()) return {};
  auto first = hits.begin() + static_cast<std::ptrdiff_t>(q.offset);
  auto last = hits.size() - q.offset > q.limit ? first + static_cast<std::ptrdiff_t>(q.limit) : hits.end();
  return std::vector<S>(std::make_move_iterator(first), std::make_move_iterator(last));
}

}  // namespace v0
}  // namespace trace
