// The service dependency graph: edges from cross-service parent/child spans and from
// CLIENT spans naming an untraced peer, their statistics, and the DOT export.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/make_span.hpp"
#include "trace/analytics/service_graph.hpp"
#include "trace/store/memory.hpp"

using trace_test::make_span;
using trace::span_kind;

namespace {

trace::span kind(trace::span s, span_kind k) {
  s.kind = k;
  return s;
}

// Per trace: frontend (server) → frontend client span → checkout (server) → checkout
// client span → payments (server); checkout also queries an untraced "postgres".
// Trace 2 has a failing payment; trace 3 lost its root (the frontend span).
std::vector<trace::span> workload() {
  std::vector<trace::span> out;
  for (std::uint64_t t = 1; t <= 3; ++t) {
    std::uint64_t base = t * 100, ms = t * 10;
    bool failing = t == 2;
    if (t != 3) out.push_back(kind(make_span(t, base + 1, 0, "frontend", "GET /buy", 0, 100 + ms), span_kind::server));
    out.push_back(kind(make_span(t, base + 2, base + 1, "frontend", "call checkout", 1, 90 + ms), span_kind::client));
    out.push_back(kind(make_span(t, base + 3, base + 2, "checkout", "PlaceOrder", 2, 80 + ms), span_kind::server));
    out.push_back(kind(make_span(t, base + 4, base + 3, "checkout", "call payments", 3, 40 + ms), span_kind::client));
    out.push_back(kind(make_span(t, base + 5, base + 4, "payments", "Charge", 4, 30 + ms,
                                 failing ? trace::status_code::error : trace::status_code::unset),
                       span_kind::server));
    auto query = kind(make_span(t, base + 6, base + 3, "checkout", "SELECT", 50, 55), span_kind::client);
    query.attributes.set("peer.service", "postgres");
    out.push_back(query);
    out.push_back(make_span(t, base + 7, base + 3, "checkout", "validate", 56, 60));  // internal
  }
  return out;
}

const trace::service_edge& edge(const trace::service_graph& g, const std::string& from, const std::string& to) {
  for (const auto& e : g.edges)
    if (e.caller == from && e.callee == to) return e;
  FAIL("no edge " << from << " -> " << to);
  throw;
}

}  // namespace

TEST_CASE("edges join services that call each other, with calls, errors and latency") {
  trace::service_graph_options options;
  options.percentiles = trace::percentile_method::exact;
  auto graph = trace::build_service_graph(workload(), options);
  CHECK(graph.services == std::vector<std::string>{"checkout", "frontend", "payments", "postgres"});
  REQUIRE(graph.edges.size() == 3);

  const auto& fc = edge(graph, "frontend", "checkout");
  CHECK(fc.stats.count == 3);  // trace 3's client span is there even though its root is not
  CHECK(fc.stats.errors == 0);
  CHECK(fc.stats.max == 108 * trace::millisecond);  // callee side: PlaceOrder of trace 3

  const auto& cp = edge(graph, "checkout", "payments");
  CHECK(cp.stats.count == 3);
  CHECK(cp.stats.errors == 1);
  CHECK(cp.stats.error_rate == Approx(1.0 / 3));
  CHECK(cp.stats.p50 == 46 * trace::millisecond);  // 36, 46, 56 ms

  const auto& db = edge(graph, "checkout", "postgres");
  CHECK(db.stats.count == 3);
  CHECK(db.stats.p95 == 5 * trace::millisecond);
}

TEST_CASE("a client span with a traced callee is not counted again through its peer attribute") {
  auto spans = workload();
  for (auto& s : spans)
    if (s.name == "call payments") s.attributes.set("peer.service", "payments");
  auto graph = trace::build_service_graph(spans);
  CHECK(edge(graph, "checkout", "payments").stats.count == 3);
}

TEST_CASE("peer attributes can be switched off and spans without parents add no edge") {
  trace::service_graph_options options;
  options.peer_attribute.clear();
  auto graph = trace::build_service_graph(workload(), options);
  CHECK(graph.edges.size() == 2);
  CHECK(graph.services == std::vector<std::string>{"checkout", "frontend", "payments"});

  std::vector<trace::span> lonely = {make_span(1, 1, 0, "a", "x", 0, 1), make_span(1, 2, 99, "b", "y", 0, 1)};
  auto none = trace::build_service_graph(lonely);
  CHECK(none.edges.empty());
  CHECK(none.services.size() == 2);
}

TEST_CASE("the graph is built from a memory store's scan too") {
  trace::memory_store store;
  store.append(workload());
  auto graph = trace::build_service_graph(store.scan());
  CHECK(graph.edges.size() == 3);
  CHECK(edge(graph, "checkout", "payments").stats.errors == 1);
}

TEST_CASE("DOT export lists services and labelled edges") {
  std::vector<trace::span> spans = {
      kind(make_span(1, 1, 0, "web", "GET", 0, 50), span_kind::server),
      kind(make_span(1, 2, 1, "web", "call", 1, 40), span_kind::client),
      kind(make_span(1, 3, 2, "api \"v2\"", "Get", 2, 32, trace::status_code::error), span_kind::server),
  };
  trace::service_graph_options options;
  options.percentiles = trace::percentile_method::exact;
  CHECK(trace::to_dot(trace::build_service_graph(spans, options)) ==
        "digraph services {\n"
        "  rankdir=LR;\n"
        "  node [shape=box];\n"
        "  \"api \\\"v2\\\"\";\n"
        "  \"web\";\n"
        "  \"web\" -> \"api \\\"v2\\\"\" [label=\"1 calls, 100.0% errors, p95 30.0ms\"];\n"
        "}\n");
}
