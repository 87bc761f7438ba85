#pragma once
// Span processors receive every recorded span when it ends and pass it on to an exporter:
// `simple_span_processor` at once on the ending thread, `batch_span_processor` later, in
// batches, from a thread of its own.

#include <chrono>

#include "trace/core/resource.hpp"
#include "trace/core/span.hpp"

namespace trace {
inline namespace v0 {

// Who produced an ended span. The tracer passes pointers rather than copying its resource
// and scope into every span; processors fill them in off the application's path. Both
// outlive the processor's shutdown (the tracer provider owns them and shuts down first).
struct span_origin {
  const resource* service = nullptr;
  const scope* library = nullptr;
};

// Thread safety: `on_end` is called concurrently from every thread that ends spans;
// `force_flush` and `shutdown` may be called from any thread. After `shutdown` returns,
// spans handed to `on_end` are dropped.
class span_processor {
 public:
  virtual ~span_processor() = default;
  virtual void on_end(span&& ended, const span_origin& origin) = 0;
  // Exports everything ended before the call; false when `timeout` ran out first.
  virtual bool force_flush(std::chrono::milliseconds timeout) = 0;
  // Exports everything accepted, then shuts the exporter down. Idempotent.
  virtual void shutdown() = 0;
};

namespace detail {
inline void fill_origin(span& s, const span_origin& origin) {
  if (origin.service) s.resource = *origin.service;
  if (origin.library) s.scope = *origin.library;
}
}  // namespace detail

}  // namespace v0
}  // namespace trace
