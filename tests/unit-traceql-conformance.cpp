// TraceQL's meaning on the memory store and the mmap store: the case list of
// support/traceql_conformance_cases.hpp (answers worked out by hand) on both, and what
// only the library's own stores show (search options, metrics errors, deep chains).
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
#include "support/traceql_conformance_cases.hpp"

using trace::span_kind;
using trace::status_code;
using traceql_conformance::answer;
using traceql_conformance::at;
using traceql_conformance::base_ms;
using traceql_conformance::check;
using traceql_conformance::metrics;
using traceql_conformance::run;

namespace {

struct stores {
  trace::memory_store memory;
  test_support::temp_dir dir;
  trace::mmap_store mmap{test_support::small_segment_options(dir)};
  stores() {
    memory.append(traceql_conformance::sample());
    mmap.append(traceql_conformance::sample());
  }
};

stores& shared() {
  static stores s;
  return s;
}

const traceql_conformance::registration memory_store{
    {"memory", [](std::string_view q) { return run(shared().memory, q); },
     [](std::string_view q) { return metrics(shared().memory, q); }}};
const traceql_conformance::registration mmap_store{
    {"mmap", [](std::string_view q) { return run(shared().mmap, q); },
     [](std::string_view q) { return metrics(shared().mmap, q); }}};

}  // namespace

TEST_CASE("pipelines: search returns the by() labels, the select()ed fields and at most spans_per_spanset spans") {
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
