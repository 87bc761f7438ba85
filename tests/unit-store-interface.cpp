// Every store has the same interface: `append` takes any forward range of `basic_span`s
// (checked whole first by `validate_batch`), `find_trace` gathers a sized range eagerly, and
// stored spans answer through one `span_traits` template the same as their members.

#include <catch2/catch.hpp>

#include <list>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "trace/core/convert.hpp"
#include "trace/core/validate.hpp"
#include "trace/store/memory.hpp"
#include "trace/store/mmap.hpp"

namespace {

// Borrowing views of owning spans, in a list: a forward range that is neither contiguous
// nor random-access, of another string type.
std::list<trace::span_view> views_of(const std::vector<trace::span>& spans) {
  std::list<trace::span_view> out;
  for (const auto& s : spans) out.push_back(trace::convert_span<std::string_view>(s));
  return out;
}

template <class Stored>
void same_through_traits(const Stored& s) {
  CHECK(trace::trace_id_of(s) == s.trace());
  CHECK(trace::span_id_of(s) == s.id());
  CHECK(trace::parent_id_of(s) == s.parent());
  CHECK(trace::name_of(s) == s.name());
  CHECK(trace::service_of(s) == s.service());
  CHECK(trace::start_of(s) == s.start());
  CHECK(trace::end_of(s) == s.end());
  CHECK(trace::status_of(s) == s.status());
  CHECK(trace::kind_of(s) == s.kind());
  CHECK(trace::status_message_of(s) == s.status_message());
  CHECK(trace::scope_name_of(s) == s.scope_name());
  CHECK(trace::scope_version_of(s) == s.scope_version());
  CHECK(s.materialize().id == s.id());
}

template <class Store>
void check_store(Store& store) {
  const auto spans = test_support::make_batch(1, 3, 4);
  store.append(views_of(spans));
  REQUIRE(store.size() == spans.size());
  const auto found = store.find_trace(spans[0].trace);
  STATIC_REQUIRE(std::ranges::sized_range<decltype(found)>);
  STATIC_REQUIRE(std::ranges::random_access_range<decltype(found)>);
  REQUIRE(found.size() == 4);
  for (const auto& s : found) same_through_traits(s);
  CHECK(store.find_trace(trace::trace_id(77, 77)).empty());

  auto bad = views_of(test_support::make_batch(10, 1, 3));
  std::next(bad.begin(), 2)->end = 0;  // ends before it starts
  CHECK_THROWS_WITH(store.append(bad), Catch::StartsWith("invalid span: batch span #2: span "));
  CHECK(store.size() == spans.size());
}

}  // namespace

TEST_CASE("validate_batch names the first invalid span by position and counts the rest") {
  auto batch = test_support::make_batch(1, 1, 5);
  CHECK(trace::validate_batch(batch) == 5);
  batch[3].id = trace::span_id();
  batch[4].trace = trace::trace_id();
  CHECK_THROWS_WITH(trace::validate_batch(batch), "invalid span: batch span #3: span id is all zero");
  CHECK(trace::validate_batch(std::vector<trace::span>{}) == 0);
}

TEST_CASE("the memory store takes a forward range of views and gathers traces eagerly") {
  trace::memory_store store;
  check_store(store);
}

TEST_CASE("the mmap store takes a forward range of views and gathers traces eagerly") {
  test_support::temp_dir dir;
  trace::mmap_store store(test_support::default_options(dir));
  check_store(store);
}
