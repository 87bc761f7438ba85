#pragma once
// What tracers and spans share with their provider: resource, sampler, processor, the
// runtime switch, and one instrumentation scope per tracer. Internal: users hold a
// `tracer_provider`, `tracer` handles and `scoped_span`s.

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>

#include "trace/core/resource.hpp"
#include "trace/instrument/processor.hpp"
#include "trace/instrument/sampler.hpp"
#include "trace/instrument/sampling_plan.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

struct provider_state;

struct tracer_state {
  tracer_state(provider_state* owner, scope name_and_version, bool on)
      : provider(owner), library(std::move(name_and_version)), enabled(on) {}

  provider_state* provider;
  scope library;
  // The provider's runtime switch, mirrored here so that starting a span reads one flag.
  std::atomic<bool> enabled;
};

struct provider_state {
  resource service;
  std::shared_ptr<const sampler> decider;
  sampling_plan plan;  // the decider as bounds, when it is made of built-in samplers
  std::shared_ptr<span_processor> processor;  // null: nothing is recorded
  std::mutex tracers_mutex;
  bool enabled = true;               // guarded by tracers_mutex; each tracer mirrors it
  std::deque<tracer_state> tracers;  // a deque keeps addresses stable as tracers are added
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
