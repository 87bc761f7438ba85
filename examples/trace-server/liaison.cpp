#include "liaison.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <trace/api/comment_routes.hpp>
#include <trace/api/otlp_ingest.hpp>
#include <trace/api/query_routes.hpp>
#include <trace/store/clickhouse.hpp>
#include <trace/store/clickhouse/comments.hpp>

#include "http_server.hpp"
#include "plain_answers.hpp"
#include "server_metrics.hpp"

namespace trace_server {
namespace {

using trace::api::http_request;
using trace::api::http_response;
using trace::clickhouse_store;

// A clickhouse_store holds one kept-alive connection and is not thread-safe: each request
// borrows one and gives it back, so there are at most as many as requests in flight.
class store_pool {
 public:
  struct give_back {
    store_pool* pool;
    void operator()(clickhouse_store* s) const { pool->put(s); }
  };
  using lease = std::unique_ptr<clickhouse_store, give_back>;

  explicit store_pool(trace::clickhouse_options options) : options_(std::move(options)) {}

  lease take() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        clickhouse_store* s = idle_.back().release();
        idle_.pop_back();
        return lease(s, give_back{this});
      }
    }
    return lease(new clickhouse_store(options_), give_back{this});
  }

 private:
  void put(clickhouse_store* s) {
    std::lock_guard lock(mutex_);
    idle_.emplace_back(s);
  }

  trace::clickhouse_options options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<clickhouse_store>> idle_;
};

// 501: the route exists in standalone mode, but not in front of ClickHouse.
http_response not_served(std::string_view what, std::string_view why) {
  return json_error(501, std::string(what) + " is not served with --backend clickhouse://...: " + std::string(why));
}

class liaison_routes {
 public:
  liaison_routes(store_pool& pool, trace::clickhouse_comments& comments, server_metrics& metrics, const server_options& options)
      : pool_(pool), comments_(comments), metrics_(metrics), where_(options.backend_url) {
    ingest_.max_body_bytes = options.max_body;
    ingest_.retry_after = std::chrono::seconds(1);
  }

  void handle(http_request request, const reply_fn& reply) {
    if (trace::api::is_otlp_traces_route(request)) return reply(ingest(std::move(request)));
    const std::string_view path = path_of(request.target);
    if (path == "/api/snapshot")
      return reply(not_served("POST /api/snapshot",
                              "snapshots are of the mmap store; back ClickHouse up with its own tools (ALTER TABLE ... FREEZE)"));
    try {
      if (path == "/metrics" && request.method == "GET")
        return reply(text_answer(200, metrics_.prometheus_text(pool_.take()->size()), "text/plain; version=0.0.4; charset=utf-8"));
      if (path == "/ready" && request.method == "GET") {
        pool_.take()->execute("SELECT 1");  // ready means ClickHouse answers too
        return reply(text_answer(200, "ready\n"));
      }
      if (path == "/api/echo" && request.method == "GET") return reply(text_answer(200, "echo"));
      if (path.starts_with("/api/traces/")) {
        // One writer of comment numbers (clickhouse_comments takes the largest stored + 1).
        const std::lock_guard lock(comments_mutex_);
        if (auto answer = trace::api::answer_comments(comments_, request)) return reply(std::move(*answer));
      }
      if (auto answer = trace::api::answer_query(*pool_.take(), request)) return reply(std::move(*answer));
    } catch (const std::exception& e) {
      // Routes answer their own errors; what reaches here is ClickHouse failing outside them.
      return reply(json_error(502, "clickhouse (" + where_ + "): " + e.what()));
    }
    reply(json_error(404, "no route for " + request.method + " " + std::string(path)));
  }

 private:
  http_response ingest(http_request request) {
    const auto arrived = std::chrono::steady_clock::now();
    auto decoded = trace::api::decode_otlp_export(std::move(request), ingest_);
    http_response answer;
    if (auto* refused = std::get_if<http_response>(&decoded)) {
      answer = std::move(*refused);
    } else {
      auto& batch = std::get<trace::api::otlp_export>(decoded);
      metrics_.body_bytes(batch.body_bytes);
      try {
        if (!batch.spans.empty()) pool_.take()->append(batch.spans);  // one INSERT: acknowledged whole
        answer = trace::api::otlp_accepted(batch);
        metrics_.spans_accepted(batch.spans.size());
        metrics_.spans_rejected(static_cast<std::uint64_t>(batch.rejected));
      } catch (const std::exception& e) {
        answer = trace::api::otlp_unavailable(batch.encoding, std::string("clickhouse: ") + e.what(), ingest_);
        metrics_.spans_rejected(batch.spans.size() + static_cast<std::uint64_t>(batch.rejected));
      }
    }
    metrics_.ingest_latency(std::chrono::steady_clock::now() - arrived);
    return answer;
  }

  store_pool& pool_;
  trace::clickhouse_comments& comments_;
  std::mutex comments_mutex_;
  server_metrics& metrics_;
  std::string where_;
  trace::api::ingest_options ingest_;
};

// --ttl in front of ClickHouse: its daily partitions that ended before now - TTL are dropped
// at start and then every tenth of the TTL (ClickHouse 18.16 has no TTL of its own).
class retention_timer {
 public:
  explicit retention_timer(const server_options& options) {
    if (!options.ttl) return;
    trace::clickhouse_options backend = *options.backend;
    backend.retention = options.ttl;
    thread_ = std::jthread([backend = std::move(backend), period = retention_period(options.ttl)](std::stop_token stop) {
      clickhouse_store store(backend);
      std::condition_variable_any wake;  // never notified: the wait ends at the period or on stop
      std::mutex mutex;
      std::unique_lock lock(mutex);
      while (!stop.stop_requested()) {
        try {
          if (auto dropped = store.apply_retention(trace::now_ns()))
            std::fprintf(stderr, "trace-server: retention dropped %zu daily partition%s older than the TTL\n", dropped,
                         dropped == 1 ? "" : "s");
        } catch (const std::exception& e) {
          std::fprintf(stderr, "trace-server: retention failed: %s\n", e.what());
        }
        wake.wait_for(lock, stop, period, [] { return false; });
      }
    });
  }

 private:
  std::jthread thread_;
};

}  // namespace

int run_liaison(const server_options& options) {
  store_pool pool(*options.backend);
  // Comments have a store of their own, used under the routes' lock.
  clickhouse_store comment_store(*options.backend);
  trace::clickhouse_comments comments(comment_store);
  std::size_t spans = 0;
  try {
    auto store = pool.take();
    store->create_schema();
    comments.create_schema();
    spans = store->size();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trace-server: cannot prepare the tables at %s: %s\n", options.backend_url.c_str(), e.what());
    return 3;
  }

  retention_timer retention(options);
  server_metrics metrics;
  liaison_routes table(pool, comments, metrics, options);
  const http_config http = listen_config(options);
  http_hooks hooks;
  hooks.handle = [&table](http_request r, reply_fn reply) { table.handle(std::move(r), reply); };
  hooks.answered = [&metrics](int status) { metrics.response(status); };
  hooks.listening = [&](std::uint16_t port) {
    std::printf("trace-server: listening on http://%s:%u, liaison to %s (%zu spans)\n", options.host.c_str(), port,
                options.backend_url.c_str(), spans);
    std::fflush(stdout);
  };
  hooks.snapshot_signal = [] { std::fprintf(stderr, "trace-server: no snapshot: the spans are in ClickHouse\n"); };
  try {
    serve_http(http, hooks);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trace-server: %s\n", e.what());
    return 1;
  }
  std::printf("trace-server: stopped\n");
  return 0;
}

}  // namespace trace_server
