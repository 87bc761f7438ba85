// Request targets split into decoded path segments and query parameters, and the parameter
// values the query routes read (numbers, Go durations, short hex trace ids).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "trace/api/detail/param_values.hpp"
#include "trace/api/url_query.hpp"

using namespace trace;
using api::parse_target;

namespace {

// The message of the trace::error that `f` throws; fails the test when it throws none.
template <class F>
std::string refusal(F&& f) {
  try {
    f();
  } catch (const error& e) {
    CHECK(e.code() == errc::invalid_argument);
    return e.message();
  }
  FAIL("no trace::error thrown");
  return {};
}

}  // namespace

TEST_CASE("a target splits into decoded path segments and parameters in order") {
  const auto t = parse_target("/api/services/my%20svc/operations?limit=20&tag=a%3Ab&tag=c+d&flag&=x&empty=");
  CHECK(t.path == "/api/services/my%20svc/operations");
  CHECK(t.segments == std::vector<std::string>{"api", "services", "my svc", "operations"});
  CHECK(t.value("limit") == "20");
  CHECK(t.values("tag") == std::vector<std::string_view>{"a:b", "c d"});
  CHECK(t.value("flag") == "");  // present without '='
  CHECK(t.value("") == "x");
  CHECK(t.value("empty") == "");
  CHECK_FALSE(t.value("missing"));
  CHECK(t.values("missing").empty());
}

TEST_CASE("an escaped slash stays inside its path segment; '+' is a space only in the query") {
  const auto t = parse_target("/api/services/a%2Fb+c/operations?q=a+b%2Bc");
  CHECK(t.segments == std::vector<std::string>{"api", "services", "a/b+c", "operations"});
  CHECK(t.value("q") == "a b+c");
}

TEST_CASE("empty path segments, a fragment and an empty query are ignored") {
  CHECK(parse_target("/").segments.empty());
  CHECK(parse_target("//api///echo/").segments == std::vector<std::string>{"api", "echo"});
  const auto t = parse_target("/ready?&&a=1#frag=2");
  CHECK(t.params == std::vector<std::pair<std::string, std::string>>{{"a", "1"}});
}

TEST_CASE("a malformed escape is refused naming the parameter and the byte") {
  CHECK(refusal([] { parse_target("/api/traces?service=ab%zz"); }) ==
        "malformed percent-escape \"%zz\" at byte 2 of the query parameter \"service\": '%' must be followed by two hex digits");
  CHECK_THAT(refusal([] { parse_target("/api/traces?limit=%4"); }), Catch::Contains("\"%4\" at byte 0 of the query parameter \"limit\""));
  CHECK_THAT(refusal([] { parse_target("/api/traces?%g1=1"); }), Catch::Contains("a query parameter's name"));
  CHECK_THAT(refusal([] { parse_target("/api/services/%/operations"); }), Catch::Contains("of the path"));
  CHECK(api::percent_decode("%41%62%2b", false, "x") == "Ab+");
}

TEST_CASE("values quoted in messages are cut, and bytes that are not UTF-8 written as \\x escapes") {
  CHECK(api::quote_value("caf\xC3\xA9") == "\"caf\xC3\xA9\"");
  CHECK(api::quote_value("a\xFF\x01z") == "\"a\\xff\\x01z\"");
  CHECK(api::quote_value("two\nlines\tand a tab") == "\"two\nlines\tand a tab\"");  // kept: JSON escapes them
  CHECK(api::quote_value("\xE2\x82") == "\"\\xe2\\x82\"");       // a sequence cut short
  CHECK(api::quote_value("\xED\xA0\x80") == "\"\\xed\\xa0\\x80\"");  // a surrogate
  CHECK(api::quote_value(std::string(200, 'x')) == "\"" + std::string(120, 'x') + "...\"");
}

TEST_CASE("Go durations: units, fractions, sums; anything else refused") {
  using api::detail::go_duration;
  CHECK(go_duration("d", "0") == 0);
  CHECK(go_duration("d", "250ns") == 250);
  CHECK(go_duration("d", "250us") == 250'000);
  CHECK(go_duration("d", "250\xC2\xB5s") == 250'000);  // µs, MICRO SIGN
  CHECK(go_duration("d", "250\xCE\xBCs") == 250'000);  // μs, GREEK SMALL LETTER MU
  CHECK(go_duration("d", "100ms") == 100 * millisecond);
  CHECK(go_duration("d", "1.5s") == 1500 * millisecond);
  CHECK(go_duration("d", ".5s") == 500 * millisecond);
  CHECK(go_duration("d", "1h30m") == 90 * minute);
  CHECK(go_duration("d", "2m3.25s") == 123'250 * millisecond);
  for (const char* bad : {"", "5", "s", "-1s", "1.5", "1d", "1 s", "ms", "1sm", "1.2.3s", "99999999999h"}) {
    INFO(bad);
    CHECK_THAT(refusal([bad] { go_duration("minDuration", bad); }), Catch::StartsWith("parameter \"minDuration\": "));
  }
}

TEST_CASE("whole numbers and hex trace ids as the routes read them") {
  using namespace api::detail;
  CHECK(whole_number("limit", "20") == 20);
  CHECK(whole_number("limit", "0") == 0);
  CHECK(refusal([] { whole_number("limit", "21", 20); }) == "parameter \"limit\": \"21\" is not a whole number up to 20");
  for (const char* bad : {"", "-1", "+1", "1e3", "0x10", "12345678901234567890"}) {
    INFO(bad);
    CHECK_THAT(refusal([bad] { whole_number("limit", bad); }), Catch::StartsWith("parameter \"limit\": "));
  }
  CHECK(hex_trace_id("id", "a1") == trace_id(0, 0xa1));
  CHECK(hex_trace_id("id", "00000000000000010000000000000002") == trace_id(1, 2));
  CHECK(hex_trace_id("id", "ABCDEF") == trace_id(0, 0xabcdef));
  for (const char* bad : {"", "0", "000", "xyz", "123456789012345678901234567890123", "a-1"}) {
    INFO(bad);
    CHECK_THAT(refusal([bad] { hex_trace_id("trace id", bad); }), Catch::Contains("is not a trace id"));
  }
}
