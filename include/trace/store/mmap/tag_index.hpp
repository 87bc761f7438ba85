#pragma once
// A sealed segment's tag indexes, built from the index rules when the segment seals, so that
// a condition on an indexed tag reads the rows it names instead of scanning the segment.
//
// Each index holds, for one tag, the (value, row) pairs of the segment's rows sorted by value:
//   - numbers (int64, timestamp, double, bool) as 64-bit keys whose unsigned order is the
//     values' order, beside their rows: equality is an equal range, a range two searches;
//   - strings as a sorted dictionary, each value with the rows that carry it.
// A row whose attribute of that name has another type (the schema was not enforced, or the
// value is an array) is listed among the index's *other* rows: every lookup returns them too.
// A lookup gives candidates, a superset of the answer; the query still tests each one, so an
// index can make a query faster, never its answer different.
//
// Layout (docs/FORMAT.md, "Tag index"), all little-endian, every part 8-byte aligned:
//   masked CRC-32C of the bytes after it u32 | layout version u32 (1) | index count u32 | rows u32
//   per index: kind u8 | field u8 | value type u8 | 0 u8 | key length u32 | other rows u32 |
//              entries u32 | body bytes u64 | key (padded) | other rows u32[] (padded) | body
//   number body: keys u64[entries] | rows u32[entries] (padded)
//   string body: distinct u32 | 0 u32 | value ends u32[distinct] (padded) |
//                row ends u32[distinct] (padded) | value bytes (padded) | rows u32[entries] (padded)

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "trace/core/attribute.hpp"
#include "trace/core/error.hpp"
#include "trace/core/span_traits.hpp"
#include "trace/query/filter.hpp"  // compare_op
#include "trace/store/mmap/codec.hpp"
#include "trace/store/mmap/crc32c.hpp"
#include "trace/store/mmap/indexed_tag.hpp"

namespace trace {
inline namespace v0 {

namespace detail {

inline constexpr std::uint32_t tag_index_layout = 1;
inline constexpr std::size_t tag_index_head_size = 16, tag_index_entry_head_size = 24;

// Order-preserving 64-bit keys: unsigned comparison of the keys is the values' comparison.
constexpr std::uint64_t int_key(std::int64_t v) noexcept { return static_cast<std::uint64_t>(v) ^ (1ull << 63); }
inline std::uint64_t double_key(double v) noexcept {
  const auto bits = std::bit_cast<std::uint64_t>(v == 0 ? 0.0 : v);  // -0 and +0 are one value
  return (bits >> 63) ? ~bits : bits | (1ull << 63);
}

inline std::size_t pad8(std::size_t n) noexcept { return (n + 7) & ~std::size_t{7}; }

// Whether an index's body is a dictionary of strings (else sorted 64-bit keys): string
// attributes, services and operation names. The start time, status and kind are numbers
// whatever type their schema tag has.
inline bool has_dictionary(const indexed_tag& spec) noexcept {
  switch (spec.field) {
    case indexed_field::service:
    case indexed_field::name: return true;
    case indexed_field::attribute: return spec.type == indexed_type::string;
    default: return false;
  }
}

// Collects the values of each spec's tag row by row; `finish` writes the region.
class tag_index_builder {
 public:
  explicit tag_index_builder(std::vector<indexed_tag> specs) : specs_(std::move(specs)), parts_(specs_.size()) {}

  template <span_like S>
  void add(std::uint32_t row, const S& s) {
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      part& p = parts_[i];
      switch (specs_[i].field) {
        case indexed_field::attribute: break;
        case indexed_field::start: p.numbers.emplace_back(int_key(static_cast<std::int64_t>(start_of(s))), row); continue;
        case indexed_field::service: p.strings.emplace_back(std::string(service_of(s)), row); continue;
        case indexed_field::name: p.strings.emplace_back(std::string(name_of(s)), row); continue;
        case indexed_field::status: p.numbers.emplace_back(int_key(static_cast<std::int64_t>(status_of(s))), row); continue;
        case indexed_field::kind: p.numbers.emplace_back(int_key(static_cast<std::int64_t>(kind_of(s))), row); continue;
      }
      if constexpr (attributed_span_like<S>) {
        const std::string_view key = specs_[i].key;
        const indexed_type type = specs_[i].type;
        visit_attributes(s, [&](attribute_scope, std::string_view k, const auto& value) {
          if (k == key && !add_value(p, type, row, value) && (p.others.empty() || p.others.back() != row))
            p.others.push_back(row);
          return false;
        });
      }
    }
  }

  std::string finish(std::uint32_t rows) {
    std::string out(tag_index_head_size, '\0');
    put32(out, 4, tag_index_layout);
    put32(out, 8, static_cast<std::uint32_t>(specs_.size()));
    put32(out, 12, rows);
    for (std::size_t i = 0; i < specs_.size(); ++i) write_entry(out, specs_[i], parts_[i]);
    const std::uint32_t crc = mask_crc(crc32c(reinterpret_cast<const std::byte*>(out.data()) + 4, out.size() - 4));
    put32(out, 0, crc);
    return out;
  }

 private:
  struct part {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> numbers;
    std::vector<std::pair<std::string, std::uint32_t>> strings;
    std::vector<std::uint32_t> others;
  };

  // False when the value is not of the index's type (the row then goes to the other rows).
  template <class Value>
  static bool add_value(part& p, indexed_type type, std::uint32_t row, const Value& value) {
    if (type == indexed_type::string) {
      if (auto* text = std::get_if<3>(&value)) return p.strings.emplace_back(std::string(std::string_view(*text)), row), true;
    } else if (type == indexed_type::int64) {
      if (auto* i = std::get_if<std::int64_t>(&value)) return p.numbers.emplace_back(int_key(*i), row), true;
    } else if (type == indexed_type::double_) {
      if (auto* d = std::get_if<double>(&value)) return p.numbers.emplace_back(double_key(*d), row), true;
    } else if (auto* b = std::get_if<bool>(&value)) {
      return p.numbers.emplace_back(*b ? 1 : 0, row), true;
    }
    return false;
  }

  static void put32(std::string& out, std::size_t at, std::uint32_t v) { std::memcpy(out.data() + at, &v, 4); }
  template <class T>
  static void append(std::string& out, const T& v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
  static void align(std::string& out) { out.resize(pad8(out.size()), '\0'); }

  static void write_entry(std::string& out, const indexed_tag& spec, part& p) {
    const bool strings = has_dictionary(spec);
    std::ranges::sort(p.numbers);
    std::ranges::sort(p.strings);
    const std::size_t entries = strings ? p.strings.size() : p.numbers.size();
    out += static_cast<char>(spec.kind);
    out += static_cast<char>(spec.field);
    out += static_cast<char>(spec.type);
    out += '\0';
    append(out, static_cast<std::uint32_t>(spec.key.size()));
    append(out, static_cast<std::uint32_t>(p.others.size()));
    append(out, static_cast<std::uint32_t>(entries));
    const std::size_t body_size_at = out.size();
    append(out, std::uint64_t{0});
    out += spec.key;
    align(out);
    for (std::uint32_t row : p.others) append(out, row);
    align(out);
    const std::size_t body = out.size();
    if (strings) {
      std::vector<std::uint32_t> value_ends, row_ends;
      std::string values;
      for (std::size_t i = 0; i < p.strings.size(); ++i) {
        if (i == 0 || p.strings[i].first != p.strings[i - 1].first) {
          values += p.strings[i].first;
          value_ends.push_back(static_cast<std::uint32_t>(values.size()));
          row_ends.push_back(0);
        }
        row_ends.back() = static_cast<std::uint32_t>(i + 1);
      }
      append(out, static_cast<std::uint32_t>(value_ends.size()));
      append(out, std::uint32_t{0});
      for (std::uint32_t end : value_ends) append(out, end);
      align(out);
      for (std::uint32_t end : row_ends) append(out, end);
      align(out);
      out += values;
      align(out);
      for (const auto& entry : p.strings) append(out, entry.second);
    } else {
      for (const auto& entry : p.numbers) append(out, entry.first);
      for (const auto& entry : p.numbers) append(out, entry.second);
    }
    align(out);
    const std::uint64_t body_bytes = out.size() - body;
    std::memcpy(out.data() + body_size_at, &body_bytes, 8);
  }

  std::vector<indexed_tag> specs_;
  std::vector<part> parts_;
};

// One index read in place. `candidates` gives the rows a test may hold for, sorted, or
// nullopt when this index cannot answer that test (the query then scans).
class tag_index_entry {
 public:
  const indexed_tag& spec() const noexcept { return spec_; }

  std::optional<std::vector<std::uint32_t>> candidates(compare_op op, const attribute_value& wanted) const {
    if (has_dictionary(spec_)) {
      auto* text = std::get_if<std::string>(&wanted);
      // Only string equality: an int 200 also equals "200", which a dictionary of strings cannot say.
      if (op != compare_op::eq || !text) return std::nullopt;
      return with_others(string_rows(*text));
    }
    if (spec_.type == indexed_type::bool_) {
      auto* b = std::get_if<bool>(&wanted);
      if (op != compare_op::eq || !b) return std::nullopt;
      return with_others(number_rows(*b, *b));
    }
    if (op != compare_op::eq && spec_.kind != index_kind::sorted) return std::nullopt;
    auto range = key_range(op, wanted);
    if (!range) return std::nullopt;
    return with_others(range->first <= range->second ? number_rows(range->first, range->second) : std::vector<std::uint32_t>{});
  }

  // Rows whose key lies in [low, high] (numbers only), plus the other rows.
  std::vector<std::uint32_t> rows_between(std::uint64_t low, std::uint64_t high) const {
    return with_others(number_rows(low, high));
  }
  // Rows that started in [low, high] (the start-time index: signed keys, so times past 2^63 are none).
  std::vector<std::uint32_t> start_rows(std::uint64_t low, std::uint64_t high) const {
    constexpr std::uint64_t top = std::numeric_limits<std::int64_t>::max();
    if (low > top || low > high) return with_others({});
    return rows_between(int_key(static_cast<std::int64_t>(low)), int_key(static_cast<std::int64_t>(std::min(high, top))));
  }

 private:
  friend class tag_index_view;

  // The inclusive key range of `op wanted` over this index's numbers (see filter.hpp:
  // numbers compare as numbers, int64 with int64 exactly).
  std::optional<std::pair<std::uint64_t, std::uint64_t>> key_range(compare_op op, const attribute_value& wanted) const {
    constexpr std::uint64_t lowest = 0, highest = ~std::uint64_t{0};
    if (spec_.type == indexed_type::double_) {
      double w;
      if (auto* i = std::get_if<std::int64_t>(&wanted)) w = static_cast<double>(*i);
      else if (auto* d = std::get_if<double>(&wanted)) w = *d;
      else return std::nullopt;
      if (std::isnan(w)) return std::pair{highest, lowest};  // nothing compares with NaN
      const std::uint64_t k = double_key(w);
      switch (op) {
        case compare_op::eq: return std::pair{k, k};
        case compare_op::lt: return k == lowest ? std::pair{highest, lowest} : std::pair{lowest, k - 1};
        case compare_op::le: return std::pair{lowest, k};
        case compare_op::gt: return k == highest ? std::pair{highest, lowest} : std::pair{k + 1, highest};
        case compare_op::ge: return std::pair{k, highest};
        default: return std::nullopt;
      }
    }
    // int64 (and timestamps): an int compares exactly; a double as a number, where an int
    // beyond 2^53 converts monotonically, so the rows form a range of ints all the same.
    std::int64_t low = std::numeric_limits<std::int64_t>::min(), high = std::numeric_limits<std::int64_t>::max();
    bool none = false;
    if (auto* i = std::get_if<std::int64_t>(&wanted)) {
      switch (op) {
        case compare_op::eq: low = high = *i; break;
        case compare_op::lt: none = *i == low; high = *i - !none; break;
        case compare_op::le: high = *i; break;
        case compare_op::gt: none = *i == high; low = *i + !none; break;
        case compare_op::ge: low = *i; break;
        default: return std::nullopt;
      }
    } else if (auto* d = std::get_if<double>(&wanted)) {
      if (std::isnan(*d) || std::fabs(*d) >= 9007199254740992.0) return std::nullopt;  // 2^53: leave it to the scan
      const auto floor = static_cast<std::int64_t>(std::floor(*d)), ceil = static_cast<std::int64_t>(std::ceil(*d));
      switch (op) {
        case compare_op::eq: none = floor != ceil; low = high = floor; break;
        case compare_op::lt: high = ceil - 1; break;
        case compare_op::le: high = floor; break;
        case compare_op::gt: low = floor + 1; break;
        case compare_op::ge: low = ceil; break;
        default: return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
    if (none || low > high) return std::pair{highest, lowest};
    return std::pair{int_key(low), int_key(high)};
  }

  std::vector<std::uint32_t> number_rows(std::uint64_t low, std::uint64_t high) const {
    const auto* keys = reinterpret_cast<const std::byte*>(body_);
    auto key_at = [keys](std::size_t i) { return load<std::uint64_t>(keys + 8 * i); };
    std::size_t first = 0, count = entries_;
    while (count) {  // lower bound of `low`
      const std::size_t half = count / 2;
      if (key_at(first + half) < low) first += half + 1, count -= half + 1;
      else count = half;
    }
    std::vector<std::uint32_t> out;
    const std::byte* rows = keys + 8 * std::size_t{entries_};
    for (std::size_t i = first; i < entries_ && key_at(i) <= high; ++i) out.push_back(load<std::uint32_t>(rows + 4 * i));
    return out;
  }

  std::string_view value_at(std::size_t i) const {
    const std::uint32_t begin = i ? load<std::uint32_t>(value_ends_ + 4 * (i - 1)) : 0;
    return {reinterpret_cast<const char*>(values_) + begin, load<std::uint32_t>(value_ends_ + 4 * i) - begin};
  }

  std::vector<std::uint32_t> string_rows(std::string_view text) const {
    std::size_t first = 0, count = distinct_;
    while (count) {
      const std::size_t half = count / 2;
      if (value_at(first + half).compare(text) < 0) first += half + 1, count -= half + 1;
      else count = half;
    }
    std::vector<std::uint32_t> out;
    if (first == distinct_ || value_at(first) != text) return out;
    const std::uint32_t begin = first ? load<std::uint32_t>(row_ends_ + 4 * (first - 1)) : 0;
    const std::uint32_t end = load<std::uint32_t>(row_ends_ + 4 * first);
    for (std::uint32_t i = begin; i < end; ++i) out.push_back(load<std::uint32_t>(string_postings_ + 4 * std::size_t{i}));
    return out;
  }

  std::vector<std::uint32_t> with_others(std::vector<std::uint32_t> rows) const {
    for (std::uint32_t i = 0; i < other_count_; ++i) rows.push_back(load<std::uint32_t>(others_ + 4 * std::size_t{i}));
    std::ranges::sort(rows);
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    return rows;
  }

  indexed_tag spec_;
  const std::byte* others_ = nullptr;
  std::uint32_t other_count_ = 0, entries_ = 0, distinct_ = 0;
  const std::byte* body_ = nullptr;  // numbers: keys then rows
  const std::byte *value_ends_ = nullptr, *row_ends_ = nullptr, *values_ = nullptr, *string_postings_ = nullptr;
};

// The tag indexes of a segment, read in place from a mapping (which must outlive the view).
class tag_index_view {
 public:
  tag_index_view() = default;
  // Checks the checksum and every bound, size and order the lookups rely on; a failure is
  // `errc::corrupt_data` naming `where`, the region's bytes and what is wrong.
  static tag_index_view open(const std::byte* region, std::size_t size, std::uint32_t rows, std::uint64_t region_offset,
                             const std::string& where);

  const std::vector<tag_index_entry>& entries() const noexcept { return entries_; }
  // The index over attribute `key` (or one of the span's own fields), or null when there is none.
  const tag_index_entry* find(indexed_field field, std::string_view key) const noexcept {
    for (const tag_index_entry& e : entries_)
      if (e.spec_.field == field && (field != indexed_field::attribute || e.spec_.key == key)) return &e;
    return nullptr;
  }

 private:
  std::vector<tag_index_entry> entries_;
};

inline tag_index_view tag_index_view::open(const std::byte* region, std::size_t size, std::uint32_t rows,
                                           std::uint64_t region_offset, const std::string& where) {
  auto refuse = [&](const std::string& what) {
    throw error(errc::corrupt_data, where + ": tag index " + what + " (bytes " + std::to_string(region_offset) + ".." +
                                        std::to_string(region_offset + size) + ")");
  };
  if (size < tag_index_head_size) refuse("is shorter than its " + std::to_string(tag_index_head_size) + "-byte head");
  if (unmask_crc(load<std::uint32_t>(region)) != crc32c(region + 4, size - 4)) refuse("checksum mismatch");
  if (const auto layout = load<std::uint32_t>(region + 4); layout != tag_index_layout)
    refuse("has layout " + std::to_string(layout) + " (this build reads " + std::to_string(tag_index_layout) + ")");
  if (load<std::uint32_t>(region + 12) != rows)
    refuse("covers " + std::to_string(load<std::uint32_t>(region + 12)) + " rows, the segment has " + std::to_string(rows));
  tag_index_view view;
  const std::uint32_t count = load<std::uint32_t>(region + 8);
  std::size_t at = tag_index_head_size;
  // Takes `bytes` bytes at `at` (8-aligned), refusing when they run past the region.
  auto take = [&](std::uint64_t bytes, const char* what) {
    if (bytes > size - at) refuse(std::string(what) + " of index " + std::to_string(view.entries_.size()) + " runs past the end");
    const std::byte* p = region + at;
    at += pad8(static_cast<std::size_t>(bytes));
    at = std::min(at, size);
    return p;
  };
  auto check_rows = [&](const std::byte* p, std::uint64_t n, const char* what) {
    for (std::uint64_t i = 0; i < n; ++i)
      if (load<std::uint32_t>(p + 4 * i) >= rows) refuse(std::string(what) + " names a row past the segment's " + std::to_string(rows));
  };
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::byte* head = take(tag_index_entry_head_size, "head");
    tag_index_entry e;
    e.spec_.kind = static_cast<index_kind>(head[0]);
    e.spec_.field = static_cast<indexed_field>(head[1]);
    e.spec_.type = static_cast<indexed_type>(head[2]);
    if ((head[0] != std::byte{1} && head[0] != std::byte{2}) || head[1] < std::byte{1} || head[1] > std::byte{6} ||
        head[2] < std::byte{1} || head[2] > std::byte{4})
      refuse("index " + std::to_string(i) + " has an unknown kind, field or type");
    const auto key_length = load<std::uint32_t>(head + 4);
    e.other_count_ = load<std::uint32_t>(head + 8);
    e.entries_ = load<std::uint32_t>(head + 12);
    const auto body_bytes = load<std::uint64_t>(head + 16);
    const std::byte* key = take(key_length, "key");
    e.spec_.key.assign(reinterpret_cast<const char*>(key), key_length);
    e.others_ = take(std::uint64_t{4} * e.other_count_, "other rows");
    check_rows(e.others_, e.other_count_, "other rows");
    const std::size_t body_at = at;
    take(body_bytes, "body");
    const std::size_t body_end = body_at + static_cast<std::size_t>(body_bytes);
    auto body_part = [&](std::size_t& cursor, std::uint64_t bytes) {
      if (bytes > body_end - cursor) refuse("body of index " + std::to_string(i) + " is shorter than its entries");
      const std::byte* p = region + cursor;
      cursor = std::min(body_end, cursor + pad8(static_cast<std::size_t>(bytes)));
      return p;
    };
    std::size_t cursor = body_at;
    if (has_dictionary(e.spec_)) {
      const std::byte* counts = body_part(cursor, 8);
      e.distinct_ = load<std::uint32_t>(counts);
      e.value_ends_ = body_part(cursor, std::uint64_t{4} * e.distinct_);
      e.row_ends_ = body_part(cursor, std::uint64_t{4} * e.distinct_);
      const std::uint32_t value_bytes = e.distinct_ ? load<std::uint32_t>(e.value_ends_ + 4 * (e.distinct_ - 1)) : 0;
      e.values_ = body_part(cursor, value_bytes);
      e.string_postings_ = body_part(cursor, std::uint64_t{4} * e.entries_);
      std::uint32_t value_end = 0, row_end = 0;
      for (std::uint32_t v = 0; v < e.distinct_; ++v) {
        const auto next_value = load<std::uint32_t>(e.value_ends_ + 4 * v), next_row = load<std::uint32_t>(e.row_ends_ + 4 * v);
        if (next_value < value_end || next_row <= row_end || next_row > e.entries_ || (v && e.value_at(v - 1) >= e.value_at(v)))
          refuse("dictionary of index " + std::to_string(i) + " is out of order at value " + std::to_string(v));
        value_end = next_value;
        row_end = next_row;
      }
      if (row_end != e.entries_) refuse("postings of index " + std::to_string(i) + " do not add up to its entries");
      check_rows(e.string_postings_, e.entries_, "posting list");
    } else {
      e.body_ = body_part(cursor, std::uint64_t{8} * e.entries_);
      const std::byte* posting = body_part(cursor, std::uint64_t{4} * e.entries_);
      for (std::uint32_t k = 1; k < e.entries_; ++k)
        if (load<std::uint64_t>(e.body_ + 8 * (k - 1)) > load<std::uint64_t>(e.body_ + 8 * k))
          refuse("keys of index " + std::to_string(i) + " are out of order at entry " + std::to_string(k));
      check_rows(posting, e.entries_, "posting list");
    }
    view.entries_.push_back(std::move(e));
  }
  if (at != size) refuse("holds " + std::to_string(size - at) + " bytes after its last index");
  return view;
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
