#pragma once
// The storage tests every ClickHouse deployment passes, one server or a sharded cluster.
// The including file defines, before including this header:
//   trace::clickhouse_options trace_test::base_options();   // server, database, cluster
// Each test works in a table of its own, created and dropped around it.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../support/check_stats.hpp"
#include "trace/analytics/group_by.hpp"
#include "trace/analytics/summary.hpp"
#include "trace/io/file.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/otlp_reader.hpp"
#include "trace/core/rfc3339.hpp"
#include "trace/query/jaeger.hpp"
#include "trace/query/span_query.hpp"
#include "trace/query/trace_search.hpp"
#include "trace/store/clickhouse.hpp"
#include "trace/store/clickhouse/analytics.hpp"
#include "trace/store/memory.hpp"
#include "trace/tree/render.hpp"
#include "trace/tree/trace_tree.hpp"

namespace trace_test {

trace::clickhouse_options base_options();

// A store over a fresh table, dropped when the test ends.
class scratch_store {
 public:
  explicit scratch_store(trace::clickhouse_format format = trace::clickhouse_format::row_binary) {
    static int counter = 0;
    trace::clickhouse_options options = base_options();
    options.table = "spans_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    options.insert_format = format;
    store_.emplace(options);
    store_->drop_schema();
    store_->create_schema();
  }
  ~scratch_store() {
    try {
      store_->drop_schema();
    } catch (const trace::error&) {  // the test has failed already if the server went away
    }
  }
  trace::clickhouse_store& operator*() { return *store_; }
  trace::clickhouse_store* operator->() { return &*store_; }

 private:
  std::optional<trace::clickhouse_store> store_;
};

inline trace::span sample_span(std::uint64_t trace, std::uint64_t id, std::uint64_t parent, std::string service,
                               std::string name, trace::timestamp_ns start, trace::duration_ns duration) {
  trace::span s;
  s.trace = trace::trace_id{0xfeed, trace};
  s.id = trace::span_id{id};
  s.parent = trace::span_id{parent};
  s.resource.service_name = std::move(service);
  s.name = std::move(name);
  s.start = start;
  s.end = start + duration;
  return s;
}

// A deterministic mixed workload: 3 services, 6 operations, errors, kinds, attributes,
// events; starts and durations distinct so every order is total.
inline std::vector<trace::span> workload(std::size_t traces, std::size_t spans_per_trace) {
  using namespace trace;
  const char* services[] = {"frontend", "checkout", "payments"};
  const char* operations[] = {"GET /", "POST /cart", "charge", "query", "render", "publish"};
  const char* methods[] = {"GET", "POST", "PUT"};
  std::vector<span> out;
  std::uint64_t n = 0;
  const timestamp_ns base = 1'700'000'000'000'000'000ULL;
  for (std::size_t t = 1; t <= traces; ++t) {
    for (std::size_t i = 0; i < spans_per_trace; ++i, ++n) {
      span s = sample_span(t, t * 1000 + i + 1, i == 0 ? 0 : t * 1000 + 1, services[(t + i) % 3],
                           operations[(n * 7) % 6], base + n * 1'000'003 + (n % 13) * 17'000'000'000ULL,
                           1'000 + (n * 7919) % 100'003);
      if (n % 9 == 0) s.status = {status_code::error, n % 2 ? "timeout" : "refused"};
      else if (n % 4 == 0) s.status.code = status_code::ok;
      s.kind = static_cast<span_kind>(n % 6);
      s.attributes.set("http.method", std::string(methods[n % 3]));
      s.attributes.set("http.status_code", static_cast<std::int64_t>(200 + (n % 5) * 100));
      if (n % 3 == 0) s.attributes.set("weight", 0.5 * static_cast<double>(n % 7));
      s.resource.attributes.set("region", std::string(n % 2 ? "eu" : "us"));
      s.scope = {n % 4 == 0 ? "http" : "sql", n % 3 == 0 ? "1.1" : "1.0", {}, 0};
      if (n % 10 == 0) s.events.push_back({s.start + 1, "retry", {{"attempt", std::int64_t{1}}}, event_level::warn, 0});
      out.push_back(std::move(s));
    }
  }
  return out;
}

inline std::vector<trace::span> sorted_by_id(std::vector<trace::span> spans) {
  std::ranges::sort(spans, [](const trace::span& a, const trace::span& b) {
    return std::tie(a.trace, a.id) < std::tie(b.trace, b.id);
  });
  return spans;
}

inline std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const trace::error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace trace_test

using namespace trace;
using trace_test::sample_span;
using trace_test::scratch_store;
using trace_test::sorted_by_id;
using trace_test::workload;

TEST_CASE("clickhouse: appended spans come back whole from scan and find_trace") {
  scratch_store store;
  auto spans = workload(20, 5);
  store->append(spans);
  CHECK(store->size() == 100);
  CHECK(sorted_by_id(store->scan()) == sorted_by_id(spans));
  std::vector<span> third_trace(spans.begin() + 10, spans.begin() + 15);
  auto found = store->find_trace(third_trace.front().trace);
  CHECK(sorted_by_id(found) == sorted_by_id(third_trace));
  CHECK(std::ranges::is_sorted(found, {}, [](const span& s) { return s.start; }));
  CHECK(store->find_trace(trace_id{0xfeed, 999}).empty());
}

TEST_CASE("clickhouse: an invalid span refuses the whole batch and stores nothing") {
  scratch_store store;
  auto spans = workload(2, 2);
  spans[1].id = span_id();
  CHECK(trace_test::error_of([&] { store->append(spans); }) == "invalid span: batch span #1: span id is all zero");
  CHECK(store->size() == 0);
}

TEST_CASE("clickhouse: a trace whose spans arrive in several batches is found whole") {
  scratch_store store;
  auto spans = workload(6, 4);
  for (std::size_t i = 0; i < spans.size(); i += 5)
    store->append(std::vector<span>(spans.begin() + static_cast<std::ptrdiff_t>(i),
                                    spans.begin() + static_cast<std::ptrdiff_t>(std::min(i + 5, spans.size()))));
  for (std::uint64_t t = 1; t <= 6; ++t) {
    std::vector<span> expected;
    for (const span& s : spans)
      if (s.trace == trace_id{0xfeed, t}) expected.push_back(s);
    CHECK(sorted_by_id(store->find_trace(trace_id{0xfeed, t})) == sorted_by_id(expected));
  }
  // The same trees come out as from the memory store.
  memory_store memory;
  memory.append(spans);
  auto from_clickhouse = build_tree(store->find_trace(trace_id{0xfeed, 3}));
  auto from_memory = build_tree(memory.find_trace(trace_id{0xfeed, 3}));
  CHECK(render_text(from_clickhouse) == render_text(from_memory));
}

TEST_CASE("clickhouse: JSONEachRow and RowBinary inserts store the same spans") {
  scratch_store binary(clickhouse_format::row_binary);
  scratch_store json(clickhouse_format::json_each_row);
  auto spans = workload(5, 3);
  binary->append(spans);
  json->append(spans);
  CHECK(sorted_by_id(json->scan()) == sorted_by_id(spans));
  CHECK(sorted_by_id(binary->scan()) == sorted_by_id(json->scan()));
}

TEST_CASE("clickhouse: hostile strings neither break queries nor inject SQL") {
  const std::vector<std::string> hostile = {
      "O'Brien", "back\\slash", "trailing\\", "\\'", "'; DROP TABLE otel_traces; --", "') OR 1=1 OR ('",
      std::string("nul\0inside", 10), "line\nbreak\ttab", "Grüße 日本語 🚀", "`tick`", "%27%20OR%201%3D1",
  };
  for (auto format : {clickhouse_format::row_binary, clickhouse_format::json_each_row}) {
    scratch_store store(format);
    std::vector<span> spans;
    std::uint64_t n = 0;
    for (const std::string& text : hostile) {
      ++n;
      span s = sample_span(n, n, 0, text, text, 1'000'000 + n, 10);
      s.attributes.set("note", text);
      s.attributes.set(text, std::int64_t(n));
      s.status = {status_code::error, text};
      s.scope = {text, text, {}, 0};
      spans.push_back(s);
    }
    spans.push_back(sample_span(99, 99, 0, "plain", "plain", 5'000'000, 10));
    store->append(spans);
    REQUIRE(store->size() == hostile.size() + 1);
    n = 0;
    for (const std::string& text : hostile) {
      ++n;
      INFO("hostile text #" << n);
      CHECK(store->count(where::service(text)) == 1);
      auto hits = store->select({where::operation(text)});
      REQUIRE(hits.size() == 1);
      CHECK(hits[0] == spans[n - 1]);
      CHECK(store->scan(where::attribute("note") == text).size() == 1);
      CHECK(store->scan(where::attribute(text, attribute_scope::span).exists()).size() == 1);
      CHECK(store->count(where::operation_contains(text)) == 1);
      CHECK(store->count(where::scope_name(text) && where::scope_version(text)) == 1);
    }
    // The table is still there and whole: nothing was dropped or rewritten.
    CHECK(store->size() == hostile.size() + 1);
  }
}

TEST_CASE("clickhouse: a statement the server refuses is a remote error with the server's message") {
  scratch_store store;
  std::string message = trace_test::error_of([&] { store->execute("SELEC 1"); });
  CHECK(message.rfind("remote error: clickhouse ", 0) == 0);
  CHECK(message.find("answered HTTP 400: Code: 62") != std::string::npos);
  CHECK(message.find("Syntax error") != std::string::npos);
  message = trace_test::error_of([&] { store->execute("SELECT throwIf(1)"); });
  CHECK(message.find("answered HTTP 500: Code: 395") != std::string::npos);
  CHECK(message.find("Value passed to 'throwIf' function is non zero") != std::string::npos);
}

TEST_CASE("clickhouse: select with pushdown equals select_spans over the memory store") {
  scratch_store store;
  auto spans = workload(40, 6);
  store->append(spans);
  memory_store memory;
  memory.append(spans);
  const timestamp_ns base = spans.front().start;
  using namespace trace::where;
  std::vector<filter> filters = {
      any(),
      service("checkout"),
      service("checkout") && status(status_code::error),
      operation("charge") || kind(span_kind::server),
      !service("frontend") && min_duration(50'000),
      operation_contains("/"),
      started_between(base + 10 * second, base + 60 * second),
      attribute("http.method") == "POST",
      attribute("http.status_code") == 500,
      attribute("http.status_code") >= 400,
      attribute("weight") == 1.5,
      attribute("weight").exists(),
      attribute("weight", attribute_scope::span).exists(),
      attribute("region", attribute_scope::resource) == "eu" && duration_between(10'000, 60'000),
      attribute("attempt").exists(),
      !(attribute("http.method") == "GET"),
      in_trace(trace_id{0xfeed, 7}),
      scope_name("http"),
      scope_name("http") && scope_version("1.1"),
      filters::scope_is{"sql", "1.1"},
      filters::scope_is{"http", "1.2"},
      !scope_version("1.0") && service("checkout"),
  };
  int checked = 0;
  for (const filter& f : filters) {
    INFO("filter #" << checked);
    for (auto order : {span_order::none, span_order::start_ascending, span_order::start_descending,
                       span_order::duration_descending}) {
      for (auto [offset, limit] : {std::pair<std::size_t, std::size_t>{0, SIZE_MAX}, {3, 10}}) {
        span_query q{f, order, offset, limit};
        auto expected = select_spans(memory.scan(), q);
        auto got = store->select(q);
        std::vector<span> owned;
        for (const auto& ref : expected) owned.push_back(ref.materialize());
        if (order == span_order::none && limit == SIZE_MAX)
          CHECK(sorted_by_id(got) == sorted_by_id(owned));
        else if (order != span_order::none)
          CHECK(got == owned);
        else
          CHECK(got.size() == owned.size());  // an unordered page: any `limit` matching spans
      }
    }
    CHECK(store->count(f) == count_matching(memory.scan(), f));
    ++checked;
  }
  CHECK(checked == 22);
}

TEST_CASE("clickhouse: summaries and trace search run unchanged on the store") {
  scratch_store store;
  auto spans = workload(30, 4);
  store->append(spans);
  memory_store memory;
  memory.append(spans);
  auto a = summarize(store->scan());
  auto b = summarize(memory.scan());
  CHECK(a.spans.count == b.spans.count);
  CHECK(a.spans.p95 == b.spans.p95);
  CHECK(a.trace_count == b.trace_count);
  CHECK(a.services.size() == b.services.size());
  trace_query q{where::service("payments") && where::status(status_code::error), std::nullopt, 0, 5};
  CHECK(find_trace_ids(*store, q) == find_trace_ids(memory, q));
}

TEST_CASE("clickhouse: server-side aggregates equal the generic algorithms on the same spans") {
  scratch_store store;
  auto spans = workload(50, 6);
  store->append(spans);
  memory_store memory;
  memory.append(spans);
  trace_test::check_same_stats(summarize_spans(*store), summarize_spans(memory.scan()));
  trace_test::check_same_stats(summarize_spans(*store, where::service("checkout")),
             summarize_spans(select_spans(memory.scan(), {where::service("checkout")})));

  std::vector<group_by_options> groupings(7);
  groupings[0].keys = {by::service()};
  groupings[1].keys = {by::service(), by::operation()};
  groupings[1].order = group_order::p95;
  groupings[2].keys = {by::status(), by::kind()};
  groupings[2].order = group_order::error_rate;
  groupings[3].keys = {by::attribute("http.method"), by::attribute("region"), by::attribute("missing")};
  groupings[4].keys = {by::service()};
  groupings[4].bucket = 10 * second;
  groupings[4].order = group_order::key;
  groupings[5].keys = {by::operation()};
  groupings[5].bucket = minute;
  groupings[5].order = group_order::p99;
  groupings[5].offset = 2;
  groupings[5].limit = 5;
  groupings[6].keys = {by::service(), by::operation()};
  groupings[6].percentiles = percentile_method::none;  // p50/p95/p99 stay 0, as in the generic path
  for (std::size_t g = 0; g < groupings.size(); ++g) {
    INFO("grouping #" << g);
    auto server = group_spans(*store, groupings[g]);
    auto generic = group_spans(memory.scan(), groupings[g]);
    CHECK(server.total_groups == generic.total_groups);
    REQUIRE(server.rows.size() == generic.rows.size());
    for (std::size_t i = 0; i < server.rows.size(); ++i) {
      CHECK(server.rows[i].key == generic.rows[i].key);
      CHECK(server.rows[i].bucket_start == generic.rows[i].bucket_start);
      trace_test::check_same_stats(server.rows[i].stats, generic.rows[i].stats);
    }
  }
  CHECK(trace_test::error_of([&] { group_spans(*store, {}, where::attribute("k") == 1); })
            .rfind("invalid argument: clickhouse group_spans: the filter does not translate exactly", 0) == 0);
}

TEST_CASE("clickhouse: retention drops whole days that ended before the cutoff") {
  scratch_store store;
  const timestamp_ns day = clickhouse::partition_width;
  std::vector<span> spans = {sample_span(1, 1, 0, "a", "old", 100 * day + 5, 10),
                             sample_span(2, 2, 0, "a", "old too", 101 * day + 5, 10),
                             sample_span(3, 3, 0, "a", "recent", 108 * day + 5, 10)};
  store->append(spans);
  // A copy of the store's options with a retention of 5 days, on the same table.
  trace::clickhouse_options with_retention = store->options();
  with_retention.retention = 5 * day;
  clickhouse_store pruner(with_retention);
  CHECK(pruner.apply_retention(107 * day) == 2);
  auto left = store->scan();
  REQUIRE(left.size() == 1);
  CHECK(left[0].name == "recent");
  CHECK(pruner.apply_retention(107 * day) == 0);
}

TEST_CASE("clickhouse: the Jaeger fixture queries give the memory store's answers") {
  namespace fs = std::filesystem;
  const fs::path fixtures = fs::path(TRACE_CONFORMANCE_DIR) / "jaeger";
  REQUIRE(fs::exists(fixtures / "queries.json"));
  scratch_store store;
  memory_store memory;
  for (const auto& entry : fs::directory_iterator(fixtures / "traces")) {
    if (entry.path().extension() != ".json") continue;
    auto spans = otlp::read_file(entry.path());
    store->append(spans);
    memory.append(spans);
  }
  REQUIRE(store->size() == memory.size());
  json::value doc = json::parse(read_file_text(fixtures / "queries.json"));
  int queries = 0, non_empty = 0;
  for (const json::value& entry : *doc.get_if<json::array>()) {
    const json::value& q = *entry.find("Query");
    jaeger::query jq;
    jq.service = *q.find("ServiceName")->get_if<std::string>();
    jq.operation = *q.find("OperationName")->get_if<std::string>();
    if (const auto* tags = q.find("Tags")->get_if<json::object>())
      for (const auto& m : *tags) {
        std::string text;
        if (const auto* s = m.val.get_if<std::string>()) text = *s;
        else if (const auto* b = m.val.get_if<bool>()) text = *b ? "true" : "false";
        else if (const auto* i = m.val.get_if<std::int64_t>()) text = std::to_string(*i);
        else if (const auto* d = m.val.get_if<double>()) text = to_string(attribute_value(*d));
        jq.tags.emplace_back(m.key, text);
      }
    jq.start_min = parse_rfc3339(*q.find("StartTimeMin")->get_if<std::string>());
    jq.start_max = parse_rfc3339(*q.find("StartTimeMax")->get_if<std::string>());
    jq.duration_min = static_cast<duration_ns>(*q.find("DurationMin")->get_if<std::int64_t>());
    jq.duration_max = static_cast<duration_ns>(*q.find("DurationMax")->get_if<std::int64_t>());
    jq.num_traces = static_cast<std::size_t>(*q.find("NumTraces")->get_if<std::int64_t>());
    INFO(*entry.find("Caption")->get_if<std::string>());
    auto tq = jaeger::to_trace_query(jq);
    auto from_store = find_traces(*store, tq);
    auto from_memory = find_traces(memory, tq);
    REQUIRE(from_store.size() == from_memory.size());
    for (std::size_t i = 0; i < from_store.size(); ++i) {
      std::vector<span> expected;
      for (const auto& ref : from_memory[i]) expected.push_back(ref.materialize());
      CHECK(sorted_by_id(from_store[i]) == sorted_by_id(expected));
    }
    non_empty += !from_store.empty();
    ++queries;
  }
  CHECK(queries == 25);
  CHECK(non_empty > 15);
  // Scope tags, which upstream's queries do not use: the server's answer is the memory store's.
  for (auto tags : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"scope.name", "testing-library"}, {"scope.version", "1.1.1"}},
           {{"scope.name", "testing-library"}, {"scope.version", "1.1.2"}},
           {{"scope.name", ""}}}) {
    jaeger::query jq;
    jq.num_traces = 1000;
    jq.tags = tags;
    INFO(tags.front().first << "=" << tags.front().second);
    auto from_store = find_traces(*store, jaeger::to_trace_query(jq));
    auto from_memory = find_traces(memory, jaeger::to_trace_query(jq));
    REQUIRE(from_store.size() == from_memory.size());
    for (std::size_t i = 0; i < from_store.size(); ++i) {
      std::vector<span> expected;
      for (const auto& ref : from_memory[i]) expected.push_back(ref.materialize());
      CHECK(sorted_by_id(from_store[i]) == sorted_by_id(expected));
    }
  }
}
