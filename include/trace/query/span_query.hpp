#pragma once
// Span lists (flujo's get_spans, MPLP's filtered and paginated queries): a filter, an
// order, an offset and a limit, over any range of spans.

#include <algorithm>
#include <cstddef>
#include <limits>
#include <ranges>
#include <vector>

#include "trace/query/filter.hpp"
#include "trace/query/row_filter.hpp"  // the memory store's fast path
#include "trace/store/concepts.hpp"

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

// Over a whole store. A store may offer `prepare_rows(store, filter)` (found by argument-
// dependent lookup): an object whose `for_each_match(f)` calls `f(row)` for each matching
// row, reading the store's columns directly; `store.at(row)` then gives the span.
// Otherwise this scans.
template <span_store Store>
std::size_t count_matching(const Store& store, const filter& f) {
  if constexpr (requires { prepare_rows(store, f); }) {
    std::size_t count = 0;
    prepare_rows(store, f).for_each_match([&count](std::uint32_t) { ++count; });
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
