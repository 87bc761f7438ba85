#pragma once
// The storage concept every backend models (in-memory, memory-mapped, remote), so that
// algorithms and tools are written once against it.

#include <concepts>
#include <cstddef>
#include <ranges>
#include <vector>

#include "trace/core/span.hpp"
#include "trace/core/span_traits.hpp"
#include "trace/core/validate.hpp"  // validate_batch, which every append runs first

namespace trace {
inline namespace v0 {

// `span_store`: a place that takes batches of spans and gives them back.
//
// Syntactic requirements, for a store `s`:
//   s.append(batch)     batch: a `std::ranges::forward_range` of `basic_span<String>` for
//                       any string type (a `std::vector<span>`, a `std::span<const
//                       span_view>`, ...); every store takes exactly that, and may read the
//                       batch more than once (`validate_batch` first, then to store).
//                       All or nothing: an invalid span refuses the batch with
//                       `trace::error` naming it, and the store is left unchanged.
//   s.size()            number of spans held.
//   s.scan()            an input range over every span, whose elements are `span_like`.
//   s.find_trace(id)    the spans of one trace, `span_like`, gathered eagerly by the call:
//                       a sized range (empty for an unknown id).
// Semantic requirements: `find_trace` does not scan the store (an index makes it
// proportional to the trace's own size); a span appended is visible to the next scan and
// lookup. Ranges and the views they yield stay valid until the next append. A store's own
// span type has the members of stored_span.hpp and reads through `stored_span_traits`.
// Not required: any order of spans in a scan; thread safety (each store documents its own).
template <class S>
concept span_store = requires(S& store, const S& cstore, const std::vector<span>& batch, const trace_id& id) {
  store.append(batch);
  { cstore.size() } -> std::convertible_to<std::size_t>;
  { cstore.scan() } -> std::ranges::input_range;
  { cstore.find_trace(id) } -> std::ranges::sized_range;
  requires span_like<std::ranges::range_value_t<decltype(cstore.scan())>>;
  requires span_like<std::ranges::range_value_t<decltype(cstore.find_trace(id))>>;
};

// Customisation points: what a store may offer beyond `span_store`, each found by its
// member name and used when present, so every algorithm has one fast path per mechanism:
//
//   s.blocks()          the store's spans as column blocks: the store is a `columnar_store`
//                       (columnar_store.hpp, column_block.hpp), and count_matching,
//                       find_trace_ids, group_spans, summarize read its columns.
//   s.push_down(req)    the store answers a whole-store request itself (a database, in its
//                       query language) and returns the answer the algorithm would give:
//                         count_request{where}           -> std::size_t  (query/span_query.hpp)
//                         group_request{options, where}  -> group_page   (analytics/store_group_by.hpp)
//                       A store that cannot answer a request exactly either computes it
//                       itself or refuses it with `trace::error`; it is never approximate.
//   s.trace_count()     the number of distinct traces, when the store keeps it (summarize).
//
// The element type a store's scan yields.
template <span_store S>
using store_span_t = std::ranges::range_value_t<decltype(std::declval<const S&>().scan())>;

}  // namespace v0
}  // namespace trace
