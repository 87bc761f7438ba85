// append_new: idempotent appends on the memory and the mmap store.

#include <catch2/catch.hpp>

#include <limits>
#include <vector>

#include "mmap_test_support.hpp"
#include "trace/store/append_new.hpp"
#include "trace/store/memory.hpp"
#include "trace/store/mmap.hpp"

using namespace trace;
using test_support::make_batch;
using test_support::make_span;

namespace {

template <class Store>
std::size_t spans_of_trace(const Store& store, const trace_id& id) {
  std::size_t n = 0;
  for (const auto& s : store.find_trace(id)) n += trace_id_of(s) == id;
  return n;
}

// The same checks on every store: `open` gives a fresh, empty one.
template <class Open>
void check_store(Open&& open) {
  SECTION("a second append of the same spans adds nothing") {
    auto store = open();
    const std::vector<span> batch = make_batch(1, 5, 6);
    append_counts first = append_new(store, batch);
    CHECK(first.appended == 30);
    CHECK(first.already_present == 0);
    append_counts second = append_new(store, batch);
    CHECK(second.appended == 0);
    CHECK(second.already_present == 30);
    CHECK(store.size() == 30);
    CHECK(spans_of_trace(store, batch.front().trace) == 6);
  }
  SECTION("after a partial import, the rest of the file is added and the part kept is not") {
    auto store = open();
    const std::vector<span> all = make_batch(1, 4, 5);
    append_new(store, std::vector<span>(all.begin(), all.begin() + 7));  // stopped after 7 spans
    append_counts again = append_new(store, all);
    CHECK(again.appended == 13);
    CHECK(again.already_present == 7);
    CHECK(store.size() == 20);
  }
  SECTION("a span differing in any field is new; one sharing only the id is kept beside it") {
    auto store = open();
    const span base = make_span(3, 3);  // carries events, links, arrays and dropped counts
    append_new(store, std::vector<span>{base});
    std::vector<span> variants;
    for (int field = 0; field < 8; ++field) {
      span v = base;
      switch (field) {
        case 0: v.kind = span_kind::client; break;                           // Zipkin's client half
        case 1: v.end += 1; break;
        case 2: v.attributes.set("ratio", 0.5); break;
        case 3: v.events.back().name = "finished"; break;
        case 4: v.links.front().attributes.set("why", std::string("child")); break;
        case 5: v.resource.attributes.set("host.name", std::string("elsewhere")); break;
        case 6: v.dropped_links = 0; break;
        case 7: v.status.message = "another message"; break;
      }
      REQUIRE_FALSE(v == base);
      variants.push_back(v);
    }
    append_counts counts = append_new(store, variants);
    CHECK(counts.appended == 8);
    CHECK(counts.already_present == 0);
    CHECK(spans_of_trace(store, base.trace) == 9);
    CHECK(append_new(store, variants).already_present == 8);
  }
  SECTION("a span repeated within one batch is stored once") {
    auto store = open();
    const span s = make_span(2, 1);
    append_counts counts = append_new(store, std::vector<span>{s, make_span(2, 2), s, s});
    CHECK(counts.appended == 2);
    CHECK(counts.already_present == 2);
    CHECK(store.size() == 2);
  }
  SECTION("NaN attribute values are equal to themselves here") {
    auto store = open();
    span s = make_span(4, 0);
    s.attributes.set("ratio", std::numeric_limits<double>::quiet_NaN());
    s.attributes.set("samples", std::vector<double>{1.0, std::numeric_limits<double>::quiet_NaN()});
    append_new(store, std::vector<span>{s});
    CHECK(append_new(store, std::vector<span>{s}).already_present == 1);
    span other = s;
    other.attributes.set("samples", std::vector<double>{2.0, std::numeric_limits<double>::quiet_NaN()});
    CHECK(append_new(store, std::vector<span>{other}).appended == 1);
    CHECK(store.size() == 2);
  }
  SECTION("an invalid span refuses the new spans, as append does") {
    auto store = open();
    span bad = make_span(5, 1);
    bad.end = bad.start - 1;
    CHECK_THROWS_AS(append_new(store, std::vector<span>{make_span(5, 0), bad}), trace::error);
    CHECK(store.size() == 0);
  }
}

}  // namespace

TEST_CASE("same_span: equal in every field, NaN equal to NaN at the same place") {
  span a = make_span(1, 3);
  CHECK(same_span(a, a));
  a.attributes.set("ratio", std::numeric_limits<double>::quiet_NaN());
  CHECK_FALSE(a == a);  // why same_span exists
  CHECK(same_span(a, a));
  span b = a;
  b.attributes.set("ratio", 1.0);
  CHECK_FALSE(same_span(a, b));
  CHECK_FALSE(same_span(b, a));
  span c = a;
  c.events.front().attributes.set("attempt", std::numeric_limits<double>::quiet_NaN());
  CHECK_FALSE(same_span(a, c));
  span d = c;
  CHECK(same_span(c, d));
  d.name = "other";
  CHECK_FALSE(same_span(c, d));
}

TEST_CASE("append_new on the memory store") {
  check_store([] { return memory_store(); });
}

TEST_CASE("append_new on the mmap store") {
  test_support::temp_dir dir;
  int opened = 0;
  check_store([&] {
    mmap_options o = test_support::default_options(dir);
    o.path = dir / ("store-" + std::to_string(++opened));
    return mmap_store(o);
  });
}

TEST_CASE("append_new on the mmap store sees sealed segments and survives a reopen") {
  test_support::temp_dir dir;
  const std::vector<span> batch = make_batch(1, 10, 4);
  {
    mmap_store store(test_support::default_options(dir));
    append_new(store, std::vector<span>(batch.begin(), batch.begin() + 20));
    store.roll();
  }
  mmap_store store(test_support::default_options(dir));
  append_counts counts = append_new(store, batch);
  CHECK(counts.appended == 20);
  CHECK(counts.already_present == 20);
  CHECK(test_support::materialize_all(store) == test_support::sorted(batch));
}
