#pragma once
// What a recording `scoped_span` writes while the application runs, and what it hands to
// the span processor when it ends: ids, start and end in clock ticks, kind, status code,
// and a log of everything else set on it (name, attributes, events with their attributes,
// a status message) appended as bytes, in the order set, to a buffer inside the record. A
// typical span fits the buffer, so recording it allocates nothing; a rich one moves its log
// to one heap block, grown by doubling, instead of a string and a vector per item.
//
// `materialize` replays the log into the owning `trace::span`: later values of a key
// replace earlier ones in place, and OpenTelemetry's span limits apply there (128
// attributes, 128 events, 128 attributes per event, 128 links), counted as dropped. The
// batching processor does that on its own thread, so the allocations of strings and
// vectors (and their frees) stay off the application's threads. Links and a tracestate,
// rare, go into an `extra` `trace::span` allocated on first need.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "trace/core/attribute.hpp"
#include "trace/core/event.hpp"
#include "trace/core/span.hpp"
#include "trace/core/status.hpp"
#include "trace/instrument/random_ids.hpp"
#include "trace/instrument/span_clock.hpp"

namespace trace {
inline namespace v0 {

// Who produced an ended span. The tracer passes pointers rather than copying its resource
// and scope into every span; processors fill them in off the application's path. Both
// outlive the processor's shutdown (the tracer provider owns them and shuts down first).
struct span_origin {
  const resource* service = nullptr;
  const scope* library = nullptr;
};

// OpenTelemetry's default span limits, applied when a record becomes a `trace::span`.
struct span_limits {
  static constexpr std::size_t attributes = 128;
  static constexpr std::size_t events = 128;
  static constexpr std::size_t links = 128;
  static constexpr std::size_t attributes_per_event = 128;
};

namespace detail {
// Attribute values from plain C++ values: any integer becomes int64, any floating point
// double, anything string-like an owned string.
template <class Value>
attribute_value to_attribute_value(Value&& value) {
  using V = std::remove_cvref_t<Value>;
  if constexpr (std::is_same_v<V, bool>) return value;
  else if constexpr (std::is_integral_v<V>) return static_cast<std::int64_t>(value);
  else if constexpr (std::is_floating_point_v<V>) return static_cast<double>(value);
  else if constexpr (std::is_convertible_v<const V&, std::string_view>) return std::string(std::string_view(value));
  else return attribute_value(std::forward<Value>(value));
}
}  // namespace detail

// Aligned to cache lines, so that handing a record over (a queue's slot) writes only the
// lines that hold something: the header and the used part of the log.
class alignas(64) span_record {
 public:
  static constexpr std::size_t inline_bytes = 159;  // the record is 256 bytes
  // A span that keeps adding (a loop setting attributes) stops growing here; what would
  // go past it is counted dropped.
  static constexpr std::size_t max_log_bytes = std::size_t{1} << 20;  // a power of two, as every capacity

  // The inline buffer is left unwritten: only its used prefix is ever read or copied.
  span_record() noexcept {}
  span_record(span_record&& other) noexcept { take(other); }
  span_record& operator=(span_record&& other) noexcept {
    if (this != &other) take(other);
    return *this;
  }
  ~span_record() = default;

  // Takes `other`'s contents as a move does, handing it this record's blocks to free in
  // turn: no delete on this path, where a queue's slot (emptied by the worker, holding none)
  // is filled.
  void take_swapping(span_record& other) noexcept {
    copy_fixed(other);
    extra_.swap(other.extra_);
    heap_.swap(other.heap_);
    other.fixed_.used_ = 0;
  }

  // A span built elsewhere, carried as is (`span_processor::on_end(span&&)` callers).
  static span_record prebuilt(span&& whole, const span_origin& origin) {
    span_record record;
    record.extra_ = std::make_unique<span>(std::move(whole));
    record.fixed_.origin_ = origin;
    record.fixed_.flags_ = is_prebuilt;
    return record;
  }

  static constexpr std::uint8_t parent_is_token = 4;  // beside detail::id_tokens

  // `at` is in ticks (`detail::span_ticks`) unless `wall_clock`, then Unix nanoseconds.
  // `tokens` says which ids are still tokens (detail::id_tokens, parent_is_token), to be
  // turned into ids by `materialize`.
  void start(trace_id trace, span_id id, span_id parent, std::string_view name, span_kind kind,
             const span_origin& origin, std::uint64_t at, bool wall_clock, std::uint8_t tokens = 0) noexcept {
    fixed_.tokens_ = tokens;
    fixed_.trace_ = trace;
    fixed_.id_ = id;
    fixed_.parent_ = parent;
    fixed_.kind_ = kind;
    fixed_.origin_ = origin;
    fixed_.start_ = at;
    fixed_.flags_ = wall_clock ? start_is_wall : 0;
    fixed_.used_ = 0;
    fixed_.dropped_attributes_ = fixed_.dropped_events_ = 0;
    fixed_.status_ = status_code::unset;
    set_name(name);
  }
  void finish(std::uint64_t at, bool wall_clock) noexcept {
    fixed_.end_ = at;
    if (wall_clock) fixed_.flags_ |= end_is_wall;
  }

  template <class Value>
  void set_attribute(std::string_view key, Value&& value) noexcept;
  void set_attributes(const basic_attributes<std::string>& values) noexcept {
    for (const auto& item : values) set_attribute(item.key, item.value);
  }
  void set_name(std::string_view name) noexcept {
    if (char* at = append(1 + text_size(name))) write_text(put_tag(at, tag::name), name);
  }
  void set_status(status_code code, std::string_view message) noexcept;
  // `at` in ticks, like the span's own times: the record converts them together.
  void add_event(std::uint64_t at, std::string_view name, event_level level,
                 const basic_attributes<std::string>& values) noexcept;
  // The rest of the span, allocated on first use: tracestate and links.
  span& extra() {
    if (!extra_) extra_ = std::make_unique<span>();
    return *extra_;
  }

  const span_origin& origin() const noexcept { return fixed_.origin_; }

  // The owning span, with ticks converted through `clock`; the record is left empty.
  // Resource and scope are not filled in (see `origin`).
  span materialize(const detail::tick_mapping& clock) &&;

 private:
  enum flag : std::uint8_t { start_is_wall = 1, end_is_wall = 2, is_prebuilt = 4, has_status_message = 8 };
  enum class tag : std::uint8_t { name, attribute, event, status_message };
  // The value's type in the log; arrays are a count and their elements.
  enum class value_kind : std::uint8_t { boolean, integer, floating, text, booleans, integers, floatings, texts };

  void take(span_record& other) noexcept {
    copy_fixed(other);
    extra_ = std::move(other.extra_);
    heap_ = std::move(other.heap_);
    other.fixed_.used_ = 0;
  }

  // Everything but the two owned blocks, in copies of sizes known here (a few vector moves
  // instead of a field at a time and a call to memcpy): the record's first three cache
  // lines, which hold the header and the log's first bytes, and the last one only when the
  // inline log reaches into it. A typical span (a name and three attributes) moves three
  // lines instead of four; the log's unused tail in the lines copied is copied as it is,
  // never read.
  void copy_fixed(const span_record& other) noexcept {
    std::memcpy(static_cast<void*>(&fixed_), &other.fixed_, fixed_in_first_lines);
    if (!other.heap_ && header_bytes + other.fixed_.used_ > fixed_in_first_lines) [[unlikely]]
      std::memcpy(reinterpret_cast<char*>(&fixed_) + fixed_in_first_lines,
                  reinterpret_cast<const char*>(&other.fixed_) + fixed_in_first_lines, sizeof fixed_ - fixed_in_first_lines);
  }

  char* data() noexcept { return heap_ ? heap_.get() : fixed_.inline_; }
  const char* data() const noexcept { return heap_ ? heap_.get() : fixed_.inline_; }
  // Room for `size` more bytes of log, or null when the log would pass `max_log_bytes`
  // (or memory ran out): the caller then drops what it was adding.
  [[gnu::always_inline]] char* append(std::size_t size) noexcept {
    const std::size_t capacity = heap_ ? std::size_t{1} << fixed_.capacity_shift_ : inline_bytes;
    if (size <= capacity - fixed_.used_) [[likely]] {
      char* at = data() + fixed_.used_;
      fixed_.used_ += static_cast<std::uint32_t>(size);
      return at;
    }
    return grow_and_append(size);
  }
  char* grow_and_append(std::size_t size) noexcept;

  static std::size_t text_size(std::string_view text) noexcept { return 4 + text.size(); }
  [[gnu::always_inline]] static char* put_tag(char* at, tag value) noexcept {
    *at = static_cast<char>(value);
    return at + 1;
  }
  template <class T>
  [[gnu::always_inline]] static char* put(char* at, T value) noexcept {
    std::memcpy(at, &value, sizeof value);
    return at + sizeof value;
  }
  [[gnu::always_inline]] static char* write_text(char* at, std::string_view text) noexcept {
    at = put(at, static_cast<std::uint32_t>(text.size()));
    if (!text.empty()) std::memcpy(at, text.data(), text.size());
    return at + text.size();
  }
  // One attribute (tag, key, kind, value); false when the log is full.
  [[gnu::always_inline]] bool log_scalar(std::string_view key, value_kind kind, std::uint64_t payload) noexcept {
    char* at = append(1 + text_size(key) + 1 + 8);
    if (!at) return false;
    at = write_text(put_tag(at, tag::attribute), key);
    put(put(at, kind), payload);
    return true;
  }
  [[gnu::always_inline]] bool log_text(std::string_view key, std::string_view value) noexcept {
    char* at = append(1 + text_size(key) + 1 + text_size(value));
    if (!at) return false;
    at = write_text(put_tag(at, tag::attribute), key);
    write_text(put(at, value_kind::text), value);
    return true;
  }
  bool log_value(std::string_view key, const attribute_value& value) noexcept;

  std::unique_ptr<span> extra_{};
  std::unique_ptr<char[]> heap_{};  // the log once it outgrew `inline_`
  // The rest, trivially copyable, moved as one block.
  struct fixed_fields {
    trace_id trace_{};
    span_id id_{};
    span_id parent_{};
    std::uint64_t start_ = 0;
    std::uint64_t end_ = 0;
    span_origin origin_{};
    std::uint32_t used_ = 0;
    std::uint32_t dropped_attributes_ = 0, dropped_events_ = 0;  // past `max_log_bytes`
    std::uint8_t flags_ = 0;
    span_kind kind_ = span_kind::internal;
    status_code status_ = status_code::unset;
    std::uint8_t tokens_ = 0;
    std::uint8_t capacity_shift_ = 0;  // `heap_` holds 2^capacity_shift_ bytes
    char inline_[inline_bytes];
  } fixed_;
  static constexpr std::size_t header_bytes = offsetof(fixed_fields, inline_);
  static constexpr std::size_t fixed_in_first_lines = 3 * 64 - 2 * sizeof(void*);  // after extra_ and heap_
};
static_assert(sizeof(span_record) == 256, "four cache lines; inline_bytes fills the last one");

// ---------------------------------------------------------------------------------------

[[gnu::cold, gnu::noinline]] inline char* span_record::grow_and_append(std::size_t size) noexcept {
  if (size > max_log_bytes - fixed_.used_) return nullptr;
  // Powers of two, so that the record keeps the capacity as a shift in one byte.
  std::size_t capacity = heap_ ? std::size_t{2} << fixed_.capacity_shift_ : 512;
  while (capacity - fixed_.used_ < size) capacity *= 2;
  capacity = std::min(capacity, max_log_bytes);
  std::unique_ptr<char[]> grown(new (std::nothrow) char[capacity]);
  if (!grown) return nullptr;
  std::memcpy(grown.get(), data(), fixed_.used_);
  heap_ = std::move(grown);
  fixed_.capacity_shift_ = static_cast<std::uint8_t>(std::countr_zero(capacity));
  char* at = heap_.get() + fixed_.used_;
  fixed_.used_ += static_cast<std::uint32_t>(size);
  return at;
}

template <class Value>
void span_record::set_attribute(std::string_view key, Value&& value) noexcept {
  using V = std::remove_cvref_t<Value>;
  bool logged;
  if constexpr (std::is_same_v<V, bool>) {
    logged = log_scalar(key, value_kind::boolean, value ? 1 : 0);
  } else if constexpr (std::is_integral_v<V>) {
    logged = log_scalar(key, value_kind::integer, static_cast<std::uint64_t>(static_cast<std::int64_t>(value)));
  } else if constexpr (std::is_floating_point_v<V>) {
    double as_double = static_cast<double>(value);
    std::uint64_t bits = 0;
    std::memcpy(&bits, &as_double, sizeof bits);
    logged = log_scalar(key, value_kind::floating, bits);
  } else if constexpr (std::is_convertible_v<const V&, std::string_view>) {
    logged = log_text(key, std::string_view(value));
  } else if constexpr (std::is_same_v<V, attribute_value>) {
    logged = log_value(key, value);
  } else {
    logged = log_value(key, attribute_value(std::forward<Value>(value)));
  }
  if (!logged) [[unlikely]]
    ++fixed_.dropped_attributes_;
}

inline bool span_record::log_value(std::string_view key, const attribute_value& value) noexcept {
  return std::visit(
      [&](const auto& held) -> bool {
        using H = std::remove_cvref_t<decltype(held)>;
        if constexpr (std::is_same_v<H, bool>) {
          return log_scalar(key, value_kind::boolean, held ? 1 : 0);
        } else if constexpr (std::is_same_v<H, std::int64_t>) {
          return log_scalar(key, value_kind::integer, static_cast<std::uint64_t>(held));
        } else if constexpr (std::is_same_v<H, double>) {
          std::uint64_t bits = 0;
          std::memcpy(&bits, &held, sizeof bits);
          return log_scalar(key, value_kind::floating, bits);
        } else if constexpr (std::is_same_v<H, std::string>) {
          return log_text(key, held);
        } else {
          // An array: its count, then each element (a byte, 8 bytes, or a text).
          using E = typename H::value_type;
          std::size_t size = 1 + text_size(key) + 1 + 4;
          if constexpr (std::is_same_v<E, std::string>) {
            for (const auto& element : held) size += text_size(element);
          } else {
            size += held.size() * (std::is_same_v<E, bool> ? 1 : 8);
          }
          char* at = append(size);
          if (!at) return false;
          at = write_text(put_tag(at, tag::attribute), key);
          const value_kind kind = std::is_same_v<E, bool>           ? value_kind::booleans
                                  : std::is_same_v<E, std::int64_t> ? value_kind::integers
                                  : std::is_same_v<E, double>       ? value_kind::floatings
                                                                    : value_kind::texts;
          at = put(put(at, kind), static_cast<std::uint32_t>(held.size()));
          for (const auto& element : held) {
            if constexpr (std::is_same_v<E, std::string>) at = write_text(at, element);
            else if constexpr (std::is_same_v<E, bool>) at = put(at, static_cast<std::uint8_t>(element ? 1 : 0));
            else at = put(at, element);
          }
          return true;
        }
      },
      value);
}

inline void span_record::set_status(status_code code, std::string_view message) noexcept {
  if (code == status_code::unset || fixed_.status_ == status_code::ok) return;
  fixed_.status_ = code;
  // A message goes with an error only; a later status clears an earlier message.
  const bool keep = code == status_code::error && !message.empty();
  if (!keep && !(fixed_.flags_ & has_status_message)) return;
  if (char* at = append(1 + text_size(keep ? message : std::string_view{}))) {
    write_text(put_tag(at, tag::status_message), keep ? message : std::string_view{});
    fixed_.flags_ = static_cast<std::uint8_t>(keep ? fixed_.flags_ | has_status_message : fixed_.flags_ & ~has_status_message);
  }
}

inline void span_record::add_event(std::uint64_t at_ticks, std::string_view name, event_level level,
                                   const basic_attributes<std::string>& values) noexcept {
  char* at = append(1 + 8 + 1 + text_size(name) + 4);
  if (!at) {
    ++fixed_.dropped_events_;
    return;
  }
  at = write_text(put(put(put_tag(at, tag::event), at_ticks), level), name);
  // The count is of the attributes that made it into the log, written once they are in;
  // by offset, as the log may move to the heap meanwhile.
  const std::size_t count_offset = static_cast<std::size_t>(at - data());
  std::uint32_t logged = 0;
  put(at, logged);
  for (const auto& item : values) logged += log_value(item.key, item.value) ? 1 : 0;
  put(data() + count_offset, logged);
}

namespace detail {

// Reads back what span_record wrote, in order.
class record_log_reader {
 public:
  record_log_reader(const char* at, const char* end) noexcept : at_(at), end_(end) {}
  bool done() const noexcept { return at_ >= end_; }
  template <class T>
  T get() noexcept {
    T value;
    std::memcpy(&value, at_, sizeof value);
    at_ += sizeof value;
    return value;
  }
  std::string_view text() noexcept {
    const auto size = get<std::uint32_t>();
    std::string_view out(at_, size);
    at_ += size;
    return out;
  }

 private:
  const char* at_;
  const char* end_;
};

}  // namespace detail

inline span span_record::materialize(const detail::tick_mapping& clock) && {
  span built;
  if (extra_) built = std::move(*extra_);
  extra_.reset();
  if (fixed_.flags_ & is_prebuilt) return built;
  built.trace = detail::resolve_trace(fixed_.trace_, fixed_.tokens_);
  built.id = detail::resolve_span(fixed_.id_, fixed_.tokens_);
  built.parent = (fixed_.tokens_ & parent_is_token) ? detail::span_id_of(fixed_.parent_.value()) : fixed_.parent_;
  built.kind = fixed_.kind_;
  built.start = (fixed_.flags_ & start_is_wall) ? fixed_.start_ : clock.to_wall(fixed_.start_);
  built.end = std::max((fixed_.flags_ & end_is_wall) ? fixed_.end_ : clock.to_wall(fixed_.end_), built.start);
  built.status.code = fixed_.status_;
  built.dropped_attributes = fixed_.dropped_attributes_;
  built.dropped_events = fixed_.dropped_events_;

  auto read_value = [](detail::record_log_reader& log) -> attribute_value {
    switch (log.get<value_kind>()) {
      case value_kind::boolean: return log.get<std::uint64_t>() != 0;
      case value_kind::integer: return static_cast<std::int64_t>(log.get<std::uint64_t>());
      case value_kind::floating: return log.get<double>();
      case value_kind::text: return std::string(log.text());
      case value_kind::booleans: {
        std::vector<bool> out(log.get<std::uint32_t>());
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = log.get<std::uint8_t>() != 0;
        return out;
      }
      case value_kind::integers: {
        std::vector<std::int64_t> out(log.get<std::uint32_t>());
        for (auto& element : out) element = log.get<std::int64_t>();
        return out;
      }
      case value_kind::floatings: {
        std::vector<double> out(log.get<std::uint32_t>());
        for (auto& element : out) element = log.get<double>();
        return out;
      }
      case value_kind::texts: break;
    }
    std::vector<std::string> out(log.get<std::uint32_t>());
    for (auto& element : out) element = std::string(log.text());
    return out;
  };
  // Replaces in place, or adds within the limit, else counts it dropped.
  auto set_limited = [](basic_attributes<std::string>& into, std::string_view key, attribute_value value,
                        std::size_t limit, std::uint32_t& dropped) {
    if (into.size() >= limit && !into.find(key)) {
      ++dropped;
      return;
    }
    into.set(std::string(key), std::move(value));
  };

  const char* begin = data();
  detail::record_log_reader log(begin, begin + fixed_.used_);
  while (!log.done()) {
    switch (log.get<tag>()) {
      case tag::name: built.name = std::string(log.text()); break;
      case tag::attribute: {
        std::string_view key = log.text();
        set_limited(built.attributes, key, read_value(log), span_limits::attributes, built.dropped_attributes);
        break;
      }
      case tag::event: {
        event added;
        added.time = clock.to_wall(log.get<std::uint64_t>());
        added.level = log.get<event_level>();
        added.name = std::string(log.text());
        for (auto count = log.get<std::uint32_t>(); count > 0; --count) {
          static_cast<void>(log.get<tag>());
          std::string_view key = log.text();
          set_limited(added.attributes, key, read_value(log), span_limits::attributes_per_event, added.dropped_attributes);
        }
        if (built.events.size() < span_limits::events) built.events.push_back(std::move(added));
        else ++built.dropped_events;
        break;
      }
      case tag::status_message: built.status.message = std::string(log.text()); break;
    }
  }
  heap_.reset();
  fixed_.used_ = 0;
  return built;
}

}  // namespace v0
}  // namespace trace
