// SQL text for ClickHouse: literals and identifiers hold exactly the bytes given, whatever
// they are, and query filters become WHERE conditions marked exact or superset.
#include <catch2/catch.hpp>

#include <string>

#include "trace/store/clickhouse/http_client.hpp"
#include "trace/store/clickhouse/pushdown.hpp"
#include "trace/store/clickhouse/sql.hpp"

using namespace trace;
using namespace trace::clickhouse;

namespace {

// ClickHouse's reading of a quoted literal, for the escapes `quote` writes.
std::string unquote(std::string_view literal, char quote_char) {
  REQUIRE(literal.size() >= 2);
  REQUIRE(literal.front() == quote_char);
  REQUIRE(literal.back() == quote_char);
  std::string out;
  for (std::size_t i = 1; i + 1 < literal.size(); ++i) {
    char c = literal[i];
    REQUIRE(c != quote_char);  // an unescaped quote would end the literal early
    if (c != '\\') {
      out += c;
      continue;
    }
    REQUIRE(i + 2 < literal.size());
    char next = literal[++i];
    if (next == 'x') {
      out += static_cast<char>(std::stoi(std::string(literal.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += next;
    }
  }
  return out;
}

const std::string hostile[] = {
    "O'Brien",
    "back\\slash",
    "end with backslash\\",
    "\\'",
    "'; DROP TABLE otel_traces; --",
    std::string("nul\0inside", 10),
    "line\nbreak\r\ttab",
    "Grüße, 日本語, 🚀",
    "\xff\xfe not UTF-8",
    "`backtick`",
    "",
};

}  // namespace

TEST_CASE("quote escapes the quote, the backslash and control bytes, and nothing else") {
  CHECK(quote("plain") == "'plain'");
  CHECK(quote("O'Brien") == "'O\\'Brien'");
  CHECK(quote("a\\b") == "'a\\\\b'");
  CHECK(quote(std::string("a\0b", 3)) == "'a\\x00b'");
  CHECK(quote("a\nb") == "'a\\x0ab'");
  CHECK(quote("日本") == "'日本'");
}

TEST_CASE("every hostile string survives quote as exactly its bytes") {
  for (const std::string& text : hostile) {
    CAPTURE(text);
    std::string literal = quote(text);
    CHECK(literal.find('\0') == std::string::npos);
    CHECK(literal.find('\n') == std::string::npos);
    CHECK(unquote(literal, '\'') == text);
  }
}

TEST_CASE("identifiers are back-quoted with the same escapes") {
  CHECK(quote_identifier("otel_traces") == "`otel_traces`");
  CHECK(quote_identifier("Events.Name") == "`Events.Name`");
  for (const std::string& text : hostile) {
    CAPTURE(text);
    CHECK(unquote(quote_identifier(text), '`') == text);
  }
}

TEST_CASE("url_encode keeps only unreserved characters") {
  CHECK(url_encode("SELECT 1") == "SELECT%201");
  CHECK(url_encode("a&b=c?d#e%") == "a%26b%3Dc%3Fd%23e%25");
  CHECK(url_encode("é") == "%C3%A9");
  CHECK(url_encode("Az09-_.~") == "Az09-_.~");
}

TEST_CASE("exact filters become exact conditions with quoted values") {
  using namespace trace::where;
  CHECK(to_sql(any()).text == "1");
  auto c = to_sql(service("it's") && operation("GET /") && status(status_code::error) && kind(span_kind::server));
  CHECK(c.exact);
  CHECK(c.text == "(ServiceName = 'it\\'s' AND SpanName = 'GET /' AND StatusCode = 2 AND SpanKind = 2)");
  c = to_sql(min_duration(5) || started_between(10, 20));
  CHECK(c.exact);
  CHECK(c.text == "((Duration >= 5 AND Duration <= 18446744073709551615) OR (Timestamp >= 10 AND Timestamp <= 20))");
  c = to_sql(!operation_contains("a\\"));
  CHECK(c.exact);
  CHECK(c.text == "NOT (position(SpanName, 'a\\\\') > 0)");
  c = to_sql(attribute("http.method", attribute_scope::span).exists());
  CHECK(c.exact);
  CHECK(c.text == "(has(SpanAttributeKeys, 'http.method'))");
}

TEST_CASE("scope filters become exact conditions on ScopeName and ScopeVersion, hostile values quoted") {
  using namespace trace::where;
  auto c = to_sql(scope_name("io.opentelemetry.http"));
  CHECK(c.exact);
  CHECK(c.text == "(ScopeName = 'io.opentelemetry.http')");
  c = to_sql(scope_version("1.2.0"));
  CHECK(c.exact);
  CHECK(c.text == "(ScopeVersion = '1.2.0')");
  c = to_sql(trace::filters::scope_is{"lib", "1.0"});
  CHECK(c.exact);
  CHECK(c.text == "(ScopeName = 'lib' AND ScopeVersion = '1.0')");
  c = to_sql(trace::filters::scope_is{});
  CHECK(c.exact);
  CHECK(c.text == "1");
  c = to_sql(!scope_name(""));  // an empty name is a value, not "any"
  CHECK(c.exact);
  CHECK(c.text == "NOT ((ScopeName = ''))");
  const std::string name_prefix = "(ScopeName = ", version_infix = " AND ScopeVersion = ";
  for (const std::string& text : hostile) {
    CAPTURE(text);
    c = to_sql(trace::filters::scope_is{text, text});
    CHECK(c.exact);
    REQUIRE(c.text.starts_with(name_prefix));
    REQUIRE(c.text.ends_with(")"));
    std::string_view rest = std::string_view(c.text).substr(name_prefix.size());
    rest.remove_suffix(1);
    // Both literals are `quote(text)`: whatever the bytes, the condition splits exactly there.
    const std::string literal = quote(text);
    REQUIRE(rest == literal + version_infix + literal);
    CHECK(unquote(literal, '\'') == text);
  }
}

TEST_CASE("attribute comparisons and event or link attributes become supersets") {
  using namespace trace::where;
  auto c = to_sql(attribute("code", attribute_scope::span) == 500);
  CHECK_FALSE(c.exact);
  CHECK(c.text ==
        "(arrayExists((k, v, t) -> k = 'code' AND (v = '500' OR t IN (1, 2) OR t = 7), SpanAttributeKeys, "
        "SpanAttributeValues, SpanAttributeTypes))");
  c = to_sql(attribute("k").exists());  // all scopes, events and links included
  CHECK_FALSE(c.exact);
  CHECK(c.text.find("notEmpty(`Events.Name`)") != std::string::npos);
  CHECK(c.text.find("notEmpty(`Links.SpanId`)") != std::string::npos);
  // The negation of a superset says nothing; an `and` with an exact part keeps that part.
  c = to_sql(!(attribute("k") == "v"));
  CHECK_FALSE(c.exact);
  CHECK(c.text == "1");
  c = to_sql(service("api") && attribute("k", attribute_scope::span) != "v");
  CHECK_FALSE(c.exact);
  CHECK(c.text == "(ServiceName = 'api' AND (has(SpanAttributeKeys, 'k')))");
}

TEST_CASE("a server named as http://host:port parses, anything else is refused with the text quoted") {
  auto endpoint = trace::clickhouse::parse_http_endpoint("http://127.0.0.1:18123/");
  CHECK(endpoint.host == "127.0.0.1");
  CHECK(endpoint.port == 18123);
  CHECK(trace::clickhouse::parse_http_endpoint("db.local:8123").host == "db.local");
  for (const char* bad : {"http://127.0.0.1", "127.0.0.1:", ":8123", "host:0", "host:65536", "host:80x"})
    CHECK_THROWS_WITH(trace::clickhouse::parse_http_endpoint(bad),
                      std::string("invalid argument: server \"") + bad + "\" is not http://host:port");
}
