#pragma once
// What a store indexes in each segment it seals: one `indexed_tag` per index, as index rules
// (trace/store/index_rule.hpp) ask for them; tag_index.hpp builds and reads the indexes.

#include <cstdint>
#include <string>

namespace trace {
inline namespace v0 {

// How an index rule indexes its tag: `inverted` answers equality (and `in`, a union of
// equalities) on strings, ints and bools; `sorted` (BanyanDB's tree) also answers ranges on
// numbers and timestamps.
enum class index_kind : std::uint8_t { inverted = 1, sorted = 2 };

// Where an index reads a span's values: attributes named `key` (of the span, its resource,
// scope, events and links: a test on any of those scopes can use it), or one of the span's
// own fields: its start time, service, operation name, status code or kind (the last two
// as their numbers, 0-2 and 0-5, as OTLP numbers them).
enum class indexed_field : std::uint8_t { attribute = 1, start = 2, service = 3, name = 4, status = 5, kind = 6 };
enum class indexed_type : std::uint8_t { string = 1, int64 = 2, double_ = 3, bool_ = 4 };

// One tag index of a sealed segment, as a store builds it from an index rule (index_rule.hpp).
struct indexed_tag {
  indexed_field field = indexed_field::attribute;
  std::string key;  // the attribute name (empty for the span's own fields)
  indexed_type type = indexed_type::string;
  index_kind kind = index_kind::inverted;
  friend bool operator==(const indexed_tag&, const indexed_tag&) = default;
};

}  // namespace v0
}  // namespace trace
