#pragma once
// The block: the unit of spans in the mmap store. A log record holds one block per batch; a
// sealed segment holds one block for the whole segment. Both are read by the same
// `block_view`, in place in the mapped file:
//
//   head      span/trace/string counts, the widths of the packed columns
//   zone map  min/max start, min/max duration, the set of service ids; from version 7 the
//             parent column's width and the count of foreign parents
//   strings   the strings this block adds to its segment's table (interned names)
//   index     the traces of the block, each with its run of rows (rows are grouped by trace)
//   columns   span id, start, duration, trace ordinal, service, name, resource, scope,
//             extras end, parent, status and kind: one array each, for scans; all but the
//             span ids, status and kind in the fewest bytes that hold the block's largest
//             value; then the foreign parents (version 7 on, see `parent_code`)
//   extras    the rest of each span (attributes, events, links, ...), see codec.hpp
//
// Versions 2 to 6 store the parent as a u64 after the span id, and status and kind in a
// byte each; `block_view` reads both layouts.
//
// A sealed segment sorts its index by trace id so a lookup is a binary search.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>  // once_flag
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "trace/core/span.hpp"
#include "trace/store/mmap/codec.hpp"
#include "trace/store/mmap/format.hpp"
#include "trace/store/mmap/indexed_tag.hpp"
#include "trace/store/mmap/strings.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

inline constexpr std::size_t block_head_size = 32;
inline constexpr std::size_t trace_entry_size = 24;  // id high u64, id low u64, first row u32, row count u32

// From version 7 on, a block's columns are laid out this way (`block_layout`): parents
// named by code, status and kind in one byte. Older files keep theirs.
inline constexpr std::uint32_t coded_parents_version = 7;
enum class block_layout : std::uint8_t { wide_parents, coded_parents };
constexpr block_layout layout_of(std::uint32_t version) noexcept {
  return version >= coded_parents_version ? block_layout::coded_parents : block_layout::wide_parents;
}

// The columns stored in the fewest bytes (1..8) that hold the block's largest value, in
// this order after the span id column (u64) and before status and kind. Start is stored
// relative to the block's min start. The first eight widths sit in the head's last u32, 4
// bits each, the first column in the lowest bits; the parent code's (version 7 on) after the
// zone map's service ids.
enum class packed_column : std::uint8_t { start, duration, ordinal, service, name, resource, scope, extras_end, parent };
inline constexpr std::size_t packed_column_count = 9;
inline constexpr std::size_t head_packed_columns = 8;  // those whose width is in the head's last u32
using column_widths = std::array<std::uint8_t, packed_column_count>;

// A parent named in few bytes (version 7 on): 0, none; 2k + 2, the span at row k of the same
// trace's run; 2k + 1, entry k of the block's foreign parents (a parent outside the block's
// rows of its trace, e.g. in an earlier batch of a log), a u64 each after the status bytes.
constexpr std::uint64_t parent_in_run(std::uint32_t row_in_run) noexcept { return 2 * std::uint64_t{row_in_run} + 2; }
constexpr std::uint64_t foreign_parent(std::uint32_t index) noexcept { return 2 * std::uint64_t{index} + 1; }

constexpr const char* column_name(packed_column column) noexcept {
  switch (column) {
    case packed_column::start: return "start";
    case packed_column::duration: return "duration";
    case packed_column::ordinal: return "trace ordinal";
    case packed_column::service: return "service id";
    case packed_column::name: return "name id";
    case packed_column::resource: return "resource id";
    case packed_column::scope: return "scope id";
    case packed_column::extras_end: return "extras end";
    case packed_column::parent: return "parent code";
  }
  return "column";
}

// Accessors load 8 bytes at a packed value and mask them to its width; these zero bytes
// after the columns keep the last load inside the block.
inline constexpr std::size_t column_slack = 8;

constexpr std::uint8_t bytes_for(std::uint64_t largest) noexcept {
  return static_cast<std::uint8_t>(std::max<std::uint64_t>(1, (std::uint64_t(std::bit_width(largest)) + 7) / 8));
}

// The head's u32 of the first eight widths; the parent code's width is stored apart.
constexpr std::uint32_t pack_widths(const column_widths& widths) noexcept {
  std::uint32_t packed = 0;
  for (std::size_t c = 0; c < head_packed_columns; ++c) packed |= std::uint32_t{widths[c]} << (4 * c);
  return packed;
}

constexpr column_widths unpack_widths(std::uint32_t packed, std::uint8_t parent_width = 0) noexcept {
  column_widths widths{};
  for (std::size_t c = 0; c < head_packed_columns; ++c) widths[c] = static_cast<std::uint8_t>((packed >> (4 * c)) & 0xf);
  widths[static_cast<std::size_t>(packed_column::parent)] = parent_width;
  return widths;
}

// The first column whose width is unusable: start and duration take 1..8 bytes; ordinals,
// string ids, extras offsets and parent codes are 32-bit, so 1..4 (no parent code before
// version 7: width 0).
inline std::optional<packed_column> bad_width(const column_widths& widths, block_layout layout) noexcept {
  for (std::size_t c = 0; c < packed_column_count; ++c) {
    if (c == static_cast<std::size_t>(packed_column::parent) && layout == block_layout::wide_parents) continue;
    const std::uint8_t limit = c <= static_cast<std::size_t>(packed_column::duration) ? 8 : 4;
    if (widths[c] < 1 || widths[c] > limit) return static_cast<packed_column>(c);
  }
  return std::nullopt;
}

constexpr std::size_t columns_size(std::size_t rows, const column_widths& widths, block_layout layout,
                                   std::size_t foreign_parents) noexcept {
  std::size_t row_bytes = layout == block_layout::coded_parents ? 8 + 1 : 2 * 8 + 2;
  for (std::uint8_t width : widths) row_bytes += width;
  return align8(rows * row_bytes + 8 * foreign_parents) + column_slack;
}

// Bytes of the head and zone map: the tail of version 7 on holds the parent code's width and
// the count of foreign parents.
constexpr std::size_t zone_region_size(std::size_t services, block_layout layout) noexcept {
  return align8(block_head_size + 32 + 4 * services + (layout == block_layout::coded_parents ? 8 : 0));
}

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

// Byte offsets, inside a block, where each region starts; the last entry is the block's end.
using region_bounds = std::array<std::size_t, block_region_count + 1>;

// Lays blocks out and writes them, keeping its working memory from one block to the next (a
// log encodes one per batch). `plan` does all but the writing and tells the block's size, so
// that a log can check the room it has left and then `write` the block straight into its
// mapping, with no copy in between.
class block_encoder {
 public:
  // Lays out one block holding `rows` and returns its size in bytes. `sorted_index`: order
  // traces by id (sealed) instead of first appearance (log). The block's strings are those
  // `strings` holds that were not yet taken: the rows' names, and any that the caller
  // interned while encoding the rows' extras. `rows` must not change until `write`.
  std::size_t plan(const std::vector<row_input>& rows, string_table_builder& strings, bool sorted_index);
  // Writes the planned block, every byte of it (padding too), to `out`: `size()` bytes at an
  // offset that is a multiple of 8 in its file.
  region_bounds write(std::byte* out) const;
  std::size_t size() const noexcept { return bounds_.back(); }

 private:
  struct interned { std::uint32_t service, name, resource, scope; };
  // Rows being sealed name their texts by views into their segment's string table, the same
  // bytes for the same text: their ids are remembered by address, sparing a hash of the text.
  struct recent_text {
    const char* data = nullptr;
    std::size_t size = 0;
    std::uint32_t id = 0;
  };
  std::uint32_t intern_at(string_table_builder& strings, std::string_view text) {
    const auto address = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(text.data()));
    recent_text& slot = recent_[(address * 0x9e3779b97f4a7c15u) >> (64 - recent_bits)];
    if (slot.data != text.data() || slot.size != text.size()) slot = {text.data(), text.size(), strings.intern(text)};
    return slot.id;
  }
  static constexpr unsigned recent_bits = 10;
  std::array<recent_text, std::size_t{1} << recent_bits> recent_{};
  // Numbers the traces (`traces_`, `ordinal_of_row_`) and groups the rows by trace (`order_`).
  void group_by_trace(bool sorted_index);

  const std::vector<row_input>* rows_ = nullptr;
  std::unordered_map<trace_id, std::uint32_t> ordinal_of_trace_;
  std::vector<trace_id> traces_;
  std::vector<std::uint32_t> ordinal_of_row_, order_, first_row_, rank_;
  std::vector<interned> ids_;  // by position in `order_`
  // Parents named by code (by position in `order_`), and those outside their trace's run.
  void code_parents();
  std::vector<std::uint32_t> parent_codes_;
  std::vector<span_id> foreign_parents_;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> run_ids_;  // a long run's span ids and places, sorted
  std::vector<std::uint32_t> services_;
  std::vector<std::string_view> added_;
  std::uint32_t string_base_ = 0;
  std::uint64_t extras_bytes_ = 0;
  timestamp_ns min_start_ = 0, max_start_ = 0;
  duration_ns min_duration_ = 0, max_duration_ = 0;
  column_widths widths_{};
  region_bounds bounds_{};
};

inline void block_encoder::group_by_trace(bool sorted_index) {
  const std::vector<row_input>& rows = *rows_;
  const auto n = static_cast<std::uint32_t>(rows.size());
  // Ordinals by first appearance; a batch's rows mostly come trace by trace, so the previous
  // row's trace spares most lookups.
  ordinal_of_trace_.clear();
  traces_.clear();
  ordinal_of_row_.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (i && rows[i].trace == rows[i - 1].trace) {
      ordinal_of_row_[i] = ordinal_of_row_[i - 1];
      continue;
    }
    auto [it, fresh] = ordinal_of_trace_.try_emplace(rows[i].trace, static_cast<std::uint32_t>(traces_.size()));
    if (fresh) traces_.push_back(rows[i].trace);
    ordinal_of_row_[i] = it->second;
  }
  const auto trace_count = static_cast<std::uint32_t>(traces_.size());
  if (sorted_index) {  // renumber in id order
    order_.resize(trace_count);
    for (std::uint32_t t = 0; t < trace_count; ++t) order_[t] = t;
    std::ranges::sort(order_, [this](std::uint32_t a, std::uint32_t b) { return traces_[a] < traces_[b]; });
    rank_.resize(trace_count);
    for (std::uint32_t t = 0; t < trace_count; ++t) rank_[order_[t]] = t;
    std::vector<trace_id> sorted(trace_count);
    for (std::uint32_t t = 0; t < trace_count; ++t) sorted[rank_[t]] = traces_[t];
    traces_ = std::move(sorted);
    for (std::uint32_t& ordinal : ordinal_of_row_) ordinal = rank_[ordinal];
  }
  // A counting sort by ordinal keeps each trace's rows in input order; sealed, then by start.
  first_row_.assign(std::size_t{trace_count} + 1, 0);
  for (std::uint32_t ordinal : ordinal_of_row_) ++first_row_[ordinal + 1];
  for (std::uint32_t t = 0; t < trace_count; ++t) first_row_[t + 1] += first_row_[t];
  order_.resize(n);
  rank_.assign(first_row_.begin(), first_row_.end() - 1);  // the next free place of each trace
  for (std::uint32_t i = 0; i < n; ++i) order_[rank_[ordinal_of_row_[i]]++] = i;
  if (sorted_index)
    for (std::uint32_t t = 0; t < trace_count; ++t)
      std::stable_sort(order_.begin() + first_row_[t], order_.begin() + first_row_[t + 1],
                       [&rows](std::uint32_t a, std::uint32_t b) { return rows[a].start < rows[b].start; });
}

inline void block_encoder::code_parents() {
  const std::vector<row_input>& rows = *rows_;
  parent_codes_.resize(rows.size());
  foreign_parents_.clear();
  for (std::size_t t = 0; t + 1 < first_row_.size(); ++t) {
    const std::uint32_t first = first_row_[t], count = first_row_[t + 1] - first;
    // Traces hold tens of spans: a short run is searched in place, a long one through its
    // sorted ids, so that a trace of many spans does not cost its square.
    constexpr std::uint32_t short_run = 64;
    if (count > short_run) {
      run_ids_.clear();
      for (std::uint32_t k = 0; k < count; ++k) run_ids_.emplace_back(rows[order_[first + k]].id.value(), k);
      std::ranges::sort(run_ids_);
    }
    for (std::uint32_t k = 0; k < count; ++k) {
      const span_id parent = rows[order_[first + k]].parent;
      std::uint64_t code = 0;
      if (parent.valid()) {
        std::uint32_t place = count;
        if (count <= short_run) {
          for (std::uint32_t j = 0; j < count && place == count; ++j)
            if (rows[order_[first + j]].id == parent) place = j;
        } else {
          auto at = std::ranges::lower_bound(run_ids_, std::pair<std::uint64_t, std::uint32_t>{parent.value(), 0});
          if (at != run_ids_.end() && at->first == parent.value()) place = at->second;
        }
        if (place < count) {
          code = parent_in_run(place);
        } else {
          code = foreign_parent(static_cast<std::uint32_t>(foreign_parents_.size()));
          foreign_parents_.push_back(parent);
        }
      }
      parent_codes_[first + k] = static_cast<std::uint32_t>(code);
    }
  }
}

inline std::size_t block_encoder::plan(const std::vector<row_input>& rows, string_table_builder& strings,
                                       bool sorted_index) {
  rows_ = &rows;
  const auto n = static_cast<std::uint32_t>(rows.size());
  group_by_trace(sorted_index);
  recent_.fill({});  // the addresses of the previous rows may hold other text now

  ids_.resize(n);
  services_.clear();
  min_start_ = std::numeric_limits<timestamp_ns>::max();
  max_start_ = 0;
  min_duration_ = std::numeric_limits<duration_ns>::max();
  max_duration_ = 0;
  extras_bytes_ = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    const row_input& r = rows[order_[i]];
    // Neighbouring rows mostly share service, resource and scope: comparing with the
    // previous row's text is cheaper than hashing it (resources and scopes are tens of bytes).
    const row_input* previous = i ? &rows[order_[i - 1]] : nullptr;
    auto intern = [&](std::string_view row_input::*text, std::uint32_t interned::*id) {
      return previous && previous->*text == r.*text ? ids_[i - 1].*id : intern_at(strings, r.*text);
    };
    ids_[i] = {intern(&row_input::service, &interned::service), intern(&row_input::name, &interned::name),
               intern(&row_input::resource, &interned::resource), intern(&row_input::scope, &interned::scope)};
    if (std::ranges::find(services_, ids_[i].service) == services_.end()) services_.push_back(ids_[i].service);
    min_start_ = std::min(min_start_, r.start);
    max_start_ = std::max(max_start_, r.start);
    min_duration_ = std::min(min_duration_, r.duration);
    max_duration_ = std::max(max_duration_, r.duration);
    extras_bytes_ += r.extras.size();
  }
  if (extras_bytes_ > 0xffffffffu) throw error(errc::invalid_argument, "a block holds at most 4 GiB of span extras");
  if (n == 0) min_start_ = min_duration_ = 0;
  std::ranges::sort(services_);
  code_parents();
  added_ = strings.take_added();
  string_base_ = static_cast<std::uint32_t>(strings.next_id() - added_.size());

  widths_ = {};
  auto widen = [this](packed_column c, std::uint64_t value) {
    auto& width = widths_[static_cast<std::size_t>(c)];
    width = std::max(width, bytes_for(value));
  };
  widen(packed_column::start, max_start_ - min_start_);
  widen(packed_column::duration, max_duration_);
  widen(packed_column::ordinal, traces_.empty() ? 0 : traces_.size() - 1);
  widen(packed_column::extras_end, extras_bytes_);
  for (const interned& i : ids_) {
    widen(packed_column::service, i.service);
    widen(packed_column::name, i.name);
    widen(packed_column::resource, i.resource);
    widen(packed_column::scope, i.scope);
  }
  widen(packed_column::parent, foreign_parent(static_cast<std::uint32_t>(foreign_parents_.size())));
  for (std::uint32_t code : parent_codes_) widen(packed_column::parent, code);

  std::size_t strings_bytes = 0;
  for (std::string_view s : added_) strings_bytes += 4 + s.size();
  bounds_[0] = 0;
  bounds_[1] = zone_region_size(services_.size(), block_layout::coded_parents);
  bounds_[2] = bounds_[1] + align8(strings_bytes);
  bounds_[3] = bounds_[2] + trace_entry_size * traces_.size();
  bounds_[4] = bounds_[3] + columns_size(n, widths_, block_layout::coded_parents, foreign_parents_.size());
  bounds_[5] = bounds_[4] + align8(static_cast<std::size_t>(extras_bytes_));
  return size();
}

inline region_bounds block_encoder::write(std::byte* out) const {
  const std::vector<row_input>& rows = *rows_;
  const auto n = static_cast<std::uint32_t>(rows.size());
  auto put = [](std::byte*& p, auto value) {
    std::memcpy(p, &value, sizeof value);
    p += sizeof value;
  };
  auto pad = [out](std::byte*& p, std::size_t to) {
    std::memset(p, 0, static_cast<std::size_t>(out + to - p));
    p = out + to;
  };

  std::byte* p = out;
  for (std::uint32_t v : {n, static_cast<std::uint32_t>(traces_.size()), string_base_, static_cast<std::uint32_t>(added_.size()),
                          static_cast<std::uint32_t>(bounds_[2] - bounds_[1]), static_cast<std::uint32_t>(extras_bytes_),
                          static_cast<std::uint32_t>(services_.size()), pack_widths(widths_)})
    put(p, v);
  for (std::uint64_t v : {min_start_, max_start_, min_duration_, max_duration_}) put(p, v);
  for (std::uint32_t id : services_) put(p, id);
  put(p, std::uint32_t{widths_[static_cast<std::size_t>(packed_column::parent)]});
  put(p, static_cast<std::uint32_t>(foreign_parents_.size()));
  pad(p, bounds_[1]);

  for (std::string_view s : added_) {
    put(p, static_cast<std::uint32_t>(s.size()));
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  pad(p, bounds_[2]);

  for (std::uint32_t t = 0; t < traces_.size(); ++t) {
    put(p, traces_[t].high());
    put(p, traces_[t].low());
    put(p, first_row_[t]);
    put(p, first_row_[t + 1] - first_row_[t]);
  }

  // The columns, filled row by row. A packed value is stored as 8 bytes and the cursor moves
  // by its width: the bytes past the width are overwritten by the next values. The last 8
  // rows store their width alone, since the next column's first values are already written.
  std::byte* ids = p;
  std::array<std::byte*, packed_column_count> packed{};
  packed[0] = ids + 8 * std::size_t{n};
  for (std::size_t c = 1; c < packed_column_count; ++c) packed[c] = packed[c - 1] + std::size_t{widths_[c - 1]} * n;
  std::byte* statuses = packed.back() + std::size_t{widths_.back()} * n;
  std::byte* extras = out + bounds_[4];
  std::uint64_t extras_end = 0;
  bool near_end = false;
  auto store = [this, &packed, &near_end](packed_column c, std::uint64_t value) {
    const auto i = static_cast<std::size_t>(c);
    std::memcpy(packed[i], &value, near_end ? widths_[i] : 8);
    packed[i] += widths_[i];
  };
  for (std::uint32_t i = 0; i < n; ++i) {
    const row_input& r = rows[order_[i]];
    near_end = n - i < 8;
    put(ids, r.id.value());
    store(packed_column::start, r.start - min_start_);
    store(packed_column::duration, r.duration);
    store(packed_column::ordinal, ordinal_of_row_[order_[i]]);
    store(packed_column::service, ids_[i].service);
    store(packed_column::name, ids_[i].name);
    store(packed_column::resource, ids_[i].resource);
    store(packed_column::scope, ids_[i].scope);
    store(packed_column::extras_end, extras_end += r.extras.size());
    store(packed_column::parent, parent_codes_[i]);
    *statuses++ = static_cast<std::byte>(static_cast<unsigned>(r.status) | static_cast<unsigned>(r.kind) << 2);
    if (!r.extras.empty()) std::memcpy(extras, r.extras.data(), r.extras.size());
    extras += r.extras.size();
  }
  for (span_id parent : foreign_parents_) put(statuses, parent.value());
  pad(statuses, bounds_[4]);
  pad(extras, bounds_[5]);
  return bounds_;
}

// Appends one block holding `rows` to `out` (which must be 8-aligned in its file); see
// block_encoder::plan for the arguments.
inline region_bounds encode_block(std::string& out, const std::vector<row_input>& rows, string_table_builder& strings,
                                  bool sorted_index, block_encoder& encoder) {
  const std::size_t at = out.size();
  out.resize(at + encoder.plan(rows, strings, sorted_index));
  return encoder.write(reinterpret_cast<std::byte*>(out.data() + at));
}
inline region_bounds encode_block(std::string& out, const std::vector<row_input>& rows, string_table_builder& strings,
                                  bool sorted_index) {
  block_encoder encoder;
  return encode_block(out, rows, strings, sorted_index, encoder);
}

class block_names;
class block_attributes;
struct batch_tag_index;

// What a query may derive from a block's bytes on first use and keep while the block is
// mapped (block_attributes.hpp): built once, by whichever reader asks first.
struct block_lazy_columns {
  std::once_flag names_once, attributes_once, tag_index_once;
  std::shared_ptr<const block_names> names;
  std::shared_ptr<const block_attributes> attributes;
  std::shared_ptr<const batch_tag_index> tag_index;  // a log batch's (block_columns.hpp)
};

class tag_index_view;

// A block read in place. `strings` is the table of the segment the block belongs to; the
// block's own strings are appended to it by `parse_block`.
class text_index_view;

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
  span_id parent_at(std::uint32_t row) const noexcept {
    if (!foreign_) return span_id(load<std::uint64_t>(col_ + 8 * (rows_ + row)));  // before version 7: a u64
    const std::uint64_t code = packed(packed_column::parent, row);
    if (code == 0) return span_id();
    if (code & 1) return span_id(load<std::uint64_t>(foreign_ + 8 * (code >> 1)));
    return id_at(trace_first_row(ordinal_at(row)) + static_cast<std::uint32_t>(code >> 1) - 1);
  }
  std::uint64_t packed(packed_column column, std::uint32_t row) const noexcept {
    const auto c = static_cast<std::size_t>(column);
    return load<std::uint64_t>(packed_[c] + std::size_t{widths_[c]} * row) & masks_[c];
  }
  timestamp_ns start_at(std::uint32_t row) const noexcept { return min_start_ + packed(packed_column::start, row); }
  duration_ns duration_at(std::uint32_t row) const noexcept { return packed(packed_column::duration, row); }
  std::uint32_t id_column(packed_column column, std::uint32_t row) const noexcept {
    return static_cast<std::uint32_t>(packed(column, row));  // at most 4 bytes wide (parse_block checks)
  }
  std::uint32_t ordinal_at(std::uint32_t row) const noexcept { return id_column(packed_column::ordinal, row); }
  trace_id trace_of_row(std::uint32_t row) const noexcept { return trace_at(ordinal_at(row)); }
  std::string_view service_at_row(std::uint32_t row) const noexcept { return string(id_column(packed_column::service, row)); }
  std::string_view name_at(std::uint32_t row) const noexcept { return string(id_column(packed_column::name, row)); }
  std::string_view resource_at(std::uint32_t row) const noexcept { return string(id_column(packed_column::resource, row)); }
  std::string_view scope_at(std::uint32_t row) const noexcept { return string(id_column(packed_column::scope, row)); }
  std::string_view extras_at(std::uint32_t row) const noexcept {
    std::uint32_t end = id_column(packed_column::extras_end, row);
    std::uint32_t begin = row ? id_column(packed_column::extras_end, row - 1) : 0;
    return {reinterpret_cast<const char*>(extras_) + begin, end - begin};
  }
  // A reader of the row's extras that resolves their string refs through this block's table.
  byte_reader extras_reader(std::uint32_t row) const noexcept {
    return byte_reader(extras_at(row), "span extras", refs()).with_layout(extras_layout_);
  }
  // Where a packed column lies: row r's value is the column's width in bytes at `column_data(c) + width * r`.
  const std::byte* column_data(packed_column column) const noexcept { return packed_[static_cast<std::size_t>(column)]; }
  std::uint8_t column_width(packed_column column) const noexcept { return widths_[static_cast<std::size_t>(column)]; }
  // Row r's status is its byte in `status_column()` masked by `status_mask()`, its kind its
  // byte in `kind_column()` shifted right by `kind_shift()` (from version 7 one byte holds both).
  const std::byte* status_column() const noexcept { return status_; }
  const std::byte* kind_column() const noexcept { return kind_; }
  std::uint8_t status_mask() const noexcept { return status_mask_; }
  std::uint8_t kind_shift() const noexcept { return kind_shift_; }
  status_code status_at(std::uint32_t row) const noexcept {
    return static_cast<status_code>(load<std::uint8_t>(status_ + row) & status_mask_);
  }
  span_kind kind_at(std::uint32_t row) const noexcept {
    return static_cast<span_kind>(load<std::uint8_t>(kind_ + row) >> kind_shift_);
  }
  std::string_view string(std::uint32_t id) const noexcept { return (*strings_)[id]; }
  const column_widths& widths() const noexcept { return widths_; }
  // The strings this block's bytes may name: its segment's, up to the end of its own.
  string_refs refs() const noexcept { return {strings_, string_end_}; }
  block_lazy_columns& lazy_columns() const noexcept { return *lazy_; }
  // A sealed segment's tag indexes over these rows (tag_index.hpp); null when it has none.
  const tag_index_view* tag_index() const noexcept { return tag_index_; }
  void set_tag_index(const tag_index_view* index) noexcept { tag_index_ = index; }
  // A log batch's: the tags its indexes cover once built (block_columns.hpp, tag_index_of).
  const std::vector<indexed_tag>* log_tags() const noexcept { return log_tags_; }
  void set_log_tags(const std::vector<indexed_tag>* tags) noexcept { log_tags_ = tags; }
  // A sealed segment's text index over these rows (text_index.hpp); null when it has none.
  const text_index_view* text_index() const noexcept { return text_index_; }
  void set_text_index(const text_index_view* index) noexcept { text_index_ = index; }

  friend region_bounds parse_block(block_view&, const std::byte*, std::size_t, string_list&, const std::string&, block_layout);

 private:
  const string_list* strings_ = nullptr;
  const std::byte* zone_ = nullptr;
  const std::byte* index_ = nullptr;
  const std::byte* col_ = nullptr;
  std::array<const std::byte*, packed_column_count> packed_{};
  std::array<std::uint64_t, packed_column_count> masks_{};
  column_widths widths_{};
  const std::byte* status_ = nullptr;
  const std::byte* kind_ = nullptr;  // version 7 on: the status byte, whose upper bits hold the kind
  std::uint8_t status_mask_ = 0xff, kind_shift_ = 0;
  const std::byte* foreign_ = nullptr;  // version 7 on: the foreign parents (see parent_code); null before
  extras_layout extras_layout_ = extras_layout::present_fields;
  const std::byte* extras_ = nullptr;
  timestamp_ns min_start_ = 0;
  std::uint32_t rows_ = 0, traces_ = 0, service_count_ = 0, string_end_ = 0;
  std::shared_ptr<block_lazy_columns> lazy_;  // shared: the view stays movable
  const tag_index_view* tag_index_ = nullptr;  // owned by the segment
  const std::vector<indexed_tag>* log_tags_ = nullptr;  // owned by the segment
  const text_index_view* text_index_ = nullptr;  // owned by the segment
};

// The widths of a block's packed columns and its count of foreign parents, from its head and
// zone map; the caller has checked that the zone map's tail lies inside the block.
struct column_plan {
  column_widths widths{};
  std::size_t foreign_parents = 0;
};
inline column_plan read_column_plan(const std::byte* p, block_layout layout) noexcept {
  column_plan plan;
  if (layout == block_layout::wide_parents) {
    plan.widths = unpack_widths(load<std::uint32_t>(p + 28));
    return plan;
  }
  const std::byte* tail = p + block_head_size + 32 + 4 * std::size_t{load<std::uint32_t>(p + 24)};
  const std::uint32_t parent_width = load<std::uint32_t>(tail);
  plan.widths = unpack_widths(load<std::uint32_t>(p + 28), static_cast<std::uint8_t>(std::min<std::uint32_t>(parent_width, 15)));
  plan.foreign_parents = load<std::uint32_t>(tail + 4);
  return plan;
}

// Where the regions of the block at [p, p + size) lie, from its head; nullopt when the head's
// counts and column widths do not add up to `size`.
inline std::optional<region_bounds> block_bounds(const std::byte* p, std::size_t size,
                                                 block_layout layout = block_layout::coded_parents) {
  if (size < block_head_size + 32) return std::nullopt;
  auto head = [p](std::size_t i) { return std::size_t{load<std::uint32_t>(p + 4 * i)}; };
  const std::size_t n = head(0), traces = head(1), strings_bytes = head(4), extras_bytes = head(5), services = head(6);
  region_bounds bounds{};
  bounds[1] = zone_region_size(services, layout);
  if (bounds[1] > size) return std::nullopt;
  const column_plan plan = read_column_plan(p, layout);
  if (bad_width(plan.widths, layout) || plan.foreign_parents > n) return std::nullopt;
  bounds[2] = bounds[1] + strings_bytes;
  bounds[3] = bounds[2] + trace_entry_size * traces;
  bounds[4] = bounds[3] + columns_size(n, plan.widths, layout, plan.foreign_parents);
  bounds[5] = bounds[4] + align8(extras_bytes);
  if (bounds[5] != size || strings_bytes % 8 || traces > n || (n && !traces)) return std::nullopt;
  return bounds;
}

// Row r's value in a packed column `W` bytes wide (W = 1..8), for loops made for one width:
// whole loads for 1, 2, 4 and 8 (which vectorize), else 8 bytes masked (the block's slack
// keeps that load inside it).
template <unsigned W>
std::uint64_t packed_value(const std::byte* column, std::size_t row) noexcept {
  if constexpr (W == 1) return load<std::uint8_t>(column + row);
  else if constexpr (W == 2) return load<std::uint16_t>(column + 2 * row);
  else if constexpr (W == 4) return load<std::uint32_t>(column + 4 * row);
  else if constexpr (W == 8) return load<std::uint64_t>(column + 8 * row);
  else return load<std::uint64_t>(column + W * row) & ((std::uint64_t{1} << (8 * W)) - 1);
}
// Calls f.template operator()<W>() for `width` (1..8).
template <class F>
decltype(auto) with_width(unsigned width, F&& f) {
  switch (width) {
    case 1: return f.template operator()<1>();
    case 2: return f.template operator()<2>();
    case 3: return f.template operator()<3>();
    case 4: return f.template operator()<4>();
    case 5: return f.template operator()<5>();
    case 6: return f.template operator()<6>();
    case 7: return f.template operator()<7>();
    default: return f.template operator()<8>();
  }
}
// The largest value of the first `n` rows of a packed column (0 when n is 0).
inline std::uint64_t packed_max(const std::byte* column, unsigned width, std::size_t n) noexcept {
  return with_width(width, [&]<unsigned W>() {
    std::uint64_t most = 0;
    for (std::size_t r = 0; r < n; ++r) most = std::max(most, packed_value<W>(column, r));
    return most;
  });
}

// Whether every row of `view` passes the row checks of parse_block, tested a column at a
// time (a few cycles a row where the row loop took some 90). Only a yes is trusted: on a no,
// parse_block runs the row loop, which names the first bad row. `strings` is the segment's
// table size, `extras_bytes` the extras region's, `foreign` the count of foreign parents.
inline bool rows_pass_column_checks(const block_view& view, std::size_t strings, std::uint32_t extras_bytes,
                                    std::size_t foreign, bool coded) {
  const std::uint32_t n = view.rows();
  if (n == 0) return true;
  auto column = [&view](packed_column c) { return view.column_data(c); };
  auto width = [&view](packed_column c) { return unsigned{view.column_width(c)}; };
  // Names resolve: each id column's largest id is in the table.
  for (auto c : {packed_column::service, packed_column::name, packed_column::resource, packed_column::scope})
    if (packed_max(column(c), width(c), n) >= strings) return false;
  // Each row lies in its trace's run (and, coded, names a parent of that run or a foreign one).
  bool bad = false;
  for (std::uint32_t t = 0; t < view.trace_count() && !bad; ++t) {
    const std::uint32_t first = view.trace_first_row(t), end = first + view.trace_row_count(t);
    bad = with_width(width(packed_column::ordinal), [&]<unsigned W>() {
      bool off = false;
      for (std::uint32_t r = first; r < end; ++r) off |= packed_value<W>(column(packed_column::ordinal), r) != t;
      return off;
    });
    if (coded && !bad) {
      const std::uint64_t run = view.trace_row_count(t);
      bad = with_width(width(packed_column::parent), [&]<unsigned W>() {
        bool off = false;
        for (std::uint32_t r = first; r < end; ++r) {
          const std::uint64_t code = packed_value<W>(column(packed_column::parent), r);
          off |= (code & 1) ? (code >> 1) >= foreign : (code >> 1) > run;
        }
        return off;
      });
    }
  }
  if (bad) return false;
  // Extras ends never decrease and stay in the extras region.
  bad = with_width(width(packed_column::extras_end), [&]<unsigned W>() {
    bool off = false;
    std::uint64_t previous = 0;
    for (std::uint32_t r = 0; r < n; ++r) {
      const std::uint64_t end = packed_value<W>(column(packed_column::extras_end), r);
      off |= end < previous;
      previous = end;
    }
    return off || previous > extras_bytes;
  });
  if (bad) return false;
  // Status and kind are known values; span ids are not zero.
  const std::byte* status = view.status_column();
  const std::byte* kind = view.kind_column();
  const std::uint8_t mask = view.status_mask(), shift = view.kind_shift();
  for (std::uint32_t r = 0; r < n; ++r) {
    bad |= (load<std::uint8_t>(status + r) & mask) > 2;
    bad |= (load<std::uint8_t>(kind + r) >> shift) > 5;
    bad |= !view.id_at(r).valid();
  }
  if (bad) return false;
  // No row's start or end passes the largest timestamp: true of all when the largest start
  // plus the largest duration does not.
  const std::uint64_t start_max = packed_max(column(packed_column::start), width(packed_column::start), n);
  const std::uint64_t duration_max = packed_max(column(packed_column::duration), width(packed_column::duration), n);
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max();
  return start_max <= limit - view.min_start() && duration_max <= limit - view.min_start() - start_max;
}

// Checks the structure of the block at [p, p + size) and points `view` into it; the block's
// strings are appended to `strings`. Throws `error(errc::corrupt_data)` prefixed by `where`.
inline region_bounds parse_block(block_view& view, const std::byte* p, std::size_t size, string_list& strings,
                                 const std::string& where, block_layout layout = block_layout::coded_parents) {
  auto fail = [&where](const std::string& problem) -> void { throw error(errc::corrupt_data, where + ": " + problem); };
  const bool zone_inside = size >= block_head_size + 32 && zone_region_size(load<std::uint32_t>(p + 24), layout) <= size;
  const column_plan plan = zone_inside ? read_column_plan(p, layout) : column_plan{};
  const column_widths& widths = plan.widths;
  if (auto column = bad_width(widths, layout); column && zone_inside)
    fail(std::string("block head gives the ") + column_name(*column) + " column a width of " +
         std::to_string(widths[static_cast<std::size_t>(*column)]) +
         " bytes (start and duration take 1..8, ids, offsets and parent codes 1..4)");
  auto bounds_or_none = block_bounds(p, size, layout);
  if (!bounds_or_none)
    fail("block head does not add up to its " + std::to_string(size) + " bytes");
  const region_bounds bounds = *bounds_or_none;
  auto head = [p](std::size_t i) { return load<std::uint32_t>(p + 4 * i); };
  const std::uint32_t n = head(0), traces = head(1), string_base = head(2), string_count = head(3),
                      extras_bytes = head(5), services = head(6);
  if (string_base != strings.size())
    fail("block starts its strings at id " + std::to_string(string_base) + " but the segment has " +
         std::to_string(strings.size()));
  for (std::size_t at = bounds[4] - column_slack; at < bounds[4]; ++at)
    if (p[at] != std::byte{0}) fail("the zero bytes after the columns are not zero");
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
  view.string_end_ = static_cast<std::uint32_t>(strings.size());
  view.zone_ = p + block_head_size;
  view.index_ = p + bounds[2];
  view.col_ = p + bounds[3];
  const bool coded = layout == block_layout::coded_parents;
  const std::byte* column = view.col_ + (coded ? 8 : 16) * std::size_t{n};
  for (std::size_t c = 0; c < packed_column_count; ++c) {
    view.packed_[c] = column;
    view.widths_[c] = widths[c];
    view.masks_[c] = widths[c] == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * widths[c])) - 1;
    column += std::size_t{widths[c]} * n;
  }
  view.status_ = column;
  view.kind_ = coded ? column : column + n;
  view.status_mask_ = coded ? 3 : 0xff;
  view.kind_shift_ = coded ? 2 : 0;
  view.foreign_ = coded ? column + n : nullptr;
  view.extras_layout_ = coded ? extras_layout::present_fields : extras_layout::every_field;
  view.extras_ = p + bounds[4];
  view.min_start_ = view.min_start();
  view.rows_ = n;
  view.traces_ = traces;
  view.service_count_ = services;
  view.lazy_ = std::make_shared<block_lazy_columns>();

  // Every id must resolve, every run must tile the rows: then no accessor can leave the block.
  try {
    std::uint32_t expected_first = 0;
    for (std::uint32_t t = 0; t < traces; ++t) {
      if (view.trace_first_row(t) != expected_first || view.trace_row_count(t) == 0 || !view.trace_at(t).valid())
        fail("trace index entry " + std::to_string(t) + " is inconsistent");
      expected_first += view.trace_row_count(t);
    }
    if (expected_first != n) fail("trace index covers " + std::to_string(expected_first) + " of " + std::to_string(n) + " rows");
    // The zone map must describe the rows exactly, or a filtered scan would skip spans.
    for (std::uint32_t i = 0; i < services; ++i) {
      if (view.service_at(i) >= strings.size()) fail("zone map names unknown service id");
      if (i && view.service_at(i) <= view.service_at(i - 1)) fail("zone map's service ids are not sorted");
    }
    // Each service id's place in the zone map (services when absent): one lookup per row.
    std::vector<std::uint32_t> service_place(strings.size(), services);
    for (std::uint32_t i = 0; i < services; ++i) service_place[view.service_at(i)] = i;
    std::vector<std::uint8_t> service_seen(services + 1);  // the last: a row's service the zone map lacks
    std::uint64_t start_offset_min = ~std::uint64_t{0}, start_offset_max = 0;
    duration_ns duration_min = ~duration_ns{0}, duration_max = 0;
    // A valid block passes the checks a column at a time; the row loop below then only runs
    // on a block that fails them, to name the first bad row.
    bool rows_checked = rows_pass_column_checks(view, strings.size(), extras_bytes, plan.foreign_parents, coded);
    if (rows_checked && n) {
      auto min_max = [&view, n](packed_column c, std::uint64_t& least, std::uint64_t& most) {
        with_width(view.column_width(c), [&]<unsigned W>() {
          for (std::uint32_t r = 0; r < n; ++r) {
            least = std::min(least, packed_value<W>(view.column_data(c), r));
            most = std::max(most, packed_value<W>(view.column_data(c), r));
          }
        });
      };
      min_max(packed_column::start, start_offset_min, start_offset_max);
      min_max(packed_column::duration, duration_min, duration_max);
      with_width(view.column_width(packed_column::service), [&]<unsigned W>() {
        for (std::uint32_t r = 0; r < n; ++r)
          service_seen[service_place[packed_value<W>(view.column_data(packed_column::service), r)]] = 1;
      });
      rows_checked = !service_seen[services];
    }
    std::uint32_t previous_end = 0;
    // The runs tile the rows in order (checked above), so a row is inside its trace's run
    // exactly when its ordinal is the run's that covers it: walked along, not looked up.
    std::uint32_t run = 0, run_end = traces ? view.trace_row_count(0) : 0;
    for (std::uint32_t row = 0; row < n && !rows_checked; ++row) {
      if (row == run_end) run_end += view.trace_row_count(++run);
      if (view.ordinal_at(row) != run) fail("row " + std::to_string(row) + " is outside its trace's run");
      for (auto c : {packed_column::service, packed_column::name, packed_column::resource, packed_column::scope})
        if (view.id_column(c, row) >= strings.size())
          fail("row " + std::to_string(row) + " names an unknown string in its " + column_name(c) + " column");
      std::uint32_t end = view.id_column(packed_column::extras_end, row);
      if (end < previous_end || end > extras_bytes) fail("row " + std::to_string(row) + " has extras out of bounds");
      previous_end = end;
      if (static_cast<std::uint8_t>(view.status_at(row)) > 2 || static_cast<std::uint8_t>(view.kind_at(row)) > 5)
        fail("row " + std::to_string(row) + " has an unknown status or kind");
      if (coded) {  // a parent code names an entry of the foreign parents or a row of its own run
        const std::uint64_t code = view.packed(packed_column::parent, row);
        if (code & 1 ? (code >> 1) >= plan.foreign_parents : (code && (code >> 1) > view.trace_row_count(run)))
          fail("row " + std::to_string(row) + " names a parent outside its trace's run and the foreign parents");
      }
      if (!view.id_at(row).valid()) fail("row " + std::to_string(row) + " has a zero span id");
      const std::uint64_t start_offset = view.packed(packed_column::start, row);
      const duration_ns duration = view.duration_at(row);
      if (view.start_at(row) < view.min_start_ || view.start_at(row) + duration < view.start_at(row))
        fail("row " + std::to_string(row) + " ends past the largest timestamp");
      start_offset_min = std::min(start_offset_min, start_offset);
      start_offset_max = std::max(start_offset_max, start_offset);
      duration_min = std::min(duration_min, duration);
      duration_max = std::max(duration_max, duration);
      const auto service = view.id_column(packed_column::service, row);  // below strings.size() (checked above)
      const std::uint32_t place = service_place[service];
      if (place == services)
        fail("zone map's services lack row " + std::to_string(row) + "'s service id " + std::to_string(service));
      service_seen[place] = 1;
    }
    if (n && (start_offset_min != 0 || view.min_start_ + start_offset_max != view.max_start() ||
              duration_min != view.min_duration() || duration_max != view.max_duration()))
      fail("zone map's start or duration bounds do not match the rows");
    if (std::find(service_seen.begin(), service_seen.begin() + services, 0) != service_seen.begin() + services)
      fail("zone map names a service no row has");
  } catch (...) {
    strings.truncate(strings_before);
    throw;
  }
  return bounds;
}

// A sealed block's trace index is sorted by id, each id once, so that `find_sorted` finds
// every trace; bytes that pass their checksum but break this are refused.
inline void check_sorted_index(const block_view& view, const std::string& where) {
  for (std::uint32_t t = 1; t < view.trace_count(); ++t)
    if (!(view.trace_at(t - 1) < view.trace_at(t)))
      throw error(errc::corrupt_data, where + ": trace index is not sorted: entry " + std::to_string(t) + " (" +
                                          view.trace_at(t).to_hex() + ") does not come after entry " + std::to_string(t - 1) +
                                          " (" + view.trace_at(t - 1).to_hex() + ")");
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
