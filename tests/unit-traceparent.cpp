// W3C Trace Context: one test per rule of traceparent and tracestate, and inject/extract
// through carriers.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "support/numbered.hpp"
#include "trace/instrument/propagation.hpp"
#include "trace/instrument/traceparent.hpp"

using namespace std::string_literals;

namespace {

const std::string valid_header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// The message parse_traceparent throws, or "" when it accepts the value.
std::string refusal(const std::string& value) {
  try {
    trace::parse_traceparent(value);
    return "";
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::parse_error);
    CHECK(trace::try_parse_traceparent(value) == std::nullopt);
    return e.what();
  }
}

std::string with(std::string text, std::size_t position, const std::string& replacement) {
  return text.replace(position, replacement.size(), replacement);
}

}  // namespace

TEST_CASE("a valid version 00 traceparent gives its ids, the sampled flag and remote") {
  auto context = trace::parse_traceparent(valid_header);
  CHECK(context.trace.to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(context.span.to_hex() == "00f067aa0ba902b7");
  CHECK(context.sampled());
  CHECK(context.remote);
  CHECK(trace::format_traceparent(context) == valid_header);
}

TEST_CASE("flags 00 mean not sampled") {
  auto context = trace::parse_traceparent(with(valid_header, 53, "00"));
  CHECK_FALSE(context.sampled());
  CHECK(trace::format_traceparent(context).substr(53) == "00");
}

TEST_CASE("unknown flag bits are ignored and not propagated") {
  auto context = trace::parse_traceparent(with(valid_header, 53, "fb"));
  CHECK(context.sampled());
  CHECK(context.flags == 0x01);
  CHECK(trace::format_traceparent(context).substr(53) == "01");
  CHECK_FALSE(trace::parse_traceparent(with(valid_header, 53, "fe")).sampled());
}

TEST_CASE("optional whitespace around the value is accepted") {
  CHECK(trace::try_parse_traceparent(" \t" + valid_header + " ").has_value());
}

TEST_CASE("a value shorter than 55 characters is refused") {
  CHECK(refusal(valid_header.substr(0, 54)) == "parse error: traceparent \"" + valid_header.substr(0, 54) +
                                                   "\": shorter than the 55 characters of version 00");
  CHECK(refusal("").find("shorter than the 55 characters") != std::string::npos);
}

TEST_CASE("the version must be two lower-case hex digits") {
  CHECK(refusal(with(valid_header, 0, "0A")).find("version is not two lower-case hex digits") != std::string::npos);
  CHECK(refusal(with(valid_header, 0, "g0")).find("version is not two lower-case hex digits") != std::string::npos);
}

TEST_CASE("version ff is forbidden") {
  CHECK(refusal(with(valid_header, 0, "ff")).find("version ff is forbidden") != std::string::npos);
}

TEST_CASE("version 00 must be exactly 55 characters long") {
  CHECK(refusal(valid_header + "-").find("version 00 must be exactly 55 characters long") != std::string::npos);
  CHECK(refusal(valid_header + "-00").find("version 00 must be exactly 55 characters long") != std::string::npos);
}

TEST_CASE("a future version is parsed by the version 00 layout") {
  auto context = trace::parse_traceparent(with(valid_header, 0, "cc"));
  CHECK(context.trace.to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(trace::format_traceparent(context) == valid_header);  // written back as version 00
}

TEST_CASE("a future version may append fields after a '-'") {
  CHECK(trace::try_parse_traceparent(with(valid_header, 0, "cc") + "-what-the-future-holds").has_value());
}

TEST_CASE("a future version's extra text must start with '-'") {
  CHECK(refusal(with(valid_header, 0, "cc") + "x").find("a future version's extra fields must follow a '-'") !=
        std::string::npos);
}

TEST_CASE("fields are separated by '-'") {
  for (std::size_t position : {2u, 35u, 52u})
    CHECK(refusal(with(valid_header, position, "_")).find("fields must be separated by '-'") != std::string::npos);
}

TEST_CASE("the trace id must be 32 lower-case hex digits") {
  CHECK(refusal(with(valid_header, 3, "4B")).find("trace id is not 32 lower-case hex digits") != std::string::npos);
  CHECK(refusal(with(valid_header, 10, "z")).find("trace id is not 32 lower-case hex digits") != std::string::npos);
}

TEST_CASE("an all-zero trace id is invalid") {
  CHECK(refusal(with(valid_header, 3, std::string(32, '0'))).find("trace id is all zero") != std::string::npos);
}

TEST_CASE("the parent id must be 16 lower-case hex digits") {
  CHECK(refusal(with(valid_header, 36, "F")).find("parent id is not 16 lower-case hex digits") != std::string::npos);
}

TEST_CASE("an all-zero parent id is invalid") {
  CHECK(refusal(with(valid_header, 36, std::string(16, '0'))).find("parent id is all zero") != std::string::npos);
}

TEST_CASE("the flags must be two lower-case hex digits") {
  CHECK(refusal(with(valid_header, 53, "0A")).find("trace flags are not two lower-case hex digits") != std::string::npos);
  CHECK(refusal(with(valid_header, 53, "-1")).find("trace flags are not two lower-case hex digits") != std::string::npos);
}

TEST_CASE("formatting an invalid context is refused") {
  CHECK_THROWS_WITH(trace::format_traceparent(trace::span_context{}),
                    "invalid id: format_traceparent: the context's trace or span id is all zero");
}

TEST_CASE("tracestate: a valid list, with empty members and spaces, passes") {
  CHECK(trace::tracestate_problem("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE") == std::nullopt);
  CHECK(trace::tracestate_problem("rojo=1, ,  congo=2 ,") == std::nullopt);
  CHECK(trace::tracestate_problem("tenant1@vendor=x") == std::nullopt);
  CHECK(trace::tracestate_problem("") == std::nullopt);
}

TEST_CASE("tracestate: a member needs '='") {
  CHECK(trace::tracestate_problem("rojo") == "list member \"rojo\" has no '='");
}

TEST_CASE("tracestate: keys start with a lower-case letter and use only key characters") {
  CHECK(trace::tracestate_problem("Rojo=1") == "key \"Rojo\" is not a valid tracestate key");
  CHECK(trace::tracestate_problem("1rojo=1") == "key \"1rojo\" is not a valid tracestate key");
  CHECK(trace::tracestate_problem("ro.jo=1") == "key \"ro.jo\" is not a valid tracestate key");
  CHECK(trace::tracestate_problem(std::string(257, 'a') + "=1").value().find("is not a valid tracestate key") !=
        std::string::npos);
}

TEST_CASE("tracestate: a multi-tenant key has a tenant and a system of bounded length") {
  CHECK(trace::tracestate_problem("@vendor=1") == "key \"@vendor\" is not a valid tracestate key");
  CHECK(trace::tracestate_problem("tenant@=1") == "key \"tenant@\" is not a valid tracestate key");
  CHECK(trace::tracestate_problem("t@" + std::string(15, 'v') + "=1").value().find("is not a valid tracestate key") !=
        std::string::npos);
}

TEST_CASE("tracestate: values are 1-256 printable characters without ',' '=' or a trailing space") {
  const std::string problem = "value of key \"k\" is not 1-256 printable characters without ',' or '='";
  CHECK(trace::tracestate_problem("k=") == problem);
  CHECK(trace::tracestate_problem("k=a=b") == problem);
  CHECK(trace::tracestate_problem("k=a\x01") == problem);
  CHECK(trace::tracestate_problem("k=" + std::string(257, 'v')) == problem);
  CHECK(trace::tracestate_problem("k=" + std::string(256, 'v')) == std::nullopt);
}

TEST_CASE("tracestate: a key may appear once") {
  CHECK(trace::tracestate_problem("a=1,b=2,a=3") == "key \"a\" appears twice");
}

TEST_CASE("tracestate: at most 32 list members") {
  std::string members;
  for (int i = 0; i < 32; ++i) members += trace_test::numbered("k", i) + "=v,";
  CHECK(trace::tracestate_problem(members) == std::nullopt);
  CHECK(trace::tracestate_problem(members + "k32=v") == "more than 32 list members");
}

TEST_CASE("inject then extract through a map carrier round-trips the context") {
  std::map<std::string, std::string, std::less<>> headers;
  trace::map_carrier carrier(headers);
  trace::span_context sent{trace::trace_id{1, 2}, trace::span_id{3}, trace::span_context::sampled_flag, false, "rojo=1"};
  trace::inject(sent, carrier);
  CHECK(headers.at("traceparent") == "00-00000000000000010000000000000002-0000000000000003-01");
  CHECK(headers.at("tracestate") == "rojo=1");
  auto received = trace::extract(carrier);
  REQUIRE(received);
  CHECK(received->trace == sent.trace);
  CHECK(received->span == sent.span);
  CHECK(received->sampled());
  CHECK(received->remote);
  CHECK(received->trace_state == "rojo=1");
}

TEST_CASE("an invalid context injects nothing") {
  std::map<std::string, std::string, std::less<>> headers;
  trace::map_carrier carrier(headers);
  trace::inject(trace::span_context{}, carrier);
  CHECK(headers.empty());
}

TEST_CASE("extract: a missing or invalid traceparent gives nothing, and its tracestate is ignored") {
  std::map<std::string, std::string, std::less<>> headers{{"tracestate", "rojo=1"}};
  trace::map_carrier carrier(headers);
  CHECK(trace::extract(carrier) == std::nullopt);
  headers["traceparent"] = with(valid_header, 0, "ff");
  CHECK(trace::extract(carrier) == std::nullopt);
}

TEST_CASE("extract: a malformed tracestate is dropped, the traceparent kept") {
  std::map<std::string, std::string, std::less<>> headers{{"traceparent", valid_header}, {"tracestate", "Bad Key=1"}};
  trace::map_carrier carrier(headers);
  auto context = trace::extract(carrier);
  REQUIRE(context);
  CHECK(context->span.to_hex() == "00f067aa0ba902b7");
  CHECK(context->trace_state.empty());
}

namespace {
// A carrier whose get returns a plain string, empty meaning absent.
struct string_carrier {
  std::string parent, state;
  std::string get(std::string_view name) const { return name == "traceparent" ? parent : state; }
};
}  // namespace

TEST_CASE("extract works with a carrier returning plain strings") {
  CHECK(trace::extract(string_carrier{valid_header, "a=b"})->trace_state == "a=b");
  CHECK(trace::extract(string_carrier{"", "a=b"}) == std::nullopt);
}
