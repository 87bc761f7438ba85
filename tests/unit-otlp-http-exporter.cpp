// The OTLP/HTTP span exporter against a fault-injecting server on 127.0.0.1: what arrives
// (path, headers, content type, every span exactly once where the specification says a
// request is not sent again), which answers are retried and how long it waits, what is
// counted, and that nothing hangs: a collector that never answers is bounded by the
// timeouts. Also the OTEL_EXPORTER_OTLP_* variables.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#ifdef TRACE_WITH_ZLIB
#include <zlib.h>
#endif

#include "support/http_test_server.hpp"
#include "support/make_span.hpp"
#include "trace/instrument.hpp"
#include "trace/instrument/otlp_http_exporter.hpp"
#include "trace/io/otlp_protobuf.hpp"
#include "trace/io/otlp_reader.hpp"

using namespace std::chrono_literals;
using trace::otlp_failure;
using trace_test::http_test_server;
using trace_test::received_request;
using trace_test::test_reply;

namespace {

using steady = std::chrono::steady_clock;

// Spans with ids first_id, first_id+1, ...: a request's content is checked by id.
std::vector<trace::span> spans_from(std::uint64_t first_id, std::size_t count) {
  std::vector<trace::span> out;
  for (std::size_t i = 0; i < count; ++i) {
    auto s = trace_test::make_span(7, first_id + i, 0, "checkout", "op " + std::to_string(first_id + i), 10, 20);
    s.attributes.set("http.route", std::string("/cart/") + std::to_string(i));
    out.push_back(std::move(s));
  }
  return out;
}

// Fast retries, bounded: nothing in these tests waits long unless asked to.
trace::otlp_http_options fast_options(const http_test_server& server,
                                      trace::otlp_protocol protocol = trace::otlp_protocol::http_protobuf) {
  trace::otlp_http_options o;
  o.endpoint = server.url("/v1/traces");
  o.protocol = protocol;
  o.timeout = 2s;
  o.retry.initial_backoff = 10ms;
  o.retry.max_backoff = 40ms;
  o.retry.total_timeout = 5s;
  o.flush_timeout = 8s;
  return o;
}

std::string inflate_gzip(const std::string& bytes) {
#ifdef TRACE_WITH_ZLIB
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);
  std::string out(bytes.size() * 20 + 1024, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  REQUIRE(rc == Z_STREAM_END);
  return out;
#else
  FAIL("a gzip body arrived in a build without zlib");
  return bytes;
#endif
}

// The spans a request carried, decoded as its Content-Type and Content-Encoding say.
std::vector<trace::span> spans_of(const received_request& request) {
  std::string body = request.body;
  if (const auto* encoding = request.header("Content-Encoding"); encoding && *encoding == "gzip")
    body = inflate_gzip(body);
  const std::string* type = request.header("Content-Type");
  REQUIRE(type != nullptr);
  if (*type == "application/x-protobuf") return trace::otlp::proto::decode_request(body);
  REQUIRE(*type == "application/json");
  return trace::otlp::read(body);
}

// How many times each span id arrived, over all requests.
std::map<std::uint64_t, int> arrivals(const std::vector<received_request>& requests) {
  std::map<std::uint64_t, int> seen;
  for (const auto& request : requests)
    for (const auto& s : spans_of(request)) ++seen[s.id.value()];
  return seen;
}

std::map<std::uint64_t, int> each_once(std::uint64_t first_id, std::size_t count) {
  std::map<std::uint64_t, int> out;
  for (std::size_t i = 0; i < count; ++i) out[first_id + i] = 1;
  return out;
}

test_reply answer(int status, std::string body = {}, std::vector<std::pair<std::string, std::string>> headers = {}) {
  test_reply r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

test_reply protobuf_ok() { return answer(200, {}, {{"Content-Type", "application/x-protobuf"}}); }

test_reply status_body(int status, const std::string& message,
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  headers.emplace_back("Content-Type", "application/x-protobuf");
  return answer(status, trace::otlp::proto::encode_status({.code = 3, .message = message}), std::move(headers));
}

// Waits (bounded) until the server has seen `n` requests.
bool wait_for_requests(const http_test_server& server, std::size_t n) {
  for (int i = 0; i < 1000 && server.request_count() < n; ++i) std::this_thread::sleep_for(10ms);
  return server.request_count() >= n;
}

std::string imf_fixdate(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return text;
}

}  // namespace

TEST_CASE("a 200 answer: every span arrives once, as protobuf, at the URL's path with the configured headers") {
  http_test_server server([](const received_request&, std::size_t) { return protobuf_ok(); });
  auto options = fast_options(server);
  options.headers = {{"Authorization", "Bearer t0k3n"}, {"X-Scope-OrgID", "shop"}};
  trace::otlp_http_exporter exporter(options);
  auto first = spans_from(1, 20), second = spans_from(21, 5);
  exporter.export_spans(first);
  exporter.export_spans(second);
  REQUIRE(exporter.flush(8s));

  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  for (const auto& request : requests) {
    CHECK(request.method == "POST");
    CHECK(request.target == "/v1/traces");
    REQUIRE(request.header("Content-Type"));
    CHECK(*request.header("Content-Type") == "application/x-protobuf");
    REQUIRE(request.header("Authorization"));
    CHECK(*request.header("Authorization") == "Bearer t0k3n");
    REQUIRE(request.header("X-Scope-OrgID"));
    CHECK(*request.header("X-Scope-OrgID") == "shop");
    CHECK(request.header("Content-Encoding") == nullptr);
    REQUIRE(request.header("User-Agent"));
    CHECK(request.header("User-Agent")->starts_with("trace-cpp-otlp-exporter/"));
  }
  CHECK(arrivals(requests) == each_once(1, 25));
  // Decoded, they are the spans that were sent.
  CHECK(spans_of(requests[0]) == first);
  CHECK(requests[0].connection == requests[1].connection);  // kept alive

  auto stats = exporter.stats();
  CHECK(stats.spans_exported == 25);
  CHECK(stats.requests == 2);
  CHECK(stats.retries == 0);
  CHECK(stats.spans_failed == 0);
  CHECK(stats.spans_rejected == 0);
  CHECK(stats.last_error.empty());
}

TEST_CASE("http/json sends application/json that the OTLP JSON reader reads back") {
  http_test_server server([](const received_request&, std::size_t) {
    return answer(200, "{}", {{"Content-Type", "application/json"}});
  });
  trace::otlp_http_exporter exporter(fast_options(server, trace::otlp_protocol::http_json));
  auto batch = spans_from(100, 7);
  exporter.export_spans(batch);
  REQUIRE(exporter.flush(8s));
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(*requests[0].header("Content-Type") == "application/json");
  CHECK(spans_of(requests[0]) == batch);
  CHECK(exporter.stats().spans_exported == 7);
}

TEST_CASE("a partial success counts the rejected spans, keeps the message and is not sent again") {
  SECTION("protobuf") {
    http_test_server server([](const received_request&, std::size_t) {
      return answer(200, trace::otlp::proto::encode_response({.rejected_spans = 3, .error_message = "3 spans too old"}),
                    {{"Content-Type", "application/x-protobuf"}});
    });
    trace::otlp_http_exporter exporter(fast_options(server));
    exporter.export_spans(spans_from(1, 10));
    REQUIRE(exporter.flush(8s));
    auto stats = exporter.stats();
    CHECK(server.request_count() == 1);
    CHECK(stats.requests == 1);
    CHECK(stats.retries == 0);
    CHECK(stats.spans_rejected == 3);
    CHECK(stats.spans_exported == 7);
    CHECK(stats.spans_failed == 0);
    CHECK(stats.last_partial_success == "3 spans too old");
  }
  SECTION("JSON, rejectedSpans as OTLP JSON's decimal string") {
    http_test_server server([](const received_request&, std::size_t) {
      return answer(200, R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"names too long"}})",
                    {{"Content-Type", "application/json"}});
    });
    trace::otlp_http_exporter exporter(fast_options(server, trace::otlp_protocol::http_json));
    exporter.export_spans(spans_from(1, 4));
    REQUIRE(exporter.flush(8s));
    auto stats = exporter.stats();
    CHECK(server.request_count() == 1);
    CHECK(stats.spans_rejected == 2);
    CHECK(stats.spans_exported == 2);
    CHECK(stats.last_partial_success == "names too long");
  }
  SECTION("a warning: nothing rejected, the message kept") {
    http_test_server server([](const received_request&, std::size_t) {
      return answer(200, trace::otlp::proto::encode_response({.rejected_spans = 0, .error_message = "slow down"}),
                    {{"Content-Type", "application/x-protobuf"}});
    });
    trace::otlp_http_exporter exporter(fast_options(server));
    exporter.export_spans(spans_from(1, 4));
    REQUIRE(exporter.flush(8s));
    CHECK(exporter.stats().spans_exported == 4);
    CHECK(exporter.stats().last_partial_success == "slow down");
  }
}

TEST_CASE("400 with a Status body is not retried and its message is kept") {
  http_test_server server([](const received_request&, std::size_t) {
    return status_body(400, "span 3: name must not be empty");
  });
  trace::otlp_http_exporter exporter(fast_options(server));
  exporter.export_spans(spans_from(1, 6));
  REQUIRE(exporter.flush(8s));
  auto stats = exporter.stats();
  CHECK(server.request_count() == 1);
  CHECK(stats.requests == 1);
  CHECK(stats.retries == 0);
  CHECK(stats.spans_failed == 6);
  CHECK(stats.spans_exported == 0);
  CHECK(stats.failures_of(otlp_failure::error_status) == 1);
  CHECK(stats.last_error == "HTTP 400: span 3: name must not be empty");
}

TEST_CASE("http/json: a 400's JSON Status message is kept") {
  http_test_server server([](const received_request&, std::size_t) {
    return answer(400, R"({"code":3,"message":"traceId: invalid length","details":[]})",
                  {{"Content-Type", "application/json"}});
  });
  trace::otlp_http_exporter exporter(fast_options(server, trace::otlp_protocol::http_json));
  exporter.export_spans(spans_from(1, 2));
  REQUIRE(exporter.flush(8s));
  CHECK(server.request_count() == 1);
  CHECK(exporter.stats().spans_failed == 2);
  CHECK(exporter.stats().last_error == "HTTP 400: traceId: invalid length");
}

TEST_CASE("a 200 whose body is not a response still counts as accepted, and says so") {
  http_test_server server([](const received_request&, std::size_t) {
    return answer(200, "\x0a\xff", {{"Content-Type", "application/x-protobuf"}});  // a length past the end
  });
  trace::otlp_http_exporter exporter(fast_options(server));
  exporter.export_spans(spans_from(1, 3));
  REQUIRE(exporter.flush(8s));
  auto stats = exporter.stats();
  CHECK(server.request_count() == 1);
  CHECK(stats.spans_exported == 3);
  CHECK(stats.last_error.find("accepted, but the answer's body is unreadable: parse error") == 0);
}

TEST_CASE("a batch over max_request_bytes is not sent, and counted") {
  http_test_server server([](const received_request&, std::size_t) { return protobuf_ok(); });
  auto options = fast_options(server);
  options.max_request_bytes = 1000;
  trace::otlp_http_exporter exporter(options);
  exporter.export_spans(spans_from(1, 100));
  exporter.export_spans(spans_from(200, 1));  // small enough
  REQUIRE(exporter.flush(8s));
  auto stats = exporter.stats();
  CHECK(server.request_count() == 1);
  CHECK(stats.spans_failed == 100);
  CHECK(stats.spans_exported == 1);
  CHECK(stats.failures_of(otlp_failure::request_too_large) == 1);
}

TEST_CASE("an answer over max_response_bytes is an error, not retried") {
  http_test_server server([](const received_request&, std::size_t) {
    return answer(200, std::string(5000, 'x'), {{"Content-Type", "application/x-protobuf"}});
  });
  auto options = fast_options(server);
  options.max_response_bytes = 4096;
  trace::otlp_http_exporter exporter(options);
  exporter.export_spans(spans_from(1, 2));
  REQUIRE(exporter.flush(8s));
  CHECK(server.request_count() == 1);
  CHECK(exporter.stats().spans_failed == 2);
  CHECK(exporter.stats().failures_of(otlp_failure::bad_response) == 1);
}

TEST_CASE("other 4xx and 500 are not retried either") {
  for (int status : {401, 403, 404, 413, 500}) {
    CAPTURE(status);
    http_test_server server([&](const received_request&, std::size_t) {
      return answer(status, "plain words", {{"Content-Type", "text/plain"}});
    });
    trace::otlp_http_exporter exporter(fast_options(server));
    exporter.export_spans(spans_from(1, 2));
    REQUIRE(exporter.flush(8s));
    CHECK(server.request_count() == 1);
    CHECK(exporter.stats().spans_failed == 2);
    CHECK(exporter.stats().last_error == "HTTP " + std::to_string(status) + ": plain words");
  }
}

TEST_CASE("429 with Retry-After in seconds is retried after that long, then every span arrives") {
  http_test_server server([](const received_request&, std::size_t index) {
    return index == 0 ? status_body(429, "slow down", {{"Retry-After", "1"}}) : protobuf_ok();
  });
  trace::otlp_http_exporter exporter(fast_options(server));
  exporter.export_spans(spans_from(1, 12));
  REQUIRE(exporter.flush(8s));
  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  // The backoff alone would have waited 5 to 15 ms: the second second came from Retry-After.
  CHECK(requests[1].arrived - requests[0].arrived >= 950ms);
  CHECK(requests[0].body == requests[1].body);  // the same request, sent again
  CHECK(arrivals({requests[1]}) == each_once(1, 12));
  auto stats = exporter.stats();
  CHECK(stats.spans_exported == 12);
  CHECK(stats.requests == 2);
  CHECK(stats.retries == 1);
  CHECK(stats.failures_of(otlp_failure::retryable_status) == 1);
  CHECK(stats.spans_failed == 0);
}

TEST_CASE("Retry-After as an HTTP-date is honoured") {
  std::string date;
  http_test_server server([&](const received_request&, std::size_t index) {
    // Two seconds ahead, in whole seconds: at least one second from now.
    date = imf_fixdate(std::chrono::system_clock::now() + 2s);
    return index == 0 ? status_body(503, "maintenance", {{"Retry-After", date}}) : protobuf_ok();
  });
  trace::otlp_http_exporter exporter(fast_options(server));
  exporter.export_spans(spans_from(1, 3));
  REQUIRE(exporter.flush(8s));
  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  // The date is 1 to 2 s ahead when sent; the backoff alone would wait 5 to 15 ms.
  CHECK(requests[1].arrived - requests[0].arrived >= 500ms);
  CHECK(exporter.stats().spans_exported == 3);
  CHECK(exporter.stats().retries == 1);
}

TEST_CASE("a Retry-After beyond the total timeout gives up at once instead of waiting") {
  http_test_server server([](const received_request&, std::size_t) {
    return status_body(429, "come back tomorrow", {{"Retry-After", "3600"}});
  });
  trace::otlp_http_exporter exporter(fast_options(server));
  exporter.export_spans(spans_from(1, 3));
  REQUIRE(exporter.flush(8s));  // would time out had it waited
  auto stats = exporter.stats();
  CHECK(server.request_count() == 1);
  CHECK(stats.spans_failed == 3);
  CHECK(stats.retries == 0);
  CHECK(stats.last_error.find("HTTP 429: come back tomorrow; gave up") == 0);
}

TEST_CASE("503, 502 and 504 are retried with backoff until one is accepted") {
  http_test_server server([](const received_request&, std::size_t index) {
    switch (index) {
      case 0: return status_body(503, "starting");
      case 1: return answer(502, "bad gateway");
      case 2: return answer(504, "");
      default: return protobuf_ok();
    }
  });
  trace::otlp_http_exporter exporter(fast_options(server));
  exporter.export_spans(spans_from(1, 9));
  REQUIRE(exporter.flush(8s));
  auto requests = server.requests();
  REQUIRE(requests.size() == 4);
  for (const auto& request : requests) CHECK(arrivals({request}) == each_once(1, 9));
  auto stats = exporter.stats();
  CHECK(stats.spans_exported == 9);
  CHECK(stats.requests == 4);
  CHECK(stats.retries == 3);
  CHECK(stats.failures_of(otlp_failure::retryable_status) == 3);
}

TEST_CASE("retries stop at max_attempts and the batch is counted as failed") {
  http_test_server server([](const received_request&, std::size_t) { return status_body(503, "down"); });
  auto options = fast_options(server);
  options.retry.max_attempts = 3;
  trace::otlp_http_exporter exporter(options);
  exporter.export_spans(spans_from(1, 4));
  REQUIRE(exporter.flush(8s));
  auto stats = exporter.stats();
  CHECK(server.request_count() == 3);
  CHECK(stats.requests == 3);
  CHECK(stats.retries == 2);
  CHECK(stats.spans_failed == 4);
  CHECK(stats.last_error == "HTTP 503: down; gave up after 3 attempts");
}

TEST_CASE("a server that closes the connection mid-response gets the request again") {
  http_test_server server([](const received_request&, std::size_t index) {
    test_reply r = protobuf_ok();
    r.body = trace::otlp::proto::encode_response({});
    if (index == 0) r.what = test_reply::action::close_mid_response;
    return r;
  });
  trace::otlp_http_exporter exporter(fast_options(server));
  exporter.export_spans(spans_from(1, 8));
  REQUIRE(exporter.flush(8s));
  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].connection == 2);
  // The first answer never came, so the request went again: the server saw each span
  // twice (OTLP/HTTP delivers at least once), the exporter counts each once.
  std::map<std::uint64_t, int> twice = each_once(1, 8);
  for (auto& [id, n] : twice) n = 2;
  CHECK(arrivals(requests) == twice);
  auto stats = exporter.stats();
  CHECK(stats.spans_exported == 8);
  CHECK(stats.failures_of(otlp_failure::disconnected) == 1);
  CHECK(stats.retries == 1);
}

TEST_CASE("a server that closes without answering gets the request again") {
  http_test_server server([](const received_request&, std::size_t index) {
    test_reply r = protobuf_ok();
    if (index == 0) r.what = test_reply::action::close_silently;
    return r;
  });
  trace::otlp_http_exporter exporter(fast_options(server));
  exporter.export_spans(spans_from(1, 2));
  REQUIRE(exporter.flush(8s));
  CHECK(server.request_count() == 2);
  CHECK(exporter.stats().spans_exported == 2);
  CHECK(exporter.stats().failures_of(otlp_failure::disconnected) == 1);
}

TEST_CASE("a server that never answers: each request times out and the total timeout ends the batch") {
  http_test_server server([](const received_request&, std::size_t) {
    test_reply r;
    r.what = test_reply::action::never_answer;
    return r;
  });
  auto options = fast_options(server);
  options.timeout = 300ms;
  options.retry.total_timeout = 1s;
  options.retry.max_attempts = 100;
  const auto started = steady::now();
  trace::otlp_http_exporter exporter(options);
  exporter.export_spans(spans_from(1, 5));
  REQUIRE(exporter.flush(8s));
  CHECK(steady::now() - started < 10s);  // catches a hang, nothing finer
  auto stats = exporter.stats();
  CHECK(stats.spans_failed == 5);
  CHECK(stats.spans_exported == 0);
  CHECK(stats.failures_of(otlp_failure::timeout) >= 1);
  CHECK(stats.failures_of(otlp_failure::timeout) == stats.requests);
  CHECK(stats.requests <= 5);  // 1 s of budget in 300 ms requests, with waits between
  CHECK(stats.last_error.find("request deadline passed") != std::string::npos);
}

TEST_CASE("an endpoint nobody listens on: connect failures, retried with backoff, then given up") {
  std::string url;
  {
    http_test_server gone([](const received_request&, std::size_t) { return protobuf_ok(); });
    url = gone.url("/v1/traces");
  }  // closed: connecting is refused
  trace::otlp_http_options options;
  options.endpoint = url;
  options.retry.initial_backoff = 10ms;
  options.retry.max_attempts = 3;
  trace::otlp_http_exporter exporter(options);
  exporter.export_spans(spans_from(1, 4));
  REQUIRE(exporter.flush(8s));
  auto stats = exporter.stats();
  CHECK(stats.requests == 3);
  CHECK(stats.retries == 2);
  CHECK(stats.failures_of(otlp_failure::connect) == 3);
  CHECK(stats.spans_failed == 4);
  CHECK(stats.last_error.find("cannot connect: Connection refused") != std::string::npos);
}

TEST_CASE("a slow reader: a large request goes through a small window, a few bytes at a time") {
  trace_test::test_server_options slow;
  slow.read_chunk = 2048;
  slow.read_pause = 1ms;
  slow.receive_buffer = 4096;
  http_test_server server([](const received_request&, std::size_t) { return protobuf_ok(); }, slow);
  trace::otlp_http_exporter exporter(fast_options(server));
  auto batch = spans_from(1, 500);
  for (auto& s : batch) s.attributes.set("payload", std::string(100, 'x'));
  exporter.export_spans(batch);
  REQUIRE(exporter.flush(8s));
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].body.size() > 64 * 1024);  // far more than the window
  CHECK(arrivals(requests) == each_once(1, 500));
  CHECK(exporter.stats().spans_exported == 500);
}

TEST_CASE("a reader too slow for the per-request timeout: the send times out and is bounded") {
  trace_test::test_server_options slow;
  slow.read_chunk = 256;
  slow.read_pause = 20ms;
  slow.receive_buffer = 2048;
  http_test_server server([](const received_request&, std::size_t) { return protobuf_ok(); }, slow);
  auto options = fast_options(server);
  options.timeout = 300ms;
  options.retry.max_attempts = 2;
  const auto started = steady::now();
  trace::otlp_http_exporter exporter(options);
  auto batch = spans_from(1, 2000);
  exporter.export_spans(batch);
  REQUIRE(exporter.flush(8s));
  CHECK(steady::now() - started < 10s);
  auto stats = exporter.stats();
  CHECK(stats.spans_failed == 2000);
  CHECK(stats.failures_of(otlp_failure::timeout) == 2);
  CHECK(stats.last_error.find("request deadline passed") != std::string::npos);
}

TEST_CASE("the queue is bounded: batches beyond it are dropped and counted, export_spans never waits") {
  http_test_server server([](const received_request&, std::size_t) {
    test_reply r;
    r.what = test_reply::action::never_answer;
    return r;
  });
  auto options = fast_options(server);
  options.max_queue_spans = 10;
  options.timeout = 30s;  // holds the first batch in flight while the others come
  options.retry.total_timeout = 60s;
  options.flush_timeout = 200ms;
  trace::otlp_http_exporter exporter(options);
  exporter.export_spans(spans_from(1, 5));
  REQUIRE(wait_for_requests(server, 1));  // the first batch is in flight, out of the queue
  // The server holds that request: these return at once, two queued, the rest dropped.
  for (std::uint64_t i = 0; i < 6; ++i) exporter.export_spans(spans_from(100 + 10 * i, 5));
  CHECK(exporter.stats().spans_dropped_overflow == 20);
  const auto shutdown_started = steady::now();
  exporter.shutdown();
  CHECK(steady::now() - shutdown_started < 10s);  // not the 30 s the request in flight could take
  exporter.export_spans(spans_from(900, 3));  // after shutdown: dropped too
  auto stats = exporter.stats();
  CHECK(stats.spans_dropped_overflow == 23);
  // Shutdown's time ran out: the batch in flight was abandoned, the two queued ones not sent.
  CHECK(stats.spans_failed == 15);
  CHECK(stats.failures_of(otlp_failure::timeout) == 0);
  CHECK(stats.failures_of(otlp_failure::shutdown) == 3);
  CHECK(stats.requests == 1);
}

TEST_CASE("through the batch processor: spans ended by the application arrive once each") {
  http_test_server server([](const received_request&, std::size_t) { return protobuf_ok(); });
  auto exporter = std::make_shared<trace::otlp_http_exporter>(fast_options(server));
  auto processor = std::make_shared<trace::batch_span_processor>(
      exporter, trace::batch_options{.max_queue_size = 1024, .max_export_batch_size = 64,
                                     .schedule_delay = std::chrono::milliseconds(50)});
  trace::tracer_provider provider({.service_name = "orders", .processor = processor});
  auto tracer = provider.get_tracer("orders.http", "1.0");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto request = tracer.start_span("GET /orders");
        auto child = tracer.start_span("SELECT orders");
      }
    });
  for (auto& thread : threads) thread.join();
  provider.shutdown();

  std::set<std::uint64_t> ids;
  std::size_t total = 0;
  for (const auto& request : server.requests())
    for (const auto& s : spans_of(request)) {
      ids.insert(s.id.value());
      ++total;
      CHECK(s.resource.service_name == "orders");
      CHECK(s.scope.name == "orders.http");
    }
  CHECK(total == 400);
  CHECK(ids.size() == 400);
  CHECK(exporter->stats().spans_exported == 400);
  CHECK(processor->dropped() == 0);
}

TEST_CASE("shutdown is bounded when the collector never answers") {
  http_test_server server([](const received_request&, std::size_t) {
    test_reply r;
    r.what = test_reply::action::never_answer;
    return r;
  });
  auto options = fast_options(server);
  options.timeout = 30s;
  options.retry.total_timeout = 60s;
  options.flush_timeout = 500ms;
  auto exporter = std::make_shared<trace::otlp_http_exporter>(options);
  auto processor = std::make_shared<trace::batch_span_processor>(
      exporter, trace::batch_options{.max_queue_size = 256, .max_export_batch_size = 16,
                                     .schedule_delay = std::chrono::milliseconds(20)});
  trace::tracer_provider provider({.service_name = "orders", .processor = processor});
  auto tracer = provider.get_tracer("orders.http");
  for (int i = 0; i < 100; ++i) tracer.start_span("work");
  const auto started = steady::now();
  provider.shutdown();
  CHECK(steady::now() - started < 10s);
  auto stats = exporter->stats();
  CHECK(stats.spans_exported == 0);
  CHECK(stats.spans_failed + stats.spans_dropped_overflow == 100);
  CHECK(stats.failures_of(otlp_failure::shutdown) >= 1);
  CHECK(stats.failures_of(otlp_failure::timeout) == 0);
}

TEST_CASE("gzip compression is opt-in") {
  http_test_server server([](const received_request&, std::size_t) { return protobuf_ok(); });
  auto options = fast_options(server);
  options.compression = trace::otlp_compression::gzip;
#ifdef TRACE_WITH_ZLIB
  trace::otlp_http_exporter exporter(options);
  auto batch = spans_from(1, 50);
  exporter.export_spans(batch);
  REQUIRE(exporter.flush(8s));
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  REQUIRE(requests[0].header("Content-Encoding"));
  CHECK(*requests[0].header("Content-Encoding") == "gzip");
  CHECK(requests[0].body.size() < trace::otlp::proto::encode_request(batch).size());
  CHECK(spans_of(requests[0]) == batch);
#else
  CHECK_THROWS_WITH(trace::otlp_http_exporter(options),
                    "invalid option: otlp_http_exporter: gzip compression needs zlib: build with TRACE_WITH_ZLIB "
                    "defined and link zlib");
#endif
}

TEST_CASE("options the exporter cannot use are refused when it is built") {
  trace::otlp_http_options o;
  o.endpoint = "https://collector:4318/v1/traces";
  CHECK_THROWS_WITH(trace::otlp_http_exporter(o),
                    "invalid option: otlp_http_exporter: endpoint \"https://collector:4318/v1/traces\": https is not "
                    "supported (no TLS); use http:// to a local collector");
  o.endpoint = "http://collector:4318/v1/traces";
  o.headers = {{"content-type", "text/plain"}};
  CHECK_THROWS_WITH(trace::otlp_http_exporter(o),
                    "invalid option: otlp_http_exporter: header \"content-type\" is set by the exporter itself");
  o.headers.clear();
  o.timeout = 0ms;
  CHECK_THROWS_AS(trace::otlp_http_exporter(o), trace::error);
}

// --- OTEL_EXPORTER_OTLP_* -----------------------------------------------------------

namespace {
using variables = std::map<std::string, std::string>;

trace::otlp_http_options from(const variables& vars) {
  return trace::otlp_http_options_from([&](const char* name) -> const char* {
    auto found = vars.find(name);
    return found == vars.end() ? nullptr : found->second.c_str();
  });
}

std::string refusal(const variables& vars) {
  try {
    from(vars);
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::invalid_option);
    return e.what();
  }
  return "(accepted)";
}
}  // namespace

TEST_CASE("no variables: the defaults, protobuf to localhost:4318/v1/traces") {
  auto o = from({});
  CHECK(o.endpoint == "http://localhost:4318/v1/traces");
  CHECK(o.protocol == trace::otlp_protocol::http_protobuf);
  CHECK(o.compression == trace::otlp_compression::none);
  CHECK(o.timeout == 10s);
  CHECK(o.headers.empty());
}

TEST_CASE("OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces appended; the TRACES one is used as is and wins") {
  CHECK(from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"}}).endpoint ==
        "http://collector:4318/v1/traces");
  CHECK(from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"}}).endpoint ==
        "http://collector:4318/v1/traces");
  CHECK(from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://gw/otlp"}}).endpoint == "http://gw/otlp/v1/traces");
  CHECK(from({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://tempo:4318/custom/path"}}).endpoint ==
        "http://tempo:4318/custom/path");
  CHECK(from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:1"}, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b:2/t"}})
            .endpoint == "http://b:2/t");
  CHECK(refusal({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"}}) ==
        "invalid option: OTEL_EXPORTER_OTLP_ENDPOINT=\"https://collector:4318\": https is not supported (no TLS); "
        "use http:// to a local collector");
  CHECK(refusal({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4318"}}) ==
        "invalid option: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=\"collector:4318\": not an http:// URL");
  CHECK(refusal({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:99999"}}) ==
        "invalid option: OTEL_EXPORTER_OTLP_ENDPOINT=\"http://collector:99999\": the port is not 1-65535");
}

TEST_CASE("OTEL_EXPORTER_OTLP_HEADERS: a k=v list, trimmed and percent-decoded; the TRACES one wins") {
  auto o = from({{"OTEL_EXPORTER_OTLP_HEADERS", " api-key = s%3Dcr%2Ct ,x-tenant=shop%20one,, "}});
  REQUIRE(o.headers.size() == 2);
  CHECK(o.headers[0] == trace::net::http_header{"api-key", "s=cr,t"});
  CHECK(o.headers[1] == trace::net::http_header{"x-tenant", "shop one"});
  o = from({{"OTEL_EXPORTER_OTLP_HEADERS", "a=1"}, {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2"}});
  REQUIRE(o.headers.size() == 1);
  CHECK(o.headers[0].first == "b");
  CHECK(refusal({{"OTEL_EXPORTER_OTLP_HEADERS", "a=1,novalue"}}) ==
        "invalid option: OTEL_EXPORTER_OTLP_HEADERS=\"a=1,novalue\": \"novalue\" is not key=value");
  CHECK(refusal({{"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "a=%zz"}}) ==
        "invalid option: OTEL_EXPORTER_OTLP_TRACES_HEADERS=\"a=%zz\": '%' at \"%zz\" is not followed by two hex "
        "digits");
  CHECK(refusal({{"OTEL_EXPORTER_OTLP_HEADERS", "bad key=1"}}) ==
        "invalid option: OTEL_EXPORTER_OTLP_HEADERS=\"bad key=1\": \"bad key\" is not a valid header name");
  CHECK(refusal({{"OTEL_EXPORTER_OTLP_HEADERS", "a=x%0D%0AInjected: 1"}}) ==
        "invalid option: OTEL_EXPORTER_OTLP_HEADERS=\"a=x%0D%0AInjected: 1\": the value of \"a\" contains a line "
        "break or a NUL");
}

TEST_CASE("OTEL_EXPORTER_OTLP_TIMEOUT is milliseconds per request") {
  CHECK(from({{"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"}}).timeout == 2500ms);
  CHECK(from({{"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"}, {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "700"}}).timeout == 700ms);
  for (const char* bad : {"", "0", "-5", "1.5", "10s", "9999999999"})
    CHECK(refusal({{"OTEL_EXPORTER_OTLP_TIMEOUT", bad}}) ==
          "invalid option: OTEL_EXPORTER_OTLP_TIMEOUT=\"" + std::string(bad) +
              "\": not a positive whole number of milliseconds");
}

TEST_CASE("OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf or http/json; grpc is refused as unsupported") {
  CHECK(from({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}}).protocol == trace::otlp_protocol::http_json);
  CHECK(from({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}, {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"}})
            .protocol == trace::otlp_protocol::http_protobuf);
  CHECK(refusal({{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"}}) ==
        "invalid option: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=\"grpc\": OTLP/gRPC is not supported; use http/protobuf "
        "or http/json");
  CHECK(refusal({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/xml"}}) ==
        "invalid option: OTEL_EXPORTER_OTLP_PROTOCOL=\"http/xml\": expected http/protobuf or http/json");
}

TEST_CASE("OTEL_EXPORTER_OTLP_COMPRESSION: none always works, gzip with zlib only") {
  CHECK(from({{"OTEL_EXPORTER_OTLP_COMPRESSION", "none"}}).compression == trace::otlp_compression::none);
  CHECK(refusal({{"OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"}}) ==
        "invalid option: OTEL_EXPORTER_OTLP_COMPRESSION=\"zstd\": expected none or gzip");
#ifdef TRACE_WITH_ZLIB
  CHECK(from({{"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip"}}).compression == trace::otlp_compression::gzip);
#else
  CHECK(refusal({{"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"}}) ==
        "invalid option: OTEL_EXPORTER_OTLP_COMPRESSION=\"gzip\": gzip needs zlib: build with TRACE_WITH_ZLIB "
        "defined and link zlib");
#endif
}

TEST_CASE("otlp_http_options_from_env reads the process environment") {
  ::setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:9/env/traces", 1);
  ::setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
  auto o = trace::otlp_http_options_from_env();
  ::unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  ::unsetenv("OTEL_EXPORTER_OTLP_PROTOCOL");
  CHECK(o.endpoint == "http://127.0.0.1:9/env/traces");
  CHECK(o.protocol == trace::otlp_protocol::http_json);
}
