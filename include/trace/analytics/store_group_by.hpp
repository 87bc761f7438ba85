#pragma once
// `group_spans` over a whole memory_store, read from its columns. When every key is the
// service, operation, status or kind, a span's group is found by indexing one table with a
// number made from its interned ids and codes, a block of rows at a time: no key text is
// built or hashed per span. Exact percentiles come from one array of durations scattered
// group by group (a counting sort), not from a growing vector per group.
// The page equals `group_spans(store.scan(), options)`, which is also what answers when a
// key is an attribute, or when the table would be too sparse (more cells than about four
// per span, as with 1 ns buckets over a long time range).

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "trace/analytics/group_by.hpp"
#include "trace/store/memory.hpp"

namespace trace {
inline namespace v0 {

namespace detail {

// One key field as a digit of a group's cell number: a row's id or code maps through `rank`
// to a digit in [0, radix()), and a digit maps back through `value` to the id or code.
struct cell_digit {
  group_field::source from = group_field::source::service;
  const std::uint32_t* ids = nullptr;   // service or operation column (string ids)
  const std::uint8_t* codes = nullptr;  // status or kind column
  std::vector<std::uint32_t> rank{};
  std::vector<std::uint32_t> value{};

  std::uint32_t radix() const noexcept { return static_cast<std::uint32_t>(value.size()); }
};

// Digits of string ids: of every id when `every_id` (no pass over the column), otherwise of
// the ids the column holds, in id order, for a smaller table.
inline cell_digit id_digit(group_field::source from, std::span<const std::uint32_t> column, std::size_t strings,
                           bool every_id) {
  constexpr std::uint32_t absent = 0xffffffffu;
  cell_digit d;
  d.from = from;
  d.ids = column.data();
  d.rank.assign(strings, absent);
  if (every_id)
    std::ranges::fill(d.rank, 0);
  else
    for (std::uint32_t id : column) d.rank[id] = 0;
  for (std::uint32_t id = 0; id < strings; ++id)
    if (d.rank[id] != absent) {
      d.rank[id] = d.radix();
      d.value.push_back(id);
    }
  return d;
}

// Digits of an enum's `count` values; an out-of-range code counts as value 0, which is how
// to_string names it, so the generic path puts it in the same group.
inline cell_digit code_digit(group_field::source from, const std::uint8_t* column, std::uint32_t count) {
  cell_digit d;
  d.from = from;
  d.codes = column;
  d.rank.assign(256, 0);
  for (std::uint32_t code = 0; code < count; ++code) {
    d.rank[code] = code;
    d.value.push_back(code);
  }
  return d;
}

inline std::string digit_text(const memory_store& store, const cell_digit& d, std::uint32_t digit) {
  const std::uint32_t v = d.value[digit];
  switch (d.from) {
    case group_field::source::status: return std::string(to_string(static_cast<status_code>(v)));
    case group_field::source::kind: return std::string(to_string(static_cast<span_kind>(v)));
    default: return std::string(store.string_of_id(v));
  }
}

}  // namespace detail

inline group_page group_spans(const memory_store& store, const group_by_options& options = {}) {
  constexpr std::uint32_t no_group = 0xffffffffu;
  const auto rows = static_cast<std::uint32_t>(store.size());
  if (rows == 0) return {};
  const auto generic = [&] { return group_spans(store.scan(), options); };
  using source = group_field::source;
  if (std::ranges::any_of(options.keys, [](const group_field& f) { return f.from == source::attribute; }))
    return generic();

  // A cell is the bucket index (from the first bucket) times the key cells, plus the key
  // digits, most significant first. The table holds a group per cell, so its size is
  // bounded; past that bound the generic path answers.
  const std::uint64_t max_cells = std::min<std::uint64_t>(4 * std::uint64_t{rows} + 65536, no_group);
  const auto starts = store.start_column();
  timestamp_ns first_bucket = 0;
  std::uint64_t buckets = 1;
  if (options.bucket) {
    const auto [low, high] = std::ranges::minmax_element(starts);
    first_bucket = *low / options.bucket;
    const std::uint64_t span_of_buckets = *high / options.bucket - first_bucket;
    if (span_of_buckets >= max_cells) return generic();
    buckets = span_of_buckets + 1;
  }
  // A table small enough for the cache can give every string id a digit; a larger one
  // gives digits only to the ids the columns hold.
  constexpr std::uint64_t small_table = 1 << 16;
  std::uint64_t every_id_cells = buckets;
  for (const auto& field : options.keys) {
    const std::uint64_t radix = field.from == source::status ? 3 : field.from == source::kind ? 6 : store.string_count();
    every_id_cells = radix > small_table / every_id_cells ? small_table + 1 : every_id_cells * radix;
  }
  const bool every_id = every_id_cells <= small_table;

  std::vector<detail::cell_digit> digits;
  for (const auto& field : options.keys) {
    if (field.from == source::service)
      digits.push_back(detail::id_digit(field.from, store.service_column(), store.string_count(), every_id));
    else if (field.from == source::operation)
      digits.push_back(detail::id_digit(field.from, store.name_column(), store.string_count(), every_id));
    else if (field.from == source::status)
      digits.push_back(detail::code_digit(field.from, reinterpret_cast<const std::uint8_t*>(store.status_column().data()), 3));
    else
      digits.push_back(detail::code_digit(field.from, reinterpret_cast<const std::uint8_t*>(store.kind_column().data()), 6));
  }
  std::uint64_t key_cells = 1;
  for (const auto& d : digits) {
    if (d.radix() > max_cells / key_cells) return generic();
    key_cells *= d.radix();
  }
  if (buckets > max_cells / key_cells) return generic();

  const bool exact = options.percentiles == percentile_method::exact;
  const bool sketch = options.percentiles == percentile_method::sketch;
  const auto durations = store.duration_column();
  const auto statuses = store.status_column();
  std::vector<std::uint32_t> group_of_cell(key_cells * buckets, no_group);
  std::vector<std::uint32_t> cell_of_group;
  std::vector<detail::running_stats> groups;
  std::vector<quantile_sketch> sketches;                      // with sketch percentiles: one a group
  std::vector<std::uint32_t> group_of_row(exact ? rows : 0);  // with exact ones: to gather durations after

  constexpr std::uint32_t block = 256;  // rows per digit loop; measured faster than 1024 at 1M spans
  std::uint32_t cells[block];
  for (std::uint32_t first = 0; first < rows; first += block) {
    const std::uint32_t count = std::min(block, rows - first);
    // Each digit is one tight loop over its column; the first one starts the cells.
    const auto add_digit = [&](const auto* column, const detail::cell_digit& d, bool leading) {
      const std::uint32_t* rank = d.rank.data();
      const std::uint32_t radix = d.radix();
      if (leading)
        for (std::uint32_t i = 0; i < count; ++i) cells[i] = rank[column[first + i]];
      else
        for (std::uint32_t i = 0; i < count; ++i) cells[i] = cells[i] * radix + rank[column[first + i]];
    };
    if (digits.empty()) std::fill_n(cells, count, 0u);
    for (std::size_t f = 0; f < digits.size(); ++f) {
      if (digits[f].ids)
        add_digit(digits[f].ids, digits[f], f == 0);
      else
        add_digit(digits[f].codes, digits[f], f == 0);
    }
    if (options.bucket)
      for (std::uint32_t i = 0; i < count; ++i)
        cells[i] += static_cast<std::uint32_t>((starts[first + i] / options.bucket - first_bucket) * key_cells);
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::uint32_t row = first + i;
      std::uint32_t& g = group_of_cell[cells[i]];
      if (g == no_group) {
        g = static_cast<std::uint32_t>(groups.size());
        cell_of_group.push_back(cells[i]);
        groups.emplace_back();
        if (sketch) sketches.emplace_back(options.sketch_accuracy);
      }
      groups[g].add(durations[row], statuses[row] == status_code::error);
      if (sketch) sketches[g].add(static_cast<double>(durations[row]));
      if (exact) group_of_row[row] = g;
    }
  }

  group_page page;
  page.rows.resize(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    group_row& out = page.rows[g];
    out.stats = groups[g].finish();
    if (sketch) detail::set_sketch_percentiles(out.stats, sketches[g]);
    std::uint64_t rest = cell_of_group[g] % key_cells;
    out.key.resize(digits.size());
    for (std::size_t f = digits.size(); f-- > 0;) {
      out.key[f] = detail::digit_text(store, digits[f], static_cast<std::uint32_t>(rest % digits[f].radix()));
      rest /= digits[f].radix();
    }
    if (options.bucket) out.bucket_start = (first_bucket + cell_of_group[g] / key_cells) * options.bucket;
  }

  if (exact) {  // counting sort: each group's durations, in row order, side by side
    std::vector<std::size_t> next(groups.size() + 1, 0);
    for (std::size_t g = 0; g < groups.size(); ++g) next[g + 1] = next[g] + groups[g].count;
    std::vector<duration_ns> gathered(rows);
    for (std::uint32_t row = 0; row < rows; ++row) gathered[next[group_of_row[row]]++] = durations[row];
    std::size_t begin = 0;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      detail::set_exact_percentiles(page.rows[g].stats, std::span(gathered).subspan(begin, groups[g].count));
      begin += groups[g].count;
    }
  }
  detail::order_and_page(page, options);
  return page;
}

}  // namespace v0
}  // namespace trace
