// trace-server as a liaison in front of a two-shard ClickHouse cluster, against the same
// server standalone (its mmap store): both processes are started from TRACE_SERVER_BIN on
// 127.0.0.1 (any free port, read from their first line), fed the same OTLP exports
// (protobuf and JSON), then every query route is asked the same questions of both and must
// give the same answers. Needs the cluster of .ci/steps/clickhouse.sh
// (TRACE_CLICKHOUSE_SHARDS, TRACE_CLICKHOUSE_CLUSTER).
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <regex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clickhouse/test_env.hpp"
#include "support/make_span.hpp"
#include "trace/io/otlp_protobuf.hpp"
#include "trace/io/otlp_writer.hpp"
#include "trace/net/http_client.hpp"
#include "trace/store/clickhouse.hpp"
#include "trace/store/clickhouse/backend_url.hpp"
#include "trace/store/clickhouse/comments.hpp"

extern char** environ;

static const trace_test::require_environment environment{"TRACE_SERVER_BIN", "TRACE_CLICKHOUSE_SHARDS",
                                                         "TRACE_CLICKHOUSE_CLUSTER"};

namespace {

using namespace std::chrono_literals;
using trace::net::http_client;
using trace::net::http_response;

// One trace-server process: started with `args`, its port read from the line it prints
// once listening (within 15 s), stopped by its pid (SIGTERM, then SIGKILL after 10 s).
class server_process {
 public:
  explicit server_process(std::vector<std::string> args) {
    int out[2];
    REQUIRE(::pipe(out) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    args.insert(args.begin(), std::getenv("TRACE_SERVER_BIN"));
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    out_ = out[0];
    REQUIRE(spawned == 0);
    port_ = read_port();
  }
  ~server_process() {
    stop();
    ::close(out_);
  }
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  std::uint16_t port() const { return port_; }
  // The exit status after SIGTERM; -1 when it had to be killed.
  int stop() {
    if (pid_ <= 0) return status_;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int waited = 0; waited < 1000; ++waited) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      ::usleep(10'000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
    return status_ = -1;
  }

 private:
  std::uint16_t read_port() {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (line.find('\n') == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{out_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) FAIL("the server printed no line within 15 s");
      char buffer[256];
      const auto n = ::read(out_, buffer, sizeof buffer);
      if (n <= 0) FAIL("the server exited before listening: " << line);
      line.append(buffer, static_cast<std::size_t>(n));
    }
    INFO(line);
    const auto at = line.find("http://127.0.0.1:");
    REQUIRE(at != std::string::npos);
    return static_cast<std::uint16_t>(std::stoi(line.substr(at + 17)));
  }

  pid_t pid_ = 0;
  int out_ = -1;
  int status_ = -1;
  std::uint16_t port_ = 0;
};

// A client of a server on 127.0.0.1, every request under a 10 s deadline.
class client {
 public:
  explicit client(std::uint16_t port) : http_([port] {
    trace::net::http_endpoint e;
    e.port = port;
    e.io_timeout = 10s;
    return e;
  }()) {}

  http_response send(std::string_view method, std::string_view target, std::string_view body = {},
                     std::vector<trace::net::http_header> headers = {}) {
    return http_.request({.method = method, .target = target, .body = body, .headers = std::move(headers),
                          .deadline = std::chrono::steady_clock::now() + 10s});
  }
  http_response get(std::string_view target, std::vector<trace::net::http_header> headers = {}) {
    return send("GET", target, {}, std::move(headers));
  }

 private:
  http_client http_;
};

// Three services over 12 traces, with attributes of each type, errors, kinds and an event:
// what the routes list, search and draw. Their starts are within the last hour, which the
// routes' default windows look at.
std::vector<trace::span> workload() {
  const std::uint64_t base_ms = static_cast<std::uint64_t>(trace::now_ns() / trace::millisecond) - 30 * 60 * 1000;
  std::vector<trace::span> out;
  for (std::uint64_t t = 1; t <= 12; ++t) {
    const std::uint64_t at = base_ms + t * 1000;
    auto root = trace_test::make_span(t, t * 10, 0, "frontend", "GET /checkout", at, at + 90 + t);
    root.kind = trace::span_kind::server;
    root.attributes.set("http.status_code", static_cast<std::int64_t>(t % 4 == 0 ? 500 : 200));
    root.resource.attributes.set("deployment.environment", std::string(t % 2 ? "prod" : "staging"));
    auto child = trace_test::make_span(t, t * 10 + 1, t * 10, "cart", "load cart", at + 5, at + 40 + t,
                                       t % 4 == 0 ? trace::status_code::error : trace::status_code::ok);
    child.kind = trace::span_kind::client;
    child.attributes.set("cart.items", static_cast<std::int64_t>(t));
    child.attributes.set("cart.cached", t % 3 == 0);
    child.attributes.set("cart.ratio", 0.25 * static_cast<double>(t));
    trace::event e;
    e.name = "cache miss";
    e.time = child.start + trace::millisecond;
    child.events.push_back(e);
    auto db = trace_test::make_span(t, t * 10 + 2, t * 10 + 1, "db", t % 2 ? "SELECT carts" : "UPDATE carts", at + 10,
                                    at + 30);
    db.attributes.set("db.system", std::string("postgresql"));
    out.insert(out.end(), {root, child, db});
  }
  return out;
}

std::string hex(std::uint64_t trace) { return trace_test::trace_n(trace).to_hex(); }

// A comments answer without the times, which depend on when each server wrote them.
std::string without_times(const std::string& body) {
  static const std::regex times(R"("(created|edited|removed)_ns":[0-9]+,?)");
  return std::regex_replace(body, times, "");
}

// Runs the server to its exit (within 15 s); its status and what it wrote to stderr.
std::pair<int, std::string> run_to_exit(std::vector<std::string> args) {
  int err[2];
  REQUIRE(::pipe(err) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addclose(&actions, err[0]);
  args.insert(args.begin(), std::getenv("TRACE_SERVER_BIN"));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(err[1]);
  REQUIRE(spawned == 0);
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{err[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buffer[512];
    const auto n = ::read(err[0], buffer, sizeof buffer);
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() >= deadline) {  // still running past the deadline
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return {-1, text};
    }
    ::usleep(10'000);
  }
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

}  // namespace

TEST_CASE("a liaison in front of a ClickHouse cluster answers every route as a standalone server does") {
  const auto shards = trace_test::parse_endpoints(std::getenv("TRACE_CLICKHOUSE_SHARDS"));
  REQUIRE(shards.size() == 2);
  const std::string table = "liaison_" + std::to_string(::getpid());
  std::string url = "clickhouse://" + shards[0].host + ":" + std::to_string(shards[0].port) + "/trace_liaison?table=" + table +
                    "&cluster=" + std::getenv("TRACE_CLICKHOUSE_CLUSTER") + "&shards=";
  for (const auto& s : shards) url += s.host + ":" + std::to_string(s.port) + (&s == &shards.back() ? "" : ",");
  const auto data = std::filesystem::temp_directory_path() / ("trace-liaison-" + std::to_string(::getpid()));
  std::filesystem::remove_all(data);

  // Dropped whatever the test's outcome: the tables the liaison created.
  struct drop_tables {
    trace::clickhouse_options options;
    std::filesystem::path data;
    ~drop_tables() {
      try {
        trace::clickhouse_store store(options);
        trace::clickhouse_comments(store).drop_schema();
        store.drop_schema();
      } catch (const trace::error&) {  // the test has failed already if the cluster went away
      }
      std::filesystem::remove_all(data);
    }
  } cleanup{trace::clickhouse::parse_backend_url(url), data};

  server_process liaison({"--backend", url, "--listen", "127.0.0.1:0", "--threads", "2"});
  server_process standalone({"--data-path", data.string(), "--listen", "127.0.0.1:0", "--flush-timeout", "10ms"});
  client to_liaison(liaison.port()), to_standalone(standalone.port());

  // The same exports to both: half in protobuf, half in JSON.
  const auto spans = workload();
  const std::vector<trace::span> first(spans.begin(), spans.begin() + 18), second(spans.begin() + 18, spans.end());
  for (client* c : {&to_liaison, &to_standalone}) {
    auto pb = c->send("POST", "/v1/traces", trace::otlp::proto::encode_request(first), {{"Content-Type", "application/x-protobuf"}});
    REQUIRE(pb.status == 200);
    auto json = c->send("POST", "/v1/traces", trace::otlp::to_json(second), {{"Content-Type", "application/json"}});
    REQUIRE(json.status == 200);
    CHECK(json.body == "{}");
  }

  {  // the spans are in ClickHouse, spread over both shards' local tables
    std::size_t total = 0;
    for (const auto& endpoint : shards) {
      trace::clickhouse_options local = cleanup.options;
      local.server = endpoint;
      local.cluster.clear();
      local.shards.clear();
      local.table = table + "_local";
      const std::size_t here = trace::clickhouse_store(local).size();
      CHECK(here > 0);
      total += here;
    }
    CHECK(total == spans.size());
  }

  {  // every query route gives the same answer
    const std::string now_s = std::to_string(trace::now_ns() / trace::second);
    const std::string hour_ago_s = std::to_string(trace::now_ns() / trace::second - 3600);
    const std::string now_us = std::to_string(trace::now_ns() / trace::microsecond);
    const std::vector<std::string> targets = {
        // Jaeger
        "/api/services", "/api/services/cart/operations", "/api/operations?service=db",
        "/api/traces?service=frontend&limit=5", "/api/traces?service=cart&tags=%7B%22cart.cached%22%3A%22true%22%7D",
        "/api/traces?service=frontend&operation=GET%20%2Fcheckout&minDuration=95ms", "/api/traces/" + hex(4),
        "/api/traces/" + hex(99), "/api/traces/not-hex", "/api/dependencies?endTs=" + now_us.substr(0, now_us.size() - 3) + "&lookback=7200000",
        "/api/v3/services", "/api/v3/operations?service=frontend&span_kind=server",
        "/api/v3/traces?query.service_name=db&query.start_time_min=" + std::to_string(trace::now_ns() - 2 * trace::hour) +
            "&query.start_time_max=" + std::to_string(trace::now_ns()),
        "/api/v3/traces/" + hex(7),
        // Tempo
        "/tempo/api/traces/" + hex(3), "/api/v2/traces/" + hex(8), "/api/search?limit=50",
        "/api/search?tags=service.name%3Dcart%20cart.items%3D4", "/api/search?q=%7B%20span.cart.items%20%3E%206%20%7D&limit=50",
        "/api/search?q=%7B%20resource.service.name%20%3D%20%22db%22%20%26%26%20name%20%3D%20%22UPDATE%20carts%22%20%7D&limit=50",
        "/api/search?q=%7B%20status%20%3D%20error%20%7D%20%3E%3E%20%7B%20span.db.system%20%3D%20%22postgresql%22%20%7D",
        "/api/search?q=%7B%20span.http.status_code%20%3D%20500%20%7D%20%7C%20count()%20%3E%200&start=" + hour_ago_s +
            "&end=" + now_s,
        "/api/search/tags", "/api/v2/search/tags", "/api/search/tag/service.name/values",
        "/api/v2/search/tag/span.cart.cached/values", "/api/v2/search/tag/resource.deployment.environment/values",
        "/api/v2/search/tag/span.cart.items/values", "/api/v2/search/tag/span.cart.ratio/values",
        "/api/v2/search/tag/.http.status_code/values", "/api/v2/search/tags?scope=resource",
        "/api/metrics/query_range?q=%7B%20%7D%20%7C%20rate()%20by%20(resource.service.name)&start=" + hour_ago_s +
            "&end=" + now_s + "&step=10m",
        "/api/echo", "/ready", "/api/status/buildinfo",
        // pages
        "/", "/search", "/trace/" + hex(2), "/trace/zz"};
    for (const std::string& target : targets) {
      INFO(target);
      const auto want = to_standalone.get(target);
      const auto got = to_liaison.get(target);
      CHECK(want.status < 500);
      CHECK(got.status == want.status);
      CHECK(got.body == want.body);
    }
    // Tempo's clients ask /api/traces/{id} for protobuf.
    const auto want = to_standalone.get("/api/traces/" + hex(5), {{"Accept", "application/protobuf"}});
    const auto got = to_liaison.get("/api/traces/" + hex(5), {{"Accept", "application/protobuf"}});
    CHECK(want.status == 200);
    CHECK(got.status == 200);
    CHECK(got.body == want.body);
  }

  {  // comments: added, edited, listed and removed in the same way
    const std::string at = "/api/traces/" + hex(6) + "/comments";
    for (client* c : {&to_liaison, &to_standalone}) {
      REQUIRE(c->send("POST", at, R"({"author":"ana","text":"card declined, INC-42"})").status == 201);
      REQUIRE(c->send("POST", at, R"({"author":"bo","text":"retry storm","span_id":")" + trace::span_id{61}.to_hex() + "\"}").status == 201);
      REQUIRE(c->send("PUT", at + "/1", R"({"text":"card declined at the issuer, INC-42"})").status == 200);
      REQUIRE(c->send("DELETE", at + "/2", R"({"author":"ana"})").status == 200);
    }
    const auto want = to_standalone.get(at + "?all=true");
    const auto got = to_liaison.get(at + "?all=true");
    REQUIRE(want.status == 200);
    REQUIRE(got.status == 200);
    CHECK(without_times(got.body) == without_times(want.body));
    CHECK(got.body.find("at the issuer, INC-42") != std::string::npos);
    CHECK(got.body.find("\"removed_by\":\"ana\"") != std::string::npos);
    CHECK(to_liaison.send("PUT", at + "/2", R"({"text":"again"})").status == to_standalone.send("PUT", at + "/2", R"({"text":"again"})").status);
  }

  {  // what only the mmap store has answers 501 naming why, and the liaison keeps serving
    const auto r = to_liaison.send("POST", "/api/snapshot");
    CHECK(r.status == 501);
    CHECK(r.body.find("snapshot") != std::string::npos);
    CHECK(r.body.find("--backend") != std::string::npos);
    CHECK(to_standalone.send("POST", "/api/snapshot").status == 200);
    CHECK(to_liaison.get("/api/services").status == 200);
    const auto metrics = to_liaison.get("/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.body.find("trace_server_store_spans 36") != std::string::npos);
  }

  CHECK(liaison.stop() == 0);
  CHECK(standalone.stop() == 0);
}

TEST_CASE("a liaison with --ttl drops ClickHouse's daily partitions that ended before now - TTL") {
  const auto shards = trace_test::parse_endpoints(std::getenv("TRACE_CLICKHOUSE_SHARDS"));
  REQUIRE(!shards.empty());
  const std::string url = "clickhouse://" + shards[0].host + ":" + std::to_string(shards[0].port) +
                          "/trace_liaison?table=ttl_" + std::to_string(::getpid());
  struct drop_tables {
    trace::clickhouse_options options;
    ~drop_tables() {
      try {
        trace::clickhouse_store(options).drop_schema();
      } catch (const trace::error&) {  // the test has failed already if the server went away
      }
    }
  } cleanup{trace::clickhouse::parse_backend_url(url)};
  trace::clickhouse_store store(cleanup.options);
  store.create_schema();
  // Two spans from January 2020, two from the last hour.
  const std::uint64_t old_ms = 1577836800000, recent_ms = static_cast<std::uint64_t>(trace::now_ns() / trace::millisecond) - 3600 * 1000;
  store.append(std::vector<trace::span>{trace_test::make_span(1, 10, 0, "api", "old", old_ms, old_ms + 5),
                                        trace_test::make_span(1, 11, 10, "db", "old", old_ms + 1, old_ms + 3),
                                        trace_test::make_span(2, 20, 0, "api", "recent", recent_ms, recent_ms + 5),
                                        trace_test::make_span(2, 21, 20, "db", "recent", recent_ms + 1, recent_ms + 3)});
  REQUIRE(store.size() == 4);

  server_process liaison({"--backend", url, "--listen", "127.0.0.1:0", "--ttl", "30d"});
  // The first pass runs at start; polled for at most 15 s.
  for (int i = 0; i < 150 && store.size() != 2; ++i) std::this_thread::sleep_for(100ms);
  CHECK(store.size() == 2);
  CHECK(store.find_trace(trace_test::trace_n(1)).empty());
  CHECK(store.find_trace(trace_test::trace_n(2)).size() == 2);
  CHECK(liaison.stop() == 0);
}

TEST_CASE("a liaison whose ClickHouse cannot be reached exits 3 naming it; a bad --backend exits 2 naming what is wrong") {
  const auto [unreachable, why] = run_to_exit({"--backend", "clickhouse://127.0.0.1:1/traces", "--listen", "127.0.0.1:0"});
  CHECK(unreachable == 3);
  CHECK(why.find("clickhouse://127.0.0.1:1/traces") != std::string::npos);
  CHECK(why.find("127.0.0.1:1") != std::string::npos);

  const std::pair<std::string, std::string> refused[] = {
      {"clickhouse://127.0.0.1:8123", "no /DATABASE"},
      {"postgres://127.0.0.1/traces", "scheme \"postgres\""},
      {"clickhouse://127.0.0.1:99999/traces", "port from 1 to 65535"},
      {"clickhouse://127.0.0.1:8123/traces?cluster=two", "needs shards="},
      {"clickhouse://127.0.0.1:8123/traces?tabel=x", "unknown parameter \"tabel\""},
  };
  for (const auto& [url, message] : refused) {
    INFO(url);
    const auto [status, text] = run_to_exit({"--backend", url});
    CHECK(status == 2);
    CHECK(text.find(message) != std::string::npos);
  }
  const auto [both, text] = run_to_exit({"--backend", "clickhouse://127.0.0.1:8123/traces", "--data-path", "/tmp/x"});
  CHECK(both == 2);
  CHECK(text.find("--data-path configures the mmap store") != std::string::npos);
}
