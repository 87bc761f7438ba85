#include <catch2/catch.hpp>
#include <trace/query/row_filter.hpp>
#include <trace/query/span_query.hpp>
#include <trace/store/memory.hpp>

#include <algorithm>
#include <vector>

#include "support/make_span.hpp"

using trace_test::make_span;
using trace_test::trace_n;

namespace {
std::vector<std::uint64_t> ids_of(const trace::memory_store::trace_range& range) {
  std::vector<std::uint64_t> ids;
  for (auto s : range) ids.push_back(s.id().value());
  return ids;
}
}  // namespace

TEST_CASE("memory_store models span_store and its spans model span_like") {
  STATIC_REQUIRE(trace::span_store<trace::memory_store>);
  STATIC_REQUIRE(trace::attributed_span_like<trace::memory_store::span_ref>);
  STATIC_REQUIRE(trace::scoped_span_like<trace::memory_store::span_ref>);
  STATIC_REQUIRE_FALSE(trace::span_store<std::vector<trace::span>>);
}

TEST_CASE("an empty store has nothing to scan or find") {
  trace::memory_store store;
  CHECK(store.size() == 0);
  CHECK(store.empty());
  CHECK(std::ranges::distance(store.scan()) == 0);
  CHECK(store.find_trace(trace_n(1)).empty());
  store.append(std::vector<trace::span>{});
  CHECK(store.size() == 0);
}

TEST_CASE("find_trace returns every span of a trace across batches, and no other") {
  trace::memory_store store;
  store.append(std::vector{make_span(1, 1, 0, "a", "root", 0, 10), make_span(2, 7, 0, "b", "other", 0, 5),
                           make_span(1, 2, 1, "a", "child", 1, 4)});
  store.append(std::vector{make_span(1, 3, 1, "c", "late", 5, 9)});
  CHECK(store.size() == 4);
  CHECK(store.trace_count() == 2);
  CHECK(ids_of(store.find_trace(trace_n(1))) == std::vector<std::uint64_t>{1, 2, 3});
  CHECK(ids_of(store.find_trace(trace_n(2))) == std::vector<std::uint64_t>{7});
  CHECK(store.find_trace(trace_n(3)).empty());
}

TEST_CASE("a stored span reads back field for field") {
  trace::span s = make_span(1, 5, 4, "checkout", "charge", 10, 35, trace::status_code::error);
  s.status.message = "card declined";
  s.kind = trace::span_kind::client;
  s.trace_state = "vendor=1";
  s.attributes.set("amount", 12.5);
  s.attributes.set("tags", std::vector<std::string>{"a", "b"});
  s.resource.attributes.set("host.name", std::string("web-1"));
  s.scope = {"lib", "1.2", {{"scope.attr", true}}, 0};
  s.events.push_back({11 * trace::millisecond, "retry", {{"attempt", std::int64_t{2}}}, trace::event_level::warn, 0});
  s.links.push_back({trace_n(9), trace::span_id{99}, "", {{"link.kind", std::string("follows")}}, 0});
  s.dropped_attributes = 1;
  s.dropped_events = 2;
  s.dropped_links = 3;

  trace::memory_store store;
  store.append(s);
  auto ref = *store.scan().begin();
  CHECK(ref.name() == "charge");
  CHECK(ref.service() == "checkout");
  CHECK(ref.duration() == 25 * trace::millisecond);
  CHECK(ref.status_message() == "card declined");
  CHECK(trace::scope_name_of(ref) == "lib");
  CHECK(trace::scope_version_of(ref) == "1.2");
  CHECK(ref.materialize() == s);
}

TEST_CASE("resources and scopes are shared between spans that carry the same ones") {
  trace::memory_store store;
  auto a = make_span(1, 1, 0, "svc", "x", 0, 1);
  auto b = make_span(1, 2, 1, "svc", "y", 0, 1);
  auto c = make_span(1, 3, 1, "svc", "z", 0, 1);
  c.resource.attributes.set("host.name", std::string("other"));
  store.append(std::vector{a, b, c, a});
  auto rows = std::vector<trace::memory_store::span_ref>(store.scan().begin(), store.scan().end());
  CHECK(&rows[0].resource_of() == &rows[1].resource_of());
  CHECK(&rows[0].resource_of() != &rows[2].resource_of());
  CHECK(&rows[0].resource_of() == &rows[3].resource_of());
  CHECK(rows[2].materialize().resource.attributes.size() == 1);
}

TEST_CASE("the scope column indexes the distinct scopes, and scope filters read them") {
  using namespace trace::where;
  trace::memory_store store;
  auto a = make_span(1, 1, 0, "svc", "x", 0, 1);
  a.scope = {"http", "1.0", {}, 0};
  auto b = make_span(1, 2, 1, "svc", "y", 0, 1);
  b.scope = {"http", "1.1", {}, 0};
  auto c = make_span(1, 3, 1, "svc", "z", 0, 1);  // no scope
  store.append(std::vector{a, b, c, a});
  REQUIRE(store.scopes().size() == 3);
  auto column = store.scope_column();
  REQUIRE(column.size() == 4);
  CHECK(column[0] == column[3]);
  CHECK(store.scopes()[column[1]] == b.scope);
  CHECK(store.scopes()[column[2]] == trace::scope{});
  CHECK(trace::count_matching(store, scope_name("http")) == 3);
  CHECK(trace::count_matching(store, scope_name("http") && scope_version("1.1")) == 1);
  CHECK(trace::count_matching(store, scope_name("http") && scope_version("1.2")) == 0);
  CHECK(trace::count_matching(store, scope_name("")) == 1);
  CHECK(trace::count_matching(store, !scope_version("1.0")) == 2);
}

TEST_CASE("memory_store: a batch with an invalid span is refused whole, naming the span") {
  trace::memory_store store;
  auto good = make_span(1, 1, 0, "a", "ok", 0, 10);
  auto backwards = make_span(1, 2, 1, "a", "backwards", 10, 5);
  CHECK_THROWS_WITH(store.append(std::vector{good, backwards}),
                    "invalid span: batch span #1: span 0000000000000002 ends (5000000) before it starts (10000000)");
  CHECK(store.size() == 0);
  CHECK(store.find_trace(trace_n(1)).empty());

  auto zero_trace = good;
  zero_trace.trace = {};
  CHECK_THROWS_WITH(store.append(zero_trace), "invalid span: batch span #0: trace id is all zero");
  auto zero_span = good;
  zero_span.id = trace::span_id{};
  CHECK_THROWS_WITH(store.append(zero_span), "invalid span: batch span #0: span id is all zero");
  auto self_parent = good;
  self_parent.parent = self_parent.id;
  CHECK_THROWS_WITH(store.append(self_parent), "invalid span: batch span #0: span 0000000000000001 is its own parent");
  CHECK(store.size() == 0);
}

TEST_CASE("extreme times are kept exactly") {
  trace::memory_store store;
  auto s = make_span(1, 1, 0, "a", "long", 0, 0);
  s.start = 0;
  s.end = ~std::uint64_t{0};
  store.append(s);
  CHECK(store.scan().begin()[0].duration() == ~std::uint64_t{0});
  CHECK(store.scan().begin()[0].end() == ~std::uint64_t{0});
}

TEST_CASE("services and operations are listed sorted and distinct") {
  trace::memory_store store;
  store.append(std::vector{make_span(1, 1, 0, "web", "GET", 0, 1), make_span(1, 2, 1, "db", "query", 0, 1),
                           make_span(2, 3, 0, "web", "POST", 0, 1), make_span(2, 4, 3, "web", "GET", 0, 1)});
  CHECK(store.services() == std::vector<std::string_view>{"db", "web"});
  CHECK(store.operations("web") == std::vector<std::string_view>{"GET", "POST"});
  CHECK(store.operations("nobody").empty());
}

TEST_CASE("many traces stay findable as the index grows") {
  trace::memory_store store;
  std::vector<trace::span> batch;
  for (std::uint64_t t = 1; t <= 5000; ++t)
    for (std::uint64_t s = 1; s <= 3; ++s) batch.push_back(make_span(t, t * 10 + s, s == 1 ? 0 : t * 10 + 1, "svc", "op", t, t + s));
  store.append(batch);
  CHECK(store.trace_count() == 5000);
  for (std::uint64_t t : {1, 777, 4096, 5000})
    CHECK(ids_of(store.find_trace(trace_n(t))) == std::vector<std::uint64_t>{t * 10 + 1, t * 10 + 2, t * 10 + 3});
}
