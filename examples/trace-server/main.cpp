// trace-server: receives OTLP/HTTP traces into a durable mmap store and answers queries from
// the same store while it ingests (docs/SERVER.md); with --backend, a liaison in front of
// ClickHouse instead (liaison.cpp).
//
//   trace-server --data-path /var/lib/traces [--listen 127.0.0.1:4318] [--ttl 7d] ...
//   trace-server --backend clickhouse://127.0.0.1:8123/traces [--listen ...]
//
// Exit status: 0 after a graceful shutdown (SIGTERM, SIGINT), 2 for a bad command line,
// 3 when the store cannot be opened, 1 when the server cannot listen.

#include <chrono>
#include <csignal>
#include <mutex>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <trace/api/comment_routes.hpp>  // answer_comments: list, add, edit, remove comments
#include <trace/api/otlp_ingest.hpp>
#include <trace/store/mmap.hpp>
#include <trace/store/mmap/maintenance.hpp>  // retention and snapshots
#include <trace/store/replication/replicator.hpp>
#include <trace/store/replication/tcp.hpp>

#include <trace/api/query_routes.hpp>  // answer_query: the Jaeger and Tempo APIs and the pages

#include "http_server.hpp"
#include "liaison.hpp"
#include "plain_answers.hpp"
#include "server_metrics.hpp"
#include "server_options.hpp"
#include "store_writer.hpp"

namespace {

using trace::api::http_request;
using trace::api::http_response;
using namespace trace_server;

// The routes: ingest goes through the writer (answered after the group's sync); the rest is
// answered here, queries from the store's reader views.
class routes {
 public:
  routes(const trace::mmap_store& store, trace::comment_log& comments, store_writer& writer, server_metrics& metrics,
         const server_options& options)
      : store_(store), comments_(comments), writer_(writer), metrics_(metrics) {
    ingest_.max_body_bytes = options.max_body;
    ingest_.retry_after = std::chrono::seconds(1);
  }

  void handle(http_request request, reply_fn reply) const {
    const auto arrived = store_writer::clock::now();
    if (trace::api::is_otlp_traces_route(request)) {
      auto decoded = trace::api::decode_otlp_export(std::move(request), ingest_);
      if (auto* refused = std::get_if<http_response>(&decoded)) {
        metrics_.ingest_latency(store_writer::clock::now() - arrived);
        return reply(std::move(*refused));
      }
      auto& batch = std::get<trace::api::otlp_export>(decoded);
      metrics_.body_bytes(batch.body_bytes);
      return writer_.submit(std::move(batch), arrived, std::move(reply));
    }
    const std::string_view path = path_of(request.target);
    if (path == "/api/snapshot") {
      if (request.method != "POST") return reply(with_allow(text_answer(405, "POST /api/snapshot takes a snapshot\n"), "POST"));
      return writer_.snapshot([reply](std::string folder, std::string error) {
        if (!error.empty()) return reply(json_error(500, error));
        reply(text_answer(200, "{\"snapshot\":" + json_string(folder) + "}", "application/json"));
      });
    }
    if (path == "/metrics" && request.method == "GET") {
      return reply(text_answer(200, metrics_.prometheus_text(store_.size()), "text/plain; version=0.0.4; charset=utf-8"));
    }
    if (path == "/ready" && request.method == "GET") return reply(text_answer(200, "ready\n"));
    if (path == "/api/echo" && request.method == "GET") return reply(text_answer(200, "echo"));
    if (path.starts_with("/api/traces/")) {
      // Each change is synced before answering; the log itself is not thread-safe.
      const std::lock_guard lock(comments_mutex_);
      if (auto answer = trace::api::answer_comments(comments_, request)) return reply(std::move(*answer));
    }
    // A reader: one consistent view of the committed spans for the whole request, taken
    // beside the writer thread (mmap.hpp).
    if (auto answer = trace::api::answer_query(store_.read(), request)) return reply(std::move(*answer));
    reply(json_error(404, "no route for " + request.method + " " + std::string(path)));
  }

 private:
  const trace::mmap_store& store_;
  trace::comment_log& comments_;
  mutable std::mutex comments_mutex_;
  store_writer& writer_;
  server_metrics& metrics_;
  trace::api::ingest_options ingest_;
};

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout or socket is an error to handle, not a death
  server_options options;
  try {
    options = parse_server_options(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const usage_error& e) {
    if (std::string_view(e.what()).empty()) {
      std::fputs(usage_text().c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "trace-server: %s\n\n%s", e.what(), usage_text().c_str());
    return 2;
  }
  if (options.backend) return run_liaison(options);

  trace::mmap_options store_options;
  store_options.path = options.data_path;
  store_options.sync = trace::sync_policy::none;  // the writer syncs once per group, before answering
  store_options.flush_interval = options.flush_timeout;
  store_options.segment_bytes = options.segment_bytes;
  store_options.max_disk_percent = options.max_disk_percent;
  store_options.max_disk_bytes = options.max_disk_bytes;
  store_options.max_snapshots = options.max_snapshots;
  store_options.retention_ttl = options.ttl;
  store_options.cold_after = options.cold_after;
  store_options.on_dropped = [](const trace::dropped_log_tail& d) {
    std::fprintf(stderr, "trace-server: recovery: %s\n", trace::describe(d).c_str());
  };
  std::optional<trace::mmap_store> store;
  try {
    store.emplace(std::move(store_options));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trace-server: cannot open the store in %s: %s\n", options.data_path.c_str(), e.what());
    return 3;
  }

  // Replicas, when asked for: the replication log beside the store, a sender per replica.
  std::optional<trace::replication::replicator> replication;
  if (!options.replicate_to.empty()) {
    trace::replication::replication_options r;
    for (const auto& address : options.replicate_to)
      r.sinks.push_back(std::make_shared<trace::replication::tcp_sink>(trace::net::tcp_address::parse(address)));
    r.required_acks = options.required_acks;
    r.log.path = options.data_path / "replication";
    try {
      replication.emplace(std::move(r));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "trace-server: cannot open the replication log in %s: %s\n", (options.data_path / "replication").c_str(), e.what());
      return 3;
    }
  }

  // Comments on traces, in the store's directory beside the segments (docs/COMMENTS.md).
  std::optional<trace::comment_log> comments;
  try {
    comments.emplace(options.data_path / "comments.log");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trace-server: cannot open the comment log in %s: %s\n", options.data_path.c_str(), e.what());
    return 3;
  }

  server_metrics metrics;
  store_writer writer(*store, metrics,
                      {options.flush_timeout, options.ttl, {options.max_body, std::chrono::seconds(1)}, replication ? &*replication : nullptr});
  routes table(*store, *comments, writer, metrics, options);

  const http_config http = listen_config(options);
  http_hooks hooks;
  hooks.handle = [&table](http_request r, reply_fn reply) { table.handle(std::move(r), std::move(reply)); };
  hooks.answered = [&metrics](int status) { metrics.response(status); };
  hooks.listening = [&](std::uint16_t port) {
    std::printf("trace-server: listening on http://%s:%u, store %s (%zu spans)\n", options.host.c_str(), port,
                options.data_path.c_str(), store->size());
    std::fflush(stdout);
  };
  hooks.snapshot_signal = [&writer] {
    writer.snapshot([](std::string folder, std::string error) {
      if (error.empty()) std::fprintf(stderr, "trace-server: snapshot in %s\n", folder.c_str());
      else std::fprintf(stderr, "trace-server: snapshot failed: %s\n", error.c_str());
    });
  };
  try {
    serve_http(http, hooks);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trace-server: %s\n", e.what());
    return 1;
  }
  writer.stop();  // every queued request was answered before serve_http returned; this syncs and ends
  std::printf("trace-server: stopped, %zu spans in the store\n", store->size());
  return 0;
}
