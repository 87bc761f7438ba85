// TraceQL's meaning, construct by construct, on three small traces whose answers are worked
// out by hand below; every answer is checked on the memory store and on the mmap store.
#include <catch2/catch.hpp>
#include <trace/query/traceql.hpp>
#include <trace/query/traceql/metrics.hpp>
#include <trace/query/traceql/search.hpp>
#include <trace/store/memory.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "support/make_span.hpp"
#include "support/numbered.hpp"

using trace::span_kind;
using trace::status_code;
using trace_test::make_span;

namespace {

constexpr std::uint64_t base_ms = 1'000'000;

trace::span at(std::uint64_t trace, std::uint64_t id, std::uint64_t parent, const char* service, const char* name,
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
std::vector<trace::span> sample() {
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

struct stores {
  trace::memory_store memory;
  test_support::temp_dir dir;
  trace::mmap_store mmap{test_support::small_segment_options(dir)};
  stores() {
    memory.append(sample());
    mmap.append(sample());
  }
};

stores& shared() {
  static stores s;
  return s;
}

void check(std::string_view query, const answer& expected) {
  INFO("query: " << query);
  CHECK(run(shared().memory, query) == expected);
  CHECK(run(shared().mmap, query) == expected);
}

const std::vector<std::string> all_fetches = {"fetch-11", "fetch-12", "fetch-13", "fetch-14", "fetch-15", "fetch-16"};
std::vector<std::string> with(std::vector<std::string> a, std::vector<std::string> b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  return a;
}

}  // namespace

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

  trace::traceql_search_options options;
  options.spans_per_spanset = 2;
  auto traces = trace::search_traceql(shared().memory,
                                      trace::parse_traceql_query("{ service = \"cache\" || service = \"db\" } | by(resource.service.name) | select(span:id, .db.system)"),
                                      options);
  REQUIRE(traces.size() == 2);
  for (const auto& t : traces) {
    if (t.id.low() == 1) {
      CHECK(t.root_name == "GET /checkout");
      CHECK(t.root_service == "frontend");
      CHECK(t.duration == 1000 * trace::millisecond);
      REQUIRE(t.spansets.size() == 1);
      CHECK(t.spansets[0].by == std::vector<std::pair<std::string, std::string>>{{"resource.service.name", "db"}});
      CHECK(t.spansets[0].matched == 2);
      REQUIRE(t.spansets[0].selected.size() == 2);
      CHECK(t.spansets[0].selected[0] == std::vector<std::pair<std::string, std::string>>{
                                             {"span:id", "0000000000000003"}, {".db.system", "postgres"}});
    } else {
      CHECK(t.spansets[0].matched == 6);
      CHECK(t.spansets[0].spans.size() == 2);  // spans_per_spanset
    }
  }
}

TEST_CASE("the bare --where form runs as one spanset filter") {
  check("service = db && status = error", {{1, {"select-a"}}});
  check("(service = cache && !status = unset)", {{2, {"fetch-13"}}});
  check("", {{1, {"GET /checkout", "charge", "charge-inner", "checkout", "select-a", "select-b"}},
             {2, with({"GET /list"}, all_fetches)},
             {3, {"dup", "orphan", "work"}}});
}

TEST_CASE("search returns the newest traces first, at most `limit`") {
  trace::traceql_search_options options;
  options.limit = 2;
  auto traces = trace::search_traceql(shared().mmap, trace::parse_traceql_query("{ status = error }"), options);
  REQUIRE(traces.size() == 2);
  CHECK(traces[0].id.low() == 3);
  CHECK(traces[1].id.low() == 2);
  CHECK(traces[0].root_name.empty());  // an orphan is not a root span
  CHECK_THROWS_WITH(trace::search_traceql(shared().memory, trace::parse_traceql_query("{ } | rate()")),
                    Catch::Contains("metrics query"));
}

namespace {

using points = std::vector<std::pair<std::uint64_t, double>>;  // (ms after base, value)

template <class Store>
std::map<std::string, points> metrics(const Store& store, std::string_view query, bool exact = true) {
  trace::traceql_metrics_range range;
  range.start = base_ms * trace::millisecond;
  range.end = (base_ms + 1000) * trace::millisecond;
  range.step = 500 * trace::millisecond;
  range.exact_quantiles = exact;
  std::map<std::string, points> out;
  for (const auto& s : trace::traceql_metrics(store, trace::parse_traceql_query(query), range)) {
    std::string key;
    for (const auto& [k, v] : s.labels) key += k + "=" + v + ";";
    for (const auto& [t, v] : s.points) out[key].emplace_back(t / trace::millisecond - base_ms, v);
  }
  return out;
}

void check_metrics(std::string_view query, const std::map<std::string, points>& expected) {
  INFO("query: " << query);
  CHECK(metrics(shared().memory, query) == expected);
  CHECK(metrics(shared().mmap, query) == expected);
}

}  // namespace

// In [base, base + 1s) by 500 ms: trace 1's six spans start in the first step, trace 2's
// seven in the second; trace 3 starts after the range.
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

TEST_CASE("metrics: quantiles from the sketch are within its 1% relative error") {
  auto approximate = metrics(shared().memory, "{ service = \"db\" } | quantile_over_time(duration, 1)", false);
  REQUIRE(approximate.count("p=1;") == 1);
  CHECK(approximate["p=1;"][0].second == Approx(0.19).epsilon(0.01));
}

TEST_CASE("metrics refuse a query without a metrics function and a bad range") {
  trace::traceql_metrics_range range;
  range.start = 0;
  range.end = 10;
  range.step = 0;
  CHECK_THROWS_WITH(trace::traceql_metrics(shared().memory, trace::parse_traceql_query("{ } | rate()"), range),
                    Catch::Contains("step is 0"));
  range.step = 1;
  CHECK_THROWS_WITH(trace::traceql_metrics(shared().memory, trace::parse_traceql_query("{ }"), range),
                    Catch::Contains("no metrics function"));
  range.end = 1'000'000;
  CHECK_THROWS_WITH(trace::traceql_metrics(shared().memory, trace::parse_traceql_query("{ } | rate()"), range),
                    Catch::Contains("the limit is"));
}

TEST_CASE("a chain 3000 spans deep: structure in one pass, no recursion") {
  std::vector<trace::span> chain;
  for (std::uint64_t i = 1; i <= 3000; ++i)
    chain.push_back(at(9, i, i - 1, "deep", trace_test::numbered("s", i).c_str(), i, 10000 - i, span_kind::internal,
                       i == 3000 ? status_code::error : status_code::unset));
  trace::memory_store memory;
  memory.append(chain);
  test_support::temp_dir dir;
  trace::mmap_store mmap(test_support::small_segment_options(dir));
  mmap.append(chain);
  for (std::string_view q : {"{ name = \"s1\" } >> { status = error }", "{ status = error } << { name = \"s1\" }",
                             "{ childCount = 0 } << { } | count() = 2999"}) {
    INFO("query: " << q);
    const answer expected = std::string_view(q).find("count") != std::string_view::npos
                                ? answer{}
                                : answer{{9, {std::string(q).find("<<") != std::string::npos ? "s1" : "s3000"}}};
    if (expected.empty()) {
      CHECK(run(memory, q).at(9).size() == 2999);
      CHECK(run(mmap, q).at(9).size() == 2999);
    } else {
      CHECK(run(memory, q) == expected);
      CHECK(run(mmap, q) == expected);
    }
  }
}

TEST_CASE("queries that read spans one at a time skip the trees, and answer the same") {
  using trace::traceql::span_local;
  CHECK(span_local(trace::parse_traceql_query("{ service = \"db\" } | by(kind) | avg(duration) > 1ms | select(.x)")));
  CHECK(span_local(trace::parse_traceql_query("{ } | rate() by (name)")));
  CHECK_FALSE(span_local(trace::parse_traceql_query("{ } > { }")));
  CHECK_FALSE(span_local(trace::parse_traceql_query("{ } && { }")));
  CHECK_FALSE(span_local(trace::parse_traceql_query("{ childCount > 1 }")));
  CHECK_FALSE(span_local(trace::parse_traceql_query("{ } | { trace:rootName = \"x\" }")));
  CHECK_FALSE(span_local(trace::parse_traceql_query("{ } | rate() by (trace:rootService)")));
  // The same question, asked span-locally and through trees (a needless `&& { }`).
  check("{ service = \"db\" } | count() = 2", {{1, {"select-a", "select-b"}}});
  check("({ service = \"db\" } | count() = 2) && { service = \"db\" }", {{1, {"select-a", "select-b"}}});
}
