#pragma once
// The one thread that writes the store: group commit of OTLP exports, retention on a timer,
// snapshots. Requests queue up while a sync runs; the next group takes every one of them,
// appends each (a batch of its own: all or nothing) and syncs once, so a 200 always means
// durable and concurrent clients share the cost of a sync. A group gathers until the queue
// runs dry or `flush_timeout` has passed since its oldest request arrived. With replication,
// each request's batch is also logged for the replicas, and the group's 200s wait until
// `required_acks` replicas applied its last batch (docs/REPLICATION.md).

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <trace/api/otlp_ingest.hpp>
#include <trace/store/mmap.hpp>
#include <trace/store/replication/replicator.hpp>

#include "server_metrics.hpp"

namespace trace_server {

class store_writer {
 public:
  using reply_fn = std::function<void(trace::api::http_response)>;
  using clock = std::chrono::steady_clock;

  struct config {
    std::chrono::milliseconds flush_timeout{1000};
    trace::duration_ns ttl = 0;
    trace::api::ingest_options ingest{};
    trace::replication::replicator* replication = nullptr;  // none: no replicas
  };

  store_writer(trace::mmap_store& store, server_metrics& metrics, config cfg);
  ~store_writer() { stop(); }
  store_writer(const store_writer&) = delete;
  store_writer& operator=(const store_writer&) = delete;

  // Queues an export; `reply` is called from the writer thread once it is durable (200) or
  // refused (503).
  void submit(trace::api::otlp_export batch, clock::time_point arrived, reply_fn reply);
  // Takes a snapshot on the writer thread; `done(path, "")` or `done("", error)`.
  void snapshot(std::function<void(std::string path, std::string error)> done);
  // Answers what is queued, syncs, and ends the thread. Idempotent.
  void stop();

 private:
  struct pending {
    trace::api::otlp_export batch;
    clock::time_point arrived;
    reply_fn reply;
    std::optional<trace::api::http_response> refusal{};  // set when its append failed
  };
  void run();
  void commit(std::vector<pending>& group, std::unique_lock<std::mutex>& lock);
  void maintain(clock::time_point now);
  void publish_state();

  trace::mmap_store& store_;
  server_metrics& metrics_;
  config config_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<pending> queue_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  clock::time_point next_retention_;
  clock::time_point next_publish_{};
  std::thread thread_;
};

}  // namespace trace_server
