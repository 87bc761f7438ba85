#pragma once
// `columnar_store`: a `span_store` that also hands out its spans as `column_block`s. Every
// whole-store query and analysis (count_matching, find_trace_ids, group_spans, summarize)
// reads the blocks of such a store column by column instead of span by span; a store of
// your own gets those fast paths by modelling this concept (tests/unit-columnar-store.cpp
// shows a small one).

#include <ranges>
#include <type_traits>

#include "trace/store/column_block.hpp"
#include "trace/store/concepts.hpp"

namespace trace {
inline namespace v0 {

// Syntactic requirements, for a store `s` that is a `span_store`:
//   s.blocks()   an input range of `column_block`s.
// Semantic requirements: the blocks hold every span of `s.scan()` once, in no set order; the
// range (and the blocks it yields) stays valid as `s.scan()`'s range would, and shows the
// store as of the call (a store written concurrently shows a consistent prefix).
// Not required: any number of blocks (one for the whole store is fine); a block size.
template <class S>
concept columnar_store = span_store<S> && requires(const S& s) {
  { s.blocks() } -> std::ranges::input_range;
  requires column_block<std::remove_cvref_t<std::ranges::range_reference_t<decltype(s.blocks())>>>;
};

}  // namespace v0
}  // namespace trace
