#pragma once
// How the memory store lays out one row's span attributes in its attribute arena, in 8-byte
// words: the row's `attribute_slot`s (interned key, interned short text), then a kind byte
// per attribute, then one payload word for each attribute that is not a short text (the
// slot's text id is the whole value of those):
//
//   [slot 0] ... [slot n-1] [kinds, 8 a word] [payload] ...
//
// A row with `long_row` or more attributes has one more word in front, holding its count,
// so that the per-row count column stays one byte.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include "trace/store/column_block.hpp"  // attribute_slot

namespace trace {
inline namespace v0 {
namespace detail {

// What a payload word holds.
enum class stored_value_kind : std::uint8_t {
  boolean,     // 0 or 1
  integer,     // the int64's bits
  real,        // the double's bits
  short_text,  // no payload: the slot's text id
  long_text,   // position of [u32 length][bytes] in the store's text arena
  array        // index into the store's arrays
};

struct attribute_record {
  static constexpr std::uint32_t long_row = 255;  // the count column's escape value

  // Words taken by a row of `count` attributes of which `payloads` need a payload word.
  static constexpr std::size_t words(std::size_t count, std::size_t payloads) noexcept {
    return (count >= long_row) + count + (count + 7) / 8 + payloads;
  }

  // Writes the header (if any) at `at` and returns where the slots begin.
  static std::uint64_t* start(std::uint64_t* at, std::size_t count) noexcept {
    if (count < long_row) return at;
    *at = count;
    return at + 1;
  }

  // The parts of a row whose slots begin at `slots`.
  static const std::uint8_t* kinds(const std::uint64_t* slots, std::size_t count) noexcept {
    return reinterpret_cast<const std::uint8_t*>(slots + count);
  }
  static const std::uint64_t* payloads(const std::uint64_t* slots, std::size_t count) noexcept {
    return slots + count + (count + 7) / 8;
  }

  // The payload word of attribute `i`: one per earlier attribute that has one.
  static std::uint64_t payload(const std::uint64_t* slots, std::size_t count, std::size_t i) noexcept {
    const std::uint8_t* k = kinds(slots, count);
    std::size_t before = 0;
    for (std::size_t j = 0; j < i; ++j) before += k[j] != static_cast<std::uint8_t>(stored_value_kind::short_text);
    return payloads(slots, count)[before];
  }

  // The count of a long row, from the word before its slots.
  static std::size_t long_count(const std::uint64_t* slots) noexcept { return static_cast<std::size_t>(slots[-1]); }
};

static_assert(sizeof(attribute_slot) == sizeof(std::uint64_t) && alignof(attribute_slot) <= alignof(std::uint64_t));

// Payload words of the scalar kinds.
inline std::uint64_t payload_of(double value) noexcept { return std::bit_cast<std::uint64_t>(value); }
inline std::uint64_t payload_of(std::int64_t value) noexcept { return static_cast<std::uint64_t>(value); }

}  // namespace detail
}  // namespace v0
}  // namespace trace
