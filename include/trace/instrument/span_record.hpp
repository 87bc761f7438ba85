#pragma once
// What a recording `scoped_span` writes while the application runs, and what it hands to
// the span processor when it ends: ids, start and end in clock ticks, kind, status code,
// and the name and up to four scalar or short string attributes copied into an inline
// buffer. Starting, annotating and ending a typical span therefore allocates nothing.
//
// Whatever does not fit (a tracestate, events, links, a status message, a fifth attribute,
// an array value, text beyond the buffer) goes into an `extra` `trace::span` allocated on
// first need. `materialize` builds the owning `trace::span` from the record; the batching
// processor does that on its own thread, so the allocations of strings and vectors (and
// their frees) stay off the application's threads.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "trace/core/attribute.hpp"
#include "trace/core/span.hpp"
#include "trace/core/status.hpp"
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

class span_record {
 public:
  static constexpr std::size_t inline_attributes = 4;
  static constexpr std::size_t text_capacity = 96;  // name, keys and string values together

  // The inline buffers are left unwritten: only their used prefix is ever read or copied.
  span_record() noexcept {}
  span_record(span_record&& other) noexcept { take(other); }
  span_record& operator=(span_record&& other) noexcept {
    if (this != &other) take(other);
    return *this;
  }
  ~span_record() = default;

  // A span built elsewhere, carried as is (`span_processor::on_end(span&&)` callers).
  static span_record prebuilt(span&& whole, const span_origin& origin) {
    span_record record;
    record.extra_ = std::make_unique<span>(std::move(whole));
    record.origin_ = origin;
    record.flags_ = is_prebuilt;
    return record;
  }

  // `at` is in ticks (`detail::span_ticks`) unless `wall_clock`, then Unix nanoseconds.
  void start(trace_id trace, span_id id, span_id parent, std::string_view name, span_kind kind,
             const span_origin& origin, std::uint64_t at, bool wall_clock) noexcept {
    trace_ = trace;
    id_ = id;
    parent_ = parent;
    kind_ = kind;
    origin_ = origin;
    start_ = at;
    flags_ = wall_clock ? start_is_wall : 0;
    text_used_ = 0;
    attribute_count_ = 0;
    status_ = status_code::unset;
    set_name(name);
  }
  void finish(std::uint64_t at, bool wall_clock) noexcept {
    end_ = at;
    if (wall_clock) flags_ |= end_is_wall;
  }

  template <class Value>
  void set_attribute(std::string_view key, Value&& value);
  void set_name(std::string_view name);
  void set_status(status_code code, std::string_view message);
  // The rest of the span, allocated on first use: tracestate, events (times in ticks),
  // links, a status message.
  span& extra() {
    if (!extra_) extra_ = std::make_unique<span>();
    return *extra_;
  }
  // From here on every attribute lives in `extra().attributes`, in the order set.
  basic_attributes<std::string>& spilled_attributes();

  const span_origin& origin() const noexcept { return origin_; }

  // The owning span, with ticks converted through `clock`; the record is left empty.
  // Resource and scope are not filled in (see `origin`).
  span materialize(const detail::tick_mapping& clock) &&;

 private:
  enum flag : std::uint8_t {
    start_is_wall = 1,
    end_is_wall = 2,
    attributes_spilled = 4,
    name_spilled = 8,
    is_prebuilt = 16,
  };
  enum class value_kind : std::uint8_t { boolean, integer, floating, text };
  struct inline_attribute {
    std::uint8_t key_offset = 0;
    std::uint8_t key_size = 0;
    value_kind kind = value_kind::boolean;
    std::uint64_t payload = 0;  // the bool, the int64, the double's bits, or text offset << 8 | size
  };
  static_assert(text_capacity < 256, "offsets and sizes are one byte");

  void take(span_record& other) noexcept {
    trace_ = other.trace_;
    id_ = other.id_;
    parent_ = other.parent_;
    start_ = other.start_;
    end_ = other.end_;
    origin_ = other.origin_;
    name_offset_ = other.name_offset_;
    name_size_ = other.name_size_;
    text_used_ = other.text_used_;
    attribute_count_ = other.attribute_count_;
    flags_ = other.flags_;
    kind_ = other.kind_;
    status_ = other.status_;
    extra_ = std::move(other.extra_);
    std::copy_n(other.attributes_, other.attribute_count_, attributes_);
    std::memcpy(text_, other.text_, other.text_used_);
  }
  // Copies `text` into the buffer; false when it does not fit.
  bool store_text(std::string_view text, std::uint8_t& offset) noexcept {
    if (text.size() > text_capacity - text_used_) return false;
    offset = static_cast<std::uint8_t>(text_used_);
    std::memcpy(text_ + text_used_, text.data(), text.size());
    text_used_ = static_cast<std::uint8_t>(text_used_ + text.size());
    return true;
  }
  std::string_view text(std::uint8_t offset, std::size_t size) const noexcept { return {text_ + offset, size}; }
  bool set_inline(std::string_view key, value_kind kind, std::uint64_t payload, std::string_view value_text) noexcept;
  attribute_value inline_value(const inline_attribute& slot) const;

  trace_id trace_{};
  span_id id_{};
  span_id parent_{};
  std::uint64_t start_ = 0;
  std::uint64_t end_ = 0;
  span_origin origin_{};
  std::uint8_t name_offset_ = 0;
  std::uint8_t name_size_ = 0;
  std::uint8_t text_used_ = 0;
  std::uint8_t attribute_count_ = 0;
  std::uint8_t flags_ = 0;
  span_kind kind_ = span_kind::internal;
  status_code status_ = status_code::unset;
  std::unique_ptr<span> extra_{};
  inline_attribute attributes_[inline_attributes];
  char text_[text_capacity];
};

// ---------------------------------------------------------------------------------------

inline bool span_record::set_inline(std::string_view key, value_kind kind, std::uint64_t payload,
                                    std::string_view value_text) noexcept {
  inline_attribute* slot = nullptr;
  for (std::uint8_t i = 0; i < attribute_count_; ++i)
    if (text(attributes_[i].key_offset, attributes_[i].key_size) == key) slot = &attributes_[i];
  std::uint8_t used_before = text_used_;
  inline_attribute written;
  if (slot) {
    written.key_offset = slot->key_offset;
  } else if (attribute_count_ == inline_attributes || key.size() >= 256 || !store_text(key, written.key_offset)) {
    return false;
  }
  written.key_size = static_cast<std::uint8_t>(key.size());
  written.kind = kind;
  written.payload = payload;
  if (kind == value_kind::text) {
    std::uint8_t offset = 0;
    if (!store_text(value_text, offset)) {
      text_used_ = used_before;
      return false;
    }
    written.payload = std::uint64_t{offset} << 8 | value_text.size();
  }
  if (slot) *slot = written;
  else attributes_[attribute_count_++] = written;
  return true;
}

template <class Value>
void span_record::set_attribute(std::string_view key, Value&& value) {
  using V = std::remove_cvref_t<Value>;
  if (!(flags_ & attributes_spilled)) {
    bool stored = false;
    if constexpr (std::is_same_v<V, bool>) {
      stored = set_inline(key, value_kind::boolean, value ? 1 : 0, {});
    } else if constexpr (std::is_integral_v<V>) {
      stored = set_inline(key, value_kind::integer, static_cast<std::uint64_t>(static_cast<std::int64_t>(value)), {});
    } else if constexpr (std::is_floating_point_v<V>) {
      double as_double = static_cast<double>(value);
      std::uint64_t bits = 0;
      std::memcpy(&bits, &as_double, sizeof bits);
      stored = set_inline(key, value_kind::floating, bits, {});
    } else if constexpr (std::is_convertible_v<const V&, std::string_view>) {
      std::string_view as_text(value);
      stored = as_text.size() < 256 && set_inline(key, value_kind::text, 0, as_text);
    }
    if (stored) return;
  }
  spilled_attributes().set(std::string(key), detail::to_attribute_value(std::forward<Value>(value)));
}

inline void span_record::set_name(std::string_view name) {
  if (!(flags_ & name_spilled) && name.size() < 256 && store_text(name, name_offset_)) {
    name_size_ = static_cast<std::uint8_t>(name.size());
    return;
  }
  flags_ |= name_spilled;
  extra().name = std::string(name);
}

inline void span_record::set_status(status_code code, std::string_view message) {
  if (code == status_code::unset || status_ == status_code::ok) return;
  status_ = code;
  if (code == status_code::error && !message.empty()) extra().status.message = std::string(message);
  else if (extra_) extra_->status.message.clear();
}

inline attribute_value span_record::inline_value(const inline_attribute& slot) const {
  switch (slot.kind) {
    case value_kind::boolean: return slot.payload != 0;
    case value_kind::integer: return static_cast<std::int64_t>(slot.payload);
    case value_kind::floating: {
      double value = 0;
      std::memcpy(&value, &slot.payload, sizeof value);
      return value;
    }
    case value_kind::text: break;
  }
  return std::string(text(static_cast<std::uint8_t>(slot.payload >> 8), slot.payload & 0xff));
}

inline basic_attributes<std::string>& span_record::spilled_attributes() {
  basic_attributes<std::string>& spilled = extra().attributes;
  if (!(flags_ & attributes_spilled)) {
    flags_ |= attributes_spilled;
    // The inline ones first, so that the order stays the order they were set in.
    basic_attributes<std::string> ordered;
    ordered.reserve(attribute_count_ + spilled.size() + 1);
    for (std::uint8_t i = 0; i < attribute_count_; ++i)
      ordered.set(std::string(text(attributes_[i].key_offset, attributes_[i].key_size)), inline_value(attributes_[i]));
    for (const auto& item : spilled) ordered.set(item.key, item.value);
    spilled = std::move(ordered);
    attribute_count_ = 0;
  }
  return spilled;
}

inline span span_record::materialize(const detail::tick_mapping& clock) && {
  span built;
  if (extra_) built = std::move(*extra_);
  extra_.reset();
  if (flags_ & is_prebuilt) return built;
  built.trace = trace_;
  built.id = id_;
  built.parent = parent_;
  built.kind = kind_;
  if (!(flags_ & name_spilled)) built.name.assign(text_ + name_offset_, name_size_);
  if (!(flags_ & attributes_spilled)) {
    built.attributes.reserve(attribute_count_);
    for (std::uint8_t i = 0; i < attribute_count_; ++i)
      built.attributes.set(std::string(text(attributes_[i].key_offset, attributes_[i].key_size)),
                           inline_value(attributes_[i]));
  }
  built.start = (flags_ & start_is_wall) ? start_ : clock.to_wall(start_);
  built.end = std::max((flags_ & end_is_wall) ? end_ : clock.to_wall(end_), built.start);
  for (auto& event : built.events) event.time = clock.to_wall(event.time);
  built.status.code = status_;
  attribute_count_ = 0;
  text_used_ = 0;
  return built;
}

}  // namespace v0
}  // namespace trace
