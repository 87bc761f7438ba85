#pragma once
// The span an application holds while work runs: move-only, ended by `end()` or when
// destroyed. While alive it is the thread's current context (unless started with
// `make_current = false`), so spans started inside it become its children.
//
// A span that is not recording (not sampled, tracer disabled) keeps only its context,
// and every setter returns at once.

#include <algorithm>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "trace/core/attribute.hpp"
#include "trace/core/event.hpp"
#include "trace/core/span.hpp"
#include "trace/core/time.hpp"
#include "trace/instrument/context.hpp"
#include "trace/instrument/tracer_state.hpp"

namespace trace {
inline namespace v0 {

class tracer;

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

class scoped_span {
 public:
  // A span that records nothing and has no context, as a disabled tracer returns.
  scoped_span() noexcept = default;
  scoped_span(scoped_span&& other) noexcept;
  scoped_span& operator=(scoped_span&& other) noexcept;
  ~scoped_span() { end(); }

  bool is_recording() const noexcept { return data_.has_value(); }
  // Its trace and span id, for children on other threads and for `inject`.
  const span_context& context() const noexcept { return context_; }

  template <class Value>
  scoped_span& set_attribute(std::string_view key, Value&& value);
  scoped_span& add_event(std::string_view name, event_level level = event_level::info, attributes values = {});
  scoped_span& add_link(const span_context& linked, attributes values = {});
  // As OpenTelemetry: `unset` is ignored, `ok` is final, a message is kept with `error` only.
  scoped_span& set_status(status_code code, std::string_view message = {});
  // An "exception" event (type and message) at error level, and an error status.
  scoped_span& record_exception(const std::exception& failure);
  scoped_span& update_name(std::string_view name);

  // Ends the span at `at` (now when 0) and hands it to the processor; later calls do nothing.
  void end(timestamp_ns at = 0) noexcept;

 private:
  friend class tracer;

  void leave_current() noexcept;

  const detail::tracer_state* tracer_ = nullptr;  // set only while recording
  std::optional<span> data_;
  span_context context_;
  span_context previous_;  // the context current before this span, restored at its end
  bool is_current_ = false;
};

// ---------------------------------------------------------------------------------------

inline scoped_span::scoped_span(scoped_span&& other) noexcept
    : tracer_(std::exchange(other.tracer_, nullptr)),
      data_(std::move(other.data_)),
      context_(std::move(other.context_)),
      previous_(std::move(other.previous_)),
      is_current_(std::exchange(other.is_current_, false)) {
  other.data_.reset();
}

inline scoped_span& scoped_span::operator=(scoped_span&& other) noexcept {
  if (this != &other) {
    end();
    tracer_ = std::exchange(other.tracer_, nullptr);
    data_ = std::move(other.data_);
    other.data_.reset();
    context_ = std::move(other.context_);
    previous_ = std::move(other.previous_);
    is_current_ = std::exchange(other.is_current_, false);
  }
  return *this;
}

template <class Value>
scoped_span& scoped_span::set_attribute(std::string_view key, Value&& value) {
  if (!data_) return *this;
  // Spans usually carry a few attributes: one allocation for them instead of regrowing.
  if (data_->attributes.empty()) data_->attributes.reserve(4);
  data_->attributes.set(std::string(key), detail::to_attribute_value(std::forward<Value>(value)));
  return *this;
}

inline scoped_span& scoped_span::add_event(std::string_view name, event_level level, attributes values) {
  if (data_) data_->events.push_back({now_ns(), std::string(name), std::move(values), level, 0});
  return *this;
}

inline scoped_span& scoped_span::add_link(const span_context& linked, attributes values) {
  if (data_ && linked.valid()) data_->links.push_back({linked.trace, linked.span, linked.trace_state, std::move(values), 0});
  return *this;
}

inline scoped_span& scoped_span::set_status(status_code code, std::string_view message) {
  if (!data_ || code == status_code::unset || data_->status.code == status_code::ok) return *this;
  data_->status.code = code;
  data_->status.message = code == status_code::error ? std::string(message) : std::string();
  return *this;
}

inline scoped_span& scoped_span::record_exception(const std::exception& failure) {
  if (!data_) return *this;
  attributes details;
  details.set("exception.type", std::string(typeid(failure).name()));
  details.set("exception.message", std::string(failure.what()));
  add_event("exception", event_level::error, std::move(details));
  return set_status(status_code::error, failure.what());
}

inline scoped_span& scoped_span::update_name(std::string_view name) {
  if (data_) data_->name = std::string(name);
  return *this;
}

inline void scoped_span::leave_current() noexcept {
  if (!is_current_) return;
  is_current_ = false;
  // Only when still current on this thread: a span ended out of order, or on another
  // thread than the one it started on, leaves that thread's context alone.
  span_context& current = detail::current_context_slot();
  if (current.span == context_.span && current.trace == context_.trace) current = std::move(previous_);
}

inline void scoped_span::end(timestamp_ns at) noexcept {
  leave_current();
  if (!data_) return;
  data_->end = std::max(at ? at : now_ns(), data_->start);
  const detail::provider_state& provider = *tracer_->provider;
  provider.processor->on_end(std::move(*data_), span_origin{&provider.service, &tracer_->library});
  data_.reset();
  tracer_ = nullptr;
}

}  // namespace v0
}  // namespace trace
