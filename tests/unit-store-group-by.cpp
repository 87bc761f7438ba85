// group_spans(store, options), read from the columns, must equal the generic
// group_spans(store.scan(), options) for every option, on stores of every shape; and
// percentile_method::none leaves percentiles out on both paths.

#include <catch2/catch.hpp>
#include <trace/analytics/store_group_by.hpp>
#include <trace/analytics/store_summary.hpp>
#include <trace/store/memory.hpp>

#include <random>
#include <string>
#include <vector>

#include "support/make_span.hpp"
#include "support/numbered.hpp"

namespace {

using trace::group_field;

// How a random store is drawn.
struct store_shape {
  std::size_t spans = 0;
  std::size_t services = 4;
  std::size_t names = 6;
  std::uint64_t durations = 1000;  // distinct durations: few make ties in every metric
  std::uint64_t start_range = 200'000;  // ms
  unsigned error_percent = 10;
};

trace::memory_store random_store(std::mt19937_64& random, const store_shape& shape) {
  std::vector<trace::span> spans;
  for (std::uint64_t i = 1; i <= shape.spans; ++i) {
    auto service = "svc-" + std::to_string(random() % shape.services);
    auto name = "op-" + std::to_string(random() % shape.names);
    auto s = trace_test::make_span(1 + random() % 50, i, 0, std::move(service), std::move(name), 0, 0);
    s.start = random() % shape.start_range * trace::millisecond + random() % 1000;
    s.end = s.start + random() % shape.durations;
    s.status.code = random() % 100 < shape.error_percent ? trace::status_code::error
                                                          : static_cast<trace::status_code>(random() % 2);
    s.kind = static_cast<trace::span_kind>(random() % 6);
    if (random() % 3 == 0) s.attributes.set("tenant", trace_test::numbered("t", random() % 3));
    spans.push_back(std::move(s));
  }
  trace::memory_store store;
  store.append(spans);
  return store;
}

trace::group_by_options random_options(std::mt19937_64& random) {
  const group_field fields[] = {trace::by::service(), trace::by::operation(), trace::by::status(), trace::by::kind()};
  const trace::duration_ns buckets[] = {0, 0, trace::millisecond, 7 * trace::second, trace::minute, trace::hour};
  const trace::group_order orders[] = {trace::group_order::key,     trace::group_order::count,
                                       trace::group_order::errors,  trace::group_order::error_rate,
                                       trace::group_order::average, trace::group_order::max,
                                       trace::group_order::p50,     trace::group_order::p95,
                                       trace::group_order::p99};
  const trace::percentile_method methods[] = {trace::percentile_method::exact, trace::percentile_method::sketch,
                                              trace::percentile_method::none};
  const std::size_t offsets[] = {0, 0, 1, 3, 1000};
  const std::size_t limits[] = {std::numeric_limits<std::size_t>::max(), 0, 1, 5};
  trace::group_by_options options;
  for (auto n = random() % 4; n > 0; --n) options.keys.push_back(fields[random() % 4]);  // repeats allowed
  options.bucket = buckets[random() % std::size(buckets)];
  options.order = orders[random() % std::size(orders)];
  options.offset = offsets[random() % std::size(offsets)];
  options.limit = limits[random() % std::size(limits)];
  options.percentiles = methods[random() % std::size(methods)];
  return options;
}

std::string describe(const trace::group_by_options& options) {
  std::string out = "keys";
  for (const auto& k : options.keys) {
    out += ' ';
    out += std::to_string(static_cast<int>(k.from));
  }
  out += ", bucket ";
  out += std::to_string(options.bucket);
  out += ", order ";
  out += std::to_string(static_cast<int>(options.order));
  out += ", offset ";
  out += std::to_string(options.offset);
  out += ", limit ";
  out += std::to_string(options.limit);
  out += ", percentiles ";
  out += std::to_string(static_cast<int>(options.percentiles));
  return out;
}

// The whole page, row by row, in order.
void check_same(const trace::memory_store& store, const trace::group_by_options& options) {
  INFO(describe(options) << " over " << store.size() << " spans");
  auto fast = trace::group_spans(store, options);
  auto generic = trace::group_spans(store.scan(), options);
  CHECK(fast.total_groups == generic.total_groups);
  REQUIRE(fast.rows.size() == generic.rows.size());
  for (std::size_t i = 0; i < fast.rows.size(); ++i) {
    INFO("row " << i);
    CHECK(fast.rows[i].key == generic.rows[i].key);
    CHECK(fast.rows[i].bucket_start == generic.rows[i].bucket_start);
    CHECK(fast.rows[i].stats == generic.rows[i].stats);
  }
}

}  // namespace

TEST_CASE("the store's group-by equals the generic one over random stores and options") {
  std::mt19937_64 random(20240611);
  const store_shape shapes[] = {
      {.spans = 0},
      {.spans = 1},
      {.spans = 2, .services = 1, .names = 1},
      {.spans = 3000},
      {.spans = 2500, .services = 2, .names = 3, .durations = 3},  // ties everywhere
      {.spans = 2000, .durations = 1},                             // every duration zero
      {.spans = 1500, .error_percent = 100},                       // every span an error
      {.spans = 2100, .services = 40, .names = 300, .start_range = 5},
      {.spans = 1025, .services = 1, .names = 1, .error_percent = 0},  // one group, one row past a whole number of blocks
  };
  for (const auto& shape : shapes) {
    auto store = random_store(random, shape);
    for (int round = 0; round < 60; ++round) check_same(store, random_options(random));
  }
}

TEST_CASE("the store's group-by counts what the spans hold") {
  std::vector<trace::span> spans = {
      trace_test::make_span(1, 1, 0, "api", "GET", 0, 10),
      trace_test::make_span(1, 2, 1, "api", "GET", 1, 31, trace::status_code::error),
      trace_test::make_span(1, 3, 1, "api", "POST", 2, 22),
      trace_test::make_span(2, 4, 0, "db", "GET", 61'000, 61'004),
  };
  trace::memory_store store;
  store.append(spans);
  trace::group_by_options options;
  options.keys = {trace::by::service(), trace::by::operation()};
  options.order = trace::group_order::key;
  auto page = trace::group_spans(store, options);
  REQUIRE(page.total_groups == 3);
  REQUIRE(page.rows.size() == 3);
  CHECK(page.rows[0].key == std::vector<std::string>{"api", "GET"});
  CHECK(page.rows[0].stats.count == 2);
  CHECK(page.rows[0].stats.errors == 1);
  CHECK(page.rows[0].stats.average == 20.0 * trace::millisecond);
  CHECK(page.rows[0].stats.p50 == 30 * trace::millisecond);  // sorted 10 30, index round(0.5) = 1
  CHECK(page.rows[1].key == std::vector<std::string>{"api", "POST"});
  CHECK(page.rows[2].key == std::vector<std::string>{"db", "GET"});

  options.keys = {trace::by::operation()};
  options.bucket = trace::minute;
  page = trace::group_spans(store, options);
  REQUIRE(page.rows.size() == 3);
  CHECK(page.rows[0].key == std::vector<std::string>{"GET"});
  CHECK(page.rows[0].stats.count == 2);
  CHECK(page.rows[2].bucket_start == trace::minute);
  CHECK(page.rows[2].stats.max == 4 * trace::millisecond);
}

TEST_CASE("attribute keys and sparse time buckets take the generic path with the same answers") {
  std::mt19937_64 random(7);
  auto store = random_store(random, {.spans = 2000});
  trace::group_by_options options;
  options.keys = {trace::by::service(), trace::by::attribute("tenant")};
  check_same(store, options);
  CHECK(trace::group_spans(store, options).total_groups > 4);  // tenants split the services

  options.keys = {trace::by::operation()};
  options.bucket = 1;  // a nanosecond: far more cells than spans
  check_same(store, options);
  CHECK(trace::group_spans(store, options).total_groups > 1000);
}

TEST_CASE("status and kind codes outside their enums group as to_string names them") {
  auto odd = trace_test::make_span(1, 1, 0, "api", "GET", 0, 5);
  odd.status.code = static_cast<trace::status_code>(7);
  odd.kind = static_cast<trace::span_kind>(9);
  auto plain = trace_test::make_span(1, 2, 0, "api", "GET", 0, 6);
  plain.kind = trace::span_kind::unspecified;
  std::vector<trace::span> spans = {odd, plain};
  trace::memory_store store;
  store.append(spans);
  trace::group_by_options options;
  options.keys = {trace::by::status(), trace::by::kind()};
  check_same(store, options);
  auto page = trace::group_spans(store, options);
  REQUIRE(page.rows.size() == 1);
  CHECK(page.rows[0].key == std::vector<std::string>{"unset", "unspecified"});
  CHECK(page.rows[0].stats.count == 2);
}

TEST_CASE("percentile_method::none leaves p50/p95/p99 at 0 and keeps the rest") {
  std::mt19937_64 random(11);
  auto store = random_store(random, {.spans = 500});
  trace::group_by_options options;
  options.keys = {trace::by::service()};
  auto exact = trace::group_spans(store.scan(), options);
  options.percentiles = trace::percentile_method::none;
  for (const auto& page : {trace::group_spans(store, options), trace::group_spans(store.scan(), options)}) {
    REQUIRE(page.rows.size() == exact.rows.size());
    for (std::size_t i = 0; i < page.rows.size(); ++i) {
      auto expected = exact.rows[i].stats;
      CHECK(expected.p99 > 0);
      expected.p50 = expected.p95 = expected.p99 = 0;
      CHECK(page.rows[i].key == exact.rows[i].key);
      CHECK(page.rows[i].stats == expected);
    }
  }

  trace::summary_options summary;
  summary.percentiles = trace::percentile_method::none;
  auto report = trace::summarize(store, summary);
  CHECK(report == trace::summarize(store.scan(), summary));
  CHECK(report.spans.count == 500);
  CHECK(report.spans.average > 0);
  CHECK(report.spans.p50 == 0);
  CHECK(report.operations.at(0).stats.p99 == 0);
}

TEST_CASE("the store's group-by over several chunks and a filter equals the generic one") {
  // Services and names first seen in a different order in each chunk: one string id must
  // mean one text in every chunk, and a filter leaves some rows of each.
  std::mt19937_64 random(29);
  auto store = random_store(random, {.spans = 2 * trace::memory_store::chunk_rows + 700, .services = 7, .names = 9});
  REQUIRE(store.blocks().size() == 3);
  using namespace trace::where;
  const trace::filter filters[] = {any(), status(trace::status_code::error), service("svc-3"),
                                   !service("svc-1") && kind(trace::span_kind::server), service("no such service")};
  using trace::by::operation;
  using trace::by::service;
  using trace::by::status;
  const std::vector<std::vector<trace::group_field>> key_sets = {
      {service()}, {operation()}, {service(), operation()}, {operation(), service()}, {service(), service()}, {operation(), status()}};
  for (const auto& where : filters) {
    std::vector<trace::memory_store::span_ref> matching;
    for (const auto& s : store.scan())
      if (trace::matches(where, s)) matching.push_back(s);
    for (const auto& keys : key_sets)
      for (auto method : {trace::percentile_method::exact, trace::percentile_method::sketch, trace::percentile_method::none}) {
        trace::group_by_options options;
        options.keys = keys;
        options.percentiles = method;
        options.order = trace::group_order::key;
        INFO(describe(options) << " over " << matching.size() << " matching spans");
        const auto fast = trace::group_spans(store, options, where);
        const auto generic = trace::group_spans(matching, options);
        CHECK(fast.total_groups == generic.total_groups);
        REQUIRE(fast.rows.size() == generic.rows.size());
        for (std::size_t i = 0; i < fast.rows.size(); ++i) {
          CHECK(fast.rows[i].key == generic.rows[i].key);
          CHECK(fast.rows[i].stats == generic.rows[i].stats);
        }
      }
  }
}

TEST_CASE("a group whose durations add up past 2^53 ns has the generic path's average to the bit") {
  // Past 2^53 a double cannot hold every integer: the running floating-point sum rounds, so
  // an exact integer sum would give another average.
  std::vector<trace::span> spans;
  double running = 0;
  std::uint64_t total = 0;
  for (std::uint64_t i = 1; i <= 9; ++i) {
    auto s = trace_test::make_span(1, i, 0, "batch", i % 3 ? "nightly" : "weekly", 0, 0);
    const trace::duration_ns duration = 7'777'777'777'777'777ULL + 2 * i;  // about 90 days, odd
    s.end = s.start + duration;
    if (i % 3) running += static_cast<double>(duration), total += duration;
    spans.push_back(std::move(s));
  }
  REQUIRE(running != static_cast<double>(total));  // the data does round
  trace::memory_store store;
  store.append(spans);
  for (auto method : {trace::percentile_method::exact, trace::percentile_method::none}) {
    trace::group_by_options options;
    options.keys = {trace::by::operation()};
    options.percentiles = method;
    check_same(store, options);
    options.order = trace::group_order::key;
    const auto page = trace::group_spans(store, options);
    REQUIRE(page.rows.size() == 2);
    CHECK(page.rows[0].stats.average == running / 6);
  }
}
