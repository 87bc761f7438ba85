#pragma once
// A fixed-size chunk of the memory store's rows, column by column: one allocation that is
// never resized, so the store grows by adding chunks and never copies a stored row. The
// chunk is also the unit the store hands out as a `column_block`, with its own zone map
// (start and duration bounds, the services present) so that scans can skip it.

#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "trace/core/span.hpp"
#include "trace/store/column_block.hpp"  // block_bounds
#include "trace/store/text_postings.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

struct row_chunk {
  static constexpr unsigned shift = 13;
  static constexpr std::uint32_t capacity = std::uint32_t{1} << shift;  // rows
  static constexpr std::uint16_t flags_elsewhere = 0xffff;  // the row's flags are in its extras

  // Columns, `rows` entries used. Left uninitialised (the chunk is made for overwrite):
  // a chunk's pages take RAM only as its rows are written.
  std::uint32_t trace_numbers[capacity];  // into the store's trace table
  std::uint64_t ids[capacity];
  std::uint64_t parents[capacity];
  timestamp_ns starts[capacity];
  duration_ns durations[capacity];
  std::uint32_t services[capacity];  // string ids
  std::uint32_t names[capacity];     // string ids
  status_code statuses[capacity];
  span_kind kinds[capacity];
  std::uint16_t flags[capacity];  // OTLP span flags, or flags_elsewhere
  std::uint32_t resources[capacity];
  std::uint32_t scopes[capacity];
  std::uint32_t next_in_trace[capacity];        // the trace's next row (a store row), or none
  std::uint32_t attribute_positions[capacity];  // in the store's attribute arena
  std::uint8_t attribute_counts[capacity];      // attribute_record::long_row: counted in the arena

  // Which rows carry extras (a bit each), and how many rows of the store before each word's
  // first row do: a row's extras are found by a popcount, without a 4-byte column.
  std::array<std::uint64_t, capacity / 64> has_extras{};
  std::array<std::uint32_t, capacity / 64> extras_before{};

  std::uint32_t rows = 0;
  bool has_event_or_link_attributes = false;
  trace::block_bounds bounds{std::numeric_limits<timestamp_ns>::max(), 0, std::numeric_limits<duration_ns>::max(), 0};
  std::vector<std::uint32_t> service_ids;  // distinct, in order of appearance
  std::vector<bool> has_service;           // by string id

  // What queries build over the chunk's rows when they first need it, and bring up to date
  // after appends: the text index, and a column per attribute key tested for equality with
  // a short text (each row's text id for that key; see column_block.hpp).
  struct key_column {
    std::uint32_t key = 0;
    std::uint32_t rows = 0;  // rows filled
    std::unique_ptr<std::uint32_t[]> texts;
  };
  struct query_state {
    std::mutex mutex;  // readers that find a structure behind the rows take turns bringing it up
    text_postings index;
    std::vector<key_column> key_columns;
  };
  std::unique_ptr<query_state> built = std::make_unique<query_state>();

  // The index of row `i`'s extras in the store's list, or -1 when it has none.
  std::int64_t extras_index(std::uint32_t i) const noexcept {
    const std::uint64_t word = has_extras[i / 64], bit = std::uint64_t{1} << (i % 64);
    if (!(word & bit)) return -1;
    return extras_before[i / 64] + std::popcount(word & (bit - 1));
  }

  void note_service(std::uint32_t id) {
    if (id >= has_service.size()) has_service.resize(id + 1, false);
    if (has_service[id]) return;
    has_service[id] = true;
    service_ids.push_back(id);
  }

  void note_times(timestamp_ns start, duration_ns duration) noexcept {
    if (start < bounds.min_start) bounds.min_start = start;
    if (start > bounds.max_start) bounds.max_start = start;
    if (duration < bounds.min_duration) bounds.min_duration = duration;
    if (duration > bounds.max_duration) bounds.max_duration = duration;
  }
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
