// The mmap store's blocks offer attribute slots, derived from their bytes on first use, so
// attribute tests run on columns there as on the memory store; each row's slots name its
// span attributes, one id per text, shared with the service and name columns.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "support/make_span.hpp"
#include "trace/query/span_query.hpp"
#include "trace/query/trace_search.hpp"
#include "trace/store/memory.hpp"
#include "trace/store/mmap.hpp"

using namespace trace;

namespace {

std::vector<span> spans_with_attributes() {
  std::vector<span> out;
  for (std::uint64_t i = 1; i <= 300; ++i) {
    span s = trace_test::make_span(1 + i % 20, i, 0, i % 2 ? "api" : "db", "op", i, i + 1);
    s.attributes.set("tenant", std::string(i % 3 ? "acme" : "api"));  // "api" is also a service
    if (i % 5 == 0) s.attributes.set("note", std::string(40, 'x'));   // too long for a text id
    if (i % 7 == 0) s.attributes.set("code", std::int64_t{404});
    s.resource.attributes.set("region", std::string(i % 4 ? "eu" : "us"));
    s.scope.name = i % 2 ? "http" : "sql";
    out.push_back(std::move(s));
  }
  return out;
}

template <class Block>
void check_slots_match_spans(const Block& b) {
  static_assert(requires { b.attribute_slots(0); b.attribute_values(0); b.find_string(""); b.resources(); b.scopes(); });
  for (std::uint32_t row = 0; row < b.rows(); ++row) {
    const span whole = b.span(row).materialize();
    const auto slots = b.attribute_slots(row);
    REQUIRE(slots.size() == whole.attributes.size());
    std::size_t i = 0;
    for (const auto& item : whole.attributes) {
      CHECK(b.find_string(item.key) == slots[i].key);
      const auto* text = std::get_if<std::string>(&item.value);
      if (text && text->size() <= Block::short_text) CHECK(b.find_string(*text) == slots[i].text);
      else CHECK(slots[i].text == attribute_slot::no_text);
      CHECK(convert_value<std::string>(b.attribute_values(row)[i]) == item.value);
      ++i;
    }
    CHECK(b.resources()[b.resource_id(row)] == whole.resource);
    CHECK(b.scopes()[b.scope_id(row)] == whole.scope);
    CHECK(b.find_string(whole.resource.service_name) == b.service_id(row));
  }
  CHECK_FALSE(b.find_string("no row has this text"));
}

}  // namespace

TEST_CASE("mmap blocks, in the log and sealed, give each row's attributes as slots") {
  test_support::temp_dir dir;
  mmap_options options = test_support::default_options(dir);
  mmap_store store(options);
  const std::vector<span> spans = spans_with_attributes();
  store.append(std::vector<span>(spans.begin(), spans.begin() + 150));
  store.append(std::vector<span>(spans.begin() + 150, spans.end()));
  std::size_t rows = 0;
  for (const auto& b : store.blocks()) check_slots_match_spans(b), rows += b.rows();
  CHECK(rows == spans.size());
  store.roll();
  rows = 0;
  for (const auto& b : store.blocks()) check_slots_match_spans(b), rows += b.rows();
  CHECK(rows == spans.size());
}

// Attribute tests skip the extras of rows with neither events nor links (noted when the
// slots are built); rows with them must still be found through their events' and links'
// attributes, with and without a span attribute of the same key.
TEST_CASE("mmap blocks find attributes held by events and links as the memory store does") {
  std::vector<span> spans;
  for (std::uint64_t i = 1; i <= 200; ++i) {
    span s = trace_test::make_span(1 + i % 30, i, 0, "api", "op", i, i + 1);
    if (i % 3 == 0) s.attributes.set("code", std::string("span"));
    if (i % 5 == 0) s.events.push_back({.time = i, .name = "retry", .attributes = {{"code", std::string("event")}}});
    if (i % 7 == 0) s.events.push_back({.time = i, .name = "bare"});  // an event without attributes
    if (i % 11 == 0) s.links.push_back({.trace = trace_id(9, i), .span = span_id(i), .attributes = {{"code", std::string("link")}}});
    spans.push_back(std::move(s));
  }
  memory_store memory;
  memory.append(spans);
  test_support::temp_dir dir;
  mmap_store store(test_support::default_options(dir));
  store.append(std::vector<span>(spans.begin(), spans.begin() + 100));
  store.append(std::vector<span>(spans.begin() + 100, spans.end()));
  using namespace where;
  const std::vector<filter> filters = {attribute("code") == "event", attribute("code") == "link",
                                       attribute("code") == "span", attribute("code", static_cast<std::uint8_t>(attribute_scope::event)) == "event",
                                       attribute("code").exists()};
  for (int sealed = 0; sealed < 2; ++sealed) {
    for (const filter& f : filters) {
      const std::size_t expected = count_matching(memory, f);
      CHECK(expected > 0);
      CHECK(count_matching(store, f) == expected);
      trace_query q{.where = f, .limit = 1000};
      CHECK(find_trace_ids(store, q) == find_trace_ids(memory, q));
    }
    CHECK(count_matching(store, attribute("code") == "event") == 40);
    CHECK(count_matching(store, attribute("code") == "link") == 18);
    store.roll();
  }
}
