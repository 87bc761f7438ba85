#pragma once
// The in-memory store: spans kept column by column (ids, times, interned service and
// operation names, status, kind), attributes in a side area, and a trace-id hash index
// chaining the rows of each trace, so that a scan touches only the columns it reads and a
// trace lookup touches only that trace's rows.
//
// Thread safety: one writer; readers may run concurrently with each other but not with
// `append` (guard the store with a shared mutex if you need both). Views and ranges handed
// out stay valid until the next append; string views of names stay valid for the store's life.

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <iterator>
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
#include "trace/detail/trace_index.hpp"
#include "trace/store/columnar_store.hpp"
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

class memory_store {
 public:
  class span_ref;
  class row_range;
  using trace_range = gathered_spans<span_ref>;  // a trace's spans, gathered by find_trace
  class block;

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

  std::size_t size() const noexcept { return starts_.size(); }
  std::size_t trace_count() const noexcept { return index_.size(); }
  bool empty() const noexcept { return size() == 0; }

  // Every span, in insertion order, as `span_ref`s.
  row_range scan() const noexcept;

  // The span at a row, 0 <= row < size().
  span_ref at(std::uint32_t row) const noexcept;

  // The whole store as one `column_block` (columnar_store.hpp), for the fast paths.
  std::array<block, 1> blocks() const noexcept;

  // The spans of one trace, in insertion order, gathered by the call; empty for an unknown id.
  trace_range find_trace(const trace_id& id) const;

  // A full owning copy of one stored span.
  span materialize(std::uint32_t row) const;

  // The text index over every span, brought up to date by the first call after appends (so
  // a store never searched never pays for it); text conditions read it through `blocks()`.
  // Safe on concurrent readers, as every reading call.
  const text_postings& text_index() const;

  // Distinct service names, and the operation names seen with one service, sorted.
  std::vector<std::string_view> services() const;
  std::vector<std::string_view> operations(std::string_view service) const;

  // ---- columns, for algorithms that want to run at memory speed ----
  std::span<const trace_id> trace_column() const noexcept { return traces_; }
  std::span<const timestamp_ns> start_column() const noexcept { return starts_; }
  std::span<const duration_ns> duration_column() const noexcept { return durations_; }
  std::span<const std::uint32_t> service_column() const noexcept { return services_; }  // string ids
  std::span<const std::uint32_t> name_column() const noexcept { return names_; }        // string ids
  std::span<const status_code> status_column() const noexcept { return statuses_; }
  std::span<const span_kind> kind_column() const noexcept { return kinds_; }
  // A row's span attributes: a slot each (interned key, and the interned text of a short
  // string value), and the values in the same order. Slots are kept apart from the values
  // so that looking for a key, or for a short string by equality, reads 8 bytes an attribute.
  using attribute_slot = trace::attribute_slot;  // no_text: not a string, or longer than short_text
  static constexpr std::size_t short_text = 32;  // longer strings are rarely repeated: not interned
  std::span<const attribute_slot> span_attribute_slots(std::uint32_t row) const noexcept {
    return std::span(attribute_slots_).subspan(attribute_begin_[row], attribute_begin_[row + 1] - attribute_begin_[row]);
  }
  std::span<const attribute_value> span_attribute_values(std::uint32_t row) const noexcept {
    return std::span(attribute_values_).subspan(attribute_begin_[row], attribute_begin_[row + 1] - attribute_begin_[row]);
  }
  // Asks the CPU to start loading a row's attribute slots (for tests over sparse rows).
  void prefetch_span_attributes(std::uint32_t row) const noexcept {
    __builtin_prefetch(attribute_slots_.data() + attribute_begin_[row]);
  }
  // Resources and instrumentation scopes are interned: each row holds the index of its own
  // in `resources()` / `scopes()`, the distinct ones.
  std::span<const std::uint32_t> resource_column() const noexcept { return resource_ids_; }
  std::span<const std::uint32_t> scope_column() const noexcept { return scope_ids_; }
  std::span<const resource> resources() const noexcept { return resources_; }
  std::span<const scope> scopes() const noexcept { return scopes_; }
  // Calls f(where, key, value) over the attributes of a row's events, then its links (most
  // rows have neither); true when f asked to stop.
  template <class F>
  bool visit_event_and_link_attributes(std::uint32_t row, F&& f) const;
  // Service, operation names, attribute keys and short attribute texts share one table of
  // string ids. A string
  // no span carries has no id: a filter on it matches nothing.
  std::optional<std::uint32_t> find_string_id(std::string_view text) const { return strings_.find(text); }
  std::string_view string_of_id(std::uint32_t id) const noexcept { return strings_.get(id); }
  std::size_t string_count() const noexcept { return strings_.size(); }

 private:
  // What only a few spans carry, kept out of the hot columns.
  struct row_extras {
    std::string trace_state;
    std::string status_message;
    std::vector<event> events;
    std::vector<link> links;
    std::uint32_t dropped_attributes = 0;
    std::uint32_t dropped_events = 0;
    std::uint32_t dropped_links = 0;
  };

  template <class String>
  void append_one(const basic_span<String>& s);
  template <class String>
  std::uint32_t intern_resource(const basic_resource<String>& r);
  template <class String>
  std::uint32_t intern_scope(const basic_scope<String>& s);
  template <class String>
  attributes own(const basic_attributes<String>& items) const;

  // columns, one entry per row
  std::vector<trace_id> traces_;
  std::vector<span_id> ids_;
  std::vector<span_id> parents_;
  std::vector<timestamp_ns> starts_;
  std::vector<duration_ns> durations_;
  std::vector<std::uint32_t> services_;
  std::vector<std::uint32_t> names_;
  std::vector<status_code> statuses_;
  std::vector<span_kind> kinds_;
  std::vector<std::uint32_t> flags_;  // OTLP span flags
  std::vector<std::uint32_t> resource_ids_;
  std::vector<std::uint32_t> scope_ids_;
  std::vector<std::uint32_t> extra_ids_;  // 0: none; otherwise index + 1 into extras_
  std::vector<std::uint32_t> next_in_trace_;
  std::vector<std::uint32_t> attribute_begin_{0};  // row r's attributes: [begin[r], begin[r+1])

  // side areas
  std::vector<attribute_slot> attribute_slots_;
  std::vector<attribute_value> attribute_values_;
  std::vector<row_extras> extras_;
  std::vector<resource> resources_;
  std::vector<scope> scopes_;
  std::unordered_multimap<std::uint64_t, std::uint32_t> resource_by_hash_;
  std::unordered_multimap<std::uint64_t, std::uint32_t> scope_by_hash_;
  detail::string_interner strings_;
  detail::trace_index index_;
  struct text_state {
    std::mutex mutex;  // readers that find the index behind the rows take turns bringing it up
    text_postings index;
  };
  mutable std::unique_ptr<text_state> text_ = std::make_unique<text_state>();  // a pointer: the store stays movable

  // the block's bounds: start and duration ranges, the distinct service ids
  block_bounds bounds_{std::numeric_limits<timestamp_ns>::max(), 0, std::numeric_limits<duration_ns>::max(), 0};
  std::vector<std::uint32_t> service_ids_;
  std::vector<bool> has_service_;  // by string id
};

// A stored span, read in place: a store pointer and a row number. Its members are those of
// every stored span (stored_span.hpp), plus the interned `resource_of()` and `scope_of()`.
class memory_store::span_ref {
 public:
  span_ref() = default;
  span_ref(const memory_store* store, std::uint32_t row) noexcept : store_(store), row_(row) {}

  std::uint32_t row() const noexcept { return row_; }
  const memory_store& store() const noexcept { return *store_; }

  trace_id trace() const noexcept { return store_->traces_[row_]; }
  span_id id() const noexcept { return store_->ids_[row_]; }
  span_id parent() const noexcept { return store_->parents_[row_]; }
  std::string_view name() const noexcept { return store_->strings_.get(store_->names_[row_]); }
  std::string_view service() const noexcept { return store_->strings_.get(store_->services_[row_]); }
  timestamp_ns start() const noexcept { return store_->starts_[row_]; }
  duration_ns duration() const noexcept { return store_->durations_[row_]; }
  timestamp_ns end() const noexcept { return start() + duration(); }
  status_code status() const noexcept { return store_->statuses_[row_]; }
  span_kind kind() const noexcept { return store_->kinds_[row_]; }
  std::string_view status_message() const noexcept {
    std::uint32_t extra = store_->extra_ids_[row_];
    return extra ? std::string_view(store_->extras_[extra - 1].status_message) : std::string_view();
  }
  std::string_view scope_name() const noexcept { return scope_of().name; }
  std::string_view scope_version() const noexcept { return scope_of().version; }
  const resource& resource_of() const noexcept { return store_->resources_[store_->resource_ids_[row_]]; }
  const scope& scope_of() const noexcept { return store_->scopes_[store_->scope_ids_[row_]]; }
  span materialize() const { return store_->materialize(row_); }

  template <class F>
  bool visit_attributes(F&& f) const;

  friend bool operator==(const span_ref& a, const span_ref& b) noexcept {
    return a.store_ == b.store_ && a.row_ == b.row_;
  }

 private:
  const memory_store* store_ = nullptr;
  std::uint32_t row_ = 0;
};

template <>
struct span_traits<memory_store::span_ref> : stored_span_traits<memory_store::span_ref> {};

// The whole store read column by column: raw column pointers, so that loops over rows keep
// them in registers. Valid until the next append.
class memory_store::block {
 public:
  static constexpr std::size_t short_text = memory_store::short_text;

  block() = default;
  explicit block(const memory_store& s) noexcept
      : store_(&s), traces_(s.traces_.data()), starts_(s.starts_.data()), durations_(s.durations_.data()),
        services_(s.services_.data()), names_(s.names_.data()), statuses_(s.statuses_.data()),
        kinds_(s.kinds_.data()), rows_(static_cast<std::uint32_t>(s.size())) {}

  std::uint32_t rows() const noexcept { return rows_; }
  trace_id trace(std::uint32_t row) const noexcept { return traces_[row]; }
  timestamp_ns start(std::uint32_t row) const noexcept { return starts_[row]; }
  duration_ns duration(std::uint32_t row) const noexcept { return durations_[row]; }
  status_code status(std::uint32_t row) const noexcept { return statuses_[row]; }
  span_kind kind(std::uint32_t row) const noexcept { return kinds_[row]; }
  std::uint32_t service_id(std::uint32_t row) const noexcept { return services_[row]; }
  std::uint32_t name_id(std::uint32_t row) const noexcept { return names_[row]; }
  std::uint32_t string_count() const noexcept { return static_cast<std::uint32_t>(store_->string_count()); }
  std::string_view string(std::uint32_t id) const noexcept { return store_->string_of_id(id); }
  std::optional<std::uint32_t> find_string(std::string_view text) const { return store_->find_string_id(text); }
  span_ref span(std::uint32_t row) const noexcept { return span_ref(store_, row); }
  block_bounds bounds() const noexcept { return store_->bounds_; }
  std::uint32_t service_count() const noexcept { return static_cast<std::uint32_t>(store_->service_ids_.size()); }
  std::uint32_t service_at(std::uint32_t k) const noexcept { return store_->service_ids_[k]; }

  std::span<const attribute_slot> attribute_slots(std::uint32_t row) const noexcept { return store_->span_attribute_slots(row); }
  std::span<const attribute_value> attribute_values(std::uint32_t row) const noexcept { return store_->span_attribute_values(row); }
  void prefetch_attributes(std::uint32_t row) const noexcept { store_->prefetch_span_attributes(row); }
  std::uint32_t resource_id(std::uint32_t row) const noexcept { return store_->resource_ids_[row]; }
  std::uint32_t scope_id(std::uint32_t row) const noexcept { return store_->scope_ids_[row]; }
  const text_postings* text_index() const { return &store_->text_index(); }
  std::span<const resource> resources() const noexcept { return store_->resources(); }
  std::span<const scope> scopes() const noexcept { return store_->scopes(); }
  template <class F>
  bool visit_event_and_link_attributes(std::uint32_t row, F&& f) const {
    return store_->visit_event_and_link_attributes(row, f);
  }

 private:
  const memory_store* store_ = nullptr;
  const trace_id* traces_ = nullptr;
  const timestamp_ns* starts_ = nullptr;
  const duration_ns* durations_ = nullptr;
  const std::uint32_t* services_ = nullptr;
  const std::uint32_t* names_ = nullptr;
  const status_code* statuses_ = nullptr;
  const span_kind* kinds_ = nullptr;
  std::uint32_t rows_ = 0;
};

inline std::array<memory_store::block, 1> memory_store::blocks() const noexcept { return {block(*this)}; }

inline memory_store::span_ref memory_store::at(std::uint32_t row) const noexcept { return span_ref(this, row); }

// Rows [first, last) of a store as span_refs. (Hand-written rather than an iota/transform
// view: clang 14 cannot compile libstdc++ 12's views.)
class memory_store::row_range {
 public:
  class iterator {
   public:
    using value_type = span_ref;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::random_access_iterator_tag;

    iterator() = default;
    iterator(const memory_store* store, std::uint32_t row) noexcept : store_(store), row_(row) {}
    span_ref operator*() const noexcept { return span_ref(store_, row_); }
    span_ref operator[](difference_type n) const noexcept { return *(*this + n); }
    iterator& operator++() noexcept { ++row_; return *this; }
    iterator operator++(int) noexcept { iterator before = *this; ++row_; return before; }
    iterator& operator--() noexcept { --row_; return *this; }
    iterator operator--(int) noexcept { iterator before = *this; --row_; return before; }
    iterator& operator+=(difference_type n) noexcept { row_ = static_cast<std::uint32_t>(row_ + n); return *this; }
    iterator& operator-=(difference_type n) noexcept { return *this += -n; }
    friend iterator operator+(iterator it, difference_type n) noexcept { return it += n; }
    friend iterator operator+(difference_type n, iterator it) noexcept { return it += n; }
    friend iterator operator-(iterator it, difference_type n) noexcept { return it -= n; }
    friend difference_type operator-(const iterator& a, const iterator& b) noexcept {
      return static_cast<difference_type>(a.row_) - static_cast<difference_type>(b.row_);
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.row_ == b.row_; }
    friend auto operator<=>(const iterator& a, const iterator& b) noexcept { return a.row_ <=> b.row_; }

   private:
    const memory_store* store_ = nullptr;
    std::uint32_t row_ = 0;
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
static_assert(span_store<memory_store>);
static_assert(column_block<memory_store::block>);
static_assert(columnar_store<memory_store>);

// ---------------------------------------------------------------------------------------

namespace detail {
inline std::uint64_t hash_combine(std::uint64_t seed, std::string_view text) noexcept {
  return mix64(seed ^ std::hash<std::string_view>{}(text));
}
template <class String>
std::uint64_t hash_attributes(std::uint64_t seed, const basic_attributes<String>& items) {
  for (const auto& item : items) {
    seed = hash_combine(seed, item.key);
    seed = hash_combine(seed, trace::to_string(item.value));
  }
  return seed;
}
}  // namespace detail

template <std::ranges::forward_range R>
void memory_store::append(const R& batch) {
  const std::size_t count = validate_batch(batch);
  if (size() + count >= detail::trace_index::no_row)
    throw error(errc::invalid_argument, "memory_store holds at most 2^32 - 1 spans");
  for (const auto& s : batch) append_one(s);
}

inline const text_postings& memory_store::text_index() const {
  if (!text_) text_ = std::make_unique<text_state>();  // a moved-from store, assigned anew
  std::lock_guard lock(text_->mutex);
  for (auto row = text_->index.rows(); row < size(); ++row) text_->index.add(at(row));
  return text_->index;
}

template <class String>
void memory_store::append_one(const basic_span<String>& s) {
  auto row = static_cast<std::uint32_t>(size());
  traces_.push_back(s.trace);
  ids_.push_back(s.id);
  parents_.push_back(s.parent);
  starts_.push_back(s.start);
  durations_.push_back(s.end - s.start);
  services_.push_back(strings_.intern(s.resource.service_name));
  if (services_.back() >= has_service_.size()) has_service_.resize(services_.back() + 1, false);
  if (!has_service_[services_.back()]) {
    has_service_[services_.back()] = true;
    service_ids_.push_back(services_.back());
  }
  bounds_.min_start = std::min(bounds_.min_start, s.start);
  bounds_.max_start = std::max(bounds_.max_start, s.start);
  bounds_.min_duration = std::min(bounds_.min_duration, s.end - s.start);
  bounds_.max_duration = std::max(bounds_.max_duration, s.end - s.start);
  names_.push_back(strings_.intern(s.name));
  statuses_.push_back(s.status.code);
  kinds_.push_back(s.kind);
  flags_.push_back(s.flags);
  resource_ids_.push_back(intern_resource(s.resource));
  scope_ids_.push_back(intern_scope(s.scope));

  // Spans in a batch tend to repeat the previous span's keys in the same order, and often
  // its values: comparing with the slot at the same position is cheaper than hashing.
  const std::uint32_t previous_begin = row ? attribute_begin_[row - 1] : 0, previous_end = attribute_begin_[row];
  std::uint32_t position = 0;
  auto intern_like_previous = [&](std::string_view text, std::uint32_t previous_id) {
    return previous_id != attribute_slot::no_text && strings_.get(previous_id) == text ? previous_id : strings_.intern(text);
  };
  for (const auto& item : s.attributes) {
    const attribute_slot previous = previous_begin + position < previous_end ? attribute_slots_[previous_begin + position]
                                                                             : attribute_slot{attribute_slot::no_text};
    ++position;
    attribute_slot slot{intern_like_previous(item.key, previous.key)};
    if (const auto* text = std::get_if<String>(&item.value); text && std::string_view(*text).size() <= short_text)
      slot.text = intern_like_previous(*text, previous.text);
    attribute_slots_.push_back(slot);
    attribute_values_.push_back(convert_value<std::string>(item.value));
  }
  attribute_begin_.push_back(static_cast<std::uint32_t>(attribute_slots_.size()));

  bool has_extras = !std::string_view(s.trace_state).empty() || !std::string_view(s.status.message).empty() ||
                    !s.events.empty() || !s.links.empty() || s.dropped_attributes || s.dropped_events ||
                    s.dropped_links;
  if (has_extras) {
    row_extras extra{std::string(s.trace_state), std::string(s.status.message), {}, {},
                     s.dropped_attributes, s.dropped_events, s.dropped_links};
    for (const auto& e : s.events)
      extra.events.push_back({e.time, std::string(e.name), own(e.attributes), e.level, e.dropped_attributes});
    for (const auto& l : s.links)
      extra.links.push_back({l.trace, l.span, std::string(l.trace_state), own(l.attributes), l.dropped_attributes, l.flags});
    extras_.push_back(std::move(extra));
    extra_ids_.push_back(static_cast<std::uint32_t>(extras_.size()));
  } else {
    extra_ids_.push_back(0);
  }

  next_in_trace_.push_back(detail::trace_index::no_row);
  auto& entry = index_.find_or_insert(s.trace);
  if (entry.head == detail::trace_index::no_row)
    entry.head = row;
  else
    next_in_trace_[entry.tail] = row;
  entry.tail = row;
}

template <class String>
attributes memory_store::own(const basic_attributes<String>& items) const {
  attributes out;
  out.reserve(items.size());
  for (const auto& item : items) out.set(std::string(item.key), convert_value<std::string>(item.value));
  return out;
}

template <class String>
std::uint32_t memory_store::intern_resource(const basic_resource<String>& r) {
  // Batches usually repeat the previous span's resource: compare with it before hashing.
  if (!resources_.empty()) {
    const resource& last = resources_[resource_ids_.empty() ? 0 : resource_ids_.back()];
    if (std::string_view(last.service_name) == std::string_view(r.service_name) &&
        last.dropped_attributes == r.dropped_attributes && last.attributes.size() == r.attributes.size() &&
        std::string_view(last.schema_url) == std::string_view(r.schema_url)) {
      bool same = true;
      auto it = r.attributes.begin();
      for (const auto& item : last.attributes) {
        if (std::string_view(item.key) != std::string_view(it->key) || !same_value(item.value, it->value)) {
          same = false;
          break;
        }
        ++it;
      }
      if (same) return resource_ids_.empty() ? 0 : resource_ids_.back();
    }
  }
  std::uint64_t hash = detail::hash_attributes(detail::hash_combine(r.dropped_attributes, r.service_name), r.attributes);
  auto candidates = resource_by_hash_.equal_range(hash);
  resource owned{std::string(r.service_name), own(r.attributes), r.dropped_attributes, std::string(r.schema_url)};
  for (auto it = candidates.first; it != candidates.second; ++it)
    if (resources_[it->second] == owned) return it->second;
  auto id = static_cast<std::uint32_t>(resources_.size());
  resources_.push_back(std::move(owned));
  resource_by_hash_.emplace(hash, id);
  return id;
}

template <class String>
std::uint32_t memory_store::intern_scope(const basic_scope<String>& s) {
  if (!scope_ids_.empty()) {
    const scope& last = scopes_[scope_ids_.back()];
    if (s.attributes.empty() && last.attributes.empty() && !s.dropped_attributes && !last.dropped_attributes &&
        std::string_view(last.name) == std::string_view(s.name) &&
        std::string_view(last.version) == std::string_view(s.version) &&
        std::string_view(last.schema_url) == std::string_view(s.schema_url))
      return scope_ids_.back();
  }
  std::uint64_t hash = detail::hash_attributes(
      detail::hash_combine(detail::hash_combine(s.dropped_attributes, s.name), s.version), s.attributes);
  scope owned{std::string(s.name), std::string(s.version), own(s.attributes), s.dropped_attributes,
              std::string(s.schema_url)};
  auto candidates = scope_by_hash_.equal_range(hash);
  for (auto it = candidates.first; it != candidates.second; ++it)
    if (scopes_[it->second] == owned) return it->second;
  auto id = static_cast<std::uint32_t>(scopes_.size());
  scopes_.push_back(std::move(owned));
  scope_by_hash_.emplace(hash, id);
  return id;
}

inline memory_store::trace_range memory_store::find_trace(const trace_id& id) const {
  std::vector<span_ref> spans;
  const auto* entry = index_.find(id);
  for (std::uint32_t row = entry ? entry->head : detail::trace_index::no_row; row != detail::trace_index::no_row;
       row = next_in_trace_[row])
    spans.emplace_back(this, row);
  return trace_range(std::move(spans), {});
}

inline span memory_store::materialize(std::uint32_t row) const {
  span s;
  s.trace = traces_[row];
  s.id = ids_[row];
  s.parent = parents_[row];
  s.name = std::string(strings_.get(names_[row]));
  s.kind = kinds_[row];
  s.flags = flags_[row];
  s.start = starts_[row];
  s.end = starts_[row] + durations_[row];
  s.status.code = statuses_[row];
  for (std::uint32_t i = attribute_begin_[row]; i < attribute_begin_[row + 1]; ++i)
    s.attributes.set(std::string(strings_.get(attribute_slots_[i].key)), attribute_values_[i]);
  s.resource = resources_[resource_ids_[row]];
  s.scope = scopes_[scope_ids_[row]];
  if (std::uint32_t extra_id = extra_ids_[row]) {
    const row_extras& extra = extras_[extra_id - 1];
    s.trace_state = extra.trace_state;
    s.status.message = extra.status_message;
    s.events = extra.events;
    s.links = extra.links;
    s.dropped_attributes = extra.dropped_attributes;
    s.dropped_events = extra.dropped_events;
    s.dropped_links = extra.dropped_links;
  }
  return s;
}

template <class F>
bool memory_store::span_ref::visit_attributes(F&& f) const {
  const memory_store& store = *store_;
  for (std::uint32_t i = store.attribute_begin_[row_]; i < store.attribute_begin_[row_ + 1]; ++i) {
    if (f(attribute_scope::span, store.strings_.get(store.attribute_slots_[i].key), store.attribute_values_[i])) return true;
  }
  if (detail::visit_attribute_list(attribute_scope::resource, resource_of().attributes, f)) return true;
  if (detail::visit_attribute_list(attribute_scope::scope, scope_of().attributes, f)) return true;
  return store.visit_event_and_link_attributes(row_, f);
}

template <class F>
bool memory_store::visit_event_and_link_attributes(std::uint32_t row, F&& f) const {
  std::uint32_t extra_id = extra_ids_[row];
  if (!extra_id) return false;
  const row_extras& extra = extras_[extra_id - 1];
  for (const auto& e : extra.events)
    if (detail::visit_attribute_list(attribute_scope::event, e.attributes, f)) return true;
  for (const auto& l : extra.links)
    if (detail::visit_attribute_list(attribute_scope::link, l.attributes, f)) return true;
  return false;
}

inline std::vector<std::string_view> memory_store::services() const {
  std::vector<bool> seen(strings_.size(), false);
  std::vector<std::string_view> out;
  for (std::uint32_t id : services_) {
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
  for (std::size_t row = 0; row < size(); ++row) {
    if (services_[row] != *service_id || seen[names_[row]]) continue;
    seen[names_[row]] = true;
    out.push_back(strings_.get(names_[row]));
  }
  std::ranges::sort(out);
  return out;
}

}  // namespace v0
}  // namespace trace
