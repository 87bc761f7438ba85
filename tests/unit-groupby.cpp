// Group-by aggregation: keys from every source, time buckets, metrics, ordering and paging,
// over plain vectors and over a memory store's scan.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/make_span.hpp"
#include "trace/analytics/group_by.hpp"
#include "trace/store/memory.hpp"

using trace_test::make_span;
using trace::status_code;

namespace {

trace::span with_attribute(trace::span s, std::string key, trace::attribute_value value) {
  s.attributes.set(std::move(key), std::move(value));
  return s;
}

// api: 4 spans (1 error) GET/POST; db: 2 spans (both error) query.
std::vector<trace::span> workload() {
  std::vector<trace::span> spans = {
      with_attribute(make_span(1, 1, 0, "api", "GET /a", 0, 10), "http.method", "GET"),
      with_attribute(make_span(1, 2, 0, "api", "GET /a", 1000, 1030, status_code::error), "http.method", "GET"),
      with_attribute(make_span(2, 3, 0, "api", "POST /b", 61'000, 61'050), "http.method", "POST"),
      with_attribute(make_span(2, 4, 0, "api", "GET /a", 62'000, 62'020), "http.method", "GET"),
      make_span(1, 5, 1, "db", "query", 2, 7, status_code::error),
      make_span(2, 6, 3, "db", "query", 61'010, 61'040, status_code::error),
  };
  spans[4].kind = trace::span_kind::client;
  spans[5].kind = trace::span_kind::client;
  return spans;
}

const trace::group_row& row_with(const trace::group_page& page, std::vector<std::string> key,
                                 trace::timestamp_ns bucket = 0) {
  for (const auto& row : page.rows)
    if (row.key == key && row.bucket_start == bucket) return row;
  FAIL("no group " << key.front() << " at " << bucket);
  throw;
}

}  // namespace

TEST_CASE("group by service computes count, errors, rate and duration statistics") {
  trace::group_by_options options;
  options.keys = {trace::by::service()};
  auto page = trace::group_spans(workload(), options);
  REQUIRE(page.total_groups == 2);
  REQUIRE(page.rows.size() == 2);
  CHECK(page.rows[0].key == std::vector<std::string>{"api"});  // most spans first
  const auto& api = page.rows[0].stats;
  CHECK(api.count == 4);
  CHECK(api.errors == 1);
  CHECK(api.error_rate == 0.25);
  CHECK(api.min == 10 * trace::millisecond);
  CHECK(api.max == 50 * trace::millisecond);
  CHECK(api.average == 27.5 * trace::millisecond);
  CHECK(api.p50 == 30 * trace::millisecond);  // sorted 10 20 30 50, index round(1.5) = 2
  CHECK(api.p95 == 50 * trace::millisecond);
  const auto& db = row_with(page, {"db"}).stats;
  CHECK(db.count == 2);
  CHECK(db.error_rate == 1.0);
}

TEST_CASE("group keys combine service, operation, status, kind and attributes") {
  trace::group_by_options options;
  options.keys = {trace::by::service(), trace::by::operation(), trace::by::status(), trace::by::kind()};
  auto page = trace::group_spans(workload(), options);
  CHECK(page.total_groups == 4);
  CHECK(row_with(page, {"api", "GET /a", "unset", "internal"}).stats.count == 2);
  CHECK(row_with(page, {"api", "GET /a", "error", "internal"}).stats.count == 1);
  CHECK(row_with(page, {"db", "query", "error", "client"}).stats.count == 2);

  options.keys = {trace::by::attribute("http.method")};
  page = trace::group_spans(workload(), options);
  CHECK(page.total_groups == 3);
  CHECK(row_with(page, {"GET"}).stats.count == 3);
  CHECK(row_with(page, {"POST"}).stats.count == 1);
  CHECK(row_with(page, {""}).stats.count == 2);  // spans without the attribute
}

TEST_CASE("attribute keys fall back to resource attributes and print values as text") {
  auto s = make_span(1, 1, 0, "api", "op", 0, 1);
  s.resource.attributes.set("region", "eu");
  s.attributes.set("http.status_code", std::int64_t{503});
  CHECK(trace::group_value(s, trace::by::attribute("region")) == "eu");
  CHECK(trace::group_value(s, trace::by::attribute("http.status_code")) == "503");
  CHECK(trace::group_value(s, trace::by::attribute("absent")) == "");
  CHECK(trace::group_value(s, trace::by::kind()) == "internal");
}

TEST_CASE("no keys make one group of everything") {
  auto page = trace::group_spans(workload());
  REQUIRE(page.rows.size() == 1);
  CHECK(page.rows[0].key.empty());
  CHECK(page.rows[0].stats.count == 6);
  CHECK(page.rows[0].stats.errors == 3);
}

TEST_CASE("time buckets split groups by the start of each span") {
  trace::group_by_options options;
  options.keys = {trace::by::service()};
  options.bucket = trace::minute;
  options.order = trace::group_order::key;
  auto page = trace::group_spans(workload(), options);
  REQUIRE(page.total_groups == 4);
  // Key order: by bucket, then key.
  CHECK(page.rows[0].bucket_start == 0);
  CHECK(page.rows[0].key[0] == "api");
  CHECK(page.rows[1].bucket_start == 0);
  CHECK(page.rows[1].key[0] == "db");
  CHECK(page.rows[2].bucket_start == trace::minute);
  CHECK(page.rows[0].stats.count == 2);
  CHECK(page.rows[2].stats.count == 2);
  CHECK(row_with(page, {"db"}, trace::minute).stats.count == 1);

  options.bucket = trace::hour;
  page = trace::group_spans(workload(), options);
  CHECK(page.total_groups == 2);
}

TEST_CASE("groups are ordered by the chosen metric, largest first") {
  trace::group_by_options options;
  options.keys = {trace::by::operation()};
  options.order = trace::group_order::error_rate;
  auto page = trace::group_spans(workload(), options);
  REQUIRE(page.rows.size() == 3);
  CHECK(page.rows[0].key[0] == "query");  // 100%
  CHECK(page.rows[1].key[0] == "GET /a");  // 33%
  CHECK(page.rows[2].key[0] == "POST /b");  // 0%

  options.order = trace::group_order::max;
  page = trace::group_spans(workload(), options);
  CHECK(page.rows[0].key[0] == "POST /b");  // 50 ms
  CHECK(page.rows[1].key[0] == "GET /a");   // 30 ms
}

TEST_CASE("offset and limit page through the ordered groups") {
  trace::group_by_options options;
  options.keys = {trace::by::service(), trace::by::operation()};
  options.order = trace::group_order::key;
  options.offset = 1;
  options.limit = 1;
  auto page = trace::group_spans(workload(), options);
  CHECK(page.total_groups == 3);
  REQUIRE(page.rows.size() == 1);
  CHECK(page.rows[0].key == std::vector<std::string>{"api", "POST /b"});

  options.offset = 5;
  CHECK(trace::group_spans(workload(), options).rows.empty());
}

TEST_CASE("sketch percentiles in groups stay within their accuracy") {
  std::vector<trace::span> spans;
  for (std::uint64_t i = 1; i <= 1000; ++i) spans.push_back(make_span(1, i, 0, "svc", "op", 0, i));
  trace::group_by_options options;
  options.percentiles = trace::percentile_method::sketch;
  auto row = trace::group_spans(spans, options).rows.at(0);
  CHECK(static_cast<double>(row.stats.p50) == Approx(500.0 * trace::millisecond).epsilon(0.01));
  CHECK(static_cast<double>(row.stats.p99) == Approx(990.0 * trace::millisecond).epsilon(0.01));
  CHECK(row.stats.max == 1000 * trace::millisecond);
}

TEST_CASE("grouping runs directly over a memory store's scan") {
  trace::memory_store store;
  store.append(workload());
  trace::group_by_options options;
  options.keys = {trace::by::service(), trace::by::attribute("http.method")};
  auto page = trace::group_spans(store.scan(), options);
  CHECK(page.total_groups == 3);
  CHECK(row_with(page, {"api", "GET"}).stats.count == 3);
  CHECK(row_with(page, {"db", ""}).stats.errors == 2);
}

namespace {

// A user's own span: no kind, no attributes, just the required getters.
struct user_span {
  std::uint64_t id;
  const char* service;
  const char* operation;
  trace::timestamp_ns start, end;
  bool failed;
};

}  // namespace

template <>
struct trace::span_traits<user_span> {
  static trace::trace_id get_trace_id(const user_span& s) { return {1, s.id}; }
  static trace::span_id get_span_id(const user_span& s) { return trace::span_id{s.id}; }
  static trace::span_id get_parent_id(const user_span&) { return trace::span_id{}; }
  static std::string_view get_name(const user_span& s) { return s.operation; }
  static std::string_view get_service(const user_span& s) { return s.service; }
  static trace::timestamp_ns get_start(const user_span& s) { return s.start; }
  static trace::timestamp_ns get_end(const user_span& s) { return s.end; }
  static trace::status_code get_status(const user_span& s) {
    return s.failed ? trace::status_code::error : trace::status_code::ok;
  }
};

TEST_CASE("a user's own span type groups without kind or attributes") {
  std::vector<user_span> spans = {{1, "api", "get", 0, 10, false}, {2, "api", "get", 5, 25, true}, {3, "db", "q", 0, 4, false}};
  trace::group_by_options options;
  options.keys = {trace::by::service(), trace::by::kind(), trace::by::attribute("tenant")};
  auto page = trace::group_spans(spans, options);
  REQUIRE(page.rows.size() == 2);
  CHECK(page.rows[0].key == std::vector<std::string>{"api", "unspecified", ""});
  CHECK(page.rows[0].stats.errors == 1);
  CHECK(page.rows[0].stats.max == 20);
}

template <class R>
concept groupable = requires(R& spans) { trace::group_spans(spans); };

TEST_CASE("group_spans accepts ranges of span_like values only") {
  STATIC_REQUIRE(groupable<std::vector<user_span>>);
  STATIC_REQUIRE(groupable<std::vector<trace::span_view>>);
  STATIC_REQUIRE_FALSE(groupable<std::vector<int>>);
  STATIC_REQUIRE_FALSE(groupable<int>);
}
