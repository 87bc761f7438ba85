// TraceQL as ClickHouse SQL, without a server: which parts of a query become conditions
// (traceql_sql.hpp), and that names and values typed into a query reach the server as
// literals holding exactly their bytes, whatever they hold.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "trace/query/traceql.hpp"
#include "trace/query/traceql/candidates.hpp"
#include "trace/store/clickhouse/traceql_sql.hpp"

using trace::clickhouse::traceql_trace_test;

namespace {

// A statement read as ClickHouse's lexer reads it: the code outside string literals (each
// literal written as ?) and the literals' bytes, escapes undone.
struct lexed {
  std::string code;
  std::vector<std::string> literals;
};

lexed lex(std::string_view sql) {
  lexed out;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != '\'') {
      out.code += sql[i];
      continue;
    }
    std::string literal;
    for (++i;; ++i) {
      REQUIRE(i < sql.size());  // a literal left open would swallow the rest of the statement
      if (sql[i] == '\'') break;
      if (sql[i] != '\\') {
        literal += sql[i];
        continue;
      }
      REQUIRE(i + 1 < sql.size());
      if (sql[++i] == 'x') {
        REQUIRE(i + 2 < sql.size());
        literal += static_cast<char>(std::stoi(std::string(sql.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        literal += sql[i];
      }
    }
    out.code += '?';
    out.literals.push_back(std::move(literal));
  }
  return out;
}

// `text` as a TraceQL string literal.
std::string traceql_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string having(std::string_view query) { return traceql_trace_test(trace::parse_traceql_query(query)); }

}  // namespace

TEST_CASE("clickhouse traceql: names and values reach the server as literals holding exactly their bytes") {
  const std::vector<std::string> hostile = {"plain",
                                            "O'Brien",
                                            "back\\slash\\",
                                            "x' OR 1=1 --",
                                            "'); DROP TABLE otel_traces; --",
                                            "line\nbreak",
                                            "`tick` and \"double\"",
                                            "caf\xc3\xa9 \xe2\x82\xac"};
  const lexed plain_value = lex(having("{ name = \"v\" && span.k = \"v\" }"));
  const lexed plain_name = lex(having("{ span.\"k\" = \"v\" }"));
  for (const std::string& text : hostile) {
    INFO("text: " << text);
    // As a value: the statement keeps its shape, and the literals are the value itself.
    const lexed value = lex(having("{ name = " + traceql_string(text) + " && span.k = " + traceql_string(text) + " }"));
    CHECK(value.code == plain_value.code);
    CHECK(value.literals == std::vector<std::string>{text, "k", text});
    // As an attribute's quoted name.
    const lexed name = lex(having("{ span." + traceql_string(text) + " = \"v\" }"));
    CHECK(name.code == plain_name.code);
    CHECK(name.literals == std::vector<std::string>{text, "v"});
    // As a regular expression: anchored, the pattern's bytes inside.
    if (text.find_first_of("\\()") == std::string::npos) {
      const lexed pattern = lex(having("{ name =~ " + traceql_string(text) + " }"));
      CHECK(pattern.code == "countIf(match(SpanName, ?)) > 0");
      CHECK(pattern.literals == std::vector<std::string>{"^(?:" + text + ")$"});
    }
  }
}

TEST_CASE("clickhouse traceql: span fields and attributes compared with literals become conditions on their columns") {
  CHECK(having("{ name = \"a\" }") == "countIf(SpanName = 'a') > 0");
  CHECK(having("{ \"a\" < name }") == "countIf(SpanName > 'a') > 0");  // the literal on the left
  CHECK(having("{ status = error && kind != server }") == "countIf((StatusCode = 2 AND SpanKind != 2)) > 0");
  CHECK(having("{ duration >= 1ms }") == "countIf(Duration >= 1000000) > 0");
  CHECK(having("{ duration > -1ms }") == "1");  // every unsigned duration passes
  CHECK(having("{ duration < -1ms }") == "countIf(0) > 0");
  CHECK(having("{ statusMessage != \"\" }") == "countIf(StatusMessage != '') > 0");
  CHECK(having("{ span:id = \"00000000000000aa\" || trace:id = \"ff\" }") ==
        "countIf((SpanId = '00000000000000aa' OR TraceId = 'ff')) > 0");
  CHECK(having("{ span:parentID = \"0000000000000005\" }") ==
        "countIf((ParentSpanId != '' AND ParentSpanId = '0000000000000005')) > 0");
  CHECK(having("{ instrumentation:name = \"lib\" && instrumentation:version = \"1\" }") ==
        "countIf((ScopeName = 'lib' AND ScopeVersion = '1')) > 0");
  CHECK(having("{ event:name = \"retry\" }") == "countIf(has(`Events.Name`, 'retry')) > 0");
  CHECK(having("{ link:spanID != \"aa\" }") == "countIf(notEmpty(`Links.SpanId`)) > 0");
  CHECK(having("{ resource.service.name = \"api\" }") == "countIf(ServiceName = 'api') > 0");
  CHECK(having("{ span.n > 5 }") ==
        "countIf(arrayExists((k, v, t) -> k = 'n' AND ((t = 1 AND toInt64OrZero(v) > 5) OR t IN (2, 5, 6)), "
        "SpanAttributeKeys, SpanAttributeValues, SpanAttributeTypes)) > 0");
  CHECK(having("{ resource.ok = true }") ==
        "countIf(arrayExists((k, v, t) -> k = 'ok' AND ((t = 0 AND v = 'true') OR t = 4), ResourceAttributeKeys, "
        "ResourceAttributeValues, ResourceAttributeTypes)) > 0");
  CHECK(having("{ instrumentation.f = 1.5 }") ==
        "countIf(arrayExists((k, v, t) -> k = 'f' AND (t IN (1, 2, 5, 6)), ScopeAttributeKeys, ScopeAttributeValues, "
        "ScopeAttributeTypes)) > 0");
  CHECK(having("{ .a = \"x\" }") ==
        "countIf((arrayExists((k, v, t) -> k = 'a' AND ((t = 3 AND v = 'x') OR t = 7), SpanAttributeKeys, "
        "SpanAttributeValues, SpanAttributeTypes) OR arrayExists((k, v, t) -> k = 'a' AND ((t = 3 AND v = 'x') OR t = "
        "7), ResourceAttributeKeys, ResourceAttributeValues, ResourceAttributeTypes))) > 0");
  CHECK(having("{ .service.name = \"api\" }") ==
        "countIf((arrayExists((k, v, t) -> k = 'service.name' AND ((t = 3 AND v = 'api') OR t = 7), SpanAttributeKeys, "
        "SpanAttributeValues, SpanAttributeTypes) OR ServiceName = 'api')) > 0");
  CHECK(having("{ .a = nil }") == "countIf(NOT (has(SpanAttributeKeys, 'a') OR has(ResourceAttributeKeys, 'a'))) > 0");
  CHECK(having("{ event.a != nil }") == "countIf(arrayExists(keys -> has(keys, 'a'), `Events.AttributeKeys`)) > 0");
  CHECK(having("{ !(name = \"a\") }") == "countIf(NOT (SpanName = 'a')) > 0");
  CHECK(having("service = db && status = error") == "countIf((ServiceName = 'db' AND StatusCode = 2)) > 0");
}

TEST_CASE("clickhouse traceql: whole-trace conditions go to HAVING") {
  CHECK(having("{ status = error } && { service = \"cache\" }") ==
        "(countIf(StatusCode = 2) > 0 AND countIf(ServiceName = 'cache') > 0)");
  CHECK(having("{ status = error } || { service = \"cache\" }") ==
        "(countIf(StatusCode = 2) > 0 OR countIf(ServiceName = 'cache') > 0)");
  CHECK(having("{ kind = server } >> { status = error }") == "(countIf(SpanKind = 2) > 0 AND countIf(StatusCode = 2) > 0)");
  CHECK(having("{ kind = server } &~ { status = error }") == "(countIf(SpanKind = 2) > 0 AND countIf(StatusCode = 2) > 0)");
  CHECK(having("{ kind = server } !> { status = error }") == "countIf(StatusCode = 2) > 0");
  CHECK(having("{ } | count() > 5") == "countIf(1) > 5");
  CHECK(having("{ name = \"a\" } | by(kind) | count() = 2") == "(countIf(SpanName = 'a') > 0 AND countIf(SpanName = 'a') >= 2)");
  CHECK(having("{ name = \"a\" } | { status = error }") ==
        "(countIf(SpanName = 'a') > 0 AND countIf((StatusCode = 2 AND SpanName = 'a')) > 0)");
  CHECK(having("{ trace:duration > 1s }") == "(max(Timestamp + Duration) - min(Timestamp)) > 1000000000");
  CHECK(having("{ trace:rootName = \"GET /\" && status = error }") ==
        "(countIf(StatusCode = 2) > 0 AND countIf(ParentSpanId = '' AND SpanName = 'GET /') > 0)");
  CHECK(having("{ rootServiceName =~ \"api.*\" }") == "countIf(ParentSpanId = '' AND match(ServiceName, '^(?:api.*)$')) > 0");
  CHECK(having("({ name = \"a\" } | count() > 1) && { name = \"b\" }") ==
        "((countIf(SpanName = 'a') > 0 AND countIf(SpanName = 'a') > 1) AND countIf(SpanName = 'b') > 0)");
  CHECK(having("{ status = error } | rate() by (name)") == "countIf(StatusCode = 2) > 0");
}

TEST_CASE("clickhouse traceql: what SQL cannot say stays in the library, and bounds nothing") {
  for (const char* query : {"{ childCount > 2 }", "{ duration * 2 > 1s }", "{ name !~ \"a.*\" }", "{ !(name =~ \"a\") }",
                            "{ event:timeSinceStart > 1ms }", "{ name = statusMessage }", "{ } | avg(duration) > 1s", "{ } | count() < 3", "{ } > { } | count() > 2",
                            "{ name = \"a\" || childCount = 1 }"}) {
    INFO("query: " << query);
    CHECK(having(query) == "1");
  }
}

TEST_CASE("clickhouse traceql: the statement reads candidate spans of the traces passing HAVING on the shard's own table") {
  const auto q = trace::parse_traceql_query("{ status = error } && { name =~ \"x.*\" }");
  const std::string sql = trace::clickhouse::candidate_spans_sql(q, trace::traceql::candidate_filter(q), false, "`db`.`t`", "`db`.`t_local`");
  CHECK(sql == "SELECT " + trace::clickhouse::column_list() +
                   " FROM `db`.`t` WHERE StatusCode = 2 AND TraceId IN (SELECT TraceId FROM `db`.`t_local` GROUP BY TraceId "
                   "HAVING (countIf(StatusCode = 2) > 0 AND countIf(match(SpanName, '^(?:x.*)$')) > 0)) FORMAT RowBinary");
  // Whole traces, for queries that build trees: the candidate condition joins the trace test.
  CHECK(trace::clickhouse::candidate_spans_sql(q, trace::traceql::candidate_filter(q), true, "`db`.`t`", "`db`.`t`") ==
        "SELECT " + trace::clickhouse::column_list() +
            " FROM `db`.`t` WHERE TraceId IN (SELECT TraceId FROM `db`.`t` GROUP BY TraceId HAVING (countIf(StatusCode = 2) > 0 "
            "AND (countIf(StatusCode = 2) > 0 AND countIf(match(SpanName, '^(?:x.*)$')) > 0))) ORDER BY TraceId, Timestamp, "
            "SpanId FORMAT RowBinary");
  const auto nothing = trace::parse_traceql_query("{ childCount > 1 }");
  const trace::filter any = trace::traceql::candidate_filter(nothing);
  CHECK(trace::clickhouse::candidate_spans_sql(nothing, any, false, "`db`.`t`", "`db`.`t`") ==
        "SELECT " + trace::clickhouse::column_list() + " FROM `db`.`t` WHERE 1 FORMAT RowBinary");
  CHECK(trace::clickhouse::candidate_spans_sql(nothing, any, true, "`db`.`t`", "`db`.`t`") ==
        "SELECT " + trace::clickhouse::column_list() + " FROM `db`.`t` WHERE 1 ORDER BY TraceId, Timestamp, SpanId FORMAT RowBinary");
  // A query whose conditions would pass ClickHouse's statement size limit pushes nothing.
  std::string wide = "{ name = \"a\"";
  for (int i = 0; i < 5000; ++i) {
    wide += " || name = \"";
    wide.append(20, 'x');
    wide += '"';
  }
  const auto big = trace::parse_traceql_query(wide + " }");
  CHECK(trace::clickhouse::candidate_spans_sql(big, trace::traceql::candidate_filter(big), false, "`db`.`t`", "`db`.`t`") ==
        "SELECT " + trace::clickhouse::column_list() + " FROM `db`.`t` WHERE 1 FORMAT RowBinary");
}
