#pragma once
// `group_spans` and `summarize_spans` over a whole store, optionally filtered.
//
// A store that pushes the request down (`store.push_down(group_request)`, store/concepts.hpp)
// answers it itself, e.g. in SQL. A `columnar_store` is read block by block from its
// columns: when every key is the service, operation, status or kind, a span's group is
// found by indexing one table with a number made from its ids and codes, a chunk of rows at
// a time, so no key text is built or hashed per span. A first pass gives each service and
// operation id that occurs a digit shared by all blocks: by text, once per distinct id and
// run of blocks reading one table (`string_table()`: an mmap segment, whose log batches share
// it), where ids are scoped to a block; by id alone where all blocks share one string table
// (`shared_strings`: the memory store). A second pass groups
// the rows, keeping count, errors, an integer sum (redone in floating point only when it
// could differ from the generic path's) and bounds per group.
// Exact percentiles come from one array of durations scattered group by group (a counting
// sort), not from a growing vector per group; `summarize_spans`, a single group, reads the
// selected rows' durations twice instead (bucketed_percentiles.hpp): counted in buckets,
// then only those of the percentiles' buckets kept. Any other store, an attribute
// key, or a table that would be too sparse (more cells than about four per span, as with
// 1 ns buckets over a long time range) takes the generic path, `group_spans` over the
// matching spans.
// The page always equals `group_spans(matching spans of store.scan(), options)`.

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "trace/analytics/bucketed_percentiles.hpp"
#include "trace/analytics/group_by.hpp"
#include "trace/query/filter.hpp"
#include "trace/query/row_filter.hpp"
#include "trace/store/columnar_store.hpp"

namespace trace {
inline namespace v0 {

// The request a store may answer itself through `push_down` (store/concepts.hpp).
struct group_request {
  const group_by_options& options;
  const filter& where;
};

template <span_store Store>
group_page group_spans(const Store& store, const group_by_options& options = {}, const filter& where = where::any());

// Count, errors, min/max/average and exact p50/p95/p99 of the store's spans that match.
template <span_store Store>
span_stats summarize_spans(const Store& store, const filter& where = where::any());

namespace detail {

// The matching spans of a store, for the generic paths.
template <span_store Store>
std::vector<store_span_t<Store>> matching_spans(const Store& store, const filter& where) {
  std::vector<store_span_t<Store>> out;
  for (auto&& s : store.scan())
    if (matches(where, s)) out.push_back(s);
  return out;
}

inline bool matches_everything(const filter& where) noexcept {
  return std::holds_alternative<filters::match_all>(where.get());
}

// The rows of each block that a filter keeps: all of them when `everything`.
template <class Block>
struct block_rows {
  Block block;
  std::vector<std::uint32_t> rows{};
  bool everything = false;

  std::uint32_t count() const noexcept { return everything ? block.rows() : static_cast<std::uint32_t>(rows.size()); }
  // Calls f(row_of, n) for consecutive runs of at most `step` rows; row_of(i) is the i-th row of the run.
  template <class F>
  void for_each_run(std::uint32_t step, F&& f) const {
    const std::uint32_t total = count();
    for (std::uint32_t first = 0; first < total; first += step) {
      const std::uint32_t n = std::min(step, total - first);
      if (everything)
        f([first](std::uint32_t i) { return first + i; }, n);
      else
        f([p = rows.data() + first](std::uint32_t i) { return p[i]; }, n);
    }
  }
};

// `blocks`: a store's blocks() range, which must outlive the result.
template <class Blocks>
auto select_block_rows(const Blocks& blocks, const filter& where) {
  using block_t = std::remove_cvref_t<std::ranges::range_reference_t<const Blocks&>>;
  std::vector<block_rows<block_t>> out;
  const bool everything = matches_everything(where);
  row_filter rows(where);
  for (const auto& b : blocks) {
    block_rows<block_t> selected{b, {}, everything};
    if (!everything) rows.for_each_match(b, [&selected](std::uint32_t row) { selected.rows.push_back(row); });
    if (selected.count()) out.push_back(std::move(selected));
  }
  return out;
}

// Digits shared by all blocks for one key field of string ids: the texts in order of digit.
// Blocks with string tables of their own find a text's digit by the text (`digit`); blocks
// sharing one table (`shares_strings`) give each id its digit once, by id (`add`).
class text_digits {
 public:
  std::uint32_t digit(std::string_view text) {
    return entry(digit_of_, text, [this, text] { return add(text); });
  }
  std::uint32_t add(std::string_view text) {
    texts_.emplace_back(text);
    return static_cast<std::uint32_t>(texts_.size() - 1);
  }
  std::uint32_t radix() const noexcept { return static_cast<std::uint32_t>(texts_.size()); }
  const std::string& text(std::uint32_t digit) const noexcept { return texts_[digit]; }

 private:
  string_map<std::uint32_t> digit_of_;
  std::vector<std::string> texts_;
};

// Whether every block of one `blocks()` range reads its string ids from one table
// (column_block.hpp, `B::shared_strings`).
template <class B>
inline constexpr bool shares_strings = requires { requires B::shared_strings; };

// One group's count, errors, sum of durations and bounds. The sum is an integer: it equals
// the generic path's floating-point running sum exactly while every partial sum stays below
// 2^53 ns (104 days), which `over` (every partial sum or'ed together) tells; past that the
// sums are redone in floating point, in the same order.
struct group_totals {
  std::uint64_t count = 0, errors = 0, sum = 0;
  duration_ns min = std::numeric_limits<duration_ns>::max(), max = 0;
};

template <columnar_store Store>
group_page group_blocks(const Store& store, const group_by_options& options, const filter& where) {
  constexpr std::uint32_t none = 0xffffffffu;
  using source = group_field::source;
  const auto blocks = store.blocks();  // keeps the blocks valid while they are read
  const auto selected = select_block_rows(blocks, where);
  using block_t = std::remove_cvref_t<decltype(selected.front().block)>;
  constexpr bool shared = shares_strings<block_t>;
  std::uint64_t rows = 0;
  for (const auto& s : selected) rows += s.count();
  if (rows == 0) return {};
  if (rows >= none) return group_spans(matching_spans(store, where), options);

  // First pass: the digit of every id that occurs, per string-id field. With a table per
  // block, by text for each (block, id); with one shared table, by id once, and the services
  // from each block's zone map (a superset of the selected rows' is fine: a digit that no
  // row takes makes no group). A block that lists its distinct names (`name_at`) spares the
  // read of its name column when all its rows are selected.
  const std::size_t fields = options.keys.size();
  std::vector<text_digits> digits(fields);
  // Without one shared table, blocks that say they read one table (`string_table()`, next to
  // each other) make a run that is read as one: a run's (id, digit) pairs per field.
  using id_digits = std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>>;
  std::vector<id_digits> run_digits;
  std::vector<std::size_t> run_of(selected.size());
  auto same_table = [](const block_t& a, const block_t& b) {
    if constexpr (requires { a.string_table(); }) return a.string_table() == b.string_table();
    else return false;
  };
  // By string id, one array per field: the digit, or none. With a table per block, set for
  // a block's ids while the block is read.
  std::vector<std::vector<std::uint32_t>> local(fields);
  timestamp_ns low = std::numeric_limits<timestamp_ns>::max(), high = 0;
  for (std::size_t k = 0; k < selected.size(); ++k) {
    const auto& s = selected[k];
    const auto b = s.block;
    for (auto& l : local)
      if (l.size() < b.string_count()) l.resize(b.string_count(), none);
    if constexpr (!shared) {
      const bool new_run = k == 0 || !same_table(selected[k - 1].block, b);
      if (new_run && k)  // the previous run's ids now mean other texts
        for (std::size_t f = 0; f < fields; ++f)
          for (const auto& [id, digit] : run_digits.back()[f]) local[f][id] = none;
      if (new_run) run_digits.emplace_back(fields);
      run_of[k] = run_digits.size() - 1;
    }
    for (std::size_t f = 0; f < fields; ++f) {
      const source from = options.keys[f].from;
      if (from != source::service && from != source::operation) continue;
      auto& digit_of = local[f];
      auto take = [&](std::uint32_t id) {
        if (digit_of[id] != none) return;
        if constexpr (shared) {
          digit_of[id] = digits[f].add(b.string(id));
        } else {
          digit_of[id] = digits[f].digit(b.string(id));
          run_digits.back()[f].emplace_back(id, digit_of[id]);
        }
      };
      if (from == source::service && (shared || s.everything)) {
        for (std::uint32_t j = 0; j < b.service_count(); ++j) take(b.service_at(j));
      } else if (from == source::service) {
        s.for_each_run(4096, [&](auto row_of, std::uint32_t n) {
          for (std::uint32_t i = 0; i < n; ++i) take(b.service_id(row_of(i)));
        });
      } else {
        bool listed = false;
        if constexpr (requires { b.name_count(); b.name_at(0u); })
          if (s.everything) {
            for (std::uint32_t j = 0; j < b.name_count(); ++j) take(b.name_at(j));
            listed = true;
          }
        if (!listed)
          s.for_each_run(4096, [&](auto row_of, std::uint32_t n) {
            for (std::uint32_t i = 0; i < n; ++i) take(b.name_id(row_of(i)));
          });
      }
    }
    if (options.bucket) {
      if (s.everything) {
        low = std::min(low, b.bounds().min_start);
        high = std::max(high, b.bounds().max_start);
      } else {
        for (std::uint32_t row : s.rows) {
          low = std::min(low, b.start(row));
          high = std::max(high, b.start(row));
        }
      }
    }
  }

  if constexpr (!shared)  // the second pass sets each run's digits again
    for (std::size_t f = 0; f < fields && !run_digits.empty(); ++f)
      for (const auto& [id, digit] : run_digits.back()[f]) local[f][id] = none;

  // A cell is the bucket index (from the first bucket) times the key cells, plus the key
  // digits, most significant first. The table holds a group per cell, so its size is
  // bounded; past that bound the generic path answers.
  const std::uint64_t max_cells = std::min<std::uint64_t>(4 * rows + 65536, none);
  std::vector<std::uint32_t> radix(fields);
  std::uint64_t key_cells = 1;
  for (std::size_t f = 0; f < fields; ++f) {
    const source from = options.keys[f].from;
    radix[f] = from == source::status ? 3 : from == source::kind ? 6 : std::max<std::uint32_t>(1, digits[f].radix());
    if (radix[f] > max_cells / key_cells) return group_spans(matching_spans(store, where), options);
    key_cells *= radix[f];
  }
  timestamp_ns first_bucket = 0;
  std::uint64_t buckets = 1;
  if (options.bucket) {
    first_bucket = low / options.bucket;
    const std::uint64_t span_of_buckets = high / options.bucket - first_bucket;
    if (span_of_buckets >= max_cells / key_cells) return group_spans(matching_spans(store, where), options);
    buckets = span_of_buckets + 1;
  }

  // Second pass: `f(b, row_of, n, cell_of)` for each chunk of rows, cell_of(i) the cell of
  // its i-th row. With one or two keys among service and operation, the cell is read from
  // both id columns in the row's own step (no branch: each key picks its column); otherwise
  // each key's digits are one tight loop over its column into `cells`, a chunk at a time.
  constexpr std::uint32_t chunk = 256;  // rows per digit loop; measured faster than 1024 at 1M spans
  std::uint32_t cells[chunk] = {};  // read before written (times 0) by the first field
  const bool string_keys_only = fields && fields <= 2 && !options.bucket &&
                                std::ranges::all_of(options.keys, [](const group_field& k) {
                                  return k.from == source::service || k.from == source::operation;
                                });
  if (string_keys_only && fields == 1) local.emplace_back(local[0].size(), 0);  // a second key of one value
  auto for_each_chunk = [&](auto&& f) {
    for (std::size_t k = 0; k < selected.size(); ++k) {
      const auto& s = selected[k];
      const auto b = s.block;
      const bool run_starts = k == 0 || run_of[k] != run_of[k - 1];
      const bool run_ends = k + 1 == selected.size() || run_of[k] != run_of[k + 1];
      if constexpr (!shared)
        if (run_starts)
          for (std::size_t field = 0; field < fields; ++field)
            for (const auto& [id, digit] : run_digits[run_of[k]][field]) local[field][id] = digit;
      s.for_each_run(chunk, [&](auto row_of, std::uint32_t n) {
        if (string_keys_only) {
          const std::uint32_t* high = local[0].data();
          const std::uint32_t* low = local[1].data();
          const std::uint32_t r = fields == 2 ? radix[1] : 1;
          const bool high_service = options.keys[0].from == source::service;
          const bool low_service = options.keys[fields - 1].from == source::service;
          f(b, row_of, n, [&](std::uint32_t i) {
            const std::uint32_t service = b.service_id(row_of(i)), name = b.name_id(row_of(i));
            return high[high_service ? service : name] * r + low[low_service ? service : name];
          });
          return;
        }
        for (std::size_t field = 0; field < fields; ++field) {
          // The first field sets the cell, the next ones shift it by their radix and add.
          const std::uint32_t r = field ? radix[field] : 0;
          const std::uint32_t* digit_of = local[field].data();
          switch (options.keys[field].from) {
            case source::service:
              for (std::uint32_t i = 0; i < n; ++i) cells[i] = cells[i] * r + digit_of[b.service_id(row_of(i))];
              break;
            case source::operation:
              for (std::uint32_t i = 0; i < n; ++i) cells[i] = cells[i] * r + digit_of[b.name_id(row_of(i))];
              break;
            case source::status:  // an out-of-range code groups as value 0, as to_string names it
              for (std::uint32_t i = 0; i < n; ++i) {
                const auto code = static_cast<std::uint8_t>(b.status(row_of(i)));
                cells[i] = cells[i] * r + (code < 3 ? code : 0);
              }
              break;
            default:
              for (std::uint32_t i = 0; i < n; ++i) {
                const auto code = static_cast<std::uint8_t>(b.kind(row_of(i)));
                cells[i] = cells[i] * r + (code < 6 ? code : 0);
              }
              break;
          }
        }
        if (!fields) std::fill_n(cells, n, 0u);
        if (options.bucket)
          for (std::uint32_t i = 0; i < n; ++i)
            cells[i] += static_cast<std::uint32_t>((b.start(row_of(i)) / options.bucket - first_bucket) * key_cells);
        f(b, row_of, n, [&](std::uint32_t i) { return cells[i]; });
      });
      if constexpr (!shared)
        if (run_ends)
          for (std::size_t field = 0; field < fields; ++field)
            for (const auto& [id, digit] : run_digits[run_of[k]][field]) local[field][id] = none;
    }
  };

  const bool exact = options.percentiles == percentile_method::exact;
  const bool sketch = options.percentiles == percentile_method::sketch;
  std::vector<std::uint32_t> group_of_cell(key_cells * buckets, none);
  std::vector<std::uint32_t> cell_of_group;
  std::vector<group_totals> groups;
  std::vector<quantile_sketch> sketches;    // with sketch percentiles: one a group
  std::vector<std::uint32_t> group_of_row;  // with exact ones: to gather durations after
  std::vector<duration_ns> duration_of_row;
  if (exact) {
    group_of_row.reserve(rows);
    duration_of_row.reserve(rows);
  }
  std::uint64_t over = 0;
  auto new_group = [&](std::uint32_t cell) {
    group_of_cell[cell] = static_cast<std::uint32_t>(groups.size());
    cell_of_group.push_back(cell);
    groups.emplace_back();
    if (sketch) sketches.emplace_back(options.sketch_accuracy);
    return group_of_cell[cell];
  };
  // With the percentile method a constant, the loop keeps its pointers and sums in registers.
  auto accumulate = [&](auto method) {
    for_each_chunk([&](const auto& b, auto row_of, std::uint32_t n, auto cell_of) {
      const std::uint32_t* group_of = group_of_cell.data();
      group_totals* totals = groups.data();
      std::uint64_t sums = 0;
      for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint32_t cell = cell_of(i);
        std::uint32_t g = group_of[cell];
        if (g == none) [[unlikely]] {
          g = new_group(cell);
          totals = groups.data();
        }
        const std::uint32_t row = row_of(i);
        const duration_ns duration = b.duration(row);
        group_totals& t = totals[g];
        ++t.count;
        t.errors += b.status(row) == status_code::error;
        t.sum += duration;
        sums |= duration | t.sum;
        t.min = std::min(t.min, duration);
        t.max = std::max(t.max, duration);
        if constexpr (decltype(method)::value == percentile_method::sketch) sketches[g].add(static_cast<double>(duration));
        if constexpr (decltype(method)::value == percentile_method::exact) {
          group_of_row.push_back(g);
          duration_of_row.push_back(duration);
        }
      }
      over |= sums;
    });
  };
  if (exact) accumulate(std::integral_constant<percentile_method, percentile_method::exact>{});
  else if (sketch) accumulate(std::integral_constant<percentile_method, percentile_method::sketch>{});
  else accumulate(std::integral_constant<percentile_method, percentile_method::none>{});
  std::vector<double> real_sums;  // only when an integer sum could be inexact
  if (over >> 53) {
    real_sums.assign(groups.size(), 0.0);
    for_each_chunk([&](const auto& b, auto row_of, std::uint32_t n, auto cell_of) {
      for (std::uint32_t i = 0; i < n; ++i) real_sums[group_of_cell[cell_of(i)]] += static_cast<double>(b.duration(row_of(i)));
    });
  }

  group_page page;
  page.rows.resize(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    group_row& out = page.rows[g];
    const group_totals& t = groups[g];
    out.stats.count = t.count;
    out.stats.errors = t.errors;
    out.stats.error_rate = static_cast<double>(t.errors) / static_cast<double>(t.count);
    out.stats.min = t.min;
    out.stats.max = t.max;
    out.stats.average = (real_sums.empty() ? static_cast<double>(t.sum) : real_sums[g]) / static_cast<double>(t.count);
    if (sketch) set_sketch_percentiles(out.stats, sketches[g]);
    std::uint64_t rest = cell_of_group[g] % key_cells;
    out.key.resize(fields);
    for (std::size_t f = fields; f-- > 0;) {
      const auto digit = static_cast<std::uint32_t>(rest % radix[f]);
      rest /= radix[f];
      switch (options.keys[f].from) {
        case source::status: out.key[f] = std::string(to_string(static_cast<status_code>(digit))); break;
        case source::kind: out.key[f] = std::string(to_string(static_cast<span_kind>(digit))); break;
        default: out.key[f] = digits[f].text(digit); break;
      }
    }
    if (options.bucket) out.bucket_start = (first_bucket + cell_of_group[g] / key_cells) * options.bucket;
  }

  if (exact) {  // counting sort: each group's durations, in row order, side by side
    std::vector<std::size_t> next(groups.size() + 1, 0);
    for (std::size_t g = 0; g < groups.size(); ++g) next[g + 1] = next[g] + groups[g].count;
    std::vector<duration_ns> gathered(rows);
    for (std::size_t i = 0; i < group_of_row.size(); ++i) gathered[next[group_of_row[i]]++] = duration_of_row[i];
    std::size_t begin = 0;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      set_exact_percentiles(page.rows[g].stats, std::span(gathered).subspan(begin, groups[g].count));
      begin += groups[g].count;
    }
  }
  order_and_page(page, options);
  return page;
}

// One group of every selected row: none of group_blocks' cells or per-row group numbers (at
// 1M spans that was half the time of summarize_spans), and the exact percentiles from two
// reads of the duration column (bucketed_percentiles.hpp) rather than a copy of it.
template <columnar_store Store>
span_stats summarize_block_rows(const Store& store, const filter& where) {
  const auto blocks = store.blocks();  // keeps the blocks valid while they are read
  const auto selected = select_block_rows(blocks, where);
  running_stats running;
  bucketed_percentiles select(exact_percentile_points);
  for (const auto& s : selected) {
    const auto b = s.block;
    s.for_each_run(4096, [&](auto row_of, std::uint32_t n) {
      for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint32_t row = row_of(i);
        const duration_ns duration = b.duration(row);
        running.add(duration, b.status(row) == status_code::error);
        select.count(duration);
      }
    });
  }
  span_stats stats = running.finish();
  if (stats.count == 0) return stats;
  select.locate();
  for (const auto& s : selected) {
    const auto b = s.block;
    s.for_each_run(4096, [&](auto row_of, std::uint32_t n) {
      for (std::uint32_t i = 0; i < n; ++i) select.keep(b.duration(row_of(i)));
    });
  }
  const std::vector<std::uint64_t> values = select.finish();
  stats.p50 = values[0];
  stats.p95 = values[1];
  stats.p99 = values[2];
  return stats;
}

}  // namespace detail

template <span_store Store>
span_stats summarize_spans(const Store& store, const filter& where) {
  if constexpr (columnar_store<Store> && !requires { store.push_down(group_request{group_by_options{}, where}); }) {
    return detail::summarize_block_rows(store, where);
  } else {
    group_page page = group_spans(store, group_by_options{}, where);
    return page.rows.empty() ? span_stats{} : page.rows.front().stats;
  }
}

template <span_store Store>
group_page group_spans(const Store& store, const group_by_options& options, const filter& where) {
  using source = group_field::source;
  if constexpr (requires { store.push_down(group_request{options, where}); }) {
    return store.push_down(group_request{options, where});
  } else if constexpr (columnar_store<Store>) {
    if (options.keys.empty() && !options.bucket && options.percentiles == percentile_method::exact) {
      // One group with exact percentiles (`tracectl stats`): the durations straight into one
      // array, with no cell or group number per row.
      group_page page;
      if (const span_stats stats = detail::summarize_block_rows(store, where); stats.count) page.rows.push_back({{}, 0, stats});
      detail::order_and_page(page, options);
      return page;
    }
    if (std::ranges::none_of(options.keys, [](const group_field& f) { return f.from == source::attribute; }))
      return detail::group_blocks(store, options, where);
  }
  if (detail::matches_everything(where)) return group_spans(store.scan(), options);
  return group_spans(detail::matching_spans(store, where), options);
}

}  // namespace v0
}  // namespace trace
