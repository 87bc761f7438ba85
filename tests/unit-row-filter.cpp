// The row filter over the memory store must answer exactly as the generic evaluation.

#include <catch2/catch.hpp>
#include <trace/query.hpp>
#include <trace/store/memory.hpp>

#include <random>
#include <vector>

#include "support/make_span.hpp"

using namespace trace::where;
using trace::status_code;

namespace {

trace::memory_store random_store(std::mt19937_64& random) {
  const char* services[] = {"api", "db", "cache"};
  const char* names[] = {"GET /a", "GET /b", "query", "get"};
  const trace::scope scopes[] = {{"http", "1.0", {}, 0}, {"http", "1.1", {}, 0}, {"sql", "1.0", {}, 0}, {}};
  std::vector<trace::span> spans;
  for (std::uint64_t i = 1; i <= 3000; ++i) {
    auto s = trace_test::make_span(1 + random() % 200, i, random() % 3 ? i - 1 : 0, services[random() % 3],
                                   names[random() % 4], random() % 1000, 0);
    s.end = s.start + random() % 500 * trace::millisecond;
    s.status.code = static_cast<status_code>(random() % 3);
    s.kind = static_cast<trace::span_kind>(random() % 6);
    if (random() % 2) s.attributes.set("code", static_cast<std::int64_t>(random() % 600));
    if (random() % 3 == 0) s.attributes.set("tenant", std::string(random() % 2 ? "acme" : "globex"));
    if (random() % 4 == 0)  // longer than memory_store::short_text: compared by bytes, not by id
      s.attributes.set("tenant", std::string(random() % 2 ? 40 : 41, 'x'));
    if (random() % 6 == 0) s.attributes.set("label", std::string(random() % 2 ? "404" : "ok"));
    if (random() % 5 == 0) s.resource.attributes.set("region", std::string("eu"));
    s.scope = scopes[random() % 4];
    if (random() % 7 == 0) s.events.push_back({s.start, "log", {{"code", std::int64_t{404}}}, std::nullopt, 0});
    if (random() % 4 == 0) s.scope.attributes.set("lib.flavour", std::string(random() % 2 ? "lite" : "full"));
    if (random() % 9 == 0) s.links.push_back({trace_test::trace_n(1), trace::span_id{1}, "", {{"tenant", std::string("acme")}}, 0});
    spans.push_back(std::move(s));
  }
  trace::memory_store store;
  store.append(spans);
  return store;
}

std::vector<trace::filter> leaves() {
  return {any(),
          service("api"),
          service("nobody"),
          operation("query"),
          operation("missing"),
          operation_contains("GET"),
          status(status_code::error),
          kind(trace::span_kind::client),
          min_duration(250 * trace::millisecond),
          duration_between(100 * trace::millisecond, 200 * trace::millisecond),
          started_between(100, 400),
          in_trace(trace_test::trace_n(7)),
          attribute("code") >= 300,
          attribute("code") == 404,
          attribute("code", trace::attribute_scope::span) == 404,
          attribute("code", trace::attribute_scope::event) == 404,
          attribute("tenant") == "acme",
          attribute("tenant") == "nobody",
          attribute("tenant") == std::string(40, 'x'),
          attribute("tenant") != "acme",
          attribute("code") == "404",
          attribute("label") == std::int64_t{404},
          attribute("label") == "404",
          attribute("tenant").exists(),
          attribute("region") == "eu",
          attribute("region", trace::attribute_scope::span).exists(),
          attribute("region", trace::attribute_scope::resource) == "eu",
          attribute("lib.flavour") == "lite",
          attribute("lib.flavour", trace::attribute_scope::resource).exists(),
          attribute("tenant", trace::attribute_scope::link) == "acme",
          attribute("tenant", static_cast<std::uint8_t>(trace::attribute_scope::span) |
                                  static_cast<std::uint8_t>(trace::attribute_scope::link)) == "acme",
          attribute("never.seen").exists(),
          operation_matches("GET /[ab]"),
          service_matches("c.*"),
          attribute("tenant").matches("ac.*"),
          scope_name("http"),
          scope_name("sql"),
          scope_name(""),
          scope_name("nothing"),
          scope_version("1.0"),
          scope_version("1.1"),
          trace::filters::scope_is{"http", "1.0"},
          trace::filters::scope_is{"sql", "1.1"},  // name and version each occur, never together
          trace::filters::scope_is{}};
}

}  // namespace

TEST_CASE("the row filter agrees with generic matching on every leaf and random combinations") {
  std::mt19937_64 random(99);
  auto store = random_store(random);
  auto pool = leaves();
  for (const auto& f : pool) CHECK(trace::count_matching(store, f) == trace::count_matching(store.scan(), f));

  for (int round = 0; round < 300; ++round) {
    auto pick = [&] { return pool[random() % pool.size()]; };
    trace::filter f = pick();
    for (int depth = 0; depth < 3; ++depth) {
      switch (random() % 3) {
        case 0: f = f && pick(); break;
        case 1: f = f || pick(); break;
        default: f = !f; break;
      }
    }
    INFO("round " << round);
    CHECK(trace::count_matching(store, f) == trace::count_matching(store.scan(), f));
  }
}

TEST_CASE("trace search over a store gives the same traces as scanning") {
  std::mt19937_64 random(5);
  auto store = random_store(random);
  for (const auto& f : leaves()) {
    auto via_rows = trace::find_trace_ids(store, {f, std::nullopt, 0, 1000});
    std::vector<trace::trace_id> via_scan;
    {
      std::unordered_map<trace::trace_id, trace::timestamp_ns> latest;
      for (auto s : store.scan())
        if (trace::matches(f, s)) latest[s.trace()] = std::max(latest[s.trace()], s.start());
      std::vector<std::pair<trace::timestamp_ns, trace::trace_id>> ranked;
      for (auto [id, start] : latest) ranked.emplace_back(start, id);
      std::sort(ranked.begin(), ranked.end(), std::greater<>{});
      for (auto [start, id] : ranked) via_scan.push_back(id);
    }
    CHECK(via_rows == via_scan);
  }
}
