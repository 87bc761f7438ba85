#pragma once
// Queues ended spans and exports them in batches from a background thread, so that ending
// a span costs the application one short critical section and never waits on the sink.
//
// The queue is bounded: when it is full, a span is dropped and counted, never waited for.
// The thread exports when `max_export_batch_size` spans are waiting, every
// `schedule_delay` otherwise, on `force_flush`, and for the last time on `shutdown`.
// Semantics follow OpenTelemetry's BatchSpanProcessor (same option names and defaults).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/instrument/exporter.hpp"
#include "trace/instrument/processor.hpp"

namespace trace {
inline namespace v0 {

struct batch_options {
  std::size_t max_queue_size = 2048;
  std::size_t max_export_batch_size = 512;
  std::chrono::milliseconds schedule_delay{5000};
};

class batch_span_processor final : public span_processor {
 public:
  explicit batch_span_processor(std::shared_ptr<span_exporter> exporter, batch_options options = {});
  ~batch_span_processor() override { shutdown(); }

  batch_span_processor(const batch_span_processor&) = delete;
  batch_span_processor& operator=(const batch_span_processor&) = delete;

  void on_end(span&& ended, const span_origin& origin) override;
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(30)) override;
  void shutdown() override;

  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t exported() const noexcept { return exported_.load(std::memory_order_relaxed); }
  std::uint64_t failed() const noexcept { return failed_.load(std::memory_order_relaxed); }

 private:
  struct queued_span {
    queued_span(span&& ended, const span_origin& from) noexcept : data(std::move(ended)), origin(from) {}
    span data;
    span_origin origin;
  };

  bool work_waiting() const noexcept {
    return stopping_ || queue_.size() >= options_.max_export_batch_size || flush_requested_ != flush_done_;
  }
  void run();
  void export_queued(std::vector<queued_span>& taken, std::vector<span>& batch);

  std::shared_ptr<span_exporter> exporter_;
  batch_options options_;
  std::mutex mutex_;
  std::condition_variable wake_worker_;
  std::condition_variable flushed_;
  std::vector<queued_span> queue_;     // guarded by mutex_; capacity max_queue_size, never regrown
  std::uint64_t flush_requested_ = 0;  // guarded by mutex_
  std::uint64_t flush_done_ = 0;       // guarded by mutex_
  bool stopping_ = false;              // guarded by mutex_
  std::once_flag joined_;
  std::atomic<std::uint64_t> dropped_{0}, exported_{0}, failed_{0};
  std::thread worker_;  // last: starts once everything above is built
};

inline batch_span_processor::batch_span_processor(std::shared_ptr<span_exporter> exporter, batch_options options)
    : exporter_(std::move(exporter)), options_(options) {
  if (!exporter_) throw error(errc::invalid_option, "batch_span_processor: the exporter is null");
  if (options_.max_queue_size == 0 || options_.max_export_batch_size == 0)
    throw error(errc::invalid_option, "batch_span_processor: max_queue_size and max_export_batch_size must be positive");
  if (options_.max_export_batch_size > options_.max_queue_size)
    throw error(errc::invalid_option, "batch_span_processor: max_export_batch_size " +
                                          std::to_string(options_.max_export_batch_size) + " exceeds max_queue_size " +
                                          std::to_string(options_.max_queue_size));
  if (options_.schedule_delay.count() <= 0)
    throw error(errc::invalid_option, "batch_span_processor: schedule_delay must be positive");
  queue_.reserve(options_.max_queue_size);
  worker_ = std::thread([this] { run(); });
}

inline void batch_span_processor::on_end(span&& ended, const span_origin& origin) {
  std::unique_lock lock(mutex_);
  if (stopping_ || queue_.size() >= options_.max_queue_size) {
    lock.unlock();
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  queue_.emplace_back(std::move(ended), origin);  // constructed in place: one move of the span
  // Wake the worker once, when the queue reaches a batch, not on every span.
  bool batch_ready = queue_.size() == options_.max_export_batch_size;
  lock.unlock();
  if (batch_ready) wake_worker_.notify_one();
}

inline bool batch_span_processor::force_flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (stopping_) return queue_.empty();
  std::uint64_t ticket = ++flush_requested_;
  wake_worker_.notify_one();
  return flushed_.wait_for(lock, timeout, [&] { return flush_done_ >= ticket; });
}

inline void batch_span_processor::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_worker_.notify_one();
  std::call_once(joined_, [this] {
    worker_.join();
    exporter_->shutdown();
  });
}

inline void batch_span_processor::run() {
  std::vector<queued_span> taken;
  taken.reserve(options_.max_queue_size);
  std::vector<span> batch;
  batch.reserve(options_.max_export_batch_size);
  std::unique_lock lock(mutex_);
  while (true) {
    // Waking on the delay with nothing else to do is the interval export.
    wake_worker_.wait_for(lock, options_.schedule_delay, [this] { return work_waiting(); });
    std::uint64_t flush_target = flush_requested_;
    bool stop = stopping_;
    taken.swap(queue_);  // both keep max_queue_size capacity: appends never allocate the queue
    lock.unlock();
    export_queued(taken, batch);
    if (flush_target != flush_done_) {
      try {
        exporter_->force_flush();
      } catch (...) {  // a failing sink must not end the worker; its spans are counted above
      }
    }
    lock.lock();
    flush_done_ = flush_target;
    flushed_.notify_all();
    // Once stopping is seen, on_end accepts nothing more, so this pass emptied the queue.
    if (stop) return;
  }
}

inline void batch_span_processor::export_queued(std::vector<queued_span>& taken, std::vector<span>& batch) {
  for (std::size_t begin = 0; begin < taken.size(); begin += options_.max_export_batch_size) {
    std::size_t end = std::min(taken.size(), begin + options_.max_export_batch_size);
    for (std::size_t i = begin; i < end; ++i) {
      detail::fill_origin(taken[i].data, taken[i].origin);
      batch.push_back(std::move(taken[i].data));
    }
    try {
      exporter_->export_spans(batch);
      exported_.fetch_add(batch.size(), std::memory_order_relaxed);
    } catch (...) {
      failed_.fetch_add(batch.size(), std::memory_order_relaxed);
    }
    batch.clear();
  }
  taken.clear();
}

}  // namespace v0
}  // namespace trace
