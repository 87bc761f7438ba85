#pragma once
// The primary's side of replication: the replication log and one sender thread per sink.
// The writer appends each committed batch to the log (`append`), syncs it (`commit`), and
// waits (`wait`) until `required_acks` replicas applied it: 0 returns at once (the senders
// ship in the background), 1 waits for the fastest replica, `all_replicas` for every one.
// A sender that loses its replica reconnects every `retry_interval` and resumes from the
// replica's last applied batch, read back from the log (catch-up); when the log no longer
// holds it, the replica is told to re-seed from a snapshot.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/store/replication/log.hpp"
#include "trace/store/replication/sink.hpp"

namespace trace {
inline namespace v0 {
namespace replication {

inline constexpr unsigned all_replicas = std::numeric_limits<unsigned>::max();

struct replication_options {
  std::vector<std::shared_ptr<replication_sink>> sinks;
  unsigned required_acks = 1;                         // 0, 1, ..., or all_replicas
  std::chrono::milliseconds ack_timeout{10000};       // `wait` gives up (an error) after this
  std::chrono::milliseconds retry_interval{100};      // between attempts to reach a lost replica
  log_options log{};                                  // its path defaults to <store>/replication
};

// How one replica stands, for status pages and tests.
struct sink_status {
  std::string name;
  bool connected = false;
  std::uint64_t acked = 0;       // last batch it applied, as far as the primary knows
  bool reseed_needed = false;    // it asked for batches the log no longer holds
  std::string last_error;
};

class replicator {
 public:
  explicit replicator(replication_options options)
      : options_(std::move(options)), log_(options_.log), committed_(log_.last()) {
    for (const auto& sink : options_.sinks) {
      if (!sink) throw error(errc::invalid_option, "replication_options.sinks holds a null sink");
      sink_status s;
      s.name = sink->name();
      states_.push_back(std::move(s));
    }
    for (std::size_t i = 0; i < options_.sinks.size(); ++i) threads_.emplace_back([this, i] { send_loop(i); });
  }
  ~replicator() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    for (auto& t : threads_) t.join();
  }
  replicator(const replicator&) = delete;
  replicator& operator=(const replicator&) = delete;

  // Writer thread only: logs a batch (batch_codec.hpp) and returns its sequence.
  std::uint64_t append(std::string_view batch_payload) { return log_.append(batch_payload); }
  // Writer thread only: makes the logged batches durable and hands them to the senders.
  void commit() {
    log_.sync();
    {
      std::lock_guard lock(mutex_);
      committed_ = log_.last();
    }
    changed_.notify_all();
  }
  // Returns once `required_acks` replicas (at most as many as there are) applied batch
  // `sequence`; throws `error(errc::io_error)` naming each replica's state after `ack_timeout`.
  void wait(std::uint64_t sequence) {
    const std::size_t needed = std::min<std::size_t>(options_.required_acks, states_.size());
    if (needed == 0) return;
    std::unique_lock lock(mutex_);
    auto enough = [&] {
      return std::size_t(std::ranges::count_if(states_, [&](const sink_status& s) { return s.acked >= sequence; })) >= needed;
    };
    if (changed_.wait_for(lock, options_.ack_timeout, enough)) return;
    std::string detail;
    for (const auto& s : states_)
      detail += "; " + s.name + (s.connected ? " connected" : " not connected") + ", applied " + std::to_string(s.acked) +
                (s.last_error.empty() ? "" : ", " + s.last_error);
    throw error(errc::io_error, "replication: batch " + std::to_string(sequence) + " not applied by " + std::to_string(needed) +
                                    " replicas within " + std::to_string(options_.ack_timeout.count()) + "ms" + detail);
  }

  std::vector<sink_status> status() const {
    std::lock_guard lock(mutex_);
    return states_;
  }
  const replication_log& log() const noexcept { return log_; }
  unsigned required_acks() const noexcept { return options_.required_acks; }

 private:
  void send_loop(std::size_t i) {
    replication_sink& sink = *options_.sinks[i];
    auto update = [&](auto&& change) {
      {
        std::lock_guard lock(mutex_);
        change(states_[i]);
      }
      changed_.notify_all();
    };
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) break;
      }
      try {
        const std::uint64_t last = log_.last();
        const std::uint64_t applied = sink.connect(last);
        update([&](sink_status& s) {
          s.connected = true;
          s.acked = applied;
          s.reseed_needed = false;
        });
        std::optional<replication_log::cursor> cursor;
        if (applied <= last) cursor = log_.read_from(applied + 1);
        if (!cursor) {
          const std::string why = applied > last ? "the replica has applied batch " + std::to_string(applied) +
                                                       " but the primary's last is " + std::to_string(last)
                                                 : "the replica needs batch " + std::to_string(applied + 1) +
                                                       ", which the primary's log no longer holds";
          update([&](sink_status& s) { s.reseed_needed = true; s.last_error = why; });
          sink.reseed(log_.oldest(), why);
          throw error(errc::invalid_argument, why);
        }
        for (;;) {
          {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [&] { return stopping_ || committed_ >= cursor->position(); });
            if (stopping_) break;
          }
          while (std::optional<frame> f = cursor->next()) {
            sink.deliver(*f);
            update([&](sink_status& s) { s.acked = f->sequence; s.last_error.clear(); });
          }
        }
        sink.disconnect();
        break;
      } catch (const std::exception& e) {
        sink.disconnect();
        update([&](sink_status& s) {
          s.connected = false;
          s.last_error = e.what();
        });
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, options_.retry_interval, [&] { return stopping_; });
      }
    }
  }

  replication_options options_;
  replication_log log_;
  mutable std::mutex mutex_;  // guards states_, committed_, stopping_
  std::condition_variable changed_;
  std::vector<sink_status> states_;
  std::uint64_t committed_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace replication
}  // namespace v0
}  // namespace trace
