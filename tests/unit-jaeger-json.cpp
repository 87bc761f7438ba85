#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "trace/io/jaeger_json.hpp"

using namespace trace;

namespace {
std::string read_error(std::string_view text) {
  try {
    jaeger::read(text);
  } catch (const trace::error& e) {
    CHECK(e.code() == errc::parse_error);
    return e.what();
  }
  return "no error";
}

// Fields Jaeger's model can carry, all set.
span jaeger_span() {
  span s;
  s.trace = trace_id::parse("5b8efff798038103d269b633813fc60c");
  s.id = span_id::parse("eee19b7ec3c1b174");
  s.parent = span_id::parse("eee19b7ec3c1b173");
  s.trace_state = "v=1";
  s.name = "HTTP GET";
  s.kind = span_kind::client;
  s.start = 1'700'000'000'000'001'000;
  s.end = s.start + 42'000;
  s.status = {status_code::error, "refused"};
  s.attributes.set("http.status_code", std::int64_t{503});
  s.attributes.set("ratio", 0.5);
  s.attributes.set("cached", true);
  s.attributes.set("peer", std::string("db"));
  s.events.push_back({s.start + 1'000, "retry", {{"attempt", std::int64_t{2}}}, event_level::warn, 0});
  s.links.push_back({trace_id::parse("00000000000000000000000000000abc"), span_id::parse("0000000000000def"), {}, {}, 0});
  s.resource = {"checkout", {{"host.name", std::string("box-1")}}, 0};
  s.scope = {"lib", "1.0", {}, 0};
  return s;
}
}  // namespace

TEST_CASE("Jaeger JSON: a query-API response imports") {
  std::vector<span> spans = jaeger::read(R"({"data":[{"traceID":"d269b633813fc60c","spans":[
      {"traceID":"d269b633813fc60c","spanID":"1","operationName":"root","references":[],
       "startTime":1000,"duration":500,"tags":[{"key":"span.kind","type":"string","value":"server"},
       {"key":"error","type":"bool","value":true},{"key":"blob","type":"binary","value":"AAE="}],
       "logs":[{"timestamp":1200,"fields":[{"key":"event","type":"string","value":"boom"},
               {"key":"level","type":"int64","value":3}]}],"processID":"p1","warnings":null},
      {"traceID":"d269b633813fc60c","spanID":"2","operationName":"child",
       "references":[{"refType":"CHILD_OF","traceID":"d269b633813fc60c","spanID":"1"},
                     {"refType":"FOLLOWS_FROM","traceID":"d269b633813fc60c","spanID":"3"}],
       "startTime":1100,"duration":100,"tags":[],"processID":"p2"}],
    "processes":{"p1":{"serviceName":"api","tags":[{"key":"ip","type":"string","value":"10.0.0.1"}]},
                 "p2":{"serviceName":"db","tags":[]}},"warnings":null}],"total":0,"limit":0,"offset":0,"errors":null})");
  REQUIRE(spans.size() == 2);
  const span& root = spans[0];
  CHECK(root.trace.to_hex() == "0000000000000000d269b633813fc60c");
  CHECK(root.id.value() == 1);
  CHECK(root.kind == span_kind::server);
  CHECK(root.status.code == status_code::error);
  CHECK(root.start == 1'000'000);
  CHECK(root.end == 1'500'000);
  CHECK(std::get<std::string>(*root.attributes.find("blob")) == "AAE=");
  CHECK(root.resource.service_name == "api");
  CHECK(std::get<std::string>(*root.resource.attributes.find("ip")) == "10.0.0.1");
  REQUIRE(root.events.size() == 1);
  CHECK(root.events[0].name == "boom");
  CHECK(std::get<std::int64_t>(*root.events[0].attributes.find("level")) == 3);
  const span& child = spans[1];
  CHECK(child.parent.value() == 1);
  REQUIRE(child.links.size() == 1);
  CHECK(child.links[0].span.value() == 3);
  CHECK(child.resource.service_name == "db");
}

TEST_CASE("Jaeger JSON: export then import keeps what Jaeger can hold") {
  span other = jaeger_span();
  other.trace = trace_id::parse("00000000000000000000000000000001");
  other.resource.service_name = "payments";
  other.kind = span_kind::internal;
  other.status = {status_code::ok, ""};
  std::vector<span> input{jaeger_span(), other};
  std::string text = jaeger::to_json(input);
  CHECK(jaeger::read(text) == input);
  CHECK(text.find(R"("processes":{"p1":{"serviceName":"checkout","tags":[{"key":"host.name","type":"string","value":"box-1"}]}})") !=
        std::string::npos);
}

TEST_CASE("Jaeger JSON: bad input is refused with its position") {
  CHECK(read_error(R"({"traceID":"1","spans":[{"traceID":"1","spanID":"1","processID":"p9"}]})") ==
        "parse error: line 1, column 65: Jaeger processID: no process \"p9\" in the trace's processes");
  CHECK(read_error(R"({"spans":[{"traceID":"1","spanID":"1","tags":[{"key":"k","type":"int64","value":"x"}]}]})") ==
        "parse error: line 1, column 81: Jaeger int64 tag: \"x\" is not a signed 64-bit integer");
  CHECK(read_error(R"({"spans":[{"traceID":"1","spanID":"1","tags":[{"key":"k","type":"complex","value":1}]}]})") ==
        "parse error: line 1, column 65: Jaeger tag type: unknown tag type \"complex\"");
  CHECK(read_error(R"({"spans":[{"traceID":"1","spanID":"1","references":[{"refType":"SIBLING_OF","traceID":"1","spanID":"2"}]}]})") ==
        "parse error: line 1, column 53: Jaeger refType: unknown reference type \"SIBLING_OF\"");
  CHECK(read_error(R"({"spans":[{"traceID":"1","spanID":"0"}]})") ==
        "parse error: line 1, column 35: Jaeger spanID: \"0\" is not 1 to 16 hex digits with a non-zero");
  CHECK(read_error(R"({"spans":[{"traceID":"1","spanID":"1","tags":[{"key":"span.kind","value":"diagonal"}]}]})") ==
        "parse error: line 1, column 47: Jaeger span.kind: unknown kind \"diagonal\"");
}
