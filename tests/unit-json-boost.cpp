// The same documents through the library's JSON reader and through the Boost.JSON adapter:
// what one accepts the other accepts as the same tree, what one refuses the other refuses.
#include <catch2/catch.hpp>

#include <boost/json/src.hpp>  // Boost.JSON compiled into this test, header-only style

#include <string>
#include <vector>

#include "trace/io/boost_json.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/file.hpp"
#include "trace/io/json_writer.hpp"

using namespace trace;

TEST_CASE("valid documents give the same tree both ways") {
  const std::vector<std::string> documents{
      "null", "true", "[]", "{}", "-0", "0.5", "-9223372036854775808", "18446744073709551615",
      "18446744073709551616", "1e300", R"("\u00e9\ud83d\ude00\n")", "\"\xE2\x82\xAC\"",
      R"({"a":[1,2.5,"x",null,{"b":false}],"c":{"d":[]}})", std::string(200, '[') + std::string(200, ']'),
      "\xEF\xBB\xBF{\"bom\":1}"};  // a leading byte-order mark is skipped
  for (const auto& text : documents) {
    INFO(text);
    json::value own = json::parse(text);
    json::value boost = json::parse_with_boost(text);
    CHECK(own == boost);
    CHECK(json::from_boost(json::to_boost(own)) == own);
  }
}

TEST_CASE("invalid documents are refused both ways, with a position") {
  const std::vector<std::string> documents{
      "", "[1,]", "{\"a\":1,}", "01", "1.", "tru", "{} x", "\"abc", "\"a\tb\"", R"("\x")", "'a'",
      "\"ab\xFF\"", "\"\xC0\xAF\"", "\"\xED\xA0\x80\"", R"("\ude00")", "[1 2]", "// c\n1",
      "\xEF\xBB\xBF", " \xEF\xBB\xBF" "1",  // a byte-order mark and nothing, or not at the start
      std::string(300, '[') + std::string(300, ']')};
  for (const auto& text : documents) {
    INFO(text);
    CHECK_THROWS_WITH(json::parse(text), Catch::Matchers::StartsWith("parse error: line 1, column "));
    CHECK_THROWS_WITH(json::parse_with_boost(text), Catch::Matchers::StartsWith("parse error: line 1, column "));
  }
}

TEST_CASE("the SDK fixture parses to the same tree both ways") {
  std::string text = read_file_text(std::string(TRACE_TEST_DATA_DIR) + "/otel-js-sdk.json");
  CHECK(json::parse(text) == json::parse_with_boost(text));
  CHECK(json::serialize(json::parse_with_boost(text)) == json::serialize(json::parse(text)));
}

TEST_CASE("Boost.JSON errors name the position") {
  CHECK_THROWS_WITH(json::parse_with_boost("{\"a\": 1,\n  \"b\" 2}"),
                    Catch::Matchers::StartsWith("parse error: line 2, column 7: Boost.JSON: "));
}
