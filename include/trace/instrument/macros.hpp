#pragma once
// The compile-time switch. Instrument through these macros, and defining
// TRACE_DISABLE_INSTRUMENTATION (before any include, or with -D) removes every span:
// tracer, name and attribute expressions are not even evaluated.
//
//   TRACE_SPAN(step, tracer, "parse");             // a scoped_span named `step`
//   TRACE_SPAN(call, tracer, "fetch", {.kind = trace::span_kind::client});
//   TRACE_SET_ATTRIBUTE(step, "bytes", size);
//   TRACE_ADD_EVENT(step, "cache miss", trace::event_level::warn);
//
// With the switch on, `step` is a `trace::noop_span`: an empty object with the same
// methods, each doing nothing, so code that calls them directly still compiles.

#include <cstdint>
#include <exception>
#include <string_view>

#include "trace/core/status.hpp"
#include "trace/instrument/context.hpp"

namespace trace {
inline namespace v0 {

class noop_span {
 public:
  bool is_recording() const noexcept { return false; }
  const span_context& context() const noexcept {
    static const span_context none;
    return none;
  }
  template <class Value>
  noop_span& set_attribute(std::string_view, Value&&) noexcept { return *this; }
  template <class... Args>
  noop_span& add_event(std::string_view, Args&&...) noexcept { return *this; }
  template <class... Args>
  noop_span& add_link(const span_context&, Args&&...) noexcept { return *this; }
  noop_span& set_status(status_code, std::string_view = {}) noexcept { return *this; }
  noop_span& record_exception(const std::exception&) noexcept { return *this; }
  noop_span& update_name(std::string_view) noexcept { return *this; }
  void end(std::uint64_t = 0) noexcept {}
};

}  // namespace v0
}  // namespace trace

#if defined(TRACE_DISABLE_INSTRUMENTATION)
#define TRACE_SPAN(var, tracer, ...) [[maybe_unused]] ::trace::noop_span var
#define TRACE_SET_ATTRIBUTE(var, key, value) static_cast<void>(0)
#define TRACE_ADD_EVENT(var, ...) static_cast<void>(0)
#define TRACE_SET_STATUS(var, ...) static_cast<void>(0)
#else
#include "trace/instrument/tracer.hpp"
#define TRACE_SPAN(var, tracer, ...) ::trace::scoped_span var = (tracer).start_span(__VA_ARGS__)
#define TRACE_SET_ATTRIBUTE(var, key, value) (var).set_attribute(key, value)
#define TRACE_ADD_EVENT(var, ...) (var).add_event(__VA_ARGS__)
#define TRACE_SET_STATUS(var, ...) (var).set_status(__VA_ARGS__)
#endif
