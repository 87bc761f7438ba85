#include <catch2/catch.hpp>
#include <trace/core/ids.hpp>
#include <trace/instrument/random_ids.hpp>

#include <set>

using trace::span_id;
using trace::trace_id;

TEST_CASE("trace ids print as 32 lower-case hex digits and parse back") {
  trace_id id{0x4bf92f3577b34da6ULL, 0xa3ce929d0e0e4736ULL};
  CHECK(id.to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(trace_id::parse(id.to_hex()) == id);
}

TEST_CASE("span ids print as 16 lower-case hex digits and parse back") {
  span_id id{0x00f067aa0ba902b7ULL};
  CHECK(id.to_hex() == "00f067aa0ba902b7");
  CHECK(span_id::parse("00f067aa0ba902b7") == id);
}

TEST_CASE("upper-case hex is accepted on input") {
  CHECK(trace_id::parse("4BF92F3577B34DA6A3CE929D0E0E4736").to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(span_id::parse("00F067AA0BA902B7").value() == 0x00f067aa0ba902b7ULL);
}

TEST_CASE("all-zero ids are invalid") {
  CHECK_FALSE(trace_id::from_hex("00000000000000000000000000000000"));
  CHECK_FALSE(span_id::from_hex("0000000000000000"));
  CHECK_FALSE(trace_id{}.valid());
  CHECK_FALSE(span_id{}.valid());
  CHECK_THROWS_WITH(span_id::parse("0000000000000000"),
                    "invalid id: span id \"0000000000000000\" is not 16 hex digits with at least one non-zero");
}

TEST_CASE("malformed hex ids are refused with the text quoted") {
  CHECK_FALSE(trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e473"));    // 31 digits
  CHECK_FALSE(trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e47366"));  // 33 digits
  CHECK_FALSE(trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e473g"));   // not hex
  CHECK_FALSE(span_id::from_hex(" 0f067aa0ba902b7"));
  CHECK_FALSE(span_id::from_hex(""));
  CHECK_THROWS_WITH(trace_id::parse("xyz"),
                    "invalid id: trace id \"xyz\" is not 32 hex digits with at least one non-zero");
  try {
    trace_id::parse("nope");
    FAIL("parse accepted a bad id");
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::invalid_id);
  }
}

TEST_CASE("a trace id with only one non-zero half is valid") {
  CHECK(trace_id::parse("00000000000000000000000000000001").low() == 1);
  CHECK(trace_id::parse("10000000000000000000000000000000").high() == 0x1000000000000000ULL);
}

TEST_CASE("random ids are valid and distinct") {
  std::set<trace_id> traces;
  std::set<span_id> spans;
  for (int i = 0; i < 1000; ++i) {
    auto t = trace::random_trace_id();
    auto s = trace::random_span_id();
    CHECK(t.valid());
    CHECK(s.valid());
    traces.insert(t);
    spans.insert(s);
  }
  CHECK(traces.size() == 1000);
  CHECK(spans.size() == 1000);
}

TEST_CASE("ids order and hash consistently with equality") {
  trace_id a{1, 2}, b{1, 3}, c{2, 0};
  CHECK(a < b);
  CHECK(b < c);
  CHECK(std::hash<trace_id>{}(a) == std::hash<trace_id>{}(trace_id{1, 2}));
  CHECK(std::hash<trace_id>{}(a) != std::hash<trace_id>{}(b));
}
