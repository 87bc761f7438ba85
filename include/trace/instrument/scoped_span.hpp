#pragma once
// The span an application holds while work runs: move-only, ended by `end()` or when
// destroyed. While alive it is the thread's current context (unless started with
// `make_current = false`), so spans started inside it become its children.
//
// A span that is not recording (not sampled) keeps only its context, and every setter
// returns at once; a disabled tracer's span does not even hold a context, so creating and
// destroying it costs a flag. A recording span writes into a `span_record` (no allocation
// for a typical span) and hands it to the processor when it ends.

#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>

#include "trace/core/attribute.hpp"
#include "trace/core/event.hpp"
#include "trace/core/span.hpp"
#include "trace/core/time.hpp"
#include "trace/instrument/context.hpp"
#include "trace/instrument/processor.hpp"
#include "trace/instrument/span_clock.hpp"
#include "trace/instrument/span_record.hpp"

namespace trace {
inline namespace v0 {

class tracer;

class scoped_span {
 public:
  // A span that records nothing and has no context, as a disabled tracer returns.
  scoped_span() noexcept {}
  scoped_span(scoped_span&& other) noexcept { take(other); }
  scoped_span& operator=(scoped_span&& other) noexcept;
  ~scoped_span() {
    if (has_context_) [[unlikely]]
      release();
  }

  bool is_recording() const noexcept { return processor_ != nullptr; }
  // Its trace and span id, for children on other threads and for `inject`.
  span_context context() const {
    if (!has_context_) return {};
    return {detail::resolve_trace(live_.trace, live_.tokens), detail::resolve_span(live_.span, live_.tokens),
            live_.flags, false, live_.trace_state ? *live_.trace_state : std::string()};
  }

  template <class Value>
  scoped_span& set_attribute(std::string_view key, Value&& value) {
    if (processor_) [[likely]]
      record_.set_attribute(key, std::forward<Value>(value));
    return *this;
  }
  scoped_span& add_event(std::string_view name, event_level level = event_level::info, const attributes& values = {});
  scoped_span& add_link(const span_context& linked, attributes values = {});
  // As OpenTelemetry: `unset` is ignored, `ok` is final, a message is kept with `error` only.
  scoped_span& set_status(status_code code, std::string_view message = {}) {
    if (processor_) record_.set_status(code, message);
    return *this;
  }
  // An "exception" event (type and message) at error level, and an error status.
  scoped_span& record_exception(const std::exception& failure);
  scoped_span& update_name(std::string_view name) {
    if (processor_) record_.set_name(name);
    return *this;
  }

  // Ends the span at `at` (Unix ns; now when 0) and hands it to the processor; later
  // calls do nothing.
  void end(timestamp_ns at = 0) noexcept {
    if (is_current_) leave_current();
    if (processor_) hand_over(at);
  }

 private:
  friend class tracer;

  // Its context, with ids as tokens until asked for (random_ids.hpp).
  struct live_state {
    trace_id trace;
    span_id span;
    std::uint8_t flags;
    std::uint8_t tokens;
    std::unique_ptr<std::string> trace_state;  // a parent's W3C tracestate, carried on
    // Where it was pushed as the current context, to pop it from there alone.
    const detail::context_stack* stack;
    std::uint32_t level;
  };
  // Gives a span its context, pushed at `level` of `stack` (the calling thread's).
  void start_current(trace_id trace, span_id span, std::uint8_t flags, std::uint8_t tokens,
                     const detail::context_stack& stack, std::uint32_t level) noexcept {
    // Field by field: an aggregate would be zeroed first and then written.
    new (&live_) live_state;
    live_.trace = trace;
    live_.span = span;
    live_.flags = flags;
    live_.tokens = tokens;
    live_.stack = &stack;
    live_.level = level;
    has_context_ = true;
    is_current_ = true;
  }
  void take(scoped_span& other) noexcept;
  void release() noexcept;
  void leave_current() noexcept;
  void hand_over(timestamp_ns at) noexcept;

  // Constructed only while `has_context_` (live_) and `processor_` (record_): a disabled
  // span leaves both unbuilt.
  union {
    live_state live_;
  };
  union {
    span_record record_;
  };
  span_processor* processor_ = nullptr;  // set only while recording
  bool has_context_ = false;
  bool is_current_ = false;
};

// ---------------------------------------------------------------------------------------

inline void scoped_span::take(scoped_span& other) noexcept {
  if (other.has_context_) {
    new (&live_) live_state(std::move(other.live_));
    has_context_ = true;
    is_current_ = std::exchange(other.is_current_, false);
  }
  if (other.processor_) {
    new (&record_) span_record(std::move(other.record_));
    other.record_.~span_record();
    processor_ = std::exchange(other.processor_, nullptr);
  }
}

inline scoped_span& scoped_span::operator=(scoped_span&& other) noexcept {
  if (this != &other) {
    if (has_context_) release();
    take(other);
  }
  return *this;
}

[[gnu::always_inline]] inline void scoped_span::release() noexcept {
  end();
  live_.~live_state();
  has_context_ = false;
}

inline scoped_span& scoped_span::add_event(std::string_view name, event_level level, const attributes& values) {
  // The time in ticks, like the span's own: the record converts them together.
  if (processor_) record_.add_event(detail::span_ticks(), name, level, values);
  return *this;
}

inline scoped_span& scoped_span::add_link(const span_context& linked, attributes values) {
  if (!processor_ || !linked.valid()) return *this;
  span& extra = record_.extra();
  if (extra.links.size() < span_limits::links)
    extra.links.push_back({linked.trace, linked.span, linked.trace_state, std::move(values), 0, linked.flags});
  else
    ++extra.dropped_links;
  return *this;
}

inline scoped_span& scoped_span::record_exception(const std::exception& failure) {
  if (!processor_) return *this;
  attributes details;
  details.set("exception.type", std::string(typeid(failure).name()));
  details.set("exception.message", std::string(failure.what()));
  add_event("exception", event_level::error, details);
  return set_status(status_code::error, failure.what());
}

inline void scoped_span::leave_current() noexcept {
  is_current_ = false;
  // Only when still current on this thread: a span ended out of order, or on another
  // thread than the one it started on, leaves that thread's context alone.
  detail::context_stack& stack = detail::this_thread_contexts();
  if (&stack == live_.stack) stack.pop_if_top(live_.level, live_.span);
}

inline void scoped_span::hand_over(timestamp_ns at) noexcept {
  record_.finish(at ? at : detail::span_ticks(), at != 0);
  span_processor* processor = std::exchange(processor_, nullptr);
  try {
    processor->on_end_record(std::move(record_));
  } catch (...) {
    // Instrumentation must not take the application down: a processor that cannot take
    // the span (out of memory) loses it.
  }
  record_.~span_record();
}

}  // namespace v0
}  // namespace trace
