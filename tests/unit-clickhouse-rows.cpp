// Spans as ClickHouse rows: RowBinary written and read back loses nothing the layout
// keeps, attribute values keep their types, and damaged bytes are refused with where.
#include <catch2/catch.hpp>

#include <string>

#include "trace/io/json_reader.hpp"
#include "trace/store/clickhouse/span_rows.hpp"

using namespace trace;
using namespace trace::clickhouse;

namespace {

span full_span() {
  span s;
  s.trace = trace_id{0x0123456789abcdef, 0xfedcba9876543210};
  s.id = span_id{0x1111};
  s.parent = span_id{0x2222};
  s.trace_state = "vendor=x";
  s.name = std::string("GET /it's\\\0", 11);
  s.kind = span_kind::client;
  s.start = 1'700'000'000'000'000'000ULL;
  s.end = s.start + 1234;
  s.status = {status_code::error, "boom: 日本"};
  s.attributes.set("b", true);
  s.attributes.set("i", std::int64_t{-42});
  s.attributes.set("d", 2.5);
  s.attributes.set("s", std::string("x,y"));
  s.attributes.set("ab", std::vector<bool>{true, false});
  s.attributes.set("ai", std::vector<std::int64_t>{1, -2});
  s.attributes.set("ad", std::vector<double>{0.5, 1e300});
  s.attributes.set("as", std::vector<std::string>{"a,b", "c\"d", ""});
  s.attributes.set("empty", std::vector<std::int64_t>{});
  s.resource.service_name = "checkout";
  s.resource.attributes.set("host.name", std::string("h1"));
  s.scope.name = "lib";
  s.scope.version = "1.2";
  s.scope.attributes.set("scope.k", std::int64_t{7});
  s.events.push_back({s.start + 5, "retry", {{"attempt", std::int64_t{2}}}, event_level::warn, 0});
  s.events.push_back({s.start + 9, "done", {}, std::nullopt, 0});
  s.links.push_back({trace_id{1, 2}, span_id{3}, "k=v", {{"why", std::string("follows")}}, 0});
  s.dropped_attributes = 1;
  s.dropped_events = 2;
  s.dropped_links = 3;
  return s;
}

}  // namespace

TEST_CASE("a span written as RowBinary reads back equal") {
  span s = full_span();
  std::string bytes;
  append_row_binary(bytes, s);
  span root = s;
  root.parent = span_id();
  root.id = span_id{0x3333};
  append_row_binary(bytes, root);

  row_binary_reader r(bytes);
  CHECK(read_row_binary(r) == s);
  CHECK(read_row_binary(r) == root);
  CHECK(r.at_end());
}

TEST_CASE("RowBinary lengths are LEB128 and numbers little-endian") {
  std::string bytes;
  row_binary_writer w(bytes);
  w.length(300);
  w.number<std::uint32_t>(0x01020304);
  CHECK(bytes == std::string("\xac\x02\x04\x03\x02\x01", 6));
  row_binary_reader r(bytes);
  CHECK(r.length() == 300);
  CHECK(r.number<std::uint32_t>() == 0x01020304);
}

TEST_CASE("truncated RowBinary is refused, naming the byte") {
  std::string bytes;
  append_row_binary(bytes, full_span());
  bytes.resize(20);
  row_binary_reader r(bytes);
  try {
    read_row_binary(r);
    FAIL("no error");
  } catch (const trace::error& e) {
    CHECK(e.code() == errc::corrupt_data);
    CHECK(std::string(e.what()) ==
          "corrupt data: RowBinary data ends at byte 20 where 32 more bytes were expected (at byte 9)");
  }
}

TEST_CASE("attribute text is to_string, except string arrays which are JSON") {
  CHECK(attribute_text(attribute_value(std::int64_t{5})) == "5");
  CHECK(attribute_text(attribute_value(true)) == "true");
  CHECK(attribute_text(attribute_value(std::vector<std::int64_t>{1, 2})) == "[1,2]");
  CHECK(attribute_text(attribute_value(std::vector<std::string>{"a,b", "c"})) == "[\"a,b\",\"c\"]");
  CHECK(same_value(parse_attribute(6, "[0.5,1e+300]"), attribute_value(std::vector<double>{0.5, 1e300})));
  try {
    parse_attribute(1, "12x");
    FAIL("no error");
  } catch (const trace::error& e) {
    CHECK(std::string(e.what()) == "corrupt data: stored attribute value \"12x\" is not an integer");
  }
  try {
    parse_attribute(9, "x");
    FAIL("no error");
  } catch (const trace::error& e) {
    CHECK(std::string(e.what()) == "corrupt data: stored attribute type 9 is not one of 0..7");
  }
}

TEST_CASE("a JSONEachRow line is one JSON object with every column") {
  std::string line;
  span s = full_span();
  s.name = "GET /";
  append_json_row(line, s);
  REQUIRE(line.back() == '\n');
  json::value row = json::parse(line);
  for (const column& c : span_columns) {
    CAPTURE(c.name);
    CHECK(row.find(c.name) != nullptr);
  }
  CHECK(*row.find("TraceId")->get_if<std::string>() == "0123456789abcdeffedcba9876543210");
  CHECK(*row.find("Duration")->get_if<std::int64_t>() == 1234);
}

TEST_CASE("JSONEachRow refuses text that is not UTF-8, which RowBinary carries") {
  span s = full_span();
  s.name = "\xff";
  std::string line;
  CHECK_THROWS_WITH(append_json_row(line, s), Catch::Contains("UTF-8"));
  std::string bytes;
  append_row_binary(bytes, s);
  row_binary_reader r(bytes);
  CHECK(read_row_binary(r).name == "\xff");
}
