#include "store_writer.hpp"

#include <cstdio>
#include <exception>

#include <trace/store/replication/batch_codec.hpp>
#include <trace/store/replication/replica.hpp>

namespace trace_server {
store_writer::store_writer(trace::mmap_store& store, server_metrics& metrics, config cfg)
    : store_(store), metrics_(metrics), config_(std::move(cfg)) {
  next_retention_ = clock::now() + retention_period(config_.ttl);
  publish_state();
  thread_ = std::thread([this] { run(); });
}

void store_writer::submit(trace::api::otlp_export batch, clock::time_point arrived, reply_fn reply) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(batch), arrived, std::move(reply)});
  }
  wake_.notify_one();
}

void store_writer::snapshot(std::function<void(std::string, std::string)> done) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back([this, done = std::move(done)] {
      try {
        const auto folder = store_.snapshot();
        // A replica seeded from this snapshot resumes after the batches it holds.
        if (auto* r = config_.replication) {
          r->commit();
          trace::replication::write_replica_state(folder, {r->log().last(), store_.size()});
        }
        done(folder.string(), "");
      } catch (const std::exception& e) {
        done("", e.what());
      }
    });
  }
  wake_.notify_one();
}

void store_writer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void store_writer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    // Woken by work, or once a second for retention and the figures /metrics shows.
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || !queue_.empty() || !jobs_.empty(); });
    while (!jobs_.empty()) {
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      publish_state();
      lock.lock();
    }
    if (!queue_.empty()) {
      std::vector<pending> group;
      commit(group, lock);
      continue;
    }
    if (stopping_) break;
    lock.unlock();
    maintain(clock::now());
    lock.lock();
  }
  lock.unlock();
  try {
    store_.sync();  // nothing is pending here; a last sync costs little and closes the books
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trace-server: the last sync failed: %s\n", e.what());
  }
}

// Called with the lock held and the queue not empty; returns with the lock held.
void store_writer::commit(std::vector<pending>& group, std::unique_lock<std::mutex>& lock) {
  const auto deadline = queue_.front().arrived + config_.flush_timeout;
  std::size_t appended = 0;
  std::uint64_t last_batch = 0;  // its replication sequence, when replicating
  std::string payload;
  for (;;) {
    const std::size_t first = group.size();
    std::move(queue_.begin(), queue_.end(), std::back_inserter(group));
    queue_.clear();
    lock.unlock();
    for (std::size_t i = first; i < group.size(); ++i) {
      auto& p = group[i];
      try {
        if (!p.batch.spans.empty()) {
          store_.append(p.batch.spans);
          if (auto* r = config_.replication) {
            payload.clear();
            trace::replication::encode_batch(payload, p.batch.spans);
            last_batch = r->append(payload);
          }
        }
        ++appended;
      } catch (const std::exception& e) {
        p.refusal = trace::api::otlp_unavailable(p.batch.encoding, e.what(), config_.ingest);
      }
    }
    lock.lock();
    if (queue_.empty() || clock::now() >= deadline) break;
  }
  lock.unlock();
  std::string sync_error;
  if (appended > 0) {
    try {
      store_.sync();
      if (auto* r = config_.replication) {
        r->commit();
        if (last_batch) r->wait(last_batch);
      }
    } catch (const std::exception& e) {
      sync_error = e.what();
    }
  }
  for (auto& p : group) {
    if (!p.refusal && !sync_error.empty())
      p.refusal = trace::api::otlp_unavailable(p.batch.encoding, "sync failed: " + sync_error, config_.ingest);
    trace::api::http_response r = p.refusal ? std::move(*p.refusal) : trace::api::otlp_accepted(p.batch);
    if (r.status == 200) {
      metrics_.spans_accepted(p.batch.spans.size());
      metrics_.spans_rejected(static_cast<std::uint64_t>(p.batch.rejected));
    } else {
      metrics_.spans_rejected(p.batch.spans.size() + static_cast<std::uint64_t>(p.batch.rejected));
    }
    metrics_.ingest_latency(clock::now() - p.arrived);
    p.reply(std::move(r));
  }
  maintain(clock::now());
  lock.lock();
}

void store_writer::maintain(clock::time_point now) {
  if (config_.ttl && now >= next_retention_) {
    next_retention_ = now + retention_period(config_.ttl);
    try {
      if (auto removed = store_.apply_retention(trace::now_ns(), config_.ttl))
        std::fprintf(stderr, "trace-server: retention removed %zu segments older than the TTL\n", removed);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "trace-server: retention failed: %s\n", e.what());
    }
  }
  if (now >= next_publish_) {  // store size and segments for /metrics, at most once a second
    next_publish_ = now + std::chrono::seconds(1);
    publish_state();
  }
}

void store_writer::publish_state() {
  metrics_.store_state(store_.segments().size(), store_.disk_usage());
}

}  // namespace trace_server
