#include <catch2/catch.hpp>

#include <vector>

#include "trace/core/rfc3339.hpp"
#include "trace/query/jaeger.hpp"

using namespace trace;

namespace {
span make_span() {
  span s;
  s.trace = trace_id(0, 1);
  s.id = span_id(2);
  s.name = "op";
  s.kind = span_kind::client;
  s.start = 1'000;
  s.end = 6'000;
  s.status = {status_code::error, "boom"};
  s.attributes.set("http.status_code", std::int64_t{503});
  s.resource = {"svc", {{"region", std::string("eu")}}, 0};
  s.scope = {"lib", "1.0", {}, 0};
  return s;
}

bool hit(std::vector<std::pair<std::string, std::string>> tags) {
  jaeger::query q;
  q.tags = std::move(tags);
  return matches(jaeger::to_filter(q), make_span());
}
}  // namespace

TEST_CASE("special tag keys map to status, kind and resource") {
  CHECK(hit({{"error", "true"}}));
  CHECK(!hit({{"error", "false"}}));
  CHECK(hit({{"span.status", "ERROR"}}));
  CHECK(hit({{"span.status", "STATUS_CODE_ERROR"}}));
  CHECK(!hit({{"span.status", "ok"}}));
  CHECK(hit({{"span.kind", "client"}}));
  CHECK(hit({{"span.kind", "SPAN_KIND_CLIENT"}}));
  CHECK(!hit({{"span.kind", "server"}}));
  CHECK(hit({{"resource.region", "eu"}}));
  CHECK(!hit({{"resource.http.status_code", "503"}}));  // a span attribute, not a resource one
  CHECK(hit({{"resource.service.name", "svc"}}));
  CHECK(hit({{"http.status_code", "503"}}));
  CHECK(!hit({{"http.status_code", "5030"}}));
}

TEST_CASE("scope.name and scope.version match the instrumentation scope exactly") {
  CHECK(hit({{"scope.name", "lib"}}));
  CHECK(hit({{"scope.version", "1.0"}}));
  CHECK(hit({{"scope.name", "lib"}, {"scope.version", "1.0"}}));
  CHECK(!hit({{"scope.name", "lib"}, {"scope.version", "1.1"}}));  // name matches, version does not
  CHECK(!hit({{"scope.name", "lib2"}, {"scope.version", "1.0"}}));  // version matches, name does not
  CHECK(!hit({{"scope.name", "LIB"}}));
  CHECK(!hit({{"scope.name", ""}}));
  CHECK(!hit({{"scope.version", "1.0.0"}}));
  // The scope's own fields, not attributes that happen to be called so.
  span s = make_span();
  s.scope = {"other", "9", {}, 0};
  s.attributes.set("scope.name", std::string("lib"));
  jaeger::query q;
  q.tags = {{"scope.name", "lib"}};
  CHECK(!matches(jaeger::to_filter(q), s));
  q.tags = {{"scope.name", "other"}, {"scope.version", "9"}};
  CHECK(matches(jaeger::to_filter(q), s));
}

TEST_CASE("window and duration bounds are inclusive, zero means unset") {
  jaeger::query q;
  q.start_min = 1'000;
  q.start_max = 1'000;
  q.duration_min = 5'000;
  q.duration_max = 5'000;
  CHECK(matches(jaeger::to_filter(q), make_span()));
  q.duration_max = 4'999;
  CHECK(!matches(jaeger::to_filter(q), make_span()));
  q.duration_max = 0;
  CHECK(matches(jaeger::to_filter(q), make_span()));
  q.start_min = 1'001;
  CHECK(!matches(jaeger::to_filter(q), make_span()));
  CHECK(jaeger::to_trace_query(jaeger::query{}).limit == 20);
}

TEST_CASE("malformed special tags are refused, not ignored") {
  CHECK_THROWS_WITH(hit({{"error", "maybe"}}), "invalid argument: Jaeger tag error=\"maybe\": expected true or false");
  CHECK_THROWS_WITH(hit({{"span.kind", "sideways"}}),
                    "invalid argument: Jaeger tag span.kind=\"sideways\": expected internal, server, client, producer or consumer");
}

TEST_CASE("RFC 3339 times parse to Unix nanoseconds") {
  CHECK(parse_rfc3339("2017-01-26T16:46:31.639875Z") == 1'485'449'191'639'875'000ULL);
  CHECK(parse_rfc3339("2017-01-26T18:46:31.639875+02:00") == 1'485'449'191'639'875'000ULL);
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339("1970-01-01T00:00:00.000000001Z") == 1);
  // Leap days, century rules and month ends (the calendar arithmetic is the library's own).
  CHECK(parse_rfc3339("2000-02-29T00:00:00Z") == 951'782'400ULL * trace::second);
  CHECK(parse_rfc3339("2024-02-29T12:00:00Z") == 1'709'208'000ULL * trace::second);
  CHECK(parse_rfc3339("2100-03-01T00:00:00Z") == 4'107'542'400ULL * trace::second);
  CHECK(parse_rfc3339("1999-12-31T23:59:59Z") == 946'684'799ULL * trace::second);
  CHECK_THROWS_AS(parse_rfc3339("2100-02-29T00:00:00Z"), trace::error);
  CHECK_THROWS_AS(parse_rfc3339("2023-02-29T00:00:00Z"), trace::error);
  CHECK_THROWS_AS(parse_rfc3339("2023-04-31T00:00:00Z"), trace::error);
  CHECK_THROWS_AS(parse_rfc3339("2023-13-01T00:00:00Z"), trace::error);
  CHECK_THROWS_AS(parse_rfc3339("2023-00-10T00:00:00Z"), trace::error);
  CHECK_THROWS_AS(parse_rfc3339("2023-01-00T00:00:00Z"), trace::error);
  CHECK_THROWS_WITH(parse_rfc3339("2017-01-26 16:46:31Z"),
                    "parse error: RFC 3339 time \"2017-01-26 16:46:31Z\" at character 11: expected 'T'");
  CHECK_THROWS_WITH(parse_rfc3339("2017-02-30T00:00:00Z"),
                    "parse error: RFC 3339 time \"2017-02-30T00:00:00Z\" at character 1: not a valid date and time");
  CHECK_THROWS_WITH(parse_rfc3339("2017-01-26T16:46:31"),
                    "parse error: RFC 3339 time \"2017-01-26T16:46:31\" at character 20: expected 'Z' or a UTC offset");
}
