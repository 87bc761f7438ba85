#pragma once
// The in-memory store: spans kept column by column in fixed-size chunks of rows (ids, times,
// interned service and operation names, status, kind), span attributes packed in an arena,
// and a trace table that numbers the traces and chains the rows of each, so that a scan
// touches only the columns it reads and a trace lookup touches only that trace's rows.
//
// Growth never copies what is stored: rows go into chunks of `chunk_rows` that are never
// resized, attributes and long texts into pages that are never moved. So pointers and views
// into stored data (a row's attribute slots, a block's columns, string views of names and
// texts) stay valid across later appends, for the store's life.
//
// Thread safety: one writer; readers may run concurrently with each other but not with
// `append` (guard the store with a shared mutex if you need both).
//
// Layout and its costs: docs/PERFORMANCE.md, "The memory store's layout".

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <deque>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trace/core/span.hpp"
#include "trace/core/span_traits.hpp"
#include "trace/core/validate.hpp"
#include "trace/detail/string_interner.hpp"
#include "trace/store/columnar_store.hpp"
#include "trace/store/memory/attribute_record.hpp"
#include "trace/store/memory/paged_arena.hpp"
#include "trace/store/memory/row_chunk.hpp"
#include "trace/store/memory/row_iterator.hpp"
#include "trace/store/memory/trace_table.hpp"
#include "trace/store/stored_span.hpp"
#include "trace/store/text_postings.hpp"

namespace trace {
inline namespace v0 {
namespace detail {
// Calls f(where, key, value) for each item of an owned attribute list; true when f stopped.
template <class F>
bool visit_attribute_list(attribute_scope where, const attributes& items, F& f) {
  for (const auto& item : items)
    if (f(where, std::string_view(item.key), item.value)) return true;
  return false;
}
}  // namespace detail

// Bytes a memory store holds, by part: every container's capacity, not only what is used.
struct memory_store_usage {
  std::size_t columns = 0;      // the row chunks (a chunk counts whole from its first row)
  std::size_t attributes = 0;   // the attribute arena's pages
  std::size_t long_texts = 0;   // attribute strings longer than short_text, and arrays
  std::size_t extras = 0;       // what few rows carry: status messages, events, links, trace state
  std::size_t strings = 0;      // the interned strings and their index
  std::size_t traces = 0;       // the trace table and its index
  std::size_t resources = 0;    // distinct resources and scopes
  std::size_t key_columns = 0;  // built by queries: a column per attribute key tested for equality (text indexes not counted)
  // Everything but what queries built.
  std::size_t total() const noexcept { return columns + attributes + long_texts + extras + strings + traces + resources; }
};

class memory_store {
 public:
  class span_ref;
  class row_range;
  class block;
  class attribute_values_view;
  template <class T>
  class column_view;
  using trace_range = gathered_spans<span_ref>;  // a trace's spans, gathered by find_trace

  static constexpr std::uint32_t chunk_rows = detail::row_chunk::capacity;

  memory_store() = default;
  memory_store(const memory_store&) = delete;
  memory_store& operator=(const memory_store&) = delete;
  memory_store(memory_store&&) = default;  // span_refs into the moved-from store dangle
  memory_store& operator=(memory_store&&) = default;

  // Appends a batch (a forward range of `basic_span`s, as every store takes), all or
  // nothing: if any span breaks the model's rules, throws `error(errc::invalid_span)` naming
  // its position in the batch, and stores nothing.
  template <std::ranges::forward_range R>
  void append(const R& batch);
  template <class String>
  void append(const basic_span<String>& one) { append(std::span(&one, 1)); }

  std::size_t size() const noexcept { return size_; }
  std::size_t trace_count() const noexcept { return traces_.size(); }
  bool empty() const noexcept { return size() == 0; }

  // Every span, in insertion order, as `span_ref`s.
  row_range scan() const noexcept;

  // The span at a row, 0 <= row < size().
  span_ref at(std::uint32_t row) const noexcept;

  // The store as `column_block`s (columnar_store.hpp), one per chunk of `chunk_rows` rows, in
  // row order, for the fast paths.
  std::vector<block> blocks() const;

  // The spans of one trace, in insertion order, gathered by the call; empty for an unknown id.
  trace_range find_trace(const trace_id& id) const;

  // A full owning copy of one stored span.
  span materialize(std::uint32_t row) const;

  // Rows covered by the text indexes (one per chunk, built by the first text search that
  // reads the chunk, so a store never searched never pays for it).
  std::size_t text_indexed_rows() const;

  // Distinct service names, and the operation names seen with one service, sorted.
  std::vector<std::string_view> services() const;
  std::vector<std::string_view> operations(std::string_view service) const;

  // Bytes held, by part.
  memory_store_usage memory_usage() const;

  // ---- columns, for algorithms that want to run at memory speed ----
  // Random-access views over the chunks; `blocks()` gives each chunk's columns as pointers.
  column_view<timestamp_ns> start_column() const noexcept;
  column_view<duration_ns> duration_column() const noexcept;
  column_view<std::uint32_t> service_column() const noexcept;  // string ids
  column_view<std::uint32_t> name_column() const noexcept;     // string ids
  column_view<status_code> status_column() const noexcept;
  column_view<span_kind> kind_column() const noexcept;
  // A row's span attributes: a slot each (interned key, and the interned text of a short
  // string value), and the values in the same order. Slots are kept apart from the values
  // so that looking for a key, or for a short string by equality, reads 8 bytes an attribute.
  using attribute_slot = trace::attribute_slot;  // no_text: not a string, or longer than short_text
  static constexpr std::size_t short_text = 32;  // longer strings are rarely repeated: not interned
  std::span<const attribute_slot> span_attribute_slots(std::uint32_t row) const noexcept;
  attribute_values_view span_attribute_values(std::uint32_t row) const noexcept;
  // Asks the CPU to start loading a row's attribute slots (for tests over sparse rows).
  void prefetch_span_attributes(std::uint32_t row) const noexcept;
  // Resources and instrumentation scopes are interned: each row holds the index of its own
  // in `resources()` / `scopes()`, the distinct ones.
  column_view<std::uint32_t> resource_column() const noexcept;
  column_view<std::uint32_t> scope_column() const noexcept;
  std::span<const resource> resources() const noexcept { return resources_; }
  std::span<const scope> scopes() const noexcept { return scopes_; }
  // Calls f(where, key, value) over the attributes of a row's events, then its links (most
  // rows have neither); true when f asked to stop.
  template <class F>
  bool visit_event_and_link_attributes(std::uint32_t row, F&& f) const;
  // Service, operation names, attribute keys and short attribute texts share one table of
  // string ids. A string no span carries has no id: a filter on it matches nothing.
  std::optional<std::uint32_t> find_string_id(std::string_view text) const { return strings_.find(text); }
  std::string_view string_of_id(std::uint32_t id) const noexcept { return strings_.get(id); }
  std::size_t string_count() const noexcept { return strings_.size(); }

 private:
  using chunk = detail::row_chunk;
  static constexpr std::uint32_t no_row = 0xffffffffu;

  // What only a few spans carry, kept out of the hot columns.
  struct row_extras {
    std::string trace_state;
    std::string status_message;
    std::vector<event> events;
    std::vector<link> links;
    std::uint32_t dropped_attributes = 0;
    std::uint32_t dropped_events = 0;
    std::uint32_t dropped_links = 0;
    std::uint32_t flags = 0;  // when the flags column cannot hold them
  };

  const chunk& chunk_of(std::uint32_t row) const noexcept { return *chunks_[row >> chunk::shift]; }
  chunk& chunk_of(std::uint32_t row) noexcept { return *chunks_[row >> chunk::shift]; }
  static std::uint32_t index_in_chunk(std::uint32_t row) noexcept { return row & (chunk_rows - 1); }
  const row_extras* extras_of(std::uint32_t row) const noexcept {
    const std::int64_t index = chunk_of(row).extras_index(index_in_chunk(row));
    return index < 0 ? nullptr : &extras_[static_cast<std::size_t>(index)];
  }
  // The first word of a row's attribute slots, and how many there are.
  const std::uint64_t* attribute_words(std::uint32_t row, std::size_t& count) const noexcept;
  basic_attribute_value<std::string_view> decode_value(const std::uint64_t* slots, std::size_t count, std::size_t i) const;

  template <class String>
  void append_one(const basic_span<String>& s);
  template <class String>
  void store_attributes(chunk& c, std::uint32_t i, std::uint32_t row, const basic_attributes<String>& items);
  template <class String>
  std::uint32_t intern_resource(const basic_resource<String>& r, std::uint32_t service);
  template <class String>
  std::uint32_t find_or_add_resource(const basic_resource<String>& r);
  template <class String>
  std::uint32_t intern_scope(const basic_scope<String>& s);
  template <class String>
  attributes own(const basic_attributes<String>& items) const;
  // The id of `text`, trying the id `guess` (often the previous row's) before hashing.
  std::uint32_t intern_like(std::string_view text, std::uint32_t guess) {
    if (guess != attribute_slot::no_text && strings_.holds(guess, text)) return guess;
    return strings_.intern(text);
  }

  std::vector<std::unique_ptr<chunk>> chunks_;
  std::size_t size_ = 0;
  detail::trace_table traces_;
  detail::paged_arena<std::uint64_t, 15> attribute_words_;  // rows' attribute records (attribute_record.hpp)
  detail::paged_arena<char, 16> long_texts_;                // [u32 length][bytes] per long string value
  std::deque<attribute_value> arrays_;                      // array values (rare)
  std::deque<row_extras> extras_;                           // in row order
  std::vector<resource> resources_;
  std::vector<scope> scopes_;
  std::unordered_multimap<std::uint64_t, std::uint32_t> resource_by_hash_;
  std::vector<std::uint32_t> resource_of_service_;  // by service string id: the last resource seen with it
  std::unordered_multimap<std::uint64_t, std::uint32_t> scope_by_hash_;
  detail::string_interner strings_;
};

// A stored span, read in place: a store pointer and a row number. Its members are those of
// every stored span (stored_span.hpp), plus the interned `resource_of()` and `scope_of()`.
class memory_store::span_ref {
 public:
  span_ref() = default;
  span_ref(const memory_store* store, std::uint32_t row) noexcept : store_(store), row_(row) {}

  std::uint32_t row() const noexcept { return row_; }
  const memory_store& store() const noexcept { return *store_; }

  trace_id trace() const noexcept { return store_->traces_.get(c().trace_numbers[i()]).id; }
  span_id id() const noexcept { return span_id(c().ids[i()]); }
  span_id parent() const noexcept { return span_id(c().parents[i()]); }
  std::string_view name() const noexcept { return store_->strings_.get(c().names[i()]); }
  std::string_view service() const noexcept { return store_->strings_.get(c().services[i()]); }
  timestamp_ns start() const noexcept { return c().starts[i()]; }
  duration_ns duration() const noexcept { return c().durations[i()]; }
  timestamp_ns end() const noexcept { return start() + duration(); }
  status_code status() const noexcept { return c().statuses[i()]; }
  span_kind kind() const noexcept { return c().kinds[i()]; }
  std::string_view status_message() const noexcept {
    const row_extras* extra = store_->extras_of(row_);
    return extra ? std::string_view(extra->status_message) : std::string_view();
  }
  std::string_view scope_name() const noexcept { return scope_of().name; }
  std::string_view scope_version() const noexcept { return scope_of().version; }
  const resource& resource_of() const noexcept { return store_->resources_[c().resources[i()]]; }
  const scope& scope_of() const noexcept { return store_->scopes_[c().scopes[i()]]; }
  span materialize() const { return store_->materialize(row_); }

  template <class F>
  bool visit_attributes(F&& f) const;

  friend bool operator==(const span_ref& a, const span_ref& b) noexcept {
    return a.store_ == b.store_ && a.row_ == b.row_;
  }

 private:
  const chunk& c() const noexcept { return store_->chunk_of(row_); }
  std::uint32_t i() const noexcept { return index_in_chunk(row_); }

  const memory_store* store_ = nullptr;
  std::uint32_t row_ = 0;
};

template <>
struct span_traits<memory_store::span_ref> : stored_span_traits<memory_store::span_ref> {};

// A row's span attribute values, decoded by position in the order of its slots; strings are
// views into the store.
class memory_store::attribute_values_view {
 public:
  attribute_values_view() = default;
  attribute_values_view(const memory_store* store, const std::uint64_t* slots, std::size_t count) noexcept
      : store_(store), slots_(slots), count_(count) {}
  basic_attribute_value<std::string_view> operator[](std::size_t i) const { return store_->decode_value(slots_, count_, i); }
  std::size_t size() const noexcept { return count_; }

 private:
  const memory_store* store_ = nullptr;
  const std::uint64_t* slots_ = nullptr;
  std::size_t count_ = 0;
};

// One column of the whole store, across its chunks: a sized random-access range.
template <class T>
class memory_store::column_view {
 public:
  using member = T (chunk::*)[chunk_rows];

  class iterator : public detail::row_iterator<iterator, T> {
   public:
    iterator() = default;
    iterator(const column_view* view, std::size_t row) noexcept : detail::row_iterator<iterator, T>(row), view_(view) {}
    T read(std::size_t row) const noexcept { return (*view_)[row]; }

   private:
    const column_view* view_ = nullptr;
  };

  column_view(const memory_store* store, member column) noexcept : store_(store), column_(column) {}
  T operator[](std::size_t row) const noexcept {
    return (store_->chunks_[row >> chunk::shift].get()->*column_)[row & (chunk_rows - 1)];
  }
  std::size_t size() const noexcept { return store_->size(); }
  bool empty() const noexcept { return size() == 0; }
  iterator begin() const noexcept { return iterator(this, 0); }
  iterator end() const noexcept { return iterator(this, size()); }

 private:
  const memory_store* store_;
  member column_;
};

// One chunk of the store read column by column: raw column pointers, so that loops over rows
// keep them in registers. Row r of the block is row `first_row() + r` of the store. Stays
// valid for the store's life (later appends add rows to the last chunk, not to this block).
class memory_store::block {
 public:
  static constexpr std::size_t short_text = memory_store::short_text;
  static constexpr bool shared_strings = true;  // one interning table for the whole store

  block() = default;
  block(const memory_store& s, const chunk& c, std::uint32_t first) noexcept
      : store_(&s), chunk_(&c), first_(first), rows_(c.rows) {}

  std::uint32_t rows() const noexcept { return rows_; }
  std::uint32_t first_row() const noexcept { return first_; }
  // The column accessors take a row as std::size_t: a loop whose row is a 64-bit sum
  // (first + i) is a plain stride over the column, which the compiler vectorizes; a 32-bit
  // sum might wrap, and the loop would stay scalar.
  trace_id trace(std::size_t row) const noexcept { return store_->traces_.get(chunk_->trace_numbers[row]).id; }
  timestamp_ns start(std::size_t row) const noexcept { return chunk_->starts[row]; }
  duration_ns duration(std::size_t row) const noexcept { return chunk_->durations[row]; }
  status_code status(std::size_t row) const noexcept { return chunk_->statuses[row]; }
  span_kind kind(std::size_t row) const noexcept { return chunk_->kinds[row]; }
  std::uint32_t service_id(std::size_t row) const noexcept { return chunk_->services[row]; }
  std::uint32_t name_id(std::size_t row) const noexcept { return chunk_->names[row]; }
  std::uint32_t string_count() const noexcept { return static_cast<std::uint32_t>(store_->string_count()); }
  std::string_view string(std::uint32_t id) const noexcept { return store_->string_of_id(id); }
  std::optional<std::uint32_t> find_string(std::string_view text) const { return store_->find_string_id(text); }
  span_ref span(std::uint32_t row) const noexcept { return span_ref(store_, first_ + row); }
  block_bounds bounds() const noexcept { return chunk_->bounds; }
  std::uint32_t service_count() const noexcept { return static_cast<std::uint32_t>(chunk_->service_ids.size()); }
  std::uint32_t service_at(std::uint32_t k) const noexcept { return chunk_->service_ids[k]; }

  std::span<const attribute_slot> attribute_slots(std::uint32_t row) const noexcept { return store_->span_attribute_slots(first_ + row); }
  attribute_values_view attribute_values(std::uint32_t row) const noexcept { return store_->span_attribute_values(first_ + row); }
  void prefetch_attributes(std::uint32_t row) const noexcept { store_->prefetch_span_attributes(first_ + row); }
  std::uint32_t resource_id(std::uint32_t row) const noexcept { return chunk_->resources[row]; }
  std::uint32_t scope_id(std::uint32_t row) const noexcept { return chunk_->scopes[row]; }
  const text_postings* text_index() const;
  const std::uint32_t* attribute_text_column(std::uint32_t key) const;
  bool has_event_or_link_attributes() const noexcept { return chunk_->has_event_or_link_attributes; }
  std::span<const resource> resources() const noexcept { return store_->resources(); }
  std::span<const scope> scopes() const noexcept { return store_->scopes(); }
  template <class F>
  bool visit_event_and_link_attributes(std::uint32_t row, F&& f) const {
    return store_->visit_event_and_link_attributes(first_ + row, f);
  }

 private:
  const memory_store* store_ = nullptr;
  const chunk* chunk_ = nullptr;
  std::uint32_t first_ = 0;
  std::uint32_t rows_ = 0;
};

inline std::vector<memory_store::block> memory_store::blocks() const {
  std::vector<block> out;
  out.reserve(chunks_.size());
  for (std::size_t k = 0; k < chunks_.size(); ++k)
    out.emplace_back(*this, *chunks_[k], static_cast<std::uint32_t>(k << chunk::shift));
  return out;
}

inline memory_store::span_ref memory_store::at(std::uint32_t row) const noexcept { return span_ref(this, row); }

// Rows [first, last) of a store as span_refs. (Hand-written rather than an iota/transform
// view: clang 14 cannot compile libstdc++ 12's views.)
class memory_store::row_range {
 public:
  class iterator : public detail::row_iterator<iterator, span_ref> {
   public:
    iterator() = default;
    iterator(const memory_store* store, std::uint32_t row) noexcept : detail::row_iterator<iterator, span_ref>(row), store_(store) {}
    span_ref read(std::size_t row) const noexcept { return span_ref(store_, static_cast<std::uint32_t>(row)); }

   private:
    const memory_store* store_ = nullptr;
  };

  row_range(const memory_store* store, std::uint32_t first, std::uint32_t last) noexcept
      : store_(store), first_(first), last_(last) {}
  iterator begin() const noexcept { return iterator(store_, first_); }
  iterator end() const noexcept { return iterator(store_, last_); }
  std::size_t size() const noexcept { return last_ - first_; }
  bool empty() const noexcept { return first_ == last_; }

 private:
  const memory_store* store_;
  std::uint32_t first_, last_;
};

inline memory_store::row_range memory_store::scan() const noexcept {
  return row_range(this, 0, static_cast<std::uint32_t>(size()));
}

static_assert(span_like<memory_store::span_ref>);
static_assert(attributed_span_like<memory_store::span_ref>);
static_assert(scoped_span_like<memory_store::span_ref>);
static_assert(std::random_access_iterator<memory_store::row_range::iterator>);
static_assert(std::ranges::sized_range<memory_store::row_range>);
static_assert(std::random_access_iterator<memory_store::column_view<duration_ns>::iterator>);
static_assert(span_store<memory_store>);
static_assert(column_block<memory_store::block>);
static_assert(columnar_store<memory_store>);

// ---------------------------------------------------------------------------------------

namespace detail {
inline std::uint64_t hash_combine(std::uint64_t seed, std::string_view text) noexcept {
  return mix64(seed ^ std::hash<std::string_view>{}(text));
}
// A hash of a value that allocates only for arrays (rare): scalars hash their bits.
template <class String>
std::uint64_t hash_value(std::uint64_t seed, const basic_attribute_value<String>& value) {
  return std::visit(
      [seed, &value](const auto& v) -> std::uint64_t {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, bool> || std::is_same_v<V, std::int64_t>)
          return mix64(seed ^ static_cast<std::uint64_t>(v) ^ (value.index() << 56));
        else if constexpr (std::is_same_v<V, double>)
          return mix64(seed ^ std::bit_cast<std::uint64_t>(v) ^ (value.index() << 56));
        else if constexpr (std::is_same_v<V, String>)
          return hash_combine(seed, std::string_view(v));
        else
          return hash_combine(seed ^ (value.index() << 56), trace::to_string(value));
      },
      value);
}
template <class String>
std::uint64_t hash_attributes(std::uint64_t seed, const basic_attributes<String>& items) {
  for (const auto& item : items) seed = hash_value(hash_combine(seed, item.key), item.value);
  return seed;
}
// Equal lists (same keys and values in the same order), across string types.
template <class String>
bool same_attributes(const attributes& a, const basic_attributes<String>& b) {
  if (a.size() != b.size()) return false;
  auto it = b.begin();
  for (const auto& item : a) {
    if (std::string_view(item.key) != std::string_view(it->key) || !same_value(item.value, it->value)) return false;
    ++it;
  }
  return true;
}
template <class String>
bool same_resource(const resource& a, const basic_resource<String>& b) {
  return std::string_view(a.service_name) == std::string_view(b.service_name) &&
         a.dropped_attributes == b.dropped_attributes && std::string_view(a.schema_url) == std::string_view(b.schema_url) &&
         same_attributes(a.attributes, b.attributes);
}
template <class String>
bool same_scope(const scope& a, const basic_scope<String>& b) {
  return std::string_view(a.name) == std::string_view(b.name) && std::string_view(a.version) == std::string_view(b.version) &&
         a.dropped_attributes == b.dropped_attributes && std::string_view(a.schema_url) == std::string_view(b.schema_url) &&
         same_attributes(a.attributes, b.attributes);
}
}  // namespace detail

template <std::ranges::forward_range R>
void memory_store::append(const R& batch) {
  // One pass over the batch before storing anything (a 10k-span batch outgrows the cache, so
  // each pass over it costs its misses): the model's rules, as validate_batch checks them,
  // and the attribute words it may take. Attribute positions are 32-bit: a batch that could
  // pass that is refused (each row takes at most 3 words an attribute, and a page may be
  // left unused).
  std::size_t count = 0, words = 0;
  for (const auto& s : batch) {
    if (auto problem = span_problem(s))
      throw error(errc::invalid_span, "batch span #" + std::to_string(count) + ": " + *problem);
    words += 1 + 3 * s.attributes.size();
    ++count;
  }
  if (size() + count >= no_row) throw error(errc::invalid_argument, "memory_store holds at most 2^32 - 1 spans");
  if (attribute_words_.end_position() + 2 * words + decltype(attribute_words_)::page_size >= (std::uint64_t{1} << 32))
    throw error(errc::invalid_argument, "memory_store holds at most 2^32 words of span attributes (32 GiB)");
  for (const auto& s : batch) append_one(s);
}

template <class String>
void memory_store::append_one(const basic_span<String>& s) {
  const auto row = static_cast<std::uint32_t>(size_);
  const std::uint32_t i = index_in_chunk(row);
  if (i == 0) chunks_.push_back(std::make_unique_for_overwrite<chunk>());
  chunk& c = *chunks_.back();
  const std::uint32_t previous = i ? i - 1 : 0;  // the previous row in this chunk, if any

  // The trace: spans of a batch usually follow their trace's previous span.
  std::uint32_t number;
  if (i && traces_.get(c.trace_numbers[previous]).id == s.trace) {
    number = c.trace_numbers[previous];
    auto& trace = traces_.get(number);
    chunk_of(trace.tail).next_in_trace[index_in_chunk(trace.tail)] = row;
    trace.tail = row;
  } else {
    bool added;
    auto& trace = traces_.find_or_add(s.trace, row, added, number);
    if (!added) {
      chunk_of(trace.tail).next_in_trace[index_in_chunk(trace.tail)] = row;
      trace.tail = row;
    }
  }
  c.trace_numbers[i] = number;
  c.next_in_trace[i] = no_row;
  c.ids[i] = s.id.value();
  c.parents[i] = s.parent.value();
  c.starts[i] = s.start;
  c.durations[i] = s.end - s.start;
  c.note_times(s.start, s.end - s.start);
  c.services[i] = intern_like(s.resource.service_name, i ? c.services[previous] : attribute_slot::no_text);
  c.note_service(c.services[i]);
  c.names[i] = intern_like(s.name, i ? c.names[previous] : attribute_slot::no_text);
  c.statuses[i] = s.status.code;
  c.kinds[i] = s.kind;
  c.flags[i] = s.flags < chunk::flags_elsewhere ? static_cast<std::uint16_t>(s.flags) : chunk::flags_elsewhere;
  c.resources[i] = intern_resource(s.resource, c.services[i]);
  c.scopes[i] = intern_scope(s.scope);
  store_attributes(c, i, row, s.attributes);

  if (i % 64 == 0) c.extras_before[i / 64] = static_cast<std::uint32_t>(extras_.size());
  const bool has_extras = !std::string_view(s.trace_state).empty() || !std::string_view(s.status.message).empty() ||
                          !s.events.empty() || !s.links.empty() || s.dropped_attributes || s.dropped_events ||
                          s.dropped_links || c.flags[i] == chunk::flags_elsewhere;
  if (has_extras) {
    row_extras& extra = extras_.emplace_back(row_extras{std::string(s.trace_state), std::string(s.status.message), {}, {},
                                                        s.dropped_attributes, s.dropped_events, s.dropped_links, s.flags});
    for (const auto& e : s.events) {
      extra.events.push_back({e.time, std::string(e.name), own(e.attributes), e.level, e.dropped_attributes});
      c.has_event_or_link_attributes |= !e.attributes.empty();
    }
    for (const auto& l : s.links) {
      extra.links.push_back({l.trace, l.span, std::string(l.trace_state), own(l.attributes), l.dropped_attributes, l.flags});
      c.has_event_or_link_attributes |= !l.attributes.empty();
    }
    c.has_extras[i / 64] |= std::uint64_t{1} << (i % 64);
  }
  c.rows = i + 1;
  ++size_;
}

template <class String>
void memory_store::store_attributes(chunk& c, std::uint32_t i, std::uint32_t row, const basic_attributes<String>& items) {
  using detail::stored_value_kind;
  const std::size_t count = items.size();
  std::size_t payloads = 0;
  for (const auto& item : items) {
    const auto* text = std::get_if<String>(&item.value);
    payloads += !(text && std::string_view(*text).size() <= short_text);
  }
  auto [position, at] = attribute_words_.allocate(detail::attribute_record::words(count, payloads));
  c.attribute_counts[i] = static_cast<std::uint8_t>(std::min<std::size_t>(count, detail::attribute_record::long_row));
  if (!count) {
    c.attribute_positions[i] = static_cast<std::uint32_t>(position);
    return;
  }
  std::uint64_t* slots = detail::attribute_record::start(at, count);
  c.attribute_positions[i] = static_cast<std::uint32_t>(position + static_cast<std::uint64_t>(slots - at));
  auto* kinds = reinterpret_cast<std::uint8_t*>(slots + count);
  std::uint64_t* payload = slots + count + (count + 7) / 8;

  // Spans in a batch tend to repeat the previous span's keys in the same order, and often
  // its values: comparing with the slot at the same position is cheaper than hashing.
  std::span<const attribute_slot> before;
  if (row) before = span_attribute_slots(row - 1);
  std::size_t k = 0;
  for (const auto& item : items) {
    const attribute_slot guess = k < before.size() ? before[k] : attribute_slot{attribute_slot::no_text};
    attribute_slot slot{intern_like(item.key, guess.key)};
    stored_value_kind kind = stored_value_kind::short_text;
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, bool>) {
            kind = stored_value_kind::boolean;
            *payload++ = v;
          } else if constexpr (std::is_same_v<V, std::int64_t>) {
            kind = stored_value_kind::integer;
            *payload++ = detail::payload_of(v);
          } else if constexpr (std::is_same_v<V, double>) {
            kind = stored_value_kind::real;
            *payload++ = detail::payload_of(v);
          } else if constexpr (std::is_same_v<V, String>) {
            const std::string_view text(v);
            if (text.size() <= short_text) {
              slot.text = intern_like(text, guess.text);
            } else {
              kind = stored_value_kind::long_text;
              const std::uint32_t length = static_cast<std::uint32_t>(text.size());
              auto [where, bytes] = long_texts_.allocate(sizeof length + text.size());
              std::memcpy(bytes, &length, sizeof length);
              std::memcpy(bytes + sizeof length, text.data(), text.size());
              *payload++ = where;
            }
          } else {
            kind = stored_value_kind::array;
            *payload++ = arrays_.size();
            arrays_.push_back(convert_value<std::string>(item.value));
          }
        },
        item.value);
    ::new (static_cast<void*>(slots + k)) attribute_slot(slot);
    kinds[k] = static_cast<std::uint8_t>(kind);
    ++k;
  }
}

template <class String>
attributes memory_store::own(const basic_attributes<String>& items) const {
  attributes out;
  out.reserve(items.size());
  for (const auto& item : items) out.set(std::string(item.key), convert_value<std::string>(item.value));
  return out;
}

template <class String>
std::uint32_t memory_store::intern_resource(const basic_resource<String>& r, std::uint32_t service) {
  // A service usually has one resource: compare with its last one before hashing.
  if (service < resource_of_service_.size() && resource_of_service_[service] != no_row &&
      detail::same_resource(resources_[resource_of_service_[service]], r))
    return resource_of_service_[service];
  if (service >= resource_of_service_.size()) resource_of_service_.resize(service + 1, no_row);
  resource_of_service_[service] = find_or_add_resource(r);
  return resource_of_service_[service];
}

template <class String>
std::uint32_t memory_store::find_or_add_resource(const basic_resource<String>& r) {
  const std::uint64_t hash = detail::hash_attributes(detail::hash_combine(r.dropped_attributes, r.service_name), r.attributes);
  auto candidates = resource_by_hash_.equal_range(hash);
  for (auto it = candidates.first; it != candidates.second; ++it)
    if (detail::same_resource(resources_[it->second], r)) return it->second;
  auto id = static_cast<std::uint32_t>(resources_.size());
  resources_.push_back(resource{std::string(r.service_name), own(r.attributes), r.dropped_attributes, std::string(r.schema_url)});
  resource_by_hash_.emplace(hash, id);
  return id;
}

template <class String>
std::uint32_t memory_store::intern_scope(const basic_scope<String>& s) {
  if (size_) {
    const auto last = static_cast<std::uint32_t>(size_ - 1);
    const std::uint32_t id = chunk_of(last).scopes[index_in_chunk(last)];
    if (detail::same_scope(scopes_[id], s)) return id;
  }
  const std::uint64_t hash = detail::hash_attributes(
      detail::hash_combine(detail::hash_combine(s.dropped_attributes, s.name), s.version), s.attributes);
  auto candidates = scope_by_hash_.equal_range(hash);
  for (auto it = candidates.first; it != candidates.second; ++it)
    if (detail::same_scope(scopes_[it->second], s)) return it->second;
  auto id = static_cast<std::uint32_t>(scopes_.size());
  scopes_.push_back(scope{std::string(s.name), std::string(s.version), own(s.attributes), s.dropped_attributes, std::string(s.schema_url)});
  scope_by_hash_.emplace(hash, id);
  return id;
}

inline const std::uint64_t* memory_store::attribute_words(std::uint32_t row, std::size_t& count) const noexcept {
  const chunk& c = chunk_of(row);
  const std::uint32_t i = index_in_chunk(row);
  count = c.attribute_counts[i];
  if (!count) return nullptr;
  const std::uint64_t* slots = attribute_words_.at(c.attribute_positions[i]);
  if (count == detail::attribute_record::long_row) count = detail::attribute_record::long_count(slots);
  return slots;
}

inline std::span<const attribute_slot> memory_store::span_attribute_slots(std::uint32_t row) const noexcept {
  std::size_t count;
  const std::uint64_t* slots = attribute_words(row, count);
  return {reinterpret_cast<const attribute_slot*>(slots), count};
}

inline memory_store::attribute_values_view memory_store::span_attribute_values(std::uint32_t row) const noexcept {
  std::size_t count;
  const std::uint64_t* slots = attribute_words(row, count);
  return attribute_values_view(this, slots, count);
}

inline void memory_store::prefetch_span_attributes(std::uint32_t row) const noexcept {
  const chunk& c = chunk_of(row);
  const std::uint32_t i = index_in_chunk(row);
  if (c.attribute_counts[i]) __builtin_prefetch(attribute_words_.at(c.attribute_positions[i]));
}

inline basic_attribute_value<std::string_view> memory_store::decode_value(const std::uint64_t* slots, std::size_t count,
                                                                          std::size_t i) const {
  using detail::stored_value_kind;
  const auto kind = static_cast<stored_value_kind>(detail::attribute_record::kinds(slots, count)[i]);
  if (kind == stored_value_kind::short_text) return strings_.get(reinterpret_cast<const attribute_slot*>(slots)[i].text);
  const std::uint64_t payload = detail::attribute_record::payload(slots, count, i);
  switch (kind) {
    case stored_value_kind::boolean: return payload != 0;
    case stored_value_kind::integer: return static_cast<std::int64_t>(payload);
    case stored_value_kind::real: return std::bit_cast<double>(payload);
    case stored_value_kind::long_text: {
      const char* bytes = long_texts_.at(payload);
      std::uint32_t length;
      std::memcpy(&length, bytes, sizeof length);
      return std::string_view(bytes + sizeof length, length);
    }
    default: return convert_value<std::string_view>(arrays_[static_cast<std::size_t>(payload)]);
  }
}

inline memory_store::trace_range memory_store::find_trace(const trace_id& id) const {
  std::vector<span_ref> spans;
  const std::uint32_t number = traces_.find(id);
  for (std::uint32_t row = number == detail::trace_table::none ? no_row : traces_.get(number).head; row != no_row;
       row = chunk_of(row).next_in_trace[index_in_chunk(row)])
    spans.emplace_back(this, row);
  return trace_range(std::move(spans), {});
}

inline span memory_store::materialize(std::uint32_t row) const {
  const chunk& c = chunk_of(row);
  const std::uint32_t i = index_in_chunk(row);
  span s;
  s.trace = traces_.get(c.trace_numbers[i]).id;
  s.id = span_id(c.ids[i]);
  s.parent = span_id(c.parents[i]);
  s.name = std::string(strings_.get(c.names[i]));
  s.kind = c.kinds[i];
  s.flags = c.flags[i];
  s.start = c.starts[i];
  s.end = c.starts[i] + c.durations[i];
  s.status.code = c.statuses[i];
  std::size_t count;
  const std::uint64_t* slots = attribute_words(row, count);
  for (std::size_t k = 0; k < count; ++k)
    s.attributes.set(std::string(strings_.get(reinterpret_cast<const attribute_slot*>(slots)[k].key)),
                     convert_value<std::string>(decode_value(slots, count, k)));
  s.resource = resources_[c.resources[i]];
  s.scope = scopes_[c.scopes[i]];
  if (const row_extras* extra = extras_of(row)) {
    s.trace_state = extra->trace_state;
    s.status.message = extra->status_message;
    s.events = extra->events;
    s.links = extra->links;
    s.dropped_attributes = extra->dropped_attributes;
    s.dropped_events = extra->dropped_events;
    s.dropped_links = extra->dropped_links;
    s.flags = extra->flags;
  }
  return s;
}

template <class F>
bool memory_store::span_ref::visit_attributes(F&& f) const {
  const memory_store& store = *store_;
  std::size_t count;
  const std::uint64_t* slots = store.attribute_words(row_, count);
  for (std::size_t k = 0; k < count; ++k)
    if (f(attribute_scope::span, store.strings_.get(reinterpret_cast<const attribute_slot*>(slots)[k].key),
          store.decode_value(slots, count, k)))
      return true;
  if (detail::visit_attribute_list(attribute_scope::resource, resource_of().attributes, f)) return true;
  if (detail::visit_attribute_list(attribute_scope::scope, scope_of().attributes, f)) return true;
  return store.visit_event_and_link_attributes(row_, f);
}

template <class F>
bool memory_store::visit_event_and_link_attributes(std::uint32_t row, F&& f) const {
  const row_extras* extra = extras_of(row);
  if (!extra) return false;
  for (const auto& e : extra->events)
    if (detail::visit_attribute_list(attribute_scope::event, e.attributes, f)) return true;
  for (const auto& l : extra->links)
    if (detail::visit_attribute_list(attribute_scope::link, l.attributes, f)) return true;
  return false;
}

inline const text_postings* memory_store::block::text_index() const {
  auto& state = *chunk_->built;
  std::lock_guard lock(state.mutex);
  for (auto row = state.index.rows(); row < rows_; ++row) state.index.add(span(row));
  return &state.index;
}

inline const std::uint32_t* memory_store::block::attribute_text_column(std::uint32_t key) const {
  auto& state = *chunk_->built;
  std::lock_guard lock(state.mutex);
  auto column = std::ranges::find(state.key_columns, key, &chunk::key_column::key);
  if (column == state.key_columns.end())
    column = state.key_columns.insert(column, {key, 0, std::make_unique_for_overwrite<std::uint32_t[]>(chunk_rows)});
  for (; column->rows < rows_; ++column->rows) {
    std::uint32_t text = attribute_slot::no_text;
    for (const attribute_slot& slot : attribute_slots(column->rows))
      if (slot.key == key) {
        text = slot.text == attribute_slot::no_text ? attribute_slot::other_value : slot.text;
        break;
      }
    column->texts[column->rows] = text;
  }
  return column->texts.get();
}

inline std::size_t memory_store::text_indexed_rows() const {
  std::size_t rows = 0;
  for (const auto& c : chunks_) {
    std::lock_guard lock(c->built->mutex);
    rows += c->built->index.rows();
  }
  return rows;
}

inline memory_store::column_view<timestamp_ns> memory_store::start_column() const noexcept { return {this, &chunk::starts}; }
inline memory_store::column_view<duration_ns> memory_store::duration_column() const noexcept { return {this, &chunk::durations}; }
inline memory_store::column_view<std::uint32_t> memory_store::service_column() const noexcept { return {this, &chunk::services}; }
inline memory_store::column_view<std::uint32_t> memory_store::name_column() const noexcept { return {this, &chunk::names}; }
inline memory_store::column_view<status_code> memory_store::status_column() const noexcept { return {this, &chunk::statuses}; }
inline memory_store::column_view<span_kind> memory_store::kind_column() const noexcept { return {this, &chunk::kinds}; }
inline memory_store::column_view<std::uint32_t> memory_store::resource_column() const noexcept { return {this, &chunk::resources}; }
inline memory_store::column_view<std::uint32_t> memory_store::scope_column() const noexcept { return {this, &chunk::scopes}; }

inline std::vector<std::string_view> memory_store::services() const {
  std::vector<bool> seen(strings_.size(), false);
  std::vector<std::string_view> out;
  for (const auto& c : chunks_)
    for (std::uint32_t id : c->service_ids) {
      if (seen[id]) continue;
      seen[id] = true;
      out.push_back(strings_.get(id));
    }
  std::ranges::sort(out);
  return out;
}

inline std::vector<std::string_view> memory_store::operations(std::string_view service) const {
  std::vector<std::string_view> out;
  auto service_id = strings_.find(service);
  if (!service_id) return out;
  std::vector<bool> seen(strings_.size(), false);
  for (const auto& c : chunks_) {
    if (*service_id >= c->has_service.size() || !c->has_service[*service_id]) continue;
    for (std::uint32_t i = 0; i < c->rows; ++i) {
      if (c->services[i] != *service_id || seen[c->names[i]]) continue;
      seen[c->names[i]] = true;
      out.push_back(strings_.get(c->names[i]));
    }
  }
  std::ranges::sort(out);
  return out;
}

inline memory_store_usage memory_store::memory_usage() const {
  memory_store_usage u;
  u.columns = chunks_.capacity() * sizeof(std::unique_ptr<chunk>);
  for (const auto& c : chunks_) {
    u.columns += sizeof(chunk) + c->service_ids.capacity() * sizeof(std::uint32_t) + c->has_service.capacity() / 8;
    std::lock_guard lock(c->built->mutex);
    u.key_columns += c->built->key_columns.capacity() * sizeof(chunk::key_column) +
                     c->built->key_columns.size() * chunk_rows * sizeof(std::uint32_t);
  }
  u.attributes = attribute_words_.memory_bytes();
  u.long_texts = long_texts_.memory_bytes() + arrays_.size() * sizeof(attribute_value);
  u.extras = extras_.size() * sizeof(row_extras);
  for (const auto& e : extras_) {
    // Heap behind the strings (beyond their inline buffers) and the event and link lists.
    for (const std::string* text : {&e.trace_state, &e.status_message})
      if (text->capacity() > 15) u.extras += text->capacity() + 1;
    u.extras += e.events.capacity() * sizeof(event) + e.links.capacity() * sizeof(link);
  }
  u.strings = strings_.memory_bytes();
  u.traces = traces_.memory_bytes();
  u.resources = resources_.capacity() * sizeof(resource) + scopes_.capacity() * sizeof(scope) +
                resource_of_service_.capacity() * sizeof(std::uint32_t) +
                (resource_by_hash_.size() + scope_by_hash_.size()) * 32;
  return u;
}

}  // namespace v0
}  // namespace trace
