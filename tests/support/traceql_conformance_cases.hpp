#pragma once
// TraceQL's meaning, construct by construct, on three small traces whose answers are worked
// out by hand below. The cases run on every store a test program registers
// (`traceql_conformance::store_under_test`): the memory and mmap stores in
// unit-traceql-conformance, ClickHouse (SQL push-down beside the generic path) in
// unit-clickhouse-server and unit-clickhouse-cluster.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <trace/query/traceql.hpp>
#include <trace/query/traceql/metrics.hpp>
#include <trace/query/traceql/search.hpp>

#include "make_span.hpp"

namespace traceql_conformance {

using trace::span_kind;
using trace::status_code;
using trace_test::make_span;

inline constexpr std::uint64_t base_ms = 1'000'000;

inline trace::span at(std::uint64_t trace, std::uint64_t id, std::uint64_t parent, const char* service, const char* name,
               std::uint64_t start, std::uint64_t end, span_kind kind, status_code status = status_code::unset) {
  auto s = make_span(trace, id, parent, service, name, base_ms + start, base_ms + end, status);
  s.kind = kind;
  return s;
}

// Trace 1, deep:                       Trace 2, wide:             Trace 3, broken:
//   1 GET /checkout  frontend server     10 GET /list api server     20 orphan x server error (parent 99 absent)
//   └ 2 checkout     checkout server     ├ 11..16 fetch-11..16         └ 21 work x internal
//     ├ 3 select-a   db client error     │   cache client              21 dup x internal error (id repeated)
//     ├ 4 select-b   db client ok        └ (13 is an error)
//     └ 5 charge     payment client
//       └ 6 charge-inner payment internal error
inline std::vector<trace::span> sample() {
  std::vector<trace::span> out;
  out.push_back(at(1, 1, 0, "frontend", "GET /checkout", 0, 1000, span_kind::server));
  out.back().attributes.set("http.status_code", std::int64_t{200});
  out.push_back(at(1, 2, 1, "checkout", "checkout", 10, 900, span_kind::server));
  out.push_back(at(1, 3, 2, "db", "select-a", 20, 100, span_kind::client, status_code::error));
  out.back().attributes.set("db.system", std::string("postgres"));
  out.push_back(at(1, 4, 2, "db", "select-b", 110, 300, span_kind::client, status_code::ok));
  out.back().attributes.set("tags", std::vector<std::string>{"a", "b"});
  out.push_back(at(1, 5, 2, "payment", "charge", 310, 800, span_kind::client));
  out.back().events.push_back(trace::event{(base_ms + 400) * trace::millisecond, "retry", {}, {}, 0});
  out.back().resource.attributes.set("region", std::string("eu"));
  out.push_back(at(1, 6, 5, "payment", "charge-inner", 320, 790, span_kind::internal, status_code::error));
  out.back().resource.attributes.set("region", std::string("eu"));
  out.back().attributes.set("region", std::string("local"));
  out.push_back(at(2, 10, 0, "api", "GET /list", 600, 650, span_kind::server));
  for (std::uint64_t i = 11; i <= 16; ++i)
    out.push_back(at(2, i, 10, "cache", ("fetch-" + std::to_string(i)).c_str(), 600 + i - 10, 605 + i - 10,
                     span_kind::client, i == 13 ? status_code::error : status_code::unset));
  out.push_back(at(3, 20, 99, "x", "orphan", 2000, 2100, span_kind::server, status_code::error));
  out.push_back(at(3, 21, 20, "x", "work", 2010, 2020, span_kind::internal));
  out.push_back(at(3, 21, 20, "x", "dup", 2030, 2040, span_kind::internal, status_code::error));
  return out;
}

// Trace number -> names of the matching spans (all spansets), sorted.
using answer = std::map<std::uint64_t, std::vector<std::string>>;
// Series labels ("k=v;" each) -> (ms after base, value) points.
using points = std::vector<std::pair<std::uint64_t, double>>;
using series = std::map<std::string, points>;

template <class Store>
answer run(const Store& store, std::string_view query) {
  trace::traceql_search_options options;
  options.limit = 100;
  options.spans_per_spanset = 100000;
  answer out;
  for (const auto& t : trace::search_traceql(store, trace::parse_traceql_query(query), options)) {
    auto& names = out[t.id.low()];
    for (const auto& set : t.spansets)
      for (const auto& s : set.spans) names.emplace_back(trace::name_of(s));
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
  }
  return out;
}

// In [base, base + 1s) by 500 ms.
inline trace::traceql_metrics_range sample_range(bool exact = true) {
  trace::traceql_metrics_range range;
  range.start = base_ms * trace::millisecond;
  range.end = (base_ms + 1000) * trace::millisecond;
  range.step = 500 * trace::millisecond;
  range.exact_quantiles = exact;
  return range;
}

template <class Store>
series metrics(const Store& store, std::string_view query, bool exact = true) {
  series out;
  for (const auto& s : trace::traceql_metrics(store, trace::parse_traceql_query(query), sample_range(exact))) {
    std::string key;
    for (const auto& [k, v] : s.labels) key += k + "=" + v + ";";
    for (const auto& [t, v] : s.points) out[key].emplace_back(t / trace::millisecond - base_ms, v);
  }
  return out;
}

// A store holding sample(), as the cases see it. The functions build their store on first
// use, so a program that registers several pays only for those its cases reach.
struct store_under_test {
  const char* name;
  answer (*search)(std::string_view query);
  series (*metrics)(std::string_view query);
};

inline std::vector<store_under_test>& stores() {
  static std::vector<store_under_test> all;
  return all;
}

// Registers a store at namespace scope: `const traceql_conformance::registration r{{...}};`
struct registration {
  explicit registration(store_under_test s) { stores().push_back(s); }
};

inline void check(std::string_view query, const answer& expected) {
  INFO("query: " << query);
  REQUIRE_FALSE(stores().empty());
  for (const store_under_test& s : stores()) {
    INFO("store: " << s.name);
    CHECK(s.search(query) == expected);
  }
}

inline void check_metrics(std::string_view query, const series& expected) {
  INFO("query: " << query);
  REQUIRE_FALSE(stores().empty());
  for (const store_under_test& s : stores()) {
    INFO("store: " << s.name);
    CHECK(s.metrics(query) == expected);
  }
}

inline const std::vector<std::string> all_fetches = {"fetch-11", "fetch-12", "fetch-13", "fetch-14", "fetch-15", "fetch-16"};
inline std::vector<std::string> with(std::vector<std::string> a, std::vector<std::string> b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  return a;
}


TEST_CASE("a spanset filter selects the spans that pass it, in every trace") {
  check("{ status = error }", {{1, {"charge-inner", "select-a"}}, {2, {"fetch-13"}}, {3, {"dup", "orphan"}}});
  check("{ }", {{1, {"GET /checkout", "charge", "charge-inner", "checkout", "select-a", "select-b"}},
                {2, with({"GET /list"}, all_fetches)},
                {3, {"dup", "orphan", "work"}}});
  check("{ kind = client && status != error && service = \"db\" }", {{1, {"select-b"}}});
  check("{ name =~ \"select-.*\" }", {{1, {"select-a", "select-b"}}});
  check("{ name !~ \"fetch-.*|GET.*|select.*|charge.*|checkout\" }", {{3, {"dup", "orphan", "work"}}});
  check("{ statusMessage = \"\" && name = \"work\" }", {{3, {"work"}}});
}

TEST_CASE("intrinsics of the span, its place in the tree and its trace") {
  check("{ childCount > 2 }", {{1, {"checkout"}}, {2, {"GET /list"}}});
  check("{ childCount = 0 && service = \"x\" }", {{3, {"dup", "work"}}});  // the duplicate is outside the tree
  check("{ trace:rootName = \"GET /list\" && status = error }", {{2, {"fetch-13"}}});
  check("{ rootServiceName = \"frontend\" && duration > 800ms }", {{1, {"GET /checkout", "checkout"}}});
  check("{ trace:duration > 500ms && kind = client }", {{1, {"charge", "select-a", "select-b"}}});
  check("{ trace:duration < 100ms && kind = server }", {{2, {"GET /list"}}});
  check("{ span:id = \"000000000000000d\" }", {{2, {"fetch-13"}}});
  check("{ span:parentID = \"0000000000000005\" }", {{1, {"charge-inner"}}});
  check("{ trace:id = \"0000000000000abc0000000000000003\" && name = \"work\" }", {{3, {"work"}}});
  check("{ event:name = \"retry\" }", {{1, {"charge"}}});
  check("{ event:timeSinceStart > 80ms }", {{1, {"charge"}}});
  check("{ event:timeSinceStart > 100ms }", {});
}

TEST_CASE("an orphan is a root and a repeated span id stands in no relation") {
  check("{ kind = server } > { }", {{1, {"charge", "checkout", "select-a", "select-b"}}, {2, all_fetches}, {3, {"work"}}});
  check("{ } > { name = \"orphan\" }", {});
  check("{ name = \"orphan\" } >> { status = error }", {});  // dup has the orphan as parent id, but is no child
}

TEST_CASE("attributes: scopes, nil, arrays") {
  check("{ span.db.system = \"postgres\" }", {{1, {"select-a"}}});
  check("{ .db.system != nil }", {{1, {"select-a"}}});
  check("{ .db.system = nil && service = \"db\" }", {{1, {"select-b"}}});
  check("{ span.tags = \"b\" }", {{1, {"select-b"}}});
  check("{ span.tags != \"b\" }", {});
  check("{ span.tags != \"c\" }", {{1, {"select-b"}}});
  check("{ span.tags =~ \"[ab]\" }", {{1, {"select-b"}}});
  check("{ resource.region = \"eu\" }", {{1, {"charge", "charge-inner"}}});
  check("{ .region = \"eu\" }", {{1, {"charge"}}});  // unscoped: the span's own value wins
  check("{ span.region = \"local\" }", {{1, {"charge-inner"}}});
  check("{ resource.service.name = \"payment\" }", {{1, {"charge", "charge-inner"}}});
  check("{ .http.status_code >= 200 && .http.status_code < 300 }", {{1, {"GET /checkout"}}});
  check("{ span.http.status_code = 200.0 }", {{1, {"GET /checkout"}}});
  check("{ span.http.status_code != 200 }", {});  // absent is not "unequal"
}

TEST_CASE("arithmetic on fields") {
  check("{ duration * 2 > 1s }", {{1, {"GET /checkout", "checkout"}}});
  check("{ duration - 10ms = 40ms }", {{2, {"GET /list"}}});
  check("{ .http.status_code / 100 = 2 }", {{1, {"GET /checkout"}}});
  check("{ .http.status_code % 7 = 4 && 2 ^ 3 = 8 }", {{1, {"GET /checkout"}}});
  check("{ 2 ^ 3 ^ 2 = 512 && name = \"work\" }", {{3, {"work"}}});  // ^ binds right to left
  check("{ -duration < -800ms }", {{1, {"GET /checkout", "checkout"}}});
  check("{ (duration + duration) / 2 = duration && name = \"work\" }", {{3, {"work"}}});
}

TEST_CASE("structural operators return the right side's spans; & forms both sides; ! forms the rest") {
  check("{ kind = server } > { kind = client }", {{1, {"charge", "select-a", "select-b"}}, {2, all_fetches}});
  check("{ kind = server } >> { status = error }", {{1, {"charge-inner", "select-a"}}, {2, {"fetch-13"}}});
  check("{ status = error } < { kind = server }", {{1, {"checkout"}}, {2, {"GET /list"}}});
  check("{ status = error } << { }", {{1, {"GET /checkout", "charge", "checkout"}}, {2, {"GET /list"}}});
  check("{ name = \"select-a\" } ~ { }", {{1, {"charge", "select-b"}}});
  check("{ name = \"fetch-11\" } ~ { status = error }", {{2, {"fetch-13"}}});
  check("{ name = \"checkout\" } &> { status = error }", {{1, {"checkout", "select-a"}}});
  check("{ name = \"checkout\" } &>> { status = error }", {{1, {"charge-inner", "checkout", "select-a"}}});
  check("{ name = \"charge-inner\" } &< { kind = client }", {{1, {"charge", "charge-inner"}}});
  check("{ name = \"charge-inner\" } &<< { kind = server }", {{1, {"GET /checkout", "charge-inner", "checkout"}}});
  check("{ name = \"select-a\" } &~ { name = \"charge\" }", {{1, {"charge", "select-a"}}});
  check("{ name = \"checkout\" } !> { }",
        {{1, {"GET /checkout", "charge-inner", "checkout"}}, {2, with({"GET /list"}, all_fetches)}, {3, {"dup", "orphan", "work"}}});
  check("{ name = \"checkout\" } !>> { service = \"payment\" }", {});
  check("{ name = \"charge-inner\" } !<< { service = \"payment\" }", {{1, {"charge-inner"}}});
  check("{ kind = client } !< { kind = server }", {{1, {"GET /checkout"}}, {3, {"orphan"}}});
  check("{ name = \"select-a\" } !~ { service = \"db\" }", {{1, {"select-a"}}});
  // Chains fold left: (a > b) > c.
  check("{ name = \"GET /checkout\" } > { } > { }", {{1, {"charge", "select-a", "select-b"}}});
  check("{ kind = server } >> ({ kind = client } > { status = error })", {{1, {"charge-inner"}}});
}

TEST_CASE("&& between spansets needs both, and returns both; || either") {
  check("{ status = error } && { service = \"cache\" }", {{2, all_fetches}});
  check("{ service = \"payment\" } || { service = \"cache\" }", {{1, {"charge", "charge-inner"}}, {2, all_fetches}});
  check("{ service = \"nope\" } && { }", {});
  check("{ name = \"work\" } || { name = \"nope\" } && { }", {{3, {"work"}}});  // && binds tighter
}

TEST_CASE("pipelines: filters, aggregates, by, coalesce, select") {
  check("{ } | count() > 5", {{1, {"GET /checkout", "charge", "charge-inner", "checkout", "select-a", "select-b"}},
                             {2, with({"GET /list"}, all_fetches)}});
  check("{ service = \"db\" } | avg(duration) > 100ms", {{1, {"select-a", "select-b"}}});
  check("{ service = \"db\" } | avg(duration) > 150ms", {});
  check("{ service = \"cache\" } | sum(duration) = 30ms", {{2, all_fetches}});
  check("{ service = \"cache\" } | min(duration) >= 5ms", {{2, all_fetches}});
  check("{ } | { status = error }", {{1, {"charge-inner", "select-a"}}, {2, {"fetch-13"}}, {3, {"dup", "orphan"}}});
  check("{ } | by(resource.service.name) | count() > 1",
        {{1, {"charge", "charge-inner", "select-a", "select-b"}}, {2, all_fetches}, {3, {"dup", "orphan", "work"}}});
  check("({ service = \"db\" } | count() = 2) && { name = \"charge\" }", {{1, {"charge", "select-a", "select-b"}}});
  check("{ } | by(kind) | coalesce() | count() = 3", {{3, {"dup", "orphan", "work"}}});
  check("{ service = \"cache\" } | by(span:id) | count() = 1 | { status = error }", {{2, {"fetch-13"}}});
  check("{ } | by(kind) | { kind = server } > { }", {{1, {"checkout"}}});  // structure within each spanset

}

TEST_CASE("the bare --where form runs as one spanset filter") {
  check("service = db && status = error", {{1, {"select-a"}}});
  check("(service = cache && !status = unset)", {{2, {"fetch-13"}}});
  check("", {{1, {"GET /checkout", "charge", "charge-inner", "checkout", "select-a", "select-b"}},
             {2, with({"GET /list"}, all_fetches)},
             {3, {"dup", "orphan", "work"}}});
}

// Trace 1's six spans start in the first step, trace 2's seven in the second; trace 3
// starts after the range.
TEST_CASE("metrics: counts, rates and values per step and label set") {
  check_metrics("{ } | count_over_time() by (resource.service.name)",
                {{"resource.service.name=api;", {{0, 0}, {500, 1}}},
                 {"resource.service.name=cache;", {{0, 0}, {500, 6}}},
                 {"resource.service.name=checkout;", {{0, 1}, {500, 0}}},
                 {"resource.service.name=db;", {{0, 2}, {500, 0}}},
                 {"resource.service.name=frontend;", {{0, 1}, {500, 0}}},
                 {"resource.service.name=payment;", {{0, 2}, {500, 0}}}});
  check_metrics("{ status = error } | rate()", {{"", {{0, 4}, {500, 2}}}});  // 2 and 1 errors per 0.5 s
  check_metrics("{ service = \"db\" } | sum_over_time(duration)", {{"", {{0, 0.27}}}});
  check_metrics("{ service = \"db\" } | min_over_time(duration)", {{"", {{0, 0.08}}}});
  check_metrics("{ service = \"db\" } | max_over_time(duration)", {{"", {{0, 0.19}}}});
  check_metrics("{ service = \"db\" } | avg_over_time(duration)", {{"", {{0, 0.135}}}});
  check_metrics("{ service = \"db\" } | quantile_over_time(duration, .5, 1)",
                {{"p=0.5;", {{0, 0.08}}}, {"p=1;", {{0, 0.19}}}});
  check_metrics("{ service = \"db\" } | histogram_over_time(duration)",
                {{"__bucket=0.125;", {{0, 1}}}, {"__bucket=0.25;", {{0, 1}}}});
  check_metrics("{ kind = server } > { } | count_over_time() by (kind, name)",
                {{"kind=client;name=charge;", {{0, 1}, {500, 0}}},
                 {"kind=client;name=fetch-11;", {{0, 0}, {500, 1}}},
                 {"kind=client;name=fetch-12;", {{0, 0}, {500, 1}}},
                 {"kind=client;name=fetch-13;", {{0, 0}, {500, 1}}},
                 {"kind=client;name=fetch-14;", {{0, 0}, {500, 1}}},
                 {"kind=client;name=fetch-15;", {{0, 0}, {500, 1}}},
                 {"kind=client;name=fetch-16;", {{0, 0}, {500, 1}}},
                 {"kind=client;name=select-a;", {{0, 1}, {500, 0}}},
                 {"kind=client;name=select-b;", {{0, 1}, {500, 0}}},
                 {"kind=server;name=checkout;", {{0, 1}, {500, 0}}}});
}

TEST_CASE("metrics: topk and bottomk keep the k series ranked at each step") {
  check_metrics("{ } | count_over_time() by (resource.service.name) | topk(1)",
                {{"resource.service.name=db;", {{0, 2}}}, {"resource.service.name=cache;", {{500, 6}}}});
  check_metrics("{ } | count_over_time() by (resource.service.name) | bottomk(1)",
                {{"resource.service.name=api;", {{0, 0}}}, {"resource.service.name=checkout;", {{500, 0}}}});
}

}  // namespace traceql_conformance
