#pragma once
// TraceQL on a ClickHouse deployment, one server or a cluster. The hand-worked conformance
// cases (support/traceql_conformance_cases.hpp) run on the store with its SQL push-down,
// and every answer is also compared whole with the generic path over the same table: the
// same traces in the same order (at limits 1, 2 and 100), roots, times, spansets; the same
// series. Then: the push-down really leaves traces out, and hostile strings in a query
// neither break nor inject SQL. Included after store_test_list.hpp (scratch_store).

#include <catch2/catch.hpp>

#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "../support/traceql_conformance_cases.hpp"
#include "trace/query/traceql.hpp"
#include "trace/query/traceql/candidates.hpp"
#include "trace/query/traceql/metrics.hpp"
#include "trace/query/traceql/pushed_candidates.hpp"
#include "trace/query/traceql/search.hpp"
#include "generic_view.hpp"
#include "trace/store/clickhouse.hpp"

namespace trace_test {

static_assert(trace::traceql::pushes_down_traceql<trace::clickhouse_store>);
static_assert(!trace::traceql::pushes_down_traceql<generic_view>);

// A table holding the conformance traces, made on first use, dropped at exit.
inline trace::clickhouse_store& traceql_store() {
  static scratch_store store;
  static const bool filled = (store->append(traceql_conformance::sample()), true);
  (void)filled;
  return *store;
}

// Everything a search returns, in order, as text.
template <class Span>
std::string described(const std::vector<trace::traceql_trace<Span>>& traces) {
  std::ostringstream out;
  for (const auto& t : traces) {
    out << t.id.to_hex() << ' ' << t.root_service << '/' << t.root_name << ' ' << t.start << '+' << t.duration << ':';
    for (const auto& set : t.spansets) {
      out << " [" << set.matched;
      for (const auto& [k, v] : set.by) out << ' ' << k << '=' << v;
      for (const auto& s : set.spans) out << ' ' << trace::span_id_of(s).to_hex();
      out << ']';
    }
    out << '\n';
  }
  return out.str();
}

inline std::string described(const std::vector<trace::traceql_series>& series) {
  std::ostringstream out;
  for (const auto& s : series) {
    for (const auto& [k, v] : s.labels) out << k << '=' << v << ';';
    for (const auto& [t, v] : s.points) out << ' ' << t << ':' << v;
    out << '\n';
  }
  return out.str();
}

inline traceql_conformance::answer pushed_search(std::string_view query) {
  const auto q = trace::parse_traceql_query(query);
  for (std::size_t limit : {1, 2, 100}) {
    INFO("limit " << limit);
    trace::traceql_search_options options;
    options.limit = limit;
    options.spans_per_spanset = 100000;
    CHECK(described(trace::search_traceql(traceql_store(), q, options)) ==
          described(trace::search_traceql(generic_view(traceql_store()), q, options)));
  }
  return traceql_conformance::run(traceql_store(), query);
}

inline traceql_conformance::series pushed_metrics(std::string_view query) {
  const auto q = trace::parse_traceql_query(query);
  const auto range = traceql_conformance::sample_range();
  CHECK(described(trace::traceql_metrics(traceql_store(), q, range)) ==
        described(trace::traceql_metrics(generic_view(traceql_store()), q, range)));
  return traceql_conformance::metrics(traceql_store(), query);
}

inline const traceql_conformance::registration clickhouse_traceql{{"clickhouse", pushed_search, pushed_metrics}};

// The trace numbers whose spans the push-down reads for `query`.
inline std::set<std::uint64_t> pushed_traces(const trace::clickhouse_store& store, std::string_view query) {
  const auto q = trace::parse_traceql_query(query);
  const trace::filter candidates = trace::traceql::candidate_filter(q);
  std::set<std::uint64_t> out;
  for (const trace::span& s : store.push_down(trace::traceql::candidate_spans_request{q, candidates})) out.insert(s.trace.low());
  return out;
}

}  // namespace trace_test

TEST_CASE("clickhouse traceql: the SQL leaves out the traces that cannot answer") {
  using trace_test::pushed_traces;
  const trace::clickhouse_store& store = trace_test::traceql_store();
  CHECK(pushed_traces(store, "{ }") == std::set<std::uint64_t>{1, 2, 3});
  CHECK(pushed_traces(store, "{ status = error }") == std::set<std::uint64_t>{1, 2, 3});
  CHECK(pushed_traces(store, "{ status = error } && { service = \"cache\" }") == std::set<std::uint64_t>{2});
  CHECK(pushed_traces(store, "{ kind = server } > { service = \"db\" }") == std::set<std::uint64_t>{1});
  CHECK(pushed_traces(store, "{ } | count() > 5") == std::set<std::uint64_t>{1, 2});
  CHECK(pushed_traces(store, "{ trace:duration > 500ms }") == std::set<std::uint64_t>{1});
  CHECK(pushed_traces(store, "{ trace:rootName = \"GET /list\" && status = error }") == std::set<std::uint64_t>{2});
  CHECK(pushed_traces(store, "{ name =~ \"fetch-1[23]\" }") == std::set<std::uint64_t>{2});
  CHECK(pushed_traces(store, "{ span.http.status_code >= 200 && kind = server }") == std::set<std::uint64_t>{1});
  CHECK(pushed_traces(store, "{ .region = \"local\" } | rate()") == std::set<std::uint64_t>{1});
  CHECK(pushed_traces(store, "{ childCount > 100 }") == std::set<std::uint64_t>{1, 2, 3});  // not pushed: all read
}

TEST_CASE("clickhouse traceql: hostile names and values in a query find their spans and inject nothing") {
  scratch_store store;
  const std::vector<std::string> hostile = {"O'Brien", "back\\slash\\", "x' OR 1=1 --", "'); DROP TABLE t; --",
                                            "line\nbreak", "`tick`"};
  std::vector<trace::span> spans;
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    auto s = trace_test::make_span(100 + i, 1, 0, hostile[i], hostile[i], 1000, 1001);
    s.attributes.set(hostile[i], hostile[i]);
    spans.push_back(s);
  }
  store->append(spans);
  auto literal = [](const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') out += "\\n";
      else out += c;
    }
    return out + "\"";
  };
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    INFO("text: " << hostile[i]);
    const std::string v = literal(hostile[i]);
    for (const std::string& query : {"{ name = " + v + " }", "{ span." + v + " = " + v + " }",
                                     "{ resource.service.name = " + v + " } && { span." + v + " != nil }"}) {
      INFO("query: " << query);
      CHECK(trace_test::pushed_traces(*store, query) == std::set<std::uint64_t>{100 + i});
      const auto found = trace::search_traceql(*store, trace::parse_traceql_query(query));
      REQUIRE(found.size() == 1);
      CHECK(found[0].id.low() == 100 + i);
    }
  }
  CHECK(store->size() == hostile.size());  // nothing dropped, nothing added
}
