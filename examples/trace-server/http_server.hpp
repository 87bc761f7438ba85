#pragma once
// The HTTP/1.1 side of trace-server, on Boost.Beast and Asio, kept behind this small
// interface so only http_server.cpp compiles Boost: connections, limits, timeouts, signals
// and graceful shutdown. Routes are a function from request to response (api/http_exchange.hpp)
// that may answer later, from another thread (the store's writer answers after its sync).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include <trace/api/http_exchange.hpp>

namespace trace_server {

using reply_fn = std::function<void(trace::api::http_response)>;

struct http_config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4318;
  unsigned threads = 2;
  std::size_t max_body = 64u << 20;     // a larger body (as sent) is answered 413 and the connection closed
  std::size_t max_header = 64u << 10;   // request line and headers; more is 431
  std::chrono::milliseconds read_timeout{30000};
};

struct http_hooks {
  std::function<void(trace::api::http_request, reply_fn)> handle;  // every complete request
  std::function<void(int status)> answered;                        // every response sent, for /metrics
  std::function<void(std::uint16_t port)> listening;               // once bound
  std::function<void()> snapshot_signal;                           // SIGUSR1
};

// Serves until SIGTERM or SIGINT, then stops accepting, closes idle connections, lets the
// requests in flight finish (their answers written), and returns. Throws std::runtime_error
// when it cannot listen.
void serve_http(const http_config& config, const http_hooks& hooks);

}  // namespace trace_server
