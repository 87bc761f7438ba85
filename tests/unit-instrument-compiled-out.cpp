// TRACE_DISABLE_INSTRUMENTATION: the TRACE_ macros leave nothing behind; not even their
// arguments are evaluated.
#define TRACE_DISABLE_INSTRUMENTATION
#include <catch2/catch.hpp>

#include <type_traits>

#include "trace/instrument/macros.hpp"

namespace {
int evaluations = 0;
int counted(int value) {
  ++evaluations;
  return value;
}
struct never_used_tracer {
  int start_span(const char*) { return counted(0); }
};
}  // namespace

static_assert(std::is_empty_v<trace::noop_span>);

TEST_CASE("compiled out: no span, no context, and the macros' arguments are never evaluated") {
  [[maybe_unused]] never_used_tracer tracer;  // unused once the macros compile away
  {
    TRACE_SPAN(step, tracer, "step");
    TRACE_SET_ATTRIBUTE(step, "key", counted(1));
    TRACE_ADD_EVENT(step, "event", counted(2));
    TRACE_SET_STATUS(step, counted(3));
    CHECK_FALSE(step.is_recording());
    CHECK_FALSE(step.context().valid());
    step.set_attribute("direct call", 1).add_event("still compiles").end();
  }
  CHECK(evaluations == 0);
}
