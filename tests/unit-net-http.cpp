// The HTTP client's additions for the OTLP exporter (a deadline on the whole request, a
// limit on the answer, failures typed by kind, http:// URLs with a path) and Retry-After
// parsing. Framing, keep-alive and malformed answers are covered by unit-clickhouse-http.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "support/http_test_server.hpp"
#include "trace/net/http_client.hpp"
#include "trace/net/retry_after.hpp"

using namespace std::chrono_literals;
using trace::net::http_failure;
using trace_test::http_test_server;
using trace_test::received_request;
using trace_test::test_reply;

namespace {

trace::net::http_client client_for(const http_test_server& server) {
  trace::net::http_endpoint endpoint;
  endpoint.host = "127.0.0.1";
  endpoint.port = server.port();
  endpoint.io_timeout = 5s;
  return trace::net::http_client(endpoint);
}

// The kind and message of the http_error `action` throws.
std::pair<http_failure, std::string> failure_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const trace::net::http_error& e) {
    CHECK(e.code() == trace::errc::io_error);
    return {e.kind(), e.what()};
  }
  FAIL("no http_error");
  return {};
}

bool wait_until_requests(const http_test_server& server, std::size_t n) {
  for (int i = 0; i < 1000 && server.request_count() < n; ++i) std::this_thread::sleep_for(10ms);
  return server.request_count() >= n;
}

}  // namespace

TEST_CASE("http URLs split into host, port (80 by default) and target") {
  auto url = trace::net::parse_http_url("http://collector:4318/v1/traces");
  CHECK(url.host == "collector");
  CHECK(url.port == 4318);
  CHECK(url.target == "/v1/traces");
  url = trace::net::parse_http_url("http://example.com");
  CHECK(url.port == 80);
  CHECK(url.target == "/");
  url = trace::net::parse_http_url("http://[::1]:4318/a?b=c");
  CHECK(url.host == "::1");
  CHECK(url.port == 4318);
  CHECK(url.target == "/a?b=c");
}

TEST_CASE("URLs that are not plain http are refused, quoted, with the reason") {
  auto refusal = [](std::string_view text) {
    try {
      trace::net::parse_http_url(text);
    } catch (const trace::error& e) {
      CHECK(e.code() == trace::errc::invalid_argument);
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  CHECK(refusal("https://collector:4318") ==
        "invalid argument: URL \"https://collector:4318\": https is not supported (no TLS); use http:// to a local "
        "collector");
  CHECK(refusal("collector:4318") == "invalid argument: URL \"collector:4318\": not an http:// URL");
  CHECK(refusal("http://:4318/") == "invalid argument: URL \"http://:4318/\": no host");
  CHECK(refusal("http://host:/") == "invalid argument: URL \"http://host:/\": empty port");
  CHECK(refusal("http://host:0") == "invalid argument: URL \"http://host:0\": the port is not 1-65535");
  CHECK(refusal("http://user:pw@host") ==
        "invalid argument: URL \"http://user:pw@host\": user information in the URL is not supported");
  CHECK(refusal("http://[::1") == "invalid argument: URL \"http://[::1\": unterminated [ in the host");
  CHECK(refusal("http://host/a b") ==
        "invalid argument: URL \"http://host/a b\": the path contains a space, a line break or a fragment");
}

TEST_CASE("a request's deadline bounds the whole exchange, whatever the per-read timeout") {
  http_test_server server([](const received_request&, std::size_t) {
    test_reply r;
    r.what = test_reply::action::never_answer;
    return r;
  });
  auto client = client_for(server);  // io_timeout 5 s
  const auto started = std::chrono::steady_clock::now();
  auto [kind, message] = failure_of([&] {
    client.request({.method = "POST", .target = "/", .body = "x", .deadline = std::chrono::steady_clock::now() + 200ms});
  });
  CHECK(std::chrono::steady_clock::now() - started < 4s);  // catches waiting out io_timeout, nothing finer
  CHECK(kind == http_failure::timeout);
  CHECK(message == "i/o error: http 127.0.0.1:" + std::to_string(server.port()) +
                       ": request deadline passed waiting for the response");
  CHECK_FALSE(client.connected());
}

TEST_CASE("a readable cancel_fd abandons the exchange at once") {
  http_test_server server([](const received_request&, std::size_t) {
    test_reply r;
    r.what = test_reply::action::never_answer;
    return r;
  });
  int cancel[2];
  REQUIRE(::pipe(cancel) == 0);
  auto client = client_for(server);  // io_timeout 5 s, no deadline
  bool request_seen = false;
  ssize_t written = 0;
  std::thread canceller([&] {  // no Catch2 assertions off the main thread
    request_seen = wait_until_requests(server, 1);
    char byte = 1;
    written = ::write(cancel[1], &byte, 1);
  });
  const auto started = std::chrono::steady_clock::now();
  auto [kind, message] = failure_of([&] { client.request({.method = "POST", .body = "x", .cancel_fd = cancel[0]}); });
  canceller.join();
  CHECK(request_seen);
  CHECK(written == 1);
  CHECK(std::chrono::steady_clock::now() - started < 4s);  // not the 5 s io_timeout
  CHECK(kind == http_failure::cancelled);
  CHECK(message.ends_with(": cancelled waiting for the response"));
  CHECK_FALSE(client.connected());
  ::close(cancel[0]);
  ::close(cancel[1]);
}

TEST_CASE("custom headers arrive, and the answer's headers are read") {
  http_test_server server([](const received_request& request, std::size_t) {
    test_reply r;
    r.headers = {{"Retry-After", "7"}, {"Content-Type", "application/x-protobuf"}};
    r.body = request.header("X-Tenant") ? *request.header("X-Tenant") : "none";
    return r;
  });
  auto client = client_for(server);
  auto response = client.request({.method = "POST",
                                  .target = "/v1/traces",
                                  .body = "abc",
                                  .headers = {{"X-Tenant", "shop"}, {"Content-Encoding", "identity"}}});
  CHECK(response.status == 200);
  CHECK(response.body == "shop");
  REQUIRE(response.header("retry-after"));
  CHECK(*response.header("retry-after") == "7");
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].target == "/v1/traces");
  CHECK(requests[0].body == "abc");
  REQUIRE(requests[0].header("Content-Encoding"));
  CHECK(*requests[0].header("Content-Encoding") == "identity");
}

TEST_CASE("an answer over max_response_bytes is refused as too large") {
  http_test_server server([](const received_request&, std::size_t) {
    test_reply r;
    r.body = std::string(5000, 'x');
    return r;
  });
  auto client = client_for(server);
  auto [kind, message] = failure_of([&] { client.request({.max_response_bytes = 4096}); });
  CHECK(kind == http_failure::too_large);
  CHECK(message == "i/o error: http 127.0.0.1:" + std::to_string(server.port()) +
                       ": response body of 5000 bytes or more exceeds the limit of 4096 bytes");
  // At the limit it is read.
  CHECK(client.request({.max_response_bytes = 5000}).body.size() == 5000);
}

TEST_CASE("failures say their kind: refused, closed before or inside the answer") {
  std::uint16_t closed_port;
  {
    http_test_server gone([](const received_request&, std::size_t) { return test_reply{}; });
    closed_port = gone.port();
  }
  trace::net::http_endpoint nowhere;
  nowhere.port = closed_port;
  CHECK(failure_of([&] { trace::net::http_client(nowhere).request("GET", "/"); }).first == http_failure::connect);

  http_test_server server([](const received_request&, std::size_t index) {
    test_reply r;
    r.body = std::string(200, 'b');  // so that half the answer ends inside the body
    r.what = index == 0 ? test_reply::action::close_silently : test_reply::action::close_mid_response;
    return r;
  });
  auto [silent, silent_message] = failure_of([&] { client_for(server).request("GET", "/"); });
  CHECK(silent == http_failure::closed);
  CHECK(silent_message.ends_with("connection closed before any response"));
  auto [half, half_message] = failure_of([&] { client_for(server).request("GET", "/"); });
  CHECK(half == http_failure::closed);
  CHECK(half_message.ends_with("connection closed in the middle of the response"));
}

TEST_CASE("Retry-After: delta-seconds") {
  CHECK(trace::net::parse_retry_after("0") == 0ms);
  CHECK(trace::net::parse_retry_after("120") == 120s);
  CHECK(trace::net::parse_retry_after("99999999999999999999") == 24h);  // capped, not overflowed
  for (const char* bad : {"", "-1", "1.5", " 5", "soon"}) CHECK_FALSE(trace::net::parse_retry_after(bad));
}

TEST_CASE("Retry-After: an HTTP-date in each of the three forms, measured from now") {
  using namespace std::chrono;
  const sys_seconds expected = sys_days(1994y / November / 6) + 8h + 49min + 37s;
  CHECK(trace::net::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == expected);
  CHECK(trace::net::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == expected);
  CHECK(trace::net::parse_http_date("Sun Nov  6 08:49:37 1994") == expected);
  CHECK(trace::net::parse_http_date("Thu, 31 Dec 2026 23:59:60 GMT") ==
        sys_days(2027y / January / 1) + 0s);  // a leap second reads as the next second
  for (const char* bad : {"Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
                          "Sunday, 06-Nov-1994 08:49:37 GMT", "yesterday"})
    CHECK_FALSE(trace::net::parse_http_date(bad));

  const system_clock::time_point now = sys_days(2026y / December / 1) + 12h;
  CHECK(trace::net::parse_retry_after("Tue, 01 Dec 2026 12:00:30 GMT", now) == 30s);
  CHECK(trace::net::parse_retry_after("Tue, 01 Dec 2026 11:00:00 GMT", now) == 0ms);  // past: now
  CHECK(trace::net::parse_retry_after("Tue, 01 Dec 2026 12:00:30 GMT junk", now) == std::nullopt);
}

namespace {

// A response read by net::detail::read_response from `bytes`, delivered `piece` bytes per read.
trace::net::http_response read_bytes(std::string_view bytes, std::size_t piece, std::size_t limit) {
  auto more = [&bytes, piece](std::string& buffer, bool allow_eof) {
    if (bytes.empty()) {
      if (allow_eof) return false;
      throw trace::net::http_error(http_failure::closed, "closed");
    }
    const std::size_t n = std::min(piece, bytes.size());
    buffer.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
    return true;
  };
  trace::net::http_response response;
  std::string buffer;
  trace::net::detail::read_response(buffer, response, limit, more, [](http_failure kind, const std::string& what) {
    throw trace::net::http_error(kind, what);
  });
  return response;
}

}  // namespace

TEST_CASE("the body limit holds for a close-delimited body that came whole with the header") {
  // Found by fuzz_http_response: the limit was checked only after each later read.
  const std::string answer = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\n\r\n" + std::string(100, 'x');
  const std::size_t piece = GENERATE(std::size_t{4096}, std::size_t{7});
  INFO("piece " << piece);
  auto [kind, message] = failure_of([&] { read_bytes(answer, piece, 64); });
  CHECK(kind == http_failure::too_large);
  CHECK(message.find("exceeds the limit of 64 bytes") != std::string::npos);
  const auto whole = read_bytes(answer, piece, 100);
  CHECK(whole.status == 503);
  CHECK(whole.body == std::string(100, 'x'));
  CHECK(*whole.header("retry-after") == "2");
}

TEST_CASE("framing read from bytes alone: Content-Length, chunked with extensions and trailers") {
  const std::size_t piece = GENERATE(std::size_t{1}, std::size_t{3}, std::size_t{4096});
  INFO("piece " << piece);
  auto sized = read_bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello and more", piece, 1 << 20);
  CHECK(sized.body == "hello");
  auto chunked = read_bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n",
                            piece, 1 << 20);
  CHECK(chunked.body == "abcde");
  auto [kind, message] = failure_of([&] { read_bytes("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", piece, 1 << 20); });
  CHECK(kind == http_failure::closed);
}
