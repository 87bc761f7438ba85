#pragma once
// `column_block`: a block of stored rows readable column by column. Stores that keep their
// spans in columns hand out such blocks (see columnar_store.hpp), and the whole-store fast
// paths of query/ and analytics/ (the row filter, count_matching, find_trace_ids,
// group_spans, summarize) are written once against this concept.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "trace/core/span.hpp"
#include "trace/core/span_traits.hpp"

namespace trace {
inline namespace v0 {

// What every row of a block lies within: a filter that cannot match inside these bounds
// skips the block without reading a row (a zone map).
struct block_bounds {
  timestamp_ns min_start = 0, max_start = std::numeric_limits<timestamp_ns>::max();
  duration_ns min_duration = 0, max_duration = std::numeric_limits<duration_ns>::max();
};

// One span attribute of a row as a block may offer it for fast tests: the interned key, and
// the interned text of a short string value (`no_text` for other values and long strings).
struct attribute_slot {
  static constexpr std::uint32_t no_text = 0xffffffffu;
  static constexpr std::uint32_t other_value = 0xfffffffeu;  // in a key's text column: a value that is not a short text
  std::uint32_t key = 0;
  std::uint32_t text = no_text;
};

// A column of string ids stored in as few bytes as its largest id needs: row r's id is the
// `width` (1 to 4) little-endian bytes at `data + width * r`, and 4 bytes may be loaded at
// any row. A test of one id can then run a loop made for the width, which vectorizes.
struct packed_ids {
  const std::byte* data = nullptr;
  std::uint32_t width = 4;
};

// Syntactic requirements, for a block `b`, a row `r` in [0, b.rows()) and a string id `i`:
//   b.rows()                    the number of rows.
//   b.trace(r), b.start(r), b.duration(r), b.status(r), b.kind(r)
//                               the row's trace id, start, duration, status code and kind.
//   b.service_id(r), b.name_id(r)
//                               the row's service and operation name as string ids below
//                               b.string_count(); b.string(i) is the text of id i.
//   b.span(r)                   the row as the store's stored span (`span_like`), for the
//                               tests that have no column (attributes, text, regexes).
//   b.bounds()                  `block_bounds` holding every row's start and duration.
//   b.service_count(), b.service_at(k)
//                               the distinct service ids of the block, k < service_count().
// Semantic requirements: ids are scoped to the block (two blocks may give one text different
// ids, or one id different texts), unless the block says otherwise (`B::shared_strings`
// below); within a block one text has one id, so equal ids mean equal texts and different
// ids different texts. Reading is const, O(1) per call, and does
// not allocate; a block stays valid as long as the range that handed it out.
// Optional members, used when present (a fast path falls back to `b.span(r)` otherwise):
//   B::shared_strings           a constant true when every block of one `blocks()` range reads
//                               its ids from one table: an id names the same text in all of
//                               them (string_count() may grow from block to block). Lets a
//                               whole-store query key on ids without reading a text per block.
//   b.string_table()            a pointer naming the block's string table: blocks that give
//                               the same one read their ids from it, as with shared_strings.
//   b.find_string(text)         std::optional<std::uint32_t>: the id of a text, none when no
//                               row of the block carries it.
//   b.attribute_slots(r), b.attribute_values(r)
//                               the row's span attributes as `attribute_slot`s, and their
//                               values in the same order; B::short_text: the longest string
//                               value given a text id.
//   b.resource_id(r), b.scope_id(r), b.resources(), b.scopes()
//                               interned resources and scopes: the row's index into the
//                               block's distinct `resource`s / `scope`s.
//   b.visit_event_and_link_attributes(r, f)
//                               f(where, key, value) over the row's event and link
//                               attributes; true when f stopped.
//   b.prefetch_attributes(r)    a hint that the row's attribute slots will be read soon.
//   b.attribute_text_column(k)  const std::uint32_t*: for span attribute key id k, each row's
//                               value as a short text id, attribute_slot::no_text where the
//                               row lacks the key, other_value where its value is not a short
//                               text; nullptr when the block has none. Valid as the block is.
//   b.has_event_or_link_attributes()
//                               false when no row of the block has an event or link attribute.
//   b.service_ids(), b.name_ids()
//                               `packed_ids`: the service and name id columns as stored.
//   b.name_count(), b.name_at(k)
//                               the distinct name ids of the block, k < name_count().
//   b.distinct_trace_count(), b.distinct_trace_at(k)
//                               each trace id of the block once (a trace index).
// Not required: any order of rows; rows of one trace next to each other.
template <class B>
concept column_block = requires(const B& b, std::uint32_t row, std::uint32_t id) {
  { b.rows() } -> std::convertible_to<std::uint32_t>;
  { b.trace(row) } -> std::convertible_to<trace_id>;
  { b.start(row) } -> std::convertible_to<timestamp_ns>;
  { b.duration(row) } -> std::convertible_to<duration_ns>;
  { b.status(row) } -> std::same_as<status_code>;
  { b.kind(row) } -> std::same_as<span_kind>;
  { b.service_id(row) } -> std::convertible_to<std::uint32_t>;
  { b.name_id(row) } -> std::convertible_to<std::uint32_t>;
  { b.string_count() } -> std::convertible_to<std::uint32_t>;
  { b.string(id) } -> std::convertible_to<std::string_view>;
  { b.bounds() } -> std::convertible_to<block_bounds>;
  { b.service_count() } -> std::convertible_to<std::uint32_t>;
  { b.service_at(id) } -> std::convertible_to<std::uint32_t>;
  b.span(row);
  requires span_like<std::remove_cvref_t<decltype(b.span(row))>>;
};

}  // namespace v0
}  // namespace trace
