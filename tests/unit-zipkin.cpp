#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "trace/io/zipkin.hpp"

using namespace trace;

namespace {
std::string read_error(std::string_view text) {
  try {
    zipkin::read(text);
  } catch (const trace::error& e) {
    CHECK(e.code() == errc::parse_error);
    return e.what();
  }
  return "no error";
}

span zipkin_span() {
  span s;
  s.trace = trace_id::parse("463ac35c9f6413ad48485a3953bb6124");
  s.id = span_id::parse("a2fb4a1d1a96d312");
  s.parent = span_id::parse("0020000000000001");
  s.name = "get /api";
  s.kind = span_kind::server;
  s.start = 1'472'470'996'199'000'000;
  s.end = s.start + 207'000'000;
  s.status = {status_code::error, "connection reset"};
  s.attributes.set("http.method", std::string("GET"));
  s.attributes.set("peer.service", std::string("db"));
  s.attributes.set("zipkin.shared", true);
  s.resource.service_name = "frontend";
  s.scope = {"zipkin-lib", "2.0", {}, 0};
  s.events.push_back({s.start + 5'000, "ws", {}, std::nullopt, 0});
  return s;
}
}  // namespace

TEST_CASE("Zipkin v2: a document from a Zipkin client imports") {
  std::vector<span> spans = zipkin::read(R"([{
    "traceId": "48485a3953bb6124", "parentId": "6b221d5bc9e6496c", "id": "5b4185666d50f68b",
    "name": "get /api", "timestamp": 1472470996199000, "duration": 207000, "kind": "CLIENT",
    "localEndpoint": {"serviceName": "frontend", "ipv4": "127.0.0.1"},
    "remoteEndpoint": {"serviceName": "backend", "port": 9000},
    "annotations": [{"timestamp": 1472470996238000, "value": "ws"}],
    "tags": {"http.path": "/api", "error": "500 from backend", "otel.scope.name": "brave"}, "debug": true}])");
  REQUIRE(spans.size() == 1);
  const span& s = spans[0];
  CHECK(s.trace.to_hex() == "000000000000000048485a3953bb6124");
  CHECK(s.parent.to_hex() == "6b221d5bc9e6496c");
  CHECK(s.kind == span_kind::client);
  CHECK(s.start == 1'472'470'996'199'000'000ULL);
  CHECK(s.duration() == 207'000'000ULL);
  CHECK(s.resource.service_name == "frontend");
  CHECK(std::get<std::string>(*s.attributes.find("peer.service")) == "backend");
  CHECK(std::get<std::string>(*s.attributes.find("http.path")) == "/api");
  CHECK(s.attributes.find("error") == nullptr);
  CHECK(s.status == basic_status<std::string>{status_code::error, "500 from backend"});
  CHECK(s.scope.name == "brave");
  REQUIRE(s.events.size() == 1);
  CHECK(s.events[0].name == "ws");
  CHECK(s.events[0].time == 1'472'470'996'238'000'000ULL);
}

TEST_CASE("Zipkin v2: a single span object is accepted, kind absent means internal") {
  auto spans = zipkin::read(R"({"traceId":"1","id":"2","name":"local","timestamp":10})");
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].kind == span_kind::internal);
  CHECK(spans[0].start == 10'000);
  CHECK(spans[0].end == 10'000);
}

TEST_CASE("Zipkin v2: export then import keeps what Zipkin can hold") {
  std::vector<span> input{zipkin_span()};
  span local = zipkin_span();
  local.kind = span_kind::internal;
  local.parent = {};
  local.status = {status_code::ok, ""};
  local.attributes = {};
  local.attributes.set("retries", std::string("3"));
  input.push_back(local);
  std::string text = zipkin::to_json(input);
  CHECK(zipkin::read(text) == input);
  CHECK(text.find(R"("remoteEndpoint":{"serviceName":"db"})") != std::string::npos);
  CHECK(text.find(R"("shared":true)") != std::string::npos);
}

TEST_CASE("Zipkin v2: non-string attributes are written in their string form") {
  span s = zipkin_span();
  s.attributes = {};
  s.attributes.set("http.status_code", std::int64_t{200});
  s.attributes.set("ids", std::vector<std::int64_t>{1, 2});
  std::string text = zipkin::to_json(std::vector<span>{s});
  CHECK(text.find(R"("tags":{"http.status_code":"200","ids":"[1,2]")") != std::string::npos);
}

TEST_CASE("Zipkin v2: bad input is refused with its position") {
  CHECK(read_error(R"([{"traceId":"xyz","id":"1"}])") ==
        "parse error: line 1, column 13: Zipkin traceId: \"xyz\" is not 16 or 32 hex digits with a non-zero");
  CHECK(read_error(R"([{"traceId":"1","id":"1","kind":"SIDEWAYS"}])") ==
        "parse error: line 1, column 33: Zipkin kind: unknown kind \"SIDEWAYS\"");
  CHECK(read_error(R"([{"traceId":"1","id":"1","timestamp":"soon"}])") ==
        "parse error: line 1, column 38: Zipkin timestamp: \"soon\" is not an unsigned 64-bit integer");
  CHECK(read_error(R"([{"traceId":"1","id":"1","tags":{"n":5}}])") ==
        "parse error: line 1, column 38: Zipkin tags: expected a string, found an integer");
  CHECK(read_error(R"([{"traceId":"1"}])") == "parse error: line 1, column 2: Zipkin span: has no id");
  CHECK(read_error(R"([{"traceId":"1","id":"1","timestamp":18446744073709551615}])") ==
        "parse error: line 1, column 38: Zipkin timestamp: 18446744073709551615 us is past the latest time accepted (2^63-1 ns, in 2262)");
  CHECK(read_error(R"([{"traceId":"1","id":"1"})") == "parse error: line 1, column 26: unexpected end of input");
  CHECK(read_error("42") == "parse error: line 1, column 1: Zipkin document: expected an array, found an integer");
}
