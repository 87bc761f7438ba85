#include <catch2/catch.hpp>
#include <trace/query/traceql.hpp>

#include <string>
#include <vector>

#include "support/make_span.hpp"

using trace::status_code;
using trace_test::make_span;

namespace {

// Times are milliseconds after this instant (2024-05-01T12:00:00Z).
constexpr std::uint64_t epoch_ms = 1714564800000;

std::vector<trace::span> sample() {
  auto a = make_span(1, 1, 0, "api", "GET /orders", epoch_ms, epoch_ms + 120, status_code::ok);
  a.kind = trace::span_kind::server;
  a.attributes.set("http.status_code", std::int64_t{200});
  a.attributes.set("http.method", std::string("GET"));
  a.resource.attributes.set("deployment", std::string("eu"));
  a.scope = {"http-server", "1.4.0", {}, 0};
  auto b = make_span(1, 2, 1, "db", "SELECT orders", epoch_ms + 10, epoch_ms + 60, status_code::error);
  b.kind = trace::span_kind::client;
  b.attributes.set("db.rows", 12.5);
  b.attributes.set("cached", false);
  auto c = make_span(2, 3, 0, "api", "POST /orders", epoch_ms + 200, epoch_ms + 210);
  c.kind = trace::span_kind::server;
  c.attributes.set("http.status_code", std::int64_t{503});
  c.attributes.set("deployment", std::string("us"));
  c.scope = {"http-server", "1.5.0", {}, 0};
  return {a, b, c};
}

using ids = std::vector<std::uint64_t>;

ids hits(std::string_view query) {
  const trace::filter f = trace::parse_traceql(query);
  ids out;
  for (const auto& s : sample())
    if (trace::matches(f, s)) out.push_back(s.id.value());
  return out;
}

// The error a query raises, or an empty one when it parses.
trace::query_syntax_error refusal(std::string_view query) {
  try {
    trace::parse_traceql(query);
  } catch (const trace::query_syntax_error& e) {
    return e;
  }
  return trace::query_syntax_error(std::string(query), 0, "parsed without error");
}

}  // namespace

TEST_CASE("the issue's example query selects error spans of a slow service with a 5xx code") {
  auto spans = sample();
  spans[2].status.code = status_code::error;
  spans[2].end = spans[2].start + 150 * trace::millisecond;
  const trace::filter f =
      trace::parse_traceql(R"(service = "api" && duration > 100ms && status = error && span.http.status_code >= 500)");
  CHECK_FALSE(trace::matches(f, spans[0]));
  CHECK_FALSE(trace::matches(f, spans[1]));
  CHECK(trace::matches(f, spans[2]));
}

TEST_CASE("=~ and !~ match the whole name, service or string attribute against a regular expression") {
  CHECK(hits(R"(name =~ "(GET|POST) /orders")") == ids{1, 3});
  CHECK(hits(R"(name =~ "GET")").empty());  // the whole name must match
  CHECK(hits(R"(name !~ "GET.*")") == ids{2, 3});
  CHECK(hits(R"(service =~ "a.i")") == ids{1, 3});
  CHECK(hits(R"(span.http.method =~ "G.T")") == ids{1});
  CHECK(hits(R"(deployment =~ "e.|u.")") == ids{1, 3});
  CHECK(hits(R"(span.http.status_code =~ "200")").empty());  // numbers are not text
}

TEST_CASE("a malformed regular expression is refused with the caret at the fault inside the pattern") {
  auto e = refusal(R"(name =~ "(unclosed")");
  CHECK(e.column() == 10);
  CHECK(e.problem() == "regular expression \"(unclosed\" at character 1: missing ')' to close this '('");
  // Escapes in the string literal take two bytes of the query but one of the pattern.
  e = refusal(R"(name =~ "a\\.b\\1")");
  CHECK(e.problem() == "regular expression \"a\\.b\\1\" at character 5: backreferences ('\\1') are not supported");
  CHECK(e.caret() == "name =~ \"a\\\\.b\\\\1\"\n"
                     "              ^");
}

TEST_CASE("the empty query and {} match every span") {
  CHECK(hits("") == ids{1, 2, 3});
  CHECK(hits("  {  } ") == ids{1, 2, 3});
}

TEST_CASE("intrinsics compare with = and !=, in short and TraceQL spelling") {
  CHECK(hits(R"(name = "GET /orders")") == ids{1});
  CHECK(hits(R"(span:name != "GET /orders")") == ids{2, 3});
  CHECK(hits("service = db") == ids{2});
  CHECK(hits(R"(resource.service.name = "api")") == ids{1, 3});
  CHECK(hits("status = error") == ids{2});
  CHECK(hits("span:status != unset") == ids{1, 2});
  CHECK(hits("kind = client") == ids{2});
  CHECK(hits(R"(span:kind = "server")") == ids{1, 3});
  CHECK(hits(R"(trace:id = "0000000000000abc0000000000000002")") == ids{3});
}

TEST_CASE("instrumentation:name and instrumentation:version test the span's instrumentation scope") {
  CHECK(hits(R"(instrumentation:name = "http-server")") == ids{1, 3});
  CHECK(hits("instrumentation:name = http-server") == ids{1, 3});  // a bare word
  CHECK(hits(R"(instrumentation:name = "http")") == ids{});        // whole names only
  CHECK(hits(R"(instrumentation:name = "")") == ids{2});            // b's scope is empty
  CHECK(hits(R"(instrumentation:version = "1.4.0")") == ids{1});
  CHECK(hits(R"(instrumentation:version != "1.4.0")") == ids{2, 3});
  CHECK(hits(R"(instrumentation:name = "http-server" && instrumentation:version = "1.5.0")") == ids{3});
  CHECK(hits(R"(instrumentation:name = "http-server" && instrumentation:version = "1.5")") == ids{});
  CHECK(refusal(R"(instrumentation:version > "1.4.0")").problem() ==
        "'>' does not apply here; this field compares with '=' or '!='");
  CHECK(refusal("instrumentation:version = 1.4.0").problem() ==
        "expected a quoted scope version such as \"1.2.0\", found '1.4'");
  CHECK(refusal(R"(instrumentation:name =~ "http.*")").problem() ==
        "'=~' applies to names, services and attributes, not 'instrumentation:name'");
}

TEST_CASE("durations compare with every operator and unit") {
  CHECK(hits("duration > 50ms") == ids{1});        // 120ms; 50ms is not > 50ms
  CHECK(hits("duration >= 50ms") == ids{1, 2});
  CHECK(hits("duration < 50ms") == ids{3});
  CHECK(hits("duration <= 0.05s") == ids{2, 3});
  CHECK(hits("duration = 10000us") == ids{3});
  CHECK(hits("duration != 10000000ns") == ids{1, 2});
  CHECK(hits("span:duration > 1m") == ids{});
  CHECK(hits("duration < 1h") == ids{1, 2, 3});
  CHECK(hits("duration < 0ns") == ids{});
}

TEST_CASE("start compares with RFC 3339 time literals, quoted or bare, and epoch nanoseconds") {
  CHECK(hits("start >= 2024-05-01T12:00:00.200Z") == ids{3});
  CHECK(hits(R"(start < "2024-05-01T14:00:00.010+02:00")") == ids{1});
  CHECK(hits("start = " + std::to_string((epoch_ms + 10) * trace::millisecond)) == ids{2});
}

TEST_CASE("attributes are scoped by span., resource. or unscoped") {
  CHECK(hits("span.http.status_code >= 500") == ids{3});
  CHECK(hits("span.http.status_code < 500") == ids{1});
  CHECK(hits(R"(span.deployment = "eu")") == ids{});
  CHECK(hits(R"(resource.deployment = "eu")") == ids{1});
  CHECK(hits(R"(.deployment = "us")") == ids{3});
  CHECK(hits(R"(deployment != "eu")") == ids{3});
  CHECK(hits(R"(http.method = "GET")") == ids{1});
  CHECK(hits("db.rows > 12") == ids{2});
  CHECK(hits("db.rows = 12.5") == ids{2});
  CHECK(hits("span.cached = false") == ids{2});
  CHECK(hits("span.http.status_code = -1") == ids{});
}

TEST_CASE("a bare attribute tests that it is present") {
  CHECK(hits("span.http.status_code") == ids{1, 3});
  CHECK(hits("!resource.deployment") == ids{2, 3});
}

TEST_CASE("&& binds tighter than ||, ! binds tightest, parentheses regroup") {
  CHECK(hits("service = db || service = api && status = ok") == ids{1, 2});
  CHECK(hits("(service = db || service = api) && status = ok") == ids{1});
  CHECK(hits("!status = ok && service = api") == ids{3});
  CHECK(hits("!(status = ok && service = api)") == ids{2, 3});
  CHECK(hits("{ kind = server && !(span.http.status_code >= 500) }") == ids{1});
  CHECK(hits("status = error||status = ok") == ids{1, 2});
}

TEST_CASE("string literals unescape quotes, backslashes, tabs and newlines") {
  auto spans = sample();
  spans[0].name = "say \"hi\"\t\\\n";
  const trace::filter f = trace::parse_traceql(R"(name = "say \"hi\"\t\\\n")");
  CHECK(trace::matches(f, spans[0]));
  CHECK_FALSE(trace::matches(f, spans[1]));
}

TEST_CASE("a syntax error names the column and draws a caret under it") {
  auto e = refusal("service = api && duration > 100");
  CHECK(e.code() == trace::errc::parse_error);
  CHECK(e.column() == 29);
  CHECK(std::string(e.what()) == "parse error: query column 29: a duration needs a unit (ns, us, ms, s, m, h): 100ms, say");
  CHECK(e.caret() ==
        "service = api && duration > 100\n"
        "                            ^");
}

TEST_CASE("the caret counts UTF-8 characters and keeps tabs") {
  auto e = refusal("name = \"caf\xC3\xA9\"\t&& )");
  CHECK(e.column() == 19);  // bytes: the é takes two
  CHECK(e.problem() == "expected a field, '!' or '(', found ')'");
  CHECK(e.caret() == "name = \"caf\xC3\xA9\"\t&& )\n             \t   ^");
}

TEST_CASE("each kind of syntax error says what is wrong and where") {
  struct expectation { const char* query; std::size_t column; const char* problem; };
  const expectation cases[] = {
      {"service = ", 11, "expected a value after '=', found the end of the query"},
      {"service api", 9, "expected a comparison operator after 'service', found 'api'"},
      {"(status = ok", 13, "expected ')' to close the '(' at column 1, found the end of the query"},
      {"status = ok)", 12, "unexpected ')' after a complete query"},
      {"{ status = ok", 14, "expected '}' to close '{', found the end of the query"},
      {"status = ok & kind = server", 13, "a single '&'; write '&&' for \"and\""},
      {"status = ok | kind = server", 13, "a single '|'; write '||' for \"or\""},
      {"status = fine", 10, "expected a status (ok, error, unset), found 'fine'"},
      {"status > ok", 8, "'>' does not apply here; this field compares with '=' or '!='"},
      {"kind = sever", 8,
       "expected a kind (server, client, producer, consumer, internal, unspecified), found 'sever'"},
      {"duration > 5 ms", 12, "a duration needs a unit (ns, us, ms, s, m, h): 5ms, say"},
      {"duration > 5sec", 13, "unknown duration unit 'sec' (ns, us, ms, s, m, h)"},
      {"duration > \"5ms\"", 12, "expected a duration such as 250ms, found '\"5ms\"'"},
      {"name = \"open", 8, "string is not closed (missing '\"')"},
      {"name = \"a\\qb\"", 10, "unknown escape '\\q' (known: \\\" \\\\ \\n \\t)"},
      {"span.http.method = GET", 20, "expected a string, number, true or false, found 'GET' (quote text: \"GET\")"},
      {"span.ok > true", 9, "'>' does not order true and false; use '=' or '!='"},
      {"span. = 1", 1, "'span.' names no attribute"},
      {"span:colour = red", 1,
       "unknown intrinsic 'span:colour' (known: span:name, span:status, span:kind, span:duration, span:start, trace:id, "
       "instrumentation:name, instrumentation:version)"},
      {"name =~ GET", 9, "'=~' takes a quoted regular expression, found 'GET'"},
      {"status =~ \"e.*\"", 8, "'=~' applies to names, services and attributes, not 'status'"},
      {"trace:id = abc", 12, "expected a trace id (32 hex digits, not all zero), found 'abc'"},
      {"start > 2024-13-01T00:00:00Z", 9,
       "RFC 3339 time \"2024-13-01T00:00:00Z\" at character 1: not a valid date and time"},
      {"span.n = 99999999999999999999", 10, "number '99999999999999999999' does not fit in 64 bits"},
      {"service = api # comment", 15, "unexpected character '#'"},
      {"&& service = api", 1, "expected a field, '!' or '(', found '&&'"},
  };
  for (const expectation& c : cases) {
    INFO(c.query);
    auto e = refusal(c.query);
    CHECK(e.problem() == c.problem);
    CHECK(e.column() == c.column);
    CHECK(std::string(e.what()) == "parse error: query column " + std::to_string(c.column) + ": " + c.problem);
  }
}

TEST_CASE("a syntax error is a trace::error with errc::parse_error") {
  try {
    trace::parse_traceql("status ==");
    FAIL("the query parsed");
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::parse_error);
    CHECK(std::string(e.what()) == "parse error: query column 10: expected a value after '==', found the end of the query");
  }
}

namespace {

std::string repeated(std::string_view piece, std::size_t times) {
  std::string out;
  out.reserve(piece.size() * times);
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

}  // namespace

TEST_CASE("parentheses nest up to max_query_nesting levels") {
  const std::size_t most = trace::max_query_nesting;
  CHECK(hits(repeated("(", most) + "status = ok" + repeated(")", most)) == ids{1});
  CHECK(hits(repeated("!(", most - 1) + "(status = ok" + repeated(")", most)) == ids{2, 3});
}

TEST_CASE("deeper parentheses are refused at the first one too deep, however many follow") {
  const std::size_t most = trace::max_query_nesting;
  const std::string problem = "parentheses nest deeper than " + std::to_string(most) + " levels";
  for (std::size_t depth : {most + 1, std::size_t{7000}}) {
    INFO(depth);
    auto e = refusal(repeated("(", depth) + "status = ok" + repeated(")", depth));
    CHECK(e.problem() == problem);
    CHECK(e.column() == most + 1);
  }
  auto unclosed = refusal(repeated("(", 10000));
  CHECK(unclosed.problem() == problem);
  CHECK(unclosed.column() == most + 1);
  auto mixed = refusal(repeated("!(", 200) + "status = ok");
  CHECK(mixed.problem() == problem);
  CHECK(mixed.column() == 2 * most + 2);
}

TEST_CASE("a run of ! is counted, not nested: an even run cancels out") {
  CHECK(hits(repeated("!", 10000) + "status = ok") == ids{1});
  CHECK(hits(repeated("!", 10001) + "status = ok") == ids{2, 3});
  CHECK(trace::parse_traceql(repeated("!", 10001) + "status = ok").depth() == 2);
  CHECK(refusal(repeated("!", 10000)).problem() == "expected a field, '!' or '(', found the end of the query");
}

TEST_CASE("long chains of && and || build one flat node, in time linear in their length") {
  // 60,000 terms: with a copy of the list per term (as before) this would not finish.
  for (const auto& [joiner, terms] : {std::pair<std::string_view, std::size_t>{" && ", 60000}, {" || ", 60000}}) {
    INFO(joiner);
    const trace::filter f = trace::parse_traceql("http.method" + repeated(std::string(joiner) + "http.method", terms - 1));
    const auto& items = joiner == " && " ? std::get<trace::filters::all_of>(f.get()).items
                                         : std::get<trace::filters::any_of>(f.get()).items;
    CHECK(items.size() == terms);
    CHECK(f.depth() == 2);
    auto spans = sample();
    CHECK(trace::matches(f, spans[0]));
    CHECK_FALSE(trace::matches(f, spans[1]));
  }
}

TEST_CASE("the deepest query the parser accepts is a filter every walk can handle") {
  const std::size_t most = trace::max_query_nesting;
  // Each level: an `or` of an `and` of a negated group, the most tree one level of parentheses makes.
  std::string query = "span.http.method != \"x\"";
  for (std::size_t i = 0; i < most; ++i) query = "kind = server || kind = client && !(" + query + ")";
  const trace::filter f = trace::parse_traceql(query);
  CHECK(f.depth() == 3 * most + 1);
  CHECK(f.depth() <= trace::filter::max_depth);
  auto spans = sample();
  CHECK(trace::matches(f, spans[0]));
  const trace::filter copy = f;  // copying and destroying recurse as deep
  CHECK(trace::matches(copy, spans[0]));
}

TEST_CASE("a query longer than max_query_size is refused before it is read") {
  auto e = refusal(std::string(trace::max_query_size + 1, ' '));
  CHECK(e.problem() == "the query is " + std::to_string(trace::max_query_size + 1) + " bytes; the limit is " +
                           std::to_string(trace::max_query_size));
  CHECK(e.column() == trace::max_query_size + 1);
  CHECK(hits(std::string(trace::max_query_size - 11, ' ') + "status = ok") == ids{1});
}

TEST_CASE("=~ runs in linear time on patterns that make backtracking engines explode") {
  auto spans = sample();
  spans[0].attributes.set("x", std::string(30, 'a') + "!");
  spans[1].attributes.set("x", std::string(50000, 'a'));
  const trace::filter nested = trace::parse_traceql(R"(span.x =~ "(a+)+$")");
  CHECK_FALSE(trace::matches(nested, spans[0]));
  CHECK(trace::matches(nested, spans[1]));
  const trace::filter alternatives = trace::parse_traceql(R"q(span.x =~ "(a|aa)*(b|a)")q");
  CHECK(trace::matches(alternatives, spans[1]));
  CHECK_FALSE(trace::matches(alternatives, spans[0]));
}

TEST_CASE("a regular expression beyond the engine's limits is refused at its column") {
  auto big = refusal("name =~ \"" + std::string(60000, 'a') + "\"");
  CHECK(big.column() == 10 + trace::regex::max_pattern_size);
  CHECK(big.problem().ends_with("the pattern is 60000 bytes; the limit is " +
                                std::to_string(trace::regex::max_pattern_size)));
  auto deep = refusal("name =~ \"" + repeated("(", 300) + "\"");
  CHECK(deep.problem().ends_with("groups nest deeper than " + std::to_string(trace::regex::max_nesting)));
  CHECK(deep.column() == 10 + trace::regex::max_nesting);
}
