#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "trace/io/otlp_reader.hpp"
#include "trace/io/otlp_writer.hpp"

using namespace trace;

namespace {

// A span using every field the model has.
span full_span() {
  span s;
  s.trace = trace_id::parse("5b8efff798038103d269b633813fc60c");
  s.id = span_id::parse("eee19b7ec3c1b174");
  s.parent = span_id::parse("eee19b7ec3c1b173");
  s.trace_state = "vendor=a,other=b";
  s.name = "GET /items/{id}";
  s.kind = span_kind::server;
  s.start = 1'700'000'000'123'456'789;
  s.end = 1'700'000'000'223'456'789;
  s.status = {status_code::error, "timeout \"upstream\""};
  s.attributes.set("http.status_code", std::int64_t{504});
  s.attributes.set("ratio", 0.25);
  s.attributes.set("cached", false);
  s.attributes.set("path", std::string("/items/é"));
  s.attributes.set("ids", std::vector<std::int64_t>{1, -2, 9'007'199'254'740'993});
  s.attributes.set("weights", std::vector<double>{1.5, -0.0});
  s.attributes.set("flags", std::vector<bool>{true, false});
  s.attributes.set("names", std::vector<std::string>{"a", "b"});
  s.attributes.set("none", std::vector<std::string>{});
  s.events.push_back({s.start + 10, "retry", {{"attempt", std::int64_t{2}}}, event_level::warn, 1});
  s.events.push_back({s.start + 20, "plain", {}, std::nullopt, 0});
  s.links.push_back({trace_id::parse("00000000000000000000000000000abc"), span_id::parse("0000000000000def"),
                     "k=v", {{"link.kind", std::string("follows")}}, 3});
  s.resource = {"checkout", {{"host.name", std::string("box-1")}, {"pid", std::int64_t{42}}}, 2};
  s.scope = {"io.opentelemetry.http", "1.2.3", {{"scope.attr", true}}, 4};
  s.dropped_attributes = 5;
  s.dropped_events = 6;
  s.dropped_links = 7;
  return s;
}

std::string read_error(std::string_view text) {
  try {
    otlp::read(text);
  } catch (const trace::error& e) {
    CHECK(e.code() == errc::parse_error);
    return e.what();
  }
  return "no error";
}

std::string one_span(std::string_view fields) {
  return R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0123456789abcdef0123456789abcdef","spanId":"0123456789abcdef")" +
         std::string(fields) + "}]}]}]}";
}

}  // namespace

TEST_CASE("export then import gives back every field") {
  span root = full_span();
  root.parent = {};
  root.id = span_id::parse("eee19b7ec3c1b173");
  root.events.clear();
  root.scope = {"other-lib", "", {}, 0};
  span other = full_span();
  other.resource.service_name = "payments";
  std::vector<span> input{full_span(), root, other};

  std::string text = otlp::to_json(input);
  std::vector<span> output = otlp::read(text);
  REQUIRE(output.size() == 3);
  // Grouping puts spans of one resource together: the first two share it, the third does not.
  CHECK(output[0] == input[0]);
  CHECK(output[1] == input[1]);
  CHECK(output[2] == input[2]);
  CHECK(otlp::to_json(output) == text);
}

TEST_CASE("export groups by resource and scope and writes OTLP's spelling") {
  std::vector<span> input{full_span()};
  json::value doc = json::parse(otlp::to_json(input));
  const json::value& rs = doc.find("resourceSpans")->get_if<json::array>()->at(0);
  const json::value& first_attribute = rs.find("resource")->find("attributes")->get_if<json::array>()->at(0);
  CHECK(json::serialize(first_attribute) == R"({"key":"service.name","value":{"stringValue":"checkout"}})");
  const json::value& sp = rs.find("scopeSpans")->get_if<json::array>()->at(0).find("spans")->get_if<json::array>()->at(0);
  CHECK(*sp.find("startTimeUnixNano")->get_if<std::string>() == "1700000000123456789");
  CHECK(*sp.find("kind")->get_if<std::int64_t>() == 2);
  CHECK(json::serialize(*sp.find("status")) == R"({"code":2,"message":"timeout \"upstream\""})");
  const json::value& level = sp.find("events")->get_if<json::array>()->at(0).find("attributes")->get_if<json::array>()->at(1);
  CHECK(json::serialize(level) == R"({"key":"event.level","value":{"stringValue":"warn"}})");
}

TEST_CASE("import accepts the spellings other producers use") {
  std::string text = R"({"resourceSpans":[{
    "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
    "scopeSpans":[{"scope":{"name":"lib"},"spans":[{
      "traceId":"0123456789ABCDEF0123456789ABCDEF","spanId":"0123456789abcdef","parentSpanId":"",
      "name":"op","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":1000,"endTimeUnixNano":"2000",
      "unknownField":{"nested":[1,2]},
      "attributes":[
        {"key":"int","value":{"intValue":7}},
        {"key":"blob","value":{"bytesValue":"AAAwOQ=="}},
        {"key":"map","value":{"kvlistValue":{"values":[{"key":"a","value":{"intValue":"1"}},{"key":"b","value":{"arrayValue":{"values":[{"stringValue":"x"}]}}}]}}},
        {"key":"mixed","value":{"arrayValue":{"values":[{"intValue":"1"},{"stringValue":"two"}]}}},
        {"key":"nan","value":{"doubleValue":"NaN"}},
        {"key":"empty","value":{}}],
      "status":{"code":"STATUS_CODE_OK"}}]}]}]})";
  std::vector<span> spans = otlp::read(text);
  REQUIRE(spans.size() == 1);
  const span& s = spans[0];
  CHECK(s.trace.to_hex() == "0123456789abcdef0123456789abcdef");
  CHECK(!s.parent.valid());
  CHECK(s.kind == span_kind::client);
  CHECK(s.start == 1000);
  CHECK(s.end == 2000);
  CHECK(s.status.code == status_code::ok);
  CHECK(s.resource.service_name == "svc");
  CHECK(s.resource.attributes.empty());
  CHECK(s.scope.name == "lib");
  CHECK(std::get<std::int64_t>(*s.attributes.find("int")) == 7);
  CHECK(std::get<std::string>(*s.attributes.find("blob")) == "AAAwOQ==");
  CHECK(std::get<std::string>(*s.attributes.find("map")) == R"({"a":1,"b":["x"]})");
  CHECK(std::get<std::string>(*s.attributes.find("mixed")) == R"([1,"two"])");
  CHECK(std::isnan(std::get<double>(*s.attributes.find("nan"))));
  CHECK(std::get<std::string>(*s.attributes.find("empty")).empty());
}

TEST_CASE("a foreign event.level that is not a level stays an attribute") {
  std::vector<span> spans = otlp::read(one_span(
      R"(,"events":[{"timeUnixNano":"5","name":"e","attributes":[{"key":"event.level","value":{"stringValue":"loud"}}]}])"));
  REQUIRE(spans.at(0).events.size() == 1);
  CHECK(!spans[0].events[0].level);
  CHECK(std::get<std::string>(*spans[0].events[0].attributes.find("event.level")) == "loud");
}

TEST_CASE("JSON Lines: one request per line, streamed, errors give the file's line") {
  std::vector<span> first{full_span()};
  span second = full_span();
  second.trace = trace_id::parse("00000000000000000000000000000001");
  std::ostringstream file;
  otlp::write_line(file, first);
  file << "\n";
  otlp::write_line(file, std::vector<span>{second});
  std::string text = file.str();

  std::istringstream in(text);
  std::vector<std::size_t> batch_sizes;
  std::vector<span> all;
  std::size_t count = otlp::read_lines(in, [&](std::vector<span>&& batch) {
    batch_sizes.push_back(batch.size());
    all.insert(all.end(), batch.begin(), batch.end());
  }, {}, 1);
  CHECK(count == 2);
  CHECK(batch_sizes == std::vector<std::size_t>{1, 1});
  CHECK(all[0] == first[0]);
  CHECK(all[1] == second);
  CHECK(otlp::read(text) == all);  // the whole-text reader takes JSON Lines too

  std::istringstream broken(text + "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{]}]}]}\n");
  CHECK_THROWS_WITH(otlp::read_lines(broken, [](std::vector<span>&&) {}),
                    "parse error: line 4, column 45: expected a string as object key (0 spans were handed over before it)");
}

TEST_CASE("bad OTLP input is refused with its position") {
  CHECK(read_error(R"({"resourceSpans":[{"scopeSpans":[{"spans":[)") ==
        "parse error: line 1, column 44: unexpected end of input");
  CHECK(read_error(R"({"resourceSpans":{}})") == "parse error: line 1, column 18: expected '['");
  CHECK(read_error(one_span(R"(,"name":42)")) ==
        "parse error: line 1, column 125: OTLP span name: expected a string, found an integer");
  CHECK(read_error(one_span(R"(,"kind":9)")) == "parse error: line 1, column 125: OTLP span kind: unknown enum value 9");
  CHECK(read_error(one_span(R"(,"kind":"SERVER")")) ==
        "parse error: line 1, column 125: OTLP span kind: unknown enum name \"SERVER\"");
  CHECK(read_error(one_span(R"(,"status":{"code":3})")) ==
        "parse error: line 1, column 135: OTLP status code: unknown enum value 3");
  CHECK(read_error(one_span(R"(,"startTimeUnixNano":"12x")")) ==
        "parse error: line 1, column 138: OTLP span startTimeUnixNano: \"12x\" is not an unsigned 64-bit integer");
  CHECK(read_error(one_span(R"(,"startTimeUnixNano":"18446744073709551616")")) ==
        "parse error: line 1, column 138: OTLP span startTimeUnixNano: \"18446744073709551616\" is not an unsigned 64-bit integer");
  CHECK(read_error(one_span(R"(,"endTimeUnixNano":-1)")) ==
        "parse error: line 1, column 136: OTLP span endTimeUnixNano: negative value -1 for an unsigned field");
  CHECK(read_error(one_span(R"(,"startTimeUnixNano":"10","endTimeUnixNano":"5")")) ==
        "parse error: line 1, column 44: OTLP span: ends (5) before it starts (10)");
  CHECK(read_error(one_span(R"(,"parentSpanId":"xyz")")) ==
        "parse error: line 1, column 133: OTLP span parentSpanId: \"xyz\" is neither 16 hex digits nor 12 base64 characters, with at least one non-zero");
  CHECK(read_error(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00000000000000000000000000000000","spanId":"0123456789abcdef"}]}]}]})") ==
        "parse error: line 1, column 55: OTLP span traceId: \"00000000000000000000000000000000\" is neither 32 hex digits nor 24 base64 characters, with at least one non-zero");
  CHECK(read_error(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"0123456789abcdef"}]}]}]})") ==
        "parse error: line 1, column 44: OTLP span: has no traceId");
  CHECK(read_error(one_span(R"(,"attributes":[{"key":"k","value":{"intValue":"1.5"}}])")) ==
        "parse error: line 1, column 163: OTLP intValue: \"1.5\" is not a signed 64-bit integer");
  CHECK(read_error(one_span(R"(,"attributes":[{"key":"k","value":{"intValue":9223372036854775808}}])")) ==
        "parse error: line 1, column 163: OTLP intValue: integer out of the signed 64-bit range");
  CHECK(read_error(one_span(R"(,"attributes":[{"key":"k","value":{"bytesValue":"%%"}}])")) ==
        "parse error: line 1, column 165: OTLP bytesValue: \"%%\" is not base64");
  CHECK(read_error(one_span(R"(,"attributes":[{"key":"k","value":{"colorValue":1}}])")) ==
        "parse error: line 1, column 151: OTLP AnyValue: unknown value field \"colorValue\"");
  CHECK(read_error(one_span(",\"name\":\"bad\xC3\x28\"")) == "parse error: line 1, column 129: invalid UTF-8 in string");
  CHECK(read_error(one_span(R"(,"droppedLinksCount":4294967296)")) ==
        "parse error: line 1, column 138: OTLP span droppedLinksCount: 4294967296 does not fit 32 bits");
  std::string deep = one_span(R"(,"attributes":[{"key":"k","value":)" + std::string(300, '[') + std::string(300, ']') + "}]");
  CHECK(read_error(deep) == "parse error: line 1, column 398: nesting deeper than 256 levels");
}

TEST_CASE("the lenient read leaves out the spans it would refuse and reports each, keeping the others") {
  auto span_text = [](std::string_view id, std::string_view fields) {
    return R"({"traceId":"0123456789abcdef0123456789abcdef","spanId":")" + std::string(id) + "\"" + std::string(fields) + "}";
  };
  const std::string text = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},)"
                           R"("scopeSpans":[{"spans":[)" +
                           span_text("0000000000000001", "") + ",\n" +
                           span_text("0000000000000002", R"(,"startTimeUnixNano":"10","endTimeUnixNano":"5")") + ",\n" +
                           span_text("0000000000000000", "") + ",\n" +
                           span_text("0000000000000004", R"(,"parentSpanId":"0000000000000004")") + ",\n" +
                           span_text("0000000000000005", R"(,"name":42)") + ",\n" +
                           R"({"spanId":"0000000000000006"})" + ",\n" + "7,\n" +
                           span_text("0000000000000008", "") + "]}]}]}";
  CHECK_THROWS_AS(otlp::read(text), trace::error);

  std::vector<span> kept;
  std::vector<refused_span> refused;
  const std::size_t n = otlp::read(text, [&kept](std::vector<span>&& batch) { kept = std::move(batch); },
                                   [&refused](refused_span&& r) { refused.push_back(std::move(r)); });
  CHECK(n == 2);
  REQUIRE(kept.size() == 2);
  CHECK(kept[0].id == span_id{1});
  CHECK(kept[1].id == span_id{8});
  CHECK(kept[1].resource.service_name == "shop");
  REQUIRE(refused.size() == 6);
  for (std::size_t i = 0; i < refused.size(); ++i) CHECK(refused[i].position == i + 1);
  CHECK_THAT(refused[0].reason, Catch::StartsWith("line 2, column 1: OTLP span: ends (5) before it starts (10)"));
  CHECK_THAT(refused[1].reason, Catch::StartsWith("line 3, column ") && Catch::Contains("OTLP span spanId") && Catch::Contains("at least one non-zero"));
  CHECK_THAT(refused[2].reason, Catch::Contains("line 4") && Catch::Contains("is its own parent"));
  CHECK_THAT(refused[3].reason, Catch::Contains("line 5") && Catch::Contains("span name: expected a string, found an integer"));
  CHECK_THAT(refused[4].reason, Catch::Contains("line 6") && Catch::Contains("has no traceId"));
  CHECK_THAT(refused[5].reason, Catch::Contains("line 7"));

  auto ignore = [](refused_span&&) {};
  auto drop = [](std::vector<span>&&) {};
  CHECK_THROWS_WITH(otlp::read(text.substr(0, text.size() - 3), drop, ignore), Catch::Contains("unexpected end of input"));
  CHECK_THROWS_WITH(otlp::read(R"({"resourceSpans":{}})", drop, ignore), Catch::Contains("expected '['"));
}

TEST_CASE("read_file names the file in its errors") {
  CHECK_THROWS_WITH(otlp::read_file("/nonexistent/trace.json"),
                    "i/o error: cannot open /nonexistent/trace.json: No such file or directory");
}

TEST_CASE("members may come in any order; null stands for empty") {
  std::vector<span> spans = otlp::read(R"({"resourceSpans":[{
    "scopeSpans":[{"spans":[{"spanId":"0123456789abcdef","traceId":"0123456789abcdef0123456789abcdef"}],"scope":{"name":"late-scope"}},
                  {"spans":null}],
    "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"late-resource"}}]}},
    {"scopeSpans":null}]})");
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].scope.name == "late-scope");
  CHECK(spans[0].resource.service_name == "late-resource");
  CHECK(spans[0].kind == span_kind::unspecified);
}

TEST_CASE("a file cut short anywhere is refused with a position, never half read") {
  std::string text = read_file_text(std::string(TRACE_TEST_DATA_DIR) + "/otel-js-sdk.json");
  std::size_t last_newline = text.find_last_not_of(" \n");
  int cuts = 0;
  for (std::size_t cut = 1; cut <= last_newline; cut += 37) {
    INFO("cut at byte " << cut);
    try {
      otlp::read(std::string_view(text).substr(0, cut));
      FAIL("a truncated request was accepted");
    } catch (const trace::error& e) {
      CHECK(e.code() == errc::parse_error);
      CHECK_THAT(e.what(), Catch::Matchers::StartsWith("parse error: line "));
    }
    ++cuts;
  }
  CHECK(cuts > 100);
}
