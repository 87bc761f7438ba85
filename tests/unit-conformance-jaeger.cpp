// Jaeger's storage-integration fixtures (third-party data, ../shared/conformance/jaeger):
// every fixture trace goes into each store (memory_store, mmap_store) through the OTLP JSON
// reader, then every query of queries.json runs through the Jaeger query translation and
// trace search, and must return exactly the expected traces, each with exactly its fixture's spans. Negative
// variants of each query (our own) must return nothing.
#include <catch2/catch.hpp>

#include <unistd.h>  // getpid: a store directory of this run's own

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "trace/io/json_reader.hpp"
#include "trace/io/file.hpp"
#include "trace/io/otlp_reader.hpp"
#include "trace/core/rfc3339.hpp"
#include "trace/query/jaeger.hpp"
#include "trace/store/memory.hpp"
#include "trace/store/mmap.hpp"

using namespace trace;
namespace fs = std::filesystem;

namespace {

const fs::path fixtures_dir = fs::path(TRACE_CONFORMANCE_DIR) / "jaeger";

// The fixtures as read from the files, keyed by file stem.
struct fixture_files {
  std::map<std::string, std::vector<span>> spans_by_fixture;
  std::map<trace_id, std::string> fixture_of_trace;
};

const fixture_files& files() {
  static const fixture_files loaded = [] {
    fixture_files out;
    for (const auto& entry : fs::directory_iterator(fixtures_dir / "traces")) {
      if (entry.path().extension() != ".json") continue;
      std::vector<span> spans = otlp::read_file(entry.path());
      for (const span& s : spans) out.fixture_of_trace[s.trace] = entry.path().stem().string();
      out.spans_by_fixture[entry.path().stem().string()] = std::move(spans);
    }
    return out;
  }();
  return loaded;
}

// Every backend, loaded with all fixtures, one batch per file.
template <class Store>
Store& loaded_store();

template <>
memory_store& loaded_store<memory_store>() {
  static memory_store store;
  static const bool filled = [] {
    for (const auto& [name, spans] : files().spans_by_fixture) store.append(spans);
    return true;
  }();
  (void)filled;
  return store;
}

template <>
mmap_store& loaded_store<mmap_store>() {
  static const fs::path dir = fs::temp_directory_path() / ("trace-jaeger-conformance-" + std::to_string(::getpid()));
  static mmap_store store = [] {
    fs::remove_all(dir);
    // Registered before the store exists, so it runs after the store's destructor.
    std::atexit([] { fs::remove_all(dir); });
    mmap_options options;
    options.path = dir;  // no retention: the 2017 timestamps stay as they are
    return mmap_store(options);
  }();
  static const bool filled = [] {
    for (const auto& [name, spans] : files().spans_by_fixture) store.append(spans);
    store.flush();
    return true;
  }();
  (void)filled;
  return store;
}

std::string tag_text(const json::value& v) {
  if (const auto* s = v.get_if<std::string>()) return *s;
  if (const auto* b = v.get_if<bool>()) return *b ? "true" : "false";
  if (const auto* i = v.get_if<std::int64_t>()) return std::to_string(*i);
  if (const auto* d = v.get_if<double>()) return to_string(attribute_value(*d));
  FAIL("unexpected tag value " << json::serialize(v));
  return {};
}

jaeger::query to_query(const json::value& q) {
  jaeger::query out;
  out.service = *q.find("ServiceName")->get_if<std::string>();
  out.operation = *q.find("OperationName")->get_if<std::string>();
  if (const auto* tags = q.find("Tags")->get_if<json::object>())
    for (const auto& m : *tags) out.tags.emplace_back(m.key, tag_text(m.val));
  out.start_min = parse_rfc3339(*q.find("StartTimeMin")->get_if<std::string>());
  out.start_max = parse_rfc3339(*q.find("StartTimeMax")->get_if<std::string>());
  out.duration_min = static_cast<duration_ns>(*q.find("DurationMin")->get_if<std::int64_t>());
  out.duration_max = static_cast<duration_ns>(*q.find("DurationMax")->get_if<std::int64_t>());
  out.num_traces = static_cast<std::size_t>(*q.find("NumTraces")->get_if<std::int64_t>());
  return out;
}

std::vector<span> by_id(std::vector<span> spans) {
  std::ranges::sort(spans, {}, [](const span& s) { return s.id; });
  return spans;
}

// Fixture names of the traces the query returns; checks each trace is its fixture, whole.
template <class Store>
std::set<std::string> run(const jaeger::query& q) {
  std::set<std::string> names;
  for (const auto& found : find_traces(loaded_store<Store>(), jaeger::to_trace_query(q))) {
    REQUIRE(!found.empty());
    auto name = files().fixture_of_trace.at(trace_id_of(found.front()));
    std::vector<span> got;
    for (const auto& ref : found) got.push_back(ref.materialize());
    CHECK(by_id(got) == by_id(files().spans_by_fixture.at(name)));
    names.insert(name);
  }
  return names;
}

std::vector<json::value> queries() {
  json::value doc = json::parse(read_file_text(fixtures_dir / "queries.json"));
  return *doc.get_if<json::array>();
}

// Durations of the spans of the expected traces, to put a bound just beyond them.
std::pair<duration_ns, duration_ns> duration_range(const std::set<std::string>& expected) {
  duration_ns shortest = ~duration_ns{0}, longest = 0;
  for (const auto& name : expected)
    for (const span& s : files().spans_by_fixture.at(name)) {
      shortest = std::min(shortest, s.duration());
      longest = std::max(longest, s.duration());
    }
  return {shortest, longest};
}

}  // namespace

TEMPLATE_TEST_CASE("Jaeger fixtures: every query returns exactly its expected traces", "", memory_store, mmap_store) {
  if (!fs::exists(fixtures_dir)) {
    WARN("skipped: Jaeger fixtures not found at " << fixtures_dir.string() << " (set TRACE_CONFORMANCE_DIR)");
    return;
  }
  REQUIRE(files().spans_by_fixture.size() == 32);
  REQUIRE(loaded_store<TestType>().size() == 38);
  auto all = queries();
  REQUIRE(all.size() == 25);
  int passed = 0;
  for (const auto& entry : all) {
    std::string caption = *entry.find("Caption")->get_if<std::string>();
    std::set<std::string> expected;
    for (const auto& name : *entry.find("ExpectedFixtures")->get_if<json::array>()) expected.insert(*name.get_if<std::string>());
    INFO(caption);
    auto got = run<TestType>(to_query(*entry.find("Query")));
    CHECK(got == expected);
    passed += got == expected;
  }
  CHECK(passed == 25);
}

TEMPLATE_TEST_CASE("Jaeger fixtures: near-miss variants of every query return nothing", "", memory_store, mmap_store) {
  if (!fs::exists(fixtures_dir)) {
    WARN("skipped: Jaeger fixtures not found at " << fixtures_dir.string() << " (set TRACE_CONFORMANCE_DIR)");
    return;
  }
  int variants = 0;
  for (const auto& entry : queries()) {
    std::string caption = *entry.find("Caption")->get_if<std::string>();
    std::set<std::string> expected;
    for (const auto& name : *entry.find("ExpectedFixtures")->get_if<json::array>()) expected.insert(*name.get_if<std::string>());
    const jaeger::query base = to_query(*entry.find("Query"));
    INFO(caption);

    jaeger::query wrong_operation = base;
    wrong_operation.operation = base.operation.empty() ? "no-such-operation" : base.operation + "-x";
    CHECK(run<TestType>(wrong_operation).empty());

    if (!base.tags.empty()) {
      for (std::size_t i = 0; i < base.tags.size(); ++i) {
        jaeger::query wrong_tag = base;
        wrong_tag.tags[i].second += "0";  // 123 -> 1230, 72.5 -> 72.50 (a different string form), ...
        INFO("tag " << wrong_tag.tags[i].first);
        CHECK(run<TestType>(wrong_tag).empty());
        ++variants;
      }
    }

    auto [shortest, longest] = duration_range(expected);
    jaeger::query too_long = base;  // at least 1ns longer than any span of the expected traces
    too_long.duration_min = longest + 1;
    too_long.duration_max = 0;
    CHECK(run<TestType>(too_long).empty());
    if (shortest > 0) {
      jaeger::query too_short = base;  // at most 1ns shorter than any of them
      too_short.duration_min = 0;
      too_short.duration_max = shortest - 1;
      CHECK(run<TestType>(too_short).empty());
      ++variants;
    }

    jaeger::query later = base;  // the window moved to start an hour after it ended
    later.start_min = base.start_max + hour;
    later.start_max = base.start_max + hour + (base.start_max - base.start_min);
    CHECK(run<TestType>(later).empty());
    variants += 3;
  }
  CHECK(variants > 75);
}

TEMPLATE_TEST_CASE("Jaeger fixtures: the special tag keys select by status, kind and resource", "", memory_store, mmap_store) {
  if (!fs::exists(fixtures_dir)) {
    WARN("skipped: Jaeger fixtures not found at " << fixtures_dir.string() << " (set TRACE_CONFORMANCE_DIR)");
    return;
  }
  // Positive and negative lookups whose answers come from the fixtures themselves.
  for (const auto& [name, spans] : files().spans_by_fixture) {
    const span& s = spans.front();
    INFO(name);
    jaeger::query q;
    q.service = s.resource.service_name;
    q.operation = s.name;
    q.tags = {{"span.kind", std::string(to_string(s.kind))}, {"span.status", std::string(to_string(s.status.code))},
              {"error", s.status.code == status_code::error ? "true" : "false"}};
    CHECK(run<TestType>(q).count(name) == 1);
    q.tags = {{"span.kind", s.kind == span_kind::server ? "client" : "server"}};
    CHECK(run<TestType>(q).count(name) == 0);
    q.tags = {{"error", s.status.code == status_code::error ? "false" : "true"}};
    CHECK(run<TestType>(q).count(name) == 0);
    for (const auto& item : s.resource.attributes) {
      q.tags = {{"resource." + item.key, to_string(item.value)}};
      CHECK(run<TestType>(q).count(name) == 1);
      q.tags = {{"resource." + item.key, to_string(item.value) + "-x"}};
      CHECK(run<TestType>(q).count(name) == 0);
    }
    q.tags = {{"resource.service.name", s.resource.service_name}};
    CHECK(run<TestType>(q).count(name) == 1);
  }
}

TEMPLATE_TEST_CASE("Jaeger fixtures: scope.name and scope.version select by the OTLP instrumentation scope", "",
                   memory_store, mmap_store) {
  if (!fs::exists(fixtures_dir)) {
    WARN("skipped: Jaeger fixtures not found at " << fixtures_dir.string() << " (set TRACE_CONFORMANCE_DIR)");
    return;
  }
  // Upstream's "Scope Name and Version" query reaches its fixture through span tags only;
  // the same query with the scope's own tags added must still find exactly that fixture.
  jaeger::query scoped;
  for (const auto& entry : queries())
    if (*entry.find("Caption")->get_if<std::string>() == "Scope Name and Version") scoped = to_query(*entry.find("Query"));
  REQUIRE(scoped.service == "query23-service");
  scoped.tags.emplace_back("scope.name", "testing-library");
  scoped.tags.emplace_back("scope.version", "1.1.1");
  CHECK(run<TestType>(scoped) == std::set<std::string>{"scope_name_version_trace"});
  for (auto [key, wrong] : {std::pair{"scope.name", "testing-librar"}, std::pair{"scope.name", "Testing-Library"},
                            std::pair{"scope.version", "1.1"}, std::pair{"scope.version", "1.1.10"}}) {
    jaeger::query near_miss = scoped;
    for (auto& [k, v] : near_miss.tags)
      if (k == key) v = wrong;
    INFO(key << "=" << wrong);
    CHECK(run<TestType>(near_miss).empty());
  }

  // Without a service: every fixture whose scope is that one, and only those; the expected
  // set comes from the fixture files, not from the store.
  std::set<std::string> named, unnamed;
  for (const auto& [name, spans] : files().spans_by_fixture)
    for (const span& s : spans) (s.scope.name == "testing-library" && s.scope.version == "1.1.1" ? named : unnamed).insert(name);
  REQUIRE(named.size() == 2);
  jaeger::query by_scope;
  by_scope.num_traces = 1000;
  by_scope.tags = {{"scope.name", "testing-library"}, {"scope.version", "1.1.1"}};
  CHECK(run<TestType>(by_scope) == named);
  by_scope.tags = {{"scope.version", "1.1.1"}};
  CHECK(run<TestType>(by_scope) == named);
  by_scope.tags = {{"scope.name", "testing-library"}, {"scope.version", "1.1.2"}};
  CHECK(run<TestType>(by_scope).empty());
  by_scope.tags = {{"scope.name", ""}};  // the scope that gave no name: all the other fixtures
  CHECK(run<TestType>(by_scope) == unnamed);
  by_scope.tags = {{"scope.name", ""}, {"scope.version", "1.1.1"}};
  CHECK(run<TestType>(by_scope).empty());
}
