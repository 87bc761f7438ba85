#pragma once
// Where ended spans go: an exporter takes batches of `trace::span`. Any class with the
// one-function interface below plugs into both span processors; `store_exporter` adapts
// any store with an `append(batch)` (the in-memory store, the memory-mapped store).

#include <mutex>
#include <span>
#include <utility>

#include "trace/core/span.hpp"

namespace trace {
inline namespace v0 {

// Contract: processors never call `export_spans` concurrently on one exporter, but may call
// it from a thread of their own. It may throw; the processor counts the batch as failed.
class span_exporter {
 public:
  virtual ~span_exporter() = default;
  virtual void export_spans(std::span<const span> batch) = 0;
  virtual void force_flush() {}
  virtual void shutdown() {}
};

// `span_sink`: something that takes a batch of spans, all or nothing, as stores do.
template <class S>
concept span_sink = requires(S& sink, std::span<const span> batch) { sink.append(batch); };

// Owns a sink and a mutex, so the batch processor's thread can append while the
// application reads through `read` from its own threads.
template <span_sink Sink>
class store_exporter final : public span_exporter {
 public:
  template <class... Args>
  explicit store_exporter(Args&&... args) : sink_(std::forward<Args>(args)...) {}

  void export_spans(std::span<const span> batch) override {
    std::lock_guard lock(mutex_);
    sink_.append(batch);
  }

  // Calls `reader(const Sink&)` with appends held off, and returns what it returns.
  template <class Reader>
  decltype(auto) read(Reader&& reader) const {
    std::lock_guard lock(mutex_);
    return std::forward<Reader>(reader)(std::as_const(sink_));
  }

 private:
  mutable std::mutex mutex_;
  Sink sink_;
};

}  // namespace v0
}  // namespace trace
