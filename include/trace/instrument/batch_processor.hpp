#pragma once
// Queues ended spans and exports them in batches from a background thread, so that ending
// a span costs the application a push into a queue of its thread's own (no lock, no
// allocation for a typical span) and never waits on the sink. The worker thread turns the
// queued records into `trace::span`s, so the allocations that takes happen there.
//
// Each thread's queue is bounded by `max_queue_size`: when it is full, a span is dropped
// and counted, never waited for. The worker exports when a thread's queue reaches
// `max_export_batch_size`, every `schedule_delay` otherwise, on `force_flush`, and for the
// last time on `shutdown`. Semantics follow OpenTelemetry's BatchSpanProcessor (same
// option names and defaults), except that the queue bound applies per producing thread.

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
#include "trace/instrument/span_clock.hpp"
#include "trace/instrument/span_record.hpp"
#include "trace/instrument/span_ring.hpp"

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
  ~batch_span_processor() override;

  batch_span_processor(const batch_span_processor&) = delete;
  batch_span_processor& operator=(const batch_span_processor&) = delete;

  void on_end(span&& ended, const span_origin& origin) override {
    on_end_record(span_record::prebuilt(std::move(ended), origin));
  }
  void on_end_record(span_record&& ended) override;
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(30)) override;
  void shutdown() override;

  // Spans refused on a full queue or after shutdown, and spans still queued when the
  // worker finished (ended while shutdown ran).
  std::uint64_t dropped() const;
  std::uint64_t exported() const noexcept { return exported_.load(std::memory_order_relaxed); }
  std::uint64_t failed() const noexcept { return failed_.load(std::memory_order_relaxed); }

 private:
  static std::uint64_t next_serial() noexcept {
    static std::atomic<std::uint64_t> last{0};
    return last.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  void push_slowly(span_record&& ended);
  void announce_batch(detail::span_ring& ring);
  detail::span_ring* find_or_register();
  void wake_for_batch();
  bool work_waiting() const noexcept {
    return stopping_ || batch_ready_.load(std::memory_order_relaxed) || flush_requested_ != flush_done_;
  }
  std::size_t queued() const;
  void run();
  void export_queued(std::vector<std::shared_ptr<detail::span_ring>>& rings, std::vector<span>& batch);
  void export_batch(std::vector<span>& batch);

  const std::uint64_t serial_ = next_serial();
  std::shared_ptr<span_exporter> exporter_;
  batch_options options_;
  std::atomic<bool> accepting_{true};
  std::atomic<bool> batch_ready_{false};  // a thread's queue reached a batch; set, then the worker woken
  mutable std::mutex rings_mutex_;
  std::vector<std::shared_ptr<detail::span_ring>> rings_;  // guarded by rings_mutex_
  std::mutex mutex_;
  std::condition_variable wake_worker_;
  std::condition_variable flushed_;
  std::uint64_t flush_requested_ = 0;  // guarded by mutex_
  std::uint64_t flush_done_ = 0;       // guarded by mutex_
  bool stopping_ = false;              // guarded by mutex_
  std::once_flag joined_;
  std::atomic<bool> finished_{false};  // the worker's last pass is over
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
  worker_ = std::thread([this] { run(); });
}

inline batch_span_processor::~batch_span_processor() {
  shutdown();
  // Threads still holding a queue of ours let go of it the next time they look one up.
  std::lock_guard lock(rings_mutex_);
  for (auto& ring : rings_) ring->closed.store(true, std::memory_order_release);
}

// The common case inline, with every call a tail call (nothing kept across one): the
// thread's ring known, room in its current block, no batch to announce.
inline void batch_span_processor::on_end_record(span_record&& ended) {
  const detail::last_ring& last = detail::this_thread_last_ring();
  detail::span_ring* ring = last.ring;
  if (last.owner != serial_ || !accepting_.load(std::memory_order_relaxed) || !ring->has_room_in_block()) [[unlikely]]
    return push_slowly(std::move(ended));
  const std::size_t waiting = ring->push_in_block(std::move(ended));
  if (waiting >= options_.max_export_batch_size && !batch_ready_.load(std::memory_order_relaxed)) [[unlikely]]
    return announce_batch(*ring);
}

// Everything `on_end_record` leaves out: after shutdown, the thread's first span, a new
// block, a full queue.
[[gnu::noinline]] inline void batch_span_processor::push_slowly(span_record&& ended) {
  if (!accepting_.load(std::memory_order_relaxed)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const detail::last_ring& last = detail::this_thread_last_ring();
  detail::span_ring* ring = last.owner == serial_ ? last.ring : find_or_register();
  std::size_t waiting = 0;
  if (!ring->try_push(std::move(ended), waiting)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (waiting >= options_.max_export_batch_size && !batch_ready_.load(std::memory_order_relaxed)) announce_batch(*ring);
}

// Wakes the worker once per batch, not on every span.
[[gnu::noinline]] inline void batch_span_processor::announce_batch(detail::span_ring& ring) {
  if (ring.refresh_waiting() >= options_.max_export_batch_size) wake_for_batch();
}

// The calling thread's ring for this processor, made and registered on its first span.
[[gnu::noinline]] inline detail::span_ring* batch_span_processor::find_or_register() {
  detail::thread_rings& rings = detail::this_thread_rings();
  if (detail::span_ring* known = rings.find(serial_)) return known;
  auto ring = std::make_shared<detail::span_ring>(options_.max_queue_size);
  {
    std::lock_guard lock(rings_mutex_);
    rings_.push_back(ring);
  }
  return rings.add(serial_, std::move(ring));
}

inline void batch_span_processor::wake_for_batch() {
  if (batch_ready_.exchange(true, std::memory_order_acq_rel)) return;  // already on its way
  // Taking the mutex orders the flag before the worker's next look at it, so the
  // notification cannot fall between its check and its wait.
  { std::lock_guard lock(mutex_); }
  wake_worker_.notify_one();
}

inline std::size_t batch_span_processor::queued() const {
  std::lock_guard lock(rings_mutex_);
  std::size_t total = 0;
  for (const auto& ring : rings_) total += ring->waiting();
  return total;
}

inline std::uint64_t batch_span_processor::dropped() const {
  std::uint64_t counted = dropped_.load(std::memory_order_relaxed);
  return finished_.load(std::memory_order_acquire) ? counted + queued() : counted;
}

inline bool batch_span_processor::force_flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (stopping_) return queued() == 0;
  std::uint64_t ticket = ++flush_requested_;
  wake_worker_.notify_one();
  return flushed_.wait_for(lock, timeout, [&] { return flush_done_ >= ticket; });
}

inline void batch_span_processor::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    accepting_.store(false, std::memory_order_relaxed);
  }
  wake_worker_.notify_one();
  std::call_once(joined_, [this] {
    worker_.join();
    finished_.store(true, std::memory_order_release);
    exporter_->shutdown();
  });
}

inline void batch_span_processor::run() {
  std::vector<std::shared_ptr<detail::span_ring>> rings;
  std::vector<span> batch;
  batch.reserve(options_.max_export_batch_size);
  std::unique_lock lock(mutex_);
  while (true) {
    // Waking on the delay with nothing else to do is the interval export.
    wake_worker_.wait_for(lock, options_.schedule_delay, [this] { return work_waiting(); });
    std::uint64_t flush_target = flush_requested_;
    bool stop = stopping_;
    batch_ready_.store(false, std::memory_order_relaxed);
    lock.unlock();
    export_queued(rings, batch);
    if (flush_target != flush_done_) {
      try {
        exporter_->force_flush();
      } catch (...) {  // a failing sink must not end the worker; its spans are counted above
      }
    }
    lock.lock();
    flush_done_ = flush_target;
    flushed_.notify_all();
    // Spans still racing into a queue past this last pass are counted by dropped().
    if (stop) return;
  }
}

inline void batch_span_processor::export_queued(std::vector<std::shared_ptr<detail::span_ring>>& rings,
                                                std::vector<span>& batch) {
  {
    std::lock_guard lock(rings_mutex_);
    // A queue whose thread has exited and that is empty will never fill again.
    std::erase_if(rings_, [](const auto& ring) {
      return ring->abandoned.load(std::memory_order_acquire) && ring->waiting() == 0;
    });
    rings.assign(rings_.begin(), rings_.end());
  }
  // One clock mapping for the pass; records pushed while it runs convert with an anchor a
  // few microseconds old.
  const detail::tick_mapping clock = detail::tick_clock::mapping();
  auto build = [&](span_record& record) {
    span_origin origin = record.origin();
    batch.push_back(std::move(record).materialize(clock));
    detail::fill_origin(batch.back(), origin);
  };
  for (auto& ring : rings) {
    // What waits now, not what a busy thread keeps adding, so that a pass ends.
    for (std::size_t left = ring->waiting(); left > 0;) {
      left -= ring->drain(std::min(left, options_.max_export_batch_size - batch.size()), build);
      if (batch.size() == options_.max_export_batch_size) export_batch(batch);
    }
  }
  if (!batch.empty()) export_batch(batch);
  rings.clear();
}

inline void batch_span_processor::export_batch(std::vector<span>& batch) {
  try {
    exporter_->export_spans(batch);
    exported_.fetch_add(batch.size(), std::memory_order_relaxed);
  } catch (...) {
    failed_.fetch_add(batch.size(), std::memory_order_relaxed);
  }
  batch.clear();
}

}  // namespace v0
}  // namespace trace
