#include <catch2/catch.hpp>
#include <trace/query.hpp>
#include <trace/store/memory.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "support/make_span.hpp"

using namespace trace::where;
using trace::status_code;
using trace_test::make_span;

namespace {

std::vector<trace::span> sample() {
  auto a = make_span(1, 1, 0, "api", "GET /orders", 0, 120, status_code::ok);
  a.kind = trace::span_kind::server;
  a.attributes.set("http.status_code", std::int64_t{200});
  a.attributes.set("http.route", std::string("/orders"));
  a.resource.attributes.set("deployment", std::string("eu"));
  a.scope = {"http-server", "1.4.0", {}, 0};
  auto b = make_span(1, 2, 1, "db", "SELECT orders", 10, 60, status_code::error);
  b.kind = trace::span_kind::client;
  b.attributes.set("db.rows", 12.5);
  b.events.push_back({20, "exception", {{"exception.type", std::string("Timeout")}}, trace::event_level::error, 0});
  auto c = make_span(2, 3, 0, "api", "POST /orders", 200, 210);
  c.attributes.set("http.status_code", std::int64_t{503});
  c.links.push_back({trace_test::trace_n(1), trace::span_id{1}, "", {{"link.reason", std::string("retry")}}, 0});
  c.scope = {"http-server", "1.5.0", {}, 0};
  c.scope.attributes.set("otel.library", std::string("http"));
  return {a, b, c};
}

std::vector<std::uint64_t> hits(const trace::filter& f) {
  std::vector<std::uint64_t> ids;
  for (const auto& s : sample())
    if (trace::matches(f, s)) ids.push_back(s.id.value());
  return ids;
}

using ids = std::vector<std::uint64_t>;

}  // namespace

TEST_CASE("service, operation, status and kind filters") {
  CHECK(hits(service("api")) == ids{1, 3});
  CHECK(hits(service("API")).empty());
  CHECK(hits(operation("GET /orders")) == ids{1});
  CHECK(hits(operation_contains("orders")) == ids{1, 2, 3});
  CHECK(hits(operation_contains("SELECT")) == ids{2});
  CHECK(hits(status(status_code::error)) == ids{2});
  CHECK(hits(status(status_code::unset)) == ids{3});
  CHECK(hits(kind(trace::span_kind::client)) == ids{2});
  CHECK(hits(in_trace(trace_test::trace_n(2))) == ids{3});
  CHECK(hits(any()) == ids{1, 2, 3});
}

TEST_CASE("duration and start bounds are inclusive") {
  CHECK(hits(min_duration(50 * trace::millisecond)) == ids{1, 2});
  CHECK(hits(min_duration(50 * trace::millisecond + 1)) == ids{1});
  CHECK(hits(max_duration(10 * trace::millisecond)) == ids{3});
  CHECK(hits(max_duration(10 * trace::millisecond - 1)).empty());
  CHECK(hits(duration_between(10 * trace::millisecond, 50 * trace::millisecond)) == ids{2, 3});
  CHECK(hits(started_between(10 * trace::millisecond, 200 * trace::millisecond)) == ids{2, 3});
  CHECK(hits(started_between(11 * trace::millisecond, 199 * trace::millisecond)).empty());
}

TEST_CASE("attribute tests compare numbers as numbers and strings as strings") {
  CHECK(hits(attribute("http.status_code") == 200) == ids{1});
  CHECK(hits(attribute("http.status_code") >= 500) == ids{3});
  CHECK(hits(attribute("http.status_code") < 500) == ids{1});
  CHECK(hits(attribute("http.status_code") != 200) == ids{3});
  CHECK(hits(attribute("http.status_code") > 199.5) == ids{1, 3});
  CHECK(hits(attribute("db.rows") <= 12.5) == ids{2});
  CHECK(hits(attribute("db.rows") > 12) == ids{2});
  CHECK(hits(attribute("http.route") == "/orders") == ids{1});
  CHECK(hits(attribute("http.route").contains("ord")) == ids{1});
  CHECK(hits(attribute("http.route").contains("xyz")).empty());
  CHECK(hits(attribute("http.route").exists()) == ids{1});
  CHECK(hits(attribute("missing").exists()).empty());
  CHECK(hits(attribute("missing") != 1).empty());  // != needs the attribute to exist
}

TEST_CASE("a string query value matches a number by its string form, as Jaeger tags do") {
  CHECK(hits(attribute("http.status_code") == "503") == ids{3});
  CHECK(hits(attribute("db.rows") == "12.5") == ids{2});
  CHECK(hits(attribute("http.status_code") < "600").empty());  // ordering needs like types
}

TEST_CASE("attributes are looked up in resource, scope, event and link attributes") {
  CHECK(hits(attribute("deployment") == "eu") == ids{1});
  CHECK(hits(attribute("exception.type") == "Timeout") == ids{2});
  CHECK(hits(attribute("link.reason") == "retry") == ids{3});
  CHECK(hits(attribute("otel.library").exists()) == ids{3});
  CHECK(hits(attribute("deployment", trace::attribute_scope::span).exists()).empty());
  CHECK(hits(attribute("deployment", trace::attribute_scope::resource).exists()) == ids{1});
  CHECK(hits(attribute("exception.type", trace::attribute_scope::event).exists()) == ids{2});
}

TEST_CASE("regular expressions match whole names, services and string attributes") {
  CHECK(hits(operation_matches("(GET|POST) /orders")) == ids{1, 3});
  CHECK(hits(operation_matches("orders")).empty());
  CHECK(hits(operation_matches(".*orders")) == ids{1, 2, 3});
  CHECK(hits(service_matches("d.")) == ids{2});
  CHECK(hits(attribute("http.route").matches("/ord[a-z]+")) == ids{1});
  CHECK(hits(attribute("exception.type", trace::attribute_scope::event).matches("Time.*")) == ids{2});
  CHECK(hits(attribute("exception.type", trace::attribute_scope::span).matches("Time.*")).empty());
  CHECK(hits(attribute("http.status_code").matches("200")).empty());  // not text
  CHECK_THROWS_WITH(operation_matches("[a-"),
                    "parse error: regular expression \"[a-\" at character 1: missing ']' to close this '['");
  CHECK_THROWS_AS(operation_matches("(a)\\1"), trace::regex_error);
}

TEST_CASE("scope filters compare the instrumentation scope's name and version exactly") {
  CHECK(hits(scope_name("http-server")) == ids{1, 3});
  CHECK(hits(scope_name("")) == ids{2});  // b's scope gave no name: it is empty, and known
  CHECK(hits(scope_version("1.4.0")) == ids{1});
  CHECK(hits(scope_version("")) == ids{2});
  CHECK(hits(scope_name("http-server") && scope_version("1.5.0")) == ids{3});
  CHECK(hits(trace::filters::scope_is{"http-server", "1.5.0"}) == ids{3});
  CHECK(hits(trace::filters::scope_is{}) == ids{1, 2, 3});  // no part given: every scoped span
  // Near misses: the name matches and the version does not, and the other way round.
  CHECK(hits(trace::filters::scope_is{"http-server", "1.5"}).empty());
  CHECK(hits(trace::filters::scope_is{"http-client", "1.5.0"}).empty());
  CHECK(hits(scope_name("http-server") && scope_version("1.5.")).empty());
  CHECK(hits(scope_name("http")).empty());          // no prefix match
  CHECK(hits(scope_name("HTTP-SERVER")).empty());   // no case folding
  CHECK(hits(scope_name("otel.library")).empty());  // scope attributes are not its name
  CHECK(hits(!scope_version("1.4.0")) == ids{2, 3});
}

TEST_CASE("scope filters read borrowed spans the same way") {
  std::string name = "grpc", version = "2.0";
  trace::span_view view;
  view.trace = trace::trace_id{1, 2};
  view.id = trace::span_id{3};
  view.scope.name = name;
  view.scope.version = version;
  CHECK(trace::scope_name_of(view) == "grpc");
  CHECK(trace::scope_version_of(view) == "2.0");
  CHECK(trace::matches(scope_name("grpc") && scope_version("2.0"), view));
  CHECK_FALSE(trace::matches(scope_name("grpc") && scope_version("2.1"), view));
  CHECK_FALSE(trace::matches(scope_name("grpcx"), view));
}

TEST_CASE("filters combine with and, or, not") {
  CHECK(hits(service("api") && attribute("http.status_code") >= 500) == ids{3});
  CHECK(hits(service("db") || status(status_code::ok)) == ids{1, 2});
  CHECK(hits(!service("api")) == ids{2});
  CHECK(hits(!(service("api") || service("db"))).empty());
  CHECK(hits(service("api") && (operation("POST /orders") || status(status_code::ok)) && !kind(trace::span_kind::server)) ==
        ids{3});
  auto chained = service("api") && min_duration(1) && max_duration(200 * trace::millisecond);
  CHECK(std::get<trace::filters::all_of>(chained.get()).items.size() == 3);
}

TEST_CASE("span lists order, skip and limit") {
  auto spans = sample();
  CHECK(trace::count_matching(spans, service("api")) == 2);
  auto by = [&](trace::span_query q) {
    ids out;
    for (const auto& s : trace::select_spans(spans, q)) out.push_back(s.id.value());
    return out;
  };
  CHECK(by({}) == ids{1, 2, 3});
  CHECK(by({any(), trace::span_order::start_descending}) == ids{3, 2, 1});
  CHECK(by({any(), trace::span_order::duration_descending}) == ids{1, 2, 3});
  CHECK(by({any(), trace::span_order::start_ascending, 1, 1}) == ids{2});
  CHECK(by({any(), trace::span_order::none, 1}) == ids{2, 3});
  CHECK(by({any(), trace::span_order::none, 0, 2}) == ids{1, 2});
  CHECK(by({any(), trace::span_order::none, 5}).empty());
  CHECK(by({any(), trace::span_order::start_ascending, 0, 0}).empty());
}

TEST_CASE("flujo's get_spans(run, status, name) over a store") {
  trace::memory_store store;
  store.append(sample());
  auto spans = trace::select_spans(
      store.scan(), {in_trace(trace_test::trace_n(1)) && status(status_code::error) && operation("SELECT orders")});
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].id().value() == 2);
  CHECK(trace::count_matching(store.scan(), attribute("exception.type") == "Timeout") == 1);
}

TEST_CASE("a memory store's spans answer scope filters through the scan and through the columns") {
  trace::memory_store store;
  store.append(sample());
  auto first = *store.scan().begin();
  CHECK(trace::scope_name_of(first) == "http-server");
  CHECK(trace::scope_version_of(first) == "1.4.0");
  for (const auto& [f, expected] : std::vector<std::pair<trace::filter, std::size_t>>{
           {scope_name("http-server"), 2},
           {scope_version("1.5.0"), 1},
           {scope_name("http-server") && scope_version("1.5.0"), 1},
           {scope_name("http-server") && scope_version("1.6.0"), 0},
           {scope_name(""), 1},
           {scope_name("nobody"), 0}}) {
    CHECK(trace::count_matching(store.scan(), f) == expected);  // span_ref, generic
    CHECK(trace::count_matching(store, f) == expected);         // compiled row filter
  }
}

TEST_CASE("a filter nests at most filter::max_depth levels, whichever way it is built") {
  const auto spans = sample();
  // Build up to the limit, tracking what each span should answer: g = !(f && service = api).
  trace::filter f = status(status_code::ok);
  std::vector<bool> expected;
  for (const auto& s : spans) expected.push_back(s.status.code == status_code::ok);
  while (f.depth() + 2 <= trace::filter::max_depth) {
    f = !(std::move(f) && service("api"));
    for (std::size_t i = 0; i < spans.size(); ++i) expected[i] = !(expected[i] && trace::service_of(spans[i]) == "api");
  }
  while (f.depth() < trace::filter::max_depth) {
    f = !std::move(f);
    expected.flip();
  }
  CHECK(f.depth() == trace::filter::max_depth);
  for (std::size_t i = 0; i < spans.size(); ++i) CHECK(trace::matches(f, spans[i]) == expected[i]);
  trace::memory_store store;
  store.append(spans);
  CHECK(trace::count_matching(store, f) == static_cast<std::size_t>(std::count(expected.begin(), expected.end(), true)));
  const trace::filter copy = f;
  CHECK(trace::matches(copy, spans[0]) == expected[0]);

  const std::string refusal = "invalid argument: a filter nested " + std::to_string(trace::filter::max_depth + 1) +
                              " levels deep; the limit is " + std::to_string(trace::filter::max_depth);
  auto refuses = [&refusal](auto&& build) {
    try {
      build();
      FAIL("a filter deeper than the limit was built");
    } catch (const trace::error& e) {
      CHECK(e.code() == trace::errc::invalid_argument);
      CHECK(std::string(e.what()) == refusal);
    }
  };
  refuses([&] { return !f; });
  refuses([&] { return f && any(); });
  refuses([&] { return (any() && any()) && f; });  // appended to an existing `and`
  refuses([&] { return any() || f; });
  refuses([&] { return trace::filter(trace::filters::any_of{{any(), f}}); });
  refuses([&] { return trace::filter(trace::filters::negation{std::make_shared<const trace::filter>(f)}); });
}

TEST_CASE("&& and || append to a chain in place, so long chains build in linear time") {
  trace::filter ands = service("api"), ors = service("api");
  for (int i = 0; i < 200000; ++i) {  // quadratic copying would not finish
    ands = std::move(ands) && min_duration(i * trace::second);
    ors = std::move(ors) || min_duration(i * trace::second);
  }
  CHECK(std::get<trace::filters::all_of>(ands.get()).items.size() == 200001);
  CHECK(std::get<trace::filters::any_of>(ors.get()).items.size() == 200001);
  CHECK(ands.depth() == 2);
  const auto spans = sample();
  CHECK_FALSE(trace::matches(ands, spans[0]));  // shorter than 199,999 s
  CHECK(trace::matches(ors, spans[0]));
}
