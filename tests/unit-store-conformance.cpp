// The storage concept's conformance list, one typed test list run over every backend: each
// backend must give the answers the plain vector of spans gives (the reference), so all
// backends agree with each other. A new backend joins by adding a `backend<>` below.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <set>
#include <tuple>

#include "mmap_test_support.hpp"
#include "trace/analytics/summary.hpp"
#include "trace/query/span_query.hpp"
#include "trace/query/trace_search.hpp"
#include "trace/store/memory.hpp"
#include "trace/store/mmap.hpp"
#include "trace/tree/render.hpp"
#include "trace/tree/trace_tree.hpp"

namespace {

// How each backend is made fresh for a test.
template <class Store>
struct backend;

template <>
struct backend<trace::memory_store> {
  std::unique_ptr<trace::memory_store> store = std::make_unique<trace::memory_store>();
  void after_appends() {}
};

template <>
struct backend<trace::mmap_store> {
  test_support::temp_dir dir;
  trace::mmap_options options = [this] {
    trace::mmap_options o;
    o.path = dir.path() / "store";
    o.segment_bytes = trace::min_segment_bytes;  // several sealed segments for the data below
    return o;
  }();
  std::unique_ptr<trace::mmap_store> store = std::make_unique<trace::mmap_store>(options);
  // Reopen: the answers must come from the files, not from what the writer remembers.
  void after_appends() {
    store.reset();
    store = std::make_unique<trace::mmap_store>(options);
  }
};

// The mmap store after its sealed segments were compacted into one: every span's extras
// have been transcoded twice (log → sealed, sealed → merged), its refs renumbered.
struct compacted_mmap_store : trace::mmap_store {
  using trace::mmap_store::mmap_store;
};

template <>
struct backend<compacted_mmap_store> {
  test_support::temp_dir dir;
  trace::mmap_options options = [this] {
    trace::mmap_options o;
    o.path = dir.path() / "store";
    o.segment_bytes = trace::min_segment_bytes;
    return o;
  }();
  std::unique_ptr<compacted_mmap_store> store = std::make_unique<compacted_mmap_store>(options);
  void after_appends() {
    store->roll();
    const std::size_t sealed = store->segments().size();
    REQUIRE(sealed > 1);
    CHECK(store->compact() > 0);
    store.reset();
    store = std::make_unique<compacted_mmap_store>(options);
    CHECK(store->segments().size() < sealed);
  }
};

// Reference data: 60 traces in batches that split traces (a trace's spans arrive in two batches).
std::vector<std::vector<trace::span>> reference_batches() {
  std::vector<std::vector<trace::span>> batches;
  for (std::uint64_t b = 0; b < 24; ++b) {
    std::vector<trace::span> batch;
    for (std::uint64_t t = b / 2 * 5; t < b / 2 * 5 + 5; ++t)
      for (std::uint64_t i = (b % 2) * 6; i < (b % 2) * 6 + 6; ++i) batch.push_back(test_support::make_span(t, i));
    batches.push_back(std::move(batch));
  }
  return batches;
}

std::vector<trace::span> reference() {
  std::vector<trace::span> all;
  for (auto& b : reference_batches()) all.insert(all.end(), b.begin(), b.end());
  return all;
}

template <class Store>
void fill(backend<Store>& b) {
  for (const auto& batch : reference_batches()) b.store->append(batch);
  b.after_appends();
}

// A span's whole readable surface through the accessors, for order-free comparison.
template <class S>
auto surface(const S& s) {
  std::vector<std::string> attrs;
  trace::visit_attributes(s, [&attrs](trace::attribute_scope where, std::string_view key, const auto& value) {
    attrs.push_back(std::to_string(static_cast<int>(where)) + ":" + std::string(key) + "=" + trace::to_string(value));
    return false;
  });
  std::sort(attrs.begin(), attrs.end());
  return std::make_tuple(trace::span_id_of(s).value(), trace::trace_id_of(s).to_hex(), trace::parent_id_of(s).value(),
                         std::string(trace::name_of(s)), std::string(trace::service_of(s)), trace::start_of(s),
                         trace::end_of(s), trace::status_of(s), trace::kind_of(s), std::string(trace::status_message_of(s)),
                         attrs);
}

template <class Range>
auto surfaces(Range&& spans) {
  std::vector<decltype(surface(std::declval<trace::span>()))> out;
  for (auto&& s : spans) out.push_back(surface(s));
  std::sort(out.begin(), out.end());
  return out;
}

template <class Range>
std::vector<std::uint64_t> ids_of(Range&& spans) {
  std::vector<std::uint64_t> out;
  for (auto&& s : spans) out.push_back(trace::span_id_of(s).value());
  return out;
}

}  // namespace

#define STORES trace::memory_store, trace::mmap_store, compacted_mmap_store

TEMPLATE_TEST_CASE("a store holds every appended span with all it can tell", "[conformance]", STORES) {
  backend<TestType> b;
  fill(b);
  auto all = reference();
  CHECK(b.store->size() == all.size());
  CHECK(surfaces(b.store->scan()) == surfaces(all));
}

TEMPLATE_TEST_CASE("OTLP flags and schema URLs are kept", "[conformance]", STORES) {
  backend<TestType> b;
  auto batches = reference_batches();
  for (auto& batch : batches) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& s = batch[i];
      s.flags = i % 2 ? 0x101 : 0x1;
      s.resource.schema_url = i % 3 ? "https://opentelemetry.io/schemas/1.26.0" : "";
      s.scope.schema_url = "https://opentelemetry.io/schemas/scope-" + std::to_string(i % 2);
      for (auto& l : s.links) l.flags = 0x300;
    }
    b.store->append(batch);
  }
  b.after_appends();
  std::vector<trace::span> expected;
  for (const auto& batch : batches) expected.insert(expected.end(), batch.begin(), batch.end());
  std::vector<trace::span> stored;
  for (auto&& s : b.store->scan()) stored.push_back(s.materialize());
  auto by_id = [](const trace::span& x, const trace::span& y) { return x.id < y.id || (x.id == y.id && x.trace < y.trace); };
  std::sort(expected.begin(), expected.end(), by_id);
  std::sort(stored.begin(), stored.end(), by_id);
  REQUIRE(stored.size() == expected.size());
  for (std::size_t i = 0; i < stored.size(); ++i) {
    CHECK(stored[i].flags == expected[i].flags);
    CHECK(stored[i].resource.schema_url == expected[i].resource.schema_url);
    CHECK(stored[i].scope.schema_url == expected[i].scope.schema_url);
    CHECK(stored[i].links == expected[i].links);
  }
}

TEMPLATE_TEST_CASE("find_trace returns every span of a trace split over batches", "[conformance]", STORES) {
  backend<TestType> b;
  fill(b);
  auto all = reference();
  std::set<trace::trace_id> traces;
  for (const auto& s : all) traces.insert(s.trace);
  REQUIRE(traces.size() == 60);
  for (const auto& id : traces) {
    std::vector<trace::span> expected;
    for (const auto& s : all)
      if (s.trace == id) expected.push_back(s);
    CHECK(surfaces(b.store->find_trace(id)) == surfaces(expected));
  }
  CHECK(std::ranges::empty(b.store->find_trace(trace::trace_id(123456, 1))));
}

TEMPLATE_TEST_CASE("a batch with one invalid span leaves the store unchanged", "[conformance]", STORES) {
  backend<TestType> b;
  auto batch = test_support::make_batch(1, 2, 3);
  batch[4].id = trace::span_id();
  CHECK_THROWS_WITH(b.store->append(batch), Catch::Contains("batch span #4") && Catch::Contains("span id is all zero"));
  CHECK(b.store->size() == 0);
  CHECK(std::ranges::empty(b.store->scan()));
}

TEMPLATE_TEST_CASE("span queries select the same spans as over the plain spans", "[conformance]", STORES) {
  using namespace trace::where;
  backend<TestType> b;
  fill(b);
  auto all = reference();
  std::vector<trace::filter> filters = {
      service("svc-1"),
      operation("op-3") && status(trace::status_code::error),
      min_duration(1000),
      attribute("http.status_code") >= 300,
      attribute("host.name", trace::attribute_scope::resource) == "host-2",
      attribute("attempt", trace::attribute_scope::event) == 2,
      attribute("why", trace::attribute_scope::link).exists(),
      kind(trace::span_kind::client) || !attribute("cached").exists(),
  };
  for (std::size_t i = 0; i < filters.size(); ++i) {
    INFO("filter #" << i);
    trace::span_query q{filters[i], trace::span_order::start_descending, 0, 25};
    auto expected = trace::select_spans(all, q);
    REQUIRE_FALSE(expected.empty());
    CHECK(ids_of(trace::select_spans(b.store->scan(), q)) == ids_of(expected));
    CHECK(trace::count_matching(b.store->scan(), filters[i]) == trace::count_matching(all, filters[i]));
  }
}

TEMPLATE_TEST_CASE("trace search finds the same traces, newest first", "[conformance]", STORES) {
  using namespace trace::where;
  backend<TestType> b;
  fill(b);
  trace::memory_store reference_store;
  for (const auto& batch : reference_batches()) reference_store.append(batch);
  trace::trace_query q{status(trace::status_code::error) && service("svc-2"), std::nullopt, 0, 7};
  auto expected = trace::find_trace_ids(reference_store, q);
  REQUIRE(expected.size() == 7);
  CHECK(trace::find_trace_ids(*b.store, q) == expected);
  q.has_errors = true;
  q.where = attribute("ratio") > 1.0;
  CHECK(trace::find_trace_ids(*b.store, q) == trace::find_trace_ids(reference_store, q));
}

TEMPLATE_TEST_CASE("trace trees built from a store render as from the plain spans", "[conformance]", STORES) {
  backend<TestType> b;
  fill(b);
  auto all = reference();
  for (std::uint64_t t : {0u, 17u, 59u}) {
    auto id = test_support::make_span(t, 0).trace;
    std::vector<trace::span> expected;
    for (const auto& s : all)
      if (s.trace == id) expected.push_back(s);
    auto from_store = trace::build_tree(b.store->find_trace(id));
    auto from_spans = trace::build_tree(expected);
    CHECK(from_store.size() == 12);
    CHECK(trace::render_text(from_store) == trace::render_text(from_spans));
  }
}

TEMPLATE_TEST_CASE("summaries over a store equal those over the plain spans", "[conformance]", STORES) {
  backend<TestType> b;
  fill(b);
  auto expected = trace::summarize(reference());
  CHECK(expected.trace_count == 60);
  CHECK(trace::summarize(b.store->scan()) == expected);
}
