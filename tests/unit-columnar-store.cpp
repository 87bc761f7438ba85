// Every columnar store gets every fast path: count_matching, find_trace_ids, group_spans and
// summarize read the blocks' columns, and must answer exactly as the generic per-span path
// (the same store seen only as a `span_store`) on random filters. The stores: the memory
// store (one block with attribute slots), the mmap store's active log (a block per batch)
// and sealed segments (a block per segment), and a toy store defined here, which gets the
// fast paths by modelling `columnar_store` and nothing else.

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "support/make_span.hpp"
#include "support/only_spans.hpp"
#include "trace/analytics/store_group_by.hpp"
#include "trace/analytics/store_summary.hpp"
#include "trace/query/span_query.hpp"
#include "trace/query/trace_search.hpp"
#include "trace/store/memory.hpp"
#include "trace/store/mmap.hpp"

using namespace trace::where;
using trace::status_code;

namespace {

// A user's store: spans kept whole, plus the columns the fast paths read, in blocks of 64
// rows, each block with its own string table (so ids differ from block to block).
class toy_store {
 public:
  class block {
   public:
    std::uint32_t rows() const noexcept { return static_cast<std::uint32_t>(spans_.size()); }
    trace::trace_id trace(std::uint32_t row) const noexcept { return spans_[row].trace; }
    trace::timestamp_ns start(std::uint32_t row) const noexcept { return spans_[row].start; }
    trace::duration_ns duration(std::uint32_t row) const noexcept { return spans_[row].end - spans_[row].start; }
    status_code status(std::uint32_t row) const noexcept { return spans_[row].status.code; }
    trace::span_kind kind(std::uint32_t row) const noexcept { return spans_[row].kind; }
    std::uint32_t service_id(std::uint32_t row) const noexcept { return service_ids_[row]; }
    std::uint32_t name_id(std::uint32_t row) const noexcept { return name_ids_[row]; }
    std::uint32_t string_count() const noexcept { return static_cast<std::uint32_t>(strings_.size()); }
    std::string_view string(std::uint32_t id) const noexcept { return strings_[id]; }
    const trace::span& span(std::uint32_t row) const noexcept { return spans_[row]; }
    trace::block_bounds bounds() const noexcept { return bounds_; }
    std::uint32_t service_count() const noexcept { return static_cast<std::uint32_t>(services_.size()); }
    std::uint32_t service_at(std::uint32_t k) const noexcept { return services_[k]; }

    void add(const trace::span& s) {
      auto intern = [this](const std::string& text) {
        auto [it, fresh] = ids_.try_emplace(text, static_cast<std::uint32_t>(strings_.size()));
        if (fresh) strings_.push_back(text);
        return it->second;
      };
      spans_.push_back(s);
      service_ids_.push_back(intern(s.resource.service_name));
      name_ids_.push_back(intern(s.name));
      if (std::find(services_.begin(), services_.end(), service_ids_.back()) == services_.end())
        services_.push_back(service_ids_.back());
      bounds_.min_start = std::min(bounds_.min_start, s.start);
      bounds_.max_start = std::max(bounds_.max_start, s.start);
      bounds_.min_duration = std::min(bounds_.min_duration, s.end - s.start);
      bounds_.max_duration = std::max(bounds_.max_duration, s.end - s.start);
    }

   private:
    std::vector<trace::span> spans_;
    std::vector<std::uint32_t> service_ids_, name_ids_, services_;
    std::vector<std::string> strings_;
    std::map<std::string, std::uint32_t> ids_;
    trace::block_bounds bounds_{~trace::timestamp_ns{0}, 0, ~trace::duration_ns{0}, 0};
  };

  template <class R>
  void append(const R& batch) {
    for (const auto& s : batch) {
      if (blocks_.empty() || blocks_.back().rows() == 64) blocks_.emplace_back();
      blocks_.back().add(s);
      all_.push_back(s);
    }
  }
  std::size_t size() const { return all_.size(); }
  const std::vector<trace::span>& scan() const { return all_; }
  std::vector<trace::span> find_trace(const trace::trace_id& id) const {
    std::vector<trace::span> out;
    for (const auto& s : all_)
      if (s.trace == id) out.push_back(s);
    return out;
  }
  const std::vector<block>& blocks() const { return blocks_; }

 private:
  std::vector<block> blocks_;
  std::vector<trace::span> all_;
};

// A type with blocks that are not column blocks (no bounds, no string table).
struct rows_without_columns {
  std::uint32_t rows() const { return 0; }
};
struct store_with_plain_blocks : toy_store {
  std::vector<rows_without_columns> blocks() const { return {}; }
};

static_assert(trace::columnar_store<toy_store>);
static_assert(trace::column_block<toy_store::block>);
static_assert(trace::span_store<trace_test::only_spans<toy_store>>);
static_assert(!trace::columnar_store<trace_test::only_spans<toy_store>>);
static_assert(!trace::column_block<rows_without_columns>);
static_assert(!trace::columnar_store<store_with_plain_blocks>);
static_assert(trace::columnar_store<trace::memory_store>);
static_assert(trace::columnar_store<trace::mmap_store>);

std::vector<std::vector<trace::span>> random_batches(std::mt19937_64& random) {
  const char* services[] = {"api", "db", "cache"};
  // "cache" is also a service: a group-by keyed on both must not mix the two.
  const char* names[] = {"GET /a", "GET /b", "query", "get", "cache"};
  const trace::scope scopes[] = {{"http", "1.0", {}, 0}, {"http", "1.1", {}, 0}, {"sql", "1.0", {}, 0}, {}};
  std::vector<std::vector<trace::span>> batches(1);
  for (std::uint64_t i = 1; i <= 2000; ++i) {
    // Batches of one or two services and a narrow time range, so bounds can rule blocks out.
    const std::uint64_t batch = (i - 1) / 200;
    auto s = trace_test::make_span(1 + random() % 150, i, random() % 3 ? i - 1 : 0,
                                   services[(batch + random() % 2) % 3], names[random() % 5],
                                   batch * 100 + random() % 100, 0);
    s.end = s.start + random() % 500 * trace::millisecond;
    s.status.code = static_cast<status_code>(random() % 3);
    if (s.status.code == status_code::error) s.status.message = random() % 2 ? "timeout" : "refused";
    s.kind = static_cast<trace::span_kind>(random() % 6);
    if (random() % 2) s.attributes.set("code", static_cast<std::int64_t>(random() % 600));
    if (random() % 3 == 0) s.attributes.set("tenant", std::string(random() % 2 ? "acme" : "globex"));
    if (random() % 4 == 0) s.attributes.set("tenant", std::string(random() % 2 ? 40 : 41, 'x'));
    if (random() % 5 == 0) s.resource.attributes.set("region", std::string("eu"));
    s.scope = scopes[random() % 4];
    if (random() % 7 == 0) s.events.push_back({s.start, "log", {{"code", std::int64_t{404}}}, std::nullopt, 0});
    if (random() % 9 == 0) s.links.push_back({trace_test::trace_n(1), trace::span_id{1}, "", {{"tenant", std::string("acme")}}, 0});
    if (batches.back().size() == 200) batches.emplace_back();
    batches.back().push_back(std::move(s));
  }
  return batches;
}

std::vector<trace::filter> leaves() {
  return {any(),
          service("api"),
          service("nobody"),
          operation("query"),
          operation("missing"),
          operation_contains("GET"),
          operation_contains("zzz"),
          status(status_code::error),
          kind(trace::span_kind::client),
          min_duration(250 * trace::millisecond),
          duration_between(100 * trace::millisecond, 200 * trace::millisecond),
          started_between(300 * trace::millisecond, 450 * trace::millisecond),
          started_between(5'000 * trace::millisecond, 6'000 * trace::millisecond),
          in_trace(trace_test::trace_n(7)),
          attribute("code") >= 300,
          attribute("code") == 404,
          attribute("code", trace::attribute_scope::event) == 404,
          attribute("tenant") == "acme",
          attribute("tenant") == std::string(40, 'x'),
          attribute("tenant") != "acme",
          attribute("tenant").exists(),
          attribute("region", trace::attribute_scope::resource) == "eu",
          attribute("tenant", trace::attribute_scope::link) == "acme",
          operation_matches("GET /[ab]"),
          service_matches("c.*"),
          scope_name("http"),
          scope_version("1.1"),
          trace::filters::scope_is{}};
}

trace::filter random_filter(std::mt19937_64& random, const std::vector<trace::filter>& pool) {
  auto pick = [&] { return pool[random() % pool.size()]; };
  trace::filter f = pick();
  for (int depth = 0; depth < 3; ++depth) {
    switch (random() % 3) {
      case 0: f = f && pick(); break;
      case 1: f = f || pick(); break;
      default: f = !f; break;
    }
  }
  return f;
}

std::vector<trace::group_by_options> groupings() {
  std::vector<trace::group_by_options> out;
  using trace::by::kind;
  using trace::by::operation;
  using trace::by::service;
  using trace::by::status;
  for (auto keys : std::vector<std::vector<trace::group_field>>{
           {}, {service()}, {operation(), service()}, {status(), kind()}, {service(), status(), operation()}}) {
    trace::group_by_options o;
    o.keys = keys;
    out.push_back(o);
  }
  out[1].bucket = 100 * trace::millisecond;
  out[2].percentiles = trace::percentile_method::none;
  out[3].percentiles = trace::percentile_method::sketch;
  out[4].limit = 5;
  out[4].offset = 2;
  return out;
}

// The fast paths of `store` against the generic ones, over the same spans.
template <class Store>
void check_fast_paths(Store& store) {
  trace_test::only_spans<Store> generic(store);
  std::mt19937_64 random(17);
  auto pool = leaves();
  for (std::size_t i = 0; i < pool.size(); ++i) {
    INFO("leaf #" << i);
    CHECK(trace::count_matching(store, pool[i]) == trace::count_matching(generic, pool[i]));
  }
  for (int round = 0; round < 60; ++round) {
    trace::filter f = random_filter(random, pool);
    INFO("round " << round);
    CHECK(trace::count_matching(store, f) == trace::count_matching(generic, f));
    trace::trace_query q{f, std::nullopt, static_cast<std::size_t>(round % 3), 40};
    if (round % 4 == 0) q.has_errors = round % 8 == 0;
    CHECK(trace::find_trace_ids(store, q) == trace::find_trace_ids(generic, q));
    if (round % 10 == 0) {
      for (const auto& options : groupings()) {
        CHECK(trace::group_spans(store, options, f) == trace::group_spans(generic, options, f));
      }
      CHECK(trace::summarize_spans(store, f) == trace::summarize_spans(generic, f));
    }
  }
  REQUIRE(trace::count_matching(store, any()) == store.size());
  CHECK(trace::summarize_spans(store) == trace::summarize_spans(generic));
  CHECK(trace::summarize(store) == trace::summarize(generic));
  trace::summary_options sketched;
  sketched.percentiles = trace::percentile_method::sketch;
  sketched.top_errors = 2;
  CHECK(trace::summarize(store, sketched) == trace::summarize(generic, sketched));
}

}  // namespace

TEST_CASE("the memory store's fast paths answer as the generic path") {
  std::mt19937_64 random(3);
  trace::memory_store store;
  for (const auto& batch : random_batches(random)) store.append(batch);
  check_fast_paths(store);
}

TEST_CASE("the mmap store's fast paths answer as the generic path, on its active log") {
  std::mt19937_64 random(3);
  test_support::temp_dir dir;
  trace::mmap_store store(test_support::default_options(dir));
  for (const auto& batch : random_batches(random)) store.append(batch);
  REQUIRE(store.segments().size() == 1);
  REQUIRE_FALSE(store.segments()[0].sealed);
  CHECK(store.blocks().size() == 10);  // a block per batch
  check_fast_paths(store);
}

TEST_CASE("the mmap store's fast paths answer as the generic path, on sealed segments") {
  std::mt19937_64 random(3);
  test_support::temp_dir dir;
  auto options = test_support::default_options(dir);
  options.segment_bytes = trace::min_segment_bytes;
  trace::mmap_store store(options);
  for (const auto& batch : random_batches(random)) store.append(batch);
  store.roll();
  for (const auto& s : store.segments()) REQUIRE(s.sealed);
  REQUIRE(store.segments().size() > 1);
  CHECK(store.blocks().size() == store.segments().size());  // a block per sealed segment
  check_fast_paths(store);
}

TEST_CASE("a store of one's own gets the fast paths by modelling columnar_store") {
  std::mt19937_64 random(3);
  toy_store store;
  for (const auto& batch : random_batches(random)) store.append(batch);
  REQUIRE(store.blocks().size() > 1);
  check_fast_paths(store);
}

TEST_CASE("a block whose bounds rule the filter out is skipped without reading a row") {
  test_support::temp_dir dir;
  trace::mmap_store store(test_support::default_options(dir));
  store.append(test_support::make_batch(0, 4, 3));  // svc-0 .. svc-3, early starts
  store.roll();
  store.append(test_support::make_batch(1000, 4, 3));  // much later starts
  const auto late = test_support::make_span(1000, 0).start;
  auto blocks_kept = [&store](const trace::filter& f) {
    trace::row_filter rows(f);
    std::size_t kept = 0;
    for (const auto& b : store.blocks()) kept += rows.may_match(b);
    return kept;
  };
  CHECK(blocks_kept(any()) == 2);
  CHECK(blocks_kept(started_between(late, ~trace::timestamp_ns{0})) == 1);
  CHECK(blocks_kept(started_between(0, late - 1)) == 1);
  CHECK(blocks_kept(min_duration(1'000'000)) == 0);
  CHECK(blocks_kept(service("no-such-service")) == 0);
  CHECK(blocks_kept(service("svc-1")) == 2);
  CHECK(blocks_kept(service("svc-1") && started_between(late, ~trace::timestamp_ns{0})) == 1);
  CHECK(blocks_kept(service("no-such-service") || status(status_code::error)) == 2);
  CHECK(blocks_kept(!service("no-such-service")) == 2);  // a negation never rules a block out
  // Skipped blocks change no answer.
  CHECK(trace::count_matching(store, started_between(late, ~trace::timestamp_ns{0})) == 12);
  CHECK(trace::count_matching(store, service("no-such-service")) == 0);
}
