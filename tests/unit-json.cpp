#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "trace/io/json_reader.hpp"
#include "trace/io/json_writer.hpp"

using namespace trace;

namespace {
std::string parse_error_of(std::string_view text, json::parse_options options = {}) {
  try {
    json::parse(text, options);
  } catch (const trace::error& e) {
    CHECK(e.code() == errc::parse_error);
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("scalars parse to their exact kinds") {
  CHECK(json::parse("null").is_null());
  CHECK(*json::parse("true").get_if<bool>() == true);
  CHECK(*json::parse(" false ").get_if<bool>() == false);
  CHECK(*json::parse("-9223372036854775808").get_if<std::int64_t>() == std::numeric_limits<std::int64_t>::min());
  CHECK(*json::parse("9223372036854775807").get_if<std::int64_t>() == std::numeric_limits<std::int64_t>::max());
  CHECK(*json::parse("18446744073709551615").get_if<std::uint64_t>() == std::numeric_limits<std::uint64_t>::max());
  CHECK(*json::parse("72.5").get_if<double>() == 72.5);
  CHECK(*json::parse("-1.5e3").get_if<double>() == -1500.0);
  CHECK(*json::parse("\"a\\\"b\"").get_if<std::string>() == "a\"b");
}

TEST_CASE("integers past 64 bits become doubles, past double's range are refused") {
  CHECK(json::parse("18446744073709551616").type() == json::kind::number);
  CHECK(parse_error_of("[1, 1e400]") == "parse error: line 1, column 5: number 1e400 is out of range");
}

TEST_CASE("objects keep document order and offsets") {
  json::value v = json::parse("{\"b\": 1,\n \"a\": [true, null]}");
  const auto& members = *v.get_if<json::object>();
  REQUIRE(members.size() == 2);
  CHECK(members[0].key == "b");
  CHECK(members[1].key == "a");
  CHECK(v.find("a")->offset() == 15);
  CHECK(v.find("a")->get_if<json::array>()->size() == 2);
  CHECK(v.find("missing") == nullptr);
}

TEST_CASE("escapes decode, surrogate pairs included") {
  CHECK(*json::parse(R"("\u00e9\n\t\/\\")").get_if<std::string>() == "\xC3\xA9\n\t/\\");
  CHECK(*json::parse(R"("\ud83d\ude00")").get_if<std::string>() == "\xF0\x9F\x98\x80");
  CHECK(*json::parse("\"\xE2\x82\xAC\"").get_if<std::string>() == "\xE2\x82\xAC");
}

TEST_CASE("malformed text is refused with line and column") {
  CHECK(parse_error_of("{\"a\": 1,\n  \"b\" 2}") == "parse error: line 2, column 7: expected ':' after object key");
  CHECK(parse_error_of("[1, 2") == "parse error: line 1, column 6: unexpected end of input");
  CHECK(parse_error_of("[1 2]") == "parse error: line 1, column 4: expected ',' or ']' in array");
  CHECK(parse_error_of("[1,]") == "parse error: line 1, column 4: expected a value");
  CHECK(parse_error_of("{\"a\":1,}") == "parse error: line 1, column 8: expected a string as object key");
  CHECK(parse_error_of("01") == "parse error: line 1, column 2: leading zero in number");
  CHECK(parse_error_of("1.") == "parse error: line 1, column 3: expected a digit after the decimal point");
  CHECK(parse_error_of("tru") == "parse error: line 1, column 1: invalid literal (expected true)");
  CHECK(parse_error_of("{} x") == "parse error: line 1, column 4: unexpected text after the JSON value");
  CHECK(parse_error_of("\"abc") == "parse error: line 1, column 1: unterminated string");
  CHECK(parse_error_of("\"a\tb\"") == "parse error: line 1, column 3: unescaped control character in string");
  CHECK(parse_error_of(R"("\x")") == "parse error: line 1, column 2: invalid escape sequence");
  CHECK(parse_error_of("") == "parse error: line 1, column 1: unexpected end of input");
  CHECK(parse_error_of("'a'") == "parse error: line 1, column 1: expected a value");
}

TEST_CASE("invalid UTF-8 and lone surrogates are refused") {
  CHECK(parse_error_of("\"ab\xFF\"") == "parse error: line 1, column 4: invalid UTF-8 in string");
  CHECK(parse_error_of("\"\xC0\xAF\"") == "parse error: line 1, column 2: invalid UTF-8 in string");          // overlong '/'
  CHECK(parse_error_of("\"\xED\xA0\x80\"") == "parse error: line 1, column 2: invalid UTF-8 in string");      // encoded surrogate
  CHECK(parse_error_of("\"\xF4\x90\x80\x80\"") == "parse error: line 1, column 2: invalid UTF-8 in string");  // past U+10FFFF
  CHECK(parse_error_of("\"\xE2\x82\"") == "parse error: line 1, column 2: invalid UTF-8 in string");          // truncated
  CHECK(parse_error_of(R"("\ude00")") == "parse error: line 1, column 2: lone low surrogate in \\u escape");
  CHECK(parse_error_of(R"("\ud83dx")") ==
        "parse error: line 1, column 2: high surrogate not followed by a low surrogate");
}

TEST_CASE("nesting is bounded") {
  std::string deep(300, '[');
  CHECK(parse_error_of(deep) == "parse error: line 1, column 257: nesting deeper than 256 levels");
  std::string ok = std::string(10, '[') + std::string(10, ']');
  CHECK(parse_error_of(ok, {.max_depth = 9}) == "parse error: line 1, column 10: nesting deeper than 9 levels");
  CHECK(json::parse(ok, {.max_depth = 10}).type() == json::kind::array);
}

TEST_CASE("first_line shifts reported lines") {
  CHECK(parse_error_of("[x]", {.first_line = 41}) == "parse error: line 41, column 2: expected a value");
}

TEST_CASE("the pull reader walks big documents piece by piece") {
  json::reader r(R"({"skip": {"deep": [1, 2]}, "items": [{"n": 1}, {"n": 2}, {"n": 3}], "after": 0})");
  std::string key;
  std::int64_t sum = 0;
  std::vector<std::string> keys;
  r.begin_object();
  while (r.next_key(key)) {
    keys.push_back(key);
    if (key == "items") {
      r.begin_array();
      while (r.next_element()) sum += *r.read_value().find("n")->get_if<std::int64_t>();
    } else {
      r.skip_value();
    }
  }
  r.expect_end();
  CHECK(sum == 6);
  CHECK(keys == std::vector<std::string>{"skip", "items", "after"});
}

TEST_CASE("the writer escapes, separates and round-trips") {
  json::value doc = json::parse(
      R"({"s": "q\"\\\n\u0001é😀", "i": -7, "u": 18446744073709551615, "d": 0.1, "whole": 2.0,
          "a": [true, false, null, [], {}], "o": {"k": "v"}})");
  std::string text = json::serialize(doc);
  CHECK(text ==
        R"({"s":"q\"\\\n\u0001é😀","i":-7,"u":18446744073709551615,"d":0.1,"whole":2.0,"a":[true,false,null,[],{}],"o":{"k":"v"}})");
  CHECK(json::parse(text) == doc);
}

TEST_CASE("the writer refuses what JSON cannot hold") {
  std::string out;
  json::writer w(out);
  CHECK_THROWS_WITH(w.string("bad\xFFtext"), "invalid argument: string has invalid UTF-8 at byte 3, cannot write it as JSON");
  CHECK_THROWS_WITH(json::writer(out).number(std::numeric_limits<double>::infinity()),
                    Catch::Matchers::StartsWith("invalid argument: JSON cannot hold the non-finite number"));
}

TEST_CASE("the pull reader skips values without keeping them, and still checks them") {
  json::reader r(R"([null, {"a": [1, {"b": "c"}]}, 7])");
  r.begin_array();
  REQUIRE(r.next_element());
  CHECK(r.skip_null());
  REQUIRE(r.next_element());
  CHECK(!r.skip_null());
  r.skip_value();
  REQUIRE(r.next_element());
  CHECK(*r.read_value().get_if<std::int64_t>() == 7);
  CHECK(!r.next_element());
  r.expect_end();

  json::reader bad(R"([{"a": [1 2]}])");
  bad.begin_array();
  REQUIRE(bad.next_element());
  CHECK_THROWS_WITH(bad.skip_value(), "parse error: line 1, column 11: expected ',' or ']' in array");
}
