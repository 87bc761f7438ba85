#pragma once
// The block: the unit of spans in the mmap store. A log record holds one block per batch; a
// sealed segment holds one block for the whole segment. Both are read by the same
// `block_view`, in place in the mapped file:
//
//   head      span/trace/string counts
//   zone map  min/max start, min/max duration, the set of service ids
//   strings   the strings this block adds to its segment's table (interned names)
//   index     the traces of the block, each with its run of rows (rows are grouped by trace)
//   columns   span id, parent, start, duration, trace ordinal, service, name, resource,
//             scope, extras end, status, kind: one array each, for scans
//   extras    the rest of each span (attributes, events, links, ...), see codec.hpp
//
// A sealed segment sorts its index by trace id so a lookup is a binary search.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trace/core/span.hpp"
#include "trace/store/mmap/append_only_list.hpp"
#include "trace/store/mmap/codec.hpp"
#include "trace/store/mmap/format.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

inline constexpr std::size_t block_head_size = 32;
inline constexpr std::size_t trace_entry_size = 24;  // id high u64, id low u64, first row u32, row count u32
inline constexpr std::size_t column_bytes_per_row = 4 * 8 + 6 * 4 + 2;

constexpr std::size_t columns_size(std::size_t rows) noexcept { return align8(rows * column_bytes_per_row); }

// One span as the encoder takes it: hot fields plus already-encoded rare parts.
struct row_input {
  trace_id trace;
  span_id id, parent;
  timestamp_ns start = 0;
  duration_ns duration = 0;
  std::string_view service, name, resource, scope, extras;
  status_code status = status_code::unset;
  span_kind kind = span_kind::unspecified;
};

struct transparent_string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

// The writer's side of a segment's string table: id 0 is the empty string.
class string_table_builder {
 public:
  std::uint32_t intern(std::string_view text) {
    if (text.empty()) return 0;
    if (auto found = ids_.find(text); found != ids_.end()) return found->second;
    auto id = next_++;
    auto [it, inserted] = ids_.emplace(std::string(text), id);
    added_.push_back(it->first);  // node-based map: the key never moves
    return id;
  }
  std::uint32_t next_id() const noexcept { return next_; }
  // Strings interned since the last call, in id order.
  std::vector<std::string_view> take_added() { return std::exchange(added_, {}); }
  // Forgets strings added by a block that was never written.
  void roll_back(std::uint32_t to) {
    for (auto it = ids_.begin(); it != ids_.end();) it = it->second >= to ? ids_.erase(it) : std::next(it);
    next_ = to;
    added_.clear();
  }

 private:
  std::unordered_map<std::string, std::uint32_t, transparent_string_hash, std::equal_to<>> ids_;
  std::vector<std::string_view> added_;
  std::uint32_t next_ = 1;
};

// Byte offsets, inside a block, where each region starts; the last entry is the block's end.
using region_bounds = std::array<std::size_t, block_region_count + 1>;

// Appends one block holding `rows` to `out` (which must be 8-aligned in its file).
// `sorted_index`: order traces by id (sealed) instead of first appearance (log).
inline region_bounds encode_block(std::string& out, const std::vector<row_input>& rows, string_table_builder& strings,
                                  bool sorted_index) {
  const std::size_t start = out.size();
  const auto n = static_cast<std::uint32_t>(rows.size());

  // Group rows by trace, keeping each trace's rows in input (or start) order.
  std::vector<std::uint32_t> ordinal_of_row(n);
  std::vector<trace_id> traces;
  if (sorted_index) {
    for (const row_input& r : rows) traces.push_back(r.trace);
    std::ranges::sort(traces);
    traces.erase(std::unique(traces.begin(), traces.end()), traces.end());
    for (std::uint32_t i = 0; i < n; ++i)
      ordinal_of_row[i] = static_cast<std::uint32_t>(std::ranges::lower_bound(traces, rows[i].trace) - traces.begin());
  } else {
    std::unordered_map<trace_id, std::uint32_t> ordinal;
    for (std::uint32_t i = 0; i < n; ++i) {
      auto [it, fresh] = ordinal.try_emplace(rows[i].trace, static_cast<std::uint32_t>(traces.size()));
      if (fresh) traces.push_back(rows[i].trace);
      ordinal_of_row[i] = it->second;
    }
  }
  std::vector<std::uint32_t> order(n);
  for (std::uint32_t i = 0; i < n; ++i) order[i] = i;
  std::ranges::stable_sort(order, [&](std::uint32_t a, std::uint32_t b) {
    if (ordinal_of_row[a] != ordinal_of_row[b]) return ordinal_of_row[a] < ordinal_of_row[b];
    return sorted_index && rows[a].start < rows[b].start;
  });

  struct interned { std::uint32_t service, name, resource, scope; };
  const std::uint32_t string_base = strings.next_id();
  std::vector<interned> ids(n);
  timestamp_ns min_start = std::numeric_limits<timestamp_ns>::max(), max_start = 0;
  duration_ns min_duration = std::numeric_limits<duration_ns>::max(), max_duration = 0;
  std::vector<std::uint32_t> services;
  std::size_t extras_bytes = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    const row_input& r = rows[order[i]];
    ids[i] = {strings.intern(r.service), strings.intern(r.name), strings.intern(r.resource), strings.intern(r.scope)};
    if (std::ranges::find(services, ids[i].service) == services.end()) services.push_back(ids[i].service);
    min_start = std::min(min_start, r.start);
    max_start = std::max(max_start, r.start);
    min_duration = std::min(min_duration, r.duration);
    max_duration = std::max(max_duration, r.duration);
    extras_bytes += r.extras.size();
  }
  if (extras_bytes > 0xffffffffu) throw error(errc::invalid_argument, "a block holds at most 4 GiB of span extras");
  std::ranges::sort(services);
  std::vector<std::string_view> added = strings.take_added();

  byte_writer w(out);
  region_bounds bounds{};
  bounds[0] = 0;
  std::size_t strings_bytes = 0;
  for (std::string_view s : added) strings_bytes += 4 + s.size();
  w.fixed(n);
  w.fixed(static_cast<std::uint32_t>(traces.size()));
  w.fixed(string_base);
  w.fixed(static_cast<std::uint32_t>(added.size()));
  w.fixed(static_cast<std::uint32_t>(align8(strings_bytes)));
  w.fixed(static_cast<std::uint32_t>(extras_bytes));
  w.fixed(static_cast<std::uint32_t>(services.size()));
  w.fixed(std::uint32_t{0});
  w.fixed(n ? min_start : timestamp_ns{0});
  w.fixed(max_start);
  w.fixed(n ? min_duration : duration_ns{0});
  w.fixed(max_duration);
  for (std::uint32_t id : services) w.fixed(id);
  w.pad_to(8);

  bounds[1] = out.size() - start;
  for (std::string_view s : added) {
    w.fixed(static_cast<std::uint32_t>(s.size()));
    out.append(s);
  }
  w.pad_to(8);

  bounds[2] = out.size() - start;
  for (std::uint32_t i = 0, ordinal = 0; ordinal < traces.size(); ++ordinal) {
    std::uint32_t first = i;
    while (i < n && ordinal_of_row[order[i]] == ordinal) ++i;
    w.fixed(traces[ordinal].high());
    w.fixed(traces[ordinal].low());
    w.fixed(first);
    w.fixed(i - first);
  }

  bounds[3] = out.size() - start;
  auto column = [&](auto get) {
    for (std::uint32_t i = 0; i < n; ++i) w.fixed(get(i));
  };
  column([&](std::uint32_t i) { return rows[order[i]].id.value(); });
  column([&](std::uint32_t i) { return rows[order[i]].parent.value(); });
  column([&](std::uint32_t i) { return std::uint64_t{rows[order[i]].start}; });
  column([&](std::uint32_t i) { return std::uint64_t{rows[order[i]].duration}; });
  column([&](std::uint32_t i) { return ordinal_of_row[order[i]]; });
  column([&](std::uint32_t i) { return ids[i].service; });
  column([&](std::uint32_t i) { return ids[i].name; });
  column([&](std::uint32_t i) { return ids[i].resource; });
  column([&](std::uint32_t i) { return ids[i].scope; });
  std::uint32_t extras_end = 0;
  column([&](std::uint32_t i) { return extras_end += static_cast<std::uint32_t>(rows[order[i]].extras.size()); });
  column([&](std::uint32_t i) { return static_cast<std::uint8_t>(rows[order[i]].status); });
  column([&](std::uint32_t i) { return static_cast<std::uint8_t>(rows[order[i]].kind); });
  w.pad_to(8);

  bounds[4] = out.size() - start;
  for (std::uint32_t i = 0; i < n; ++i) out.append(rows[order[i]].extras);
  w.pad_to(8);
  bounds[5] = out.size() - start;
  return bounds;
}

// A segment's string table as readers see it: id → bytes in the mapping.
using string_list = append_only_list<std::string_view>;

// A block read in place. `strings` is the table of the segment the block belongs to; the
// block's own strings are appended to it by `parse_block`.
class block_view {
 public:
  std::uint32_t rows() const noexcept { return rows_; }
  std::uint32_t trace_count() const noexcept { return traces_; }

  timestamp_ns min_start() const noexcept { return load<std::uint64_t>(zone_); }
  timestamp_ns max_start() const noexcept { return load<std::uint64_t>(zone_ + 8); }
  duration_ns min_duration() const noexcept { return load<std::uint64_t>(zone_ + 16); }
  duration_ns max_duration() const noexcept { return load<std::uint64_t>(zone_ + 24); }
  std::uint32_t service_count() const noexcept { return service_count_; }
  std::uint32_t service_at(std::uint32_t i) const noexcept { return load<std::uint32_t>(zone_ + 32 + 4 * i); }

  trace_id trace_at(std::uint32_t ordinal) const noexcept {
    const std::byte* entry = index_ + trace_entry_size * ordinal;
    return trace_id(load<std::uint64_t>(entry), load<std::uint64_t>(entry + 8));
  }
  std::uint32_t trace_first_row(std::uint32_t ordinal) const noexcept {
    return load<std::uint32_t>(index_ + trace_entry_size * ordinal + 16);
  }
  std::uint32_t trace_row_count(std::uint32_t ordinal) const noexcept {
    return load<std::uint32_t>(index_ + trace_entry_size * ordinal + 20);
  }
  // Ordinal of `id` in a block whose index is sorted, or trace_count() when absent.
  std::uint32_t find_sorted(const trace_id& id) const noexcept {
    std::uint32_t low = 0, high = traces_;
    while (low < high) {
      std::uint32_t mid = low + (high - low) / 2;
      if (trace_at(mid) < id) low = mid + 1;
      else high = mid;
    }
    return low < traces_ && trace_at(low) == id ? low : traces_;
  }

  span_id id_at(std::uint32_t row) const noexcept { return span_id(load<std::uint64_t>(col_ + 8 * row)); }
  span_id parent_at(std::uint32_t row) const noexcept { return span_id(load<std::uint64_t>(col_ + 8 * (rows_ + row))); }
  timestamp_ns start_at(std::uint32_t row) const noexcept { return load<std::uint64_t>(col_ + 8 * (2 * rows_ + row)); }
  duration_ns duration_at(std::uint32_t row) const noexcept { return load<std::uint64_t>(col_ + 8 * (3 * rows_ + row)); }
  std::uint32_t u32_column(std::uint32_t which, std::uint32_t row) const noexcept {
    return load<std::uint32_t>(col_ + 32 * rows_ + 4 * (which * rows_ + row));
  }
  std::uint32_t ordinal_at(std::uint32_t row) const noexcept { return u32_column(0, row); }
  trace_id trace_of_row(std::uint32_t row) const noexcept { return trace_at(ordinal_at(row)); }
  std::string_view service_at_row(std::uint32_t row) const noexcept { return string(u32_column(1, row)); }
  std::string_view name_at(std::uint32_t row) const noexcept { return string(u32_column(2, row)); }
  std::string_view resource_at(std::uint32_t row) const noexcept { return string(u32_column(3, row)); }
  std::string_view scope_at(std::uint32_t row) const noexcept { return string(u32_column(4, row)); }
  std::string_view extras_at(std::uint32_t row) const noexcept {
    std::uint32_t end = u32_column(5, row), begin = row ? u32_column(5, row - 1) : 0;
    return {reinterpret_cast<const char*>(extras_) + begin, end - begin};
  }
  status_code status_at(std::uint32_t row) const noexcept {
    return static_cast<status_code>(load<std::uint8_t>(col_ + 56 * rows_ + row));
  }
  span_kind kind_at(std::uint32_t row) const noexcept {
    return static_cast<span_kind>(load<std::uint8_t>(col_ + 57 * rows_ + row));
  }
  std::string_view string(std::uint32_t id) const noexcept { return (*strings_)[id]; }

  friend region_bounds parse_block(block_view&, const std::byte*, std::size_t, string_list&, const std::string&);

 private:
  const string_list* strings_ = nullptr;
  const std::byte* zone_ = nullptr;
  const std::byte* index_ = nullptr;
  const std::byte* col_ = nullptr;
  const std::byte* extras_ = nullptr;
  std::uint32_t rows_ = 0, traces_ = 0, service_count_ = 0;
};

// Where the regions of the block at [p, p + size) lie, from its head; nullopt when the head's
// counts do not add up to `size`.
inline std::optional<region_bounds> block_bounds(const std::byte* p, std::size_t size) {
  if (size < block_head_size + 32) return std::nullopt;
  auto head = [p](std::size_t i) { return std::size_t{load<std::uint32_t>(p + 4 * i)}; };
  const std::size_t n = head(0), traces = head(1), strings_bytes = head(4), extras_bytes = head(5), services = head(6);
  region_bounds bounds{};
  bounds[1] = align8(block_head_size + 32 + 4 * services);
  bounds[2] = bounds[1] + strings_bytes;
  bounds[3] = bounds[2] + trace_entry_size * traces;
  bounds[4] = bounds[3] + columns_size(n);
  bounds[5] = bounds[4] + align8(extras_bytes);
  if (bounds[5] != size || strings_bytes % 8 || traces > n || (n && !traces)) return std::nullopt;
  return bounds;
}

// Checks the structure of the block at [p, p + size) and points `view` into it; the block's
// strings are appended to `strings`. Throws `error(errc::corrupt_data)` prefixed by `where`.
inline region_bounds parse_block(block_view& view, const std::byte* p, std::size_t size, string_list& strings,
                                 const std::string& where) {
  auto fail = [&where](const std::string& problem) -> void { throw error(errc::corrupt_data, where + ": " + problem); };
  auto bounds_or_none = block_bounds(p, size);
  if (!bounds_or_none)
    fail("block head does not add up to its " + std::to_string(size) + " bytes");
  const region_bounds bounds = *bounds_or_none;
  auto head = [p](std::size_t i) { return load<std::uint32_t>(p + 4 * i); };
  const std::uint32_t n = head(0), traces = head(1), string_base = head(2), string_count = head(3),
                      extras_bytes = head(5), services = head(6);
  if (string_base != strings.size())
    fail("block starts its strings at id " + std::to_string(string_base) + " but the segment has " +
         std::to_string(strings.size()));
  const std::size_t strings_before = strings.size();
  try {
    byte_reader table(p + bounds[1], p + bounds[2], "string table");
    for (std::uint32_t i = 0; i < string_count; ++i) {
      auto length = table.fixed<std::uint32_t>();
      strings.push_back({reinterpret_cast<const char*>(table.take(length)), length});
    }
  } catch (const error& e) {
    strings.truncate(strings_before);
    fail(e.what());
  }

  view.strings_ = &strings;
  view.zone_ = p + block_head_size;
  view.index_ = p + bounds[2];
  view.col_ = p + bounds[3];
  view.extras_ = p + bounds[4];
  view.rows_ = n;
  view.traces_ = traces;
  view.service_count_ = services;

  // Every id must resolve, every run must tile the rows: then no accessor can leave the block.
  try {
    std::uint32_t expected_first = 0;
    for (std::uint32_t t = 0; t < traces; ++t) {
      if (view.trace_first_row(t) != expected_first || view.trace_row_count(t) == 0 || !view.trace_at(t).valid())
        fail("trace index entry " + std::to_string(t) + " is inconsistent");
      expected_first += view.trace_row_count(t);
    }
    if (expected_first != n) fail("trace index covers " + std::to_string(expected_first) + " of " + std::to_string(n) + " rows");
    for (std::uint32_t i = 0; i < services; ++i)
      if (view.service_at(i) >= strings.size()) fail("zone map names unknown service id");
    std::uint32_t previous_end = 0;
    for (std::uint32_t row = 0; row < n; ++row) {
      if (view.ordinal_at(row) >= traces || view.trace_first_row(view.ordinal_at(row)) > row ||
          row - view.trace_first_row(view.ordinal_at(row)) >= view.trace_row_count(view.ordinal_at(row)))
        fail("row " + std::to_string(row) + " is outside its trace's run");
      for (std::uint32_t which = 1; which <= 4; ++which)
        if (view.u32_column(which, row) >= strings.size()) fail("row " + std::to_string(row) + " names an unknown string");
      std::uint32_t end = view.u32_column(5, row);
      if (end < previous_end || end > extras_bytes) fail("row " + std::to_string(row) + " has extras out of bounds");
      previous_end = end;
      if (static_cast<std::uint8_t>(view.status_at(row)) > 2 || static_cast<std::uint8_t>(view.kind_at(row)) > 5)
        fail("row " + std::to_string(row) + " has an unknown status or kind");
      if (!view.id_at(row).valid()) fail("row " + std::to_string(row) + " has a zero span id");
    }
  } catch (...) {
    strings.truncate(strings_before);
    throw;
  }
  return bounds;
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
