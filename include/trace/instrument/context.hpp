#pragma once
// The identity of a span as it travels (W3C Trace Context's traceparent + tracestate), and
// the thread's current context: the span new spans take as their parent by default.
//
// The current context is a per-thread value, not a pointer, so a span ended or moved on
// another thread can never leave a dangling reference behind.

#include <cstdint>
#include <string>
#include <utility>

#include "trace/core/ids.hpp"
#include "trace/instrument/random_ids.hpp"

namespace trace {
inline namespace v0 {

struct span_context {
  static constexpr std::uint8_t sampled_flag = 0x01;

  trace_id trace{};
  span_id span{};
  std::uint8_t flags = 0;    // W3C trace-flags; only `sampled_flag` is defined
  bool remote = false;       // extracted from a carrier rather than started here
  std::string trace_state{}; // W3C tracestate, carried verbatim

  bool valid() const noexcept { return trace.valid() && span.valid(); }
  bool sampled() const noexcept { return (flags & sampled_flag) != 0; }

  friend bool operator==(const span_context&, const span_context&) = default;
};

namespace detail {

inline span_context& current_context_slot() noexcept {
  thread_local span_context current;
  return current;
}

// Context assignments for the span start/end path: most contexts carry no tracestate, and
// an empty string is then cleared in place rather than assigned through the library.
inline void copy_context(span_context& to, const span_context& from) {
  to.trace = from.trace;
  to.span = from.span;
  to.flags = from.flags;
  to.remote = from.remote;
  if (from.trace_state.empty()) [[likely]]
    to.trace_state.clear();
  else
    to.trace_state = from.trace_state;
}
inline void move_context(span_context& to, span_context& from) noexcept {
  to.trace = from.trace;
  to.span = from.span;
  to.flags = from.flags;
  to.remote = from.remote;
  if (from.trace_state.empty()) [[likely]]
    to.trace_state.clear();
  else
    to.trace_state = std::move(from.trace_state);
}

}  // namespace detail

// The calling thread's current context; invalid when no span is current.
inline const span_context& current_context() noexcept { return detail::current_context_slot(); }

// Makes a context current on the calling thread until destroyed, then restores the one
// before: how a context captured on one thread is handed to a task on another.
class context_scope {
 public:
  explicit context_scope(span_context context)
      : previous_(std::exchange(detail::current_context_slot(), std::move(context))) {}
  ~context_scope() { detail::current_context_slot() = std::move(previous_); }

  context_scope(const context_scope&) = delete;
  context_scope& operator=(const context_scope&) = delete;

 private:
  span_context previous_;
};

}  // namespace v0
}  // namespace trace
