#pragma once
// What tracers and spans share with their provider: resource, sampler, processor, the
// runtime switch, and one instrumentation scope per tracer. Internal: users hold a
// `tracer_provider`, `tracer` handles and `scoped_span`s.

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>

#include "trace/core/resource.hpp"
#include "trace/instrument/processor.hpp"
#include "trace/instrument/sampler.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

struct provider_state;

struct tracer_state {
  provider_state* provider;
  scope library;
};

struct provider_state {
  resource service;
  std::shared_ptr<const sampler> decider;
  std::shared_ptr<span_processor> processor;  // null: nothing is recorded
  std::atomic<bool> enabled{true};
  std::mutex tracers_mutex;
  std::deque<tracer_state> tracers;  // a deque keeps addresses stable as tracers are added
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
