#pragma once
// Hands each ended span to the exporter at once, on the thread that ends it: for tests,
// debugging and sinks that are cheap, where seeing a span the moment it ends matters more
// than the application's latency.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

#include "trace/core/error.hpp"
#include "trace/instrument/exporter.hpp"
#include "trace/instrument/processor.hpp"

namespace trace {
inline namespace v0 {

class simple_span_processor final : public span_processor {
 public:
  explicit simple_span_processor(std::shared_ptr<span_exporter> exporter) : exporter_(std::move(exporter)) {
    if (!exporter_) throw error(errc::invalid_option, "simple_span_processor: the exporter is null");
  }

  void on_end(span&& ended, const span_origin& origin) override {
    detail::fill_origin(ended, origin);
    std::lock_guard lock(mutex_);  // exporters are never called concurrently
    if (shut_down_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    try {
      exporter_->export_spans(std::span<const span>(&ended, 1));
      exported_.fetch_add(1, std::memory_order_relaxed);
    } catch (...) {
      // Instrumentation must not take the application down with its sink.
      failed_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  bool force_flush(std::chrono::milliseconds) override {
    std::lock_guard lock(mutex_);
    if (!shut_down_) exporter_->force_flush();
    return true;
  }

  void shutdown() override {
    std::lock_guard lock(mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    exporter_->shutdown();
  }

  std::uint64_t exported() const noexcept { return exported_.load(std::memory_order_relaxed); }
  std::uint64_t failed() const noexcept { return failed_.load(std::memory_order_relaxed); }
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<span_exporter> exporter_;
  std::mutex mutex_;
  bool shut_down_ = false;
  std::atomic<std::uint64_t> exported_{0}, failed_{0}, dropped_{0};
};

}  // namespace v0
}  // namespace trace
