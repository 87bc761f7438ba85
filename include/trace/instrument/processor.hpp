#pragma once
// Span processors receive every recorded span when it ends and pass it on to an exporter:
// `simple_span_processor` at once on the ending thread, `batch_span_processor` later, in
// batches, from a thread of its own.

#include <chrono>

#include "trace/core/resource.hpp"
#include "trace/core/span.hpp"
#include "trace/instrument/span_clock.hpp"
#include "trace/instrument/span_record.hpp"

namespace trace {
inline namespace v0 {

// Thread safety: `on_end` and `on_end_record` are called concurrently from every thread
// that ends spans; `force_flush` and `shutdown` may be called from any thread. After
// `shutdown` returns, spans handed to either are dropped.
class span_processor {
 public:
  virtual ~span_processor() = default;
  virtual void on_end(span&& ended, const span_origin& origin) = 0;
  // What a `scoped_span` calls when it ends. By default the record becomes a `trace::span`
  // on the calling thread and goes to `on_end`; a processor that can defer that work off
  // the application's thread (the batching one) overrides this.
  virtual void on_end_record(span_record&& ended) {
    span_origin origin = ended.origin();
    on_end(std::move(ended).materialize(detail::tick_clock::mapping()), origin);
  }
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
