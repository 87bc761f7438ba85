// A user's own span type, not the library's, runs through the tree, query and summary
// algorithms once it specialises span_traits; types that do not are refused at compile time.

#include <catch2/catch.hpp>
#include <trace/trace.hpp>

#include <map>
#include <string>
#include <vector>

namespace app {

// An application's record, with its own field names and units (microseconds).
struct job_record {
  std::uint64_t run;
  std::uint32_t step;
  std::uint32_t parent_step;  // 0: none
  std::string pipeline;
  std::string step_name;
  std::uint64_t began_us;
  std::uint64_t finished_us;
  bool failed;
  std::map<std::string, std::int64_t> counters;
};

// Not a span: no traits.
struct unrelated {
  int x;
};

}  // namespace app

template <>
struct trace::span_traits<app::job_record> {
  using job = app::job_record;
  static trace::trace_id get_trace_id(const job& j) { return {0, j.run}; }
  static trace::span_id get_span_id(const job& j) { return trace::span_id{j.step}; }
  static trace::span_id get_parent_id(const job& j) { return trace::span_id{j.parent_step}; }
  static std::string_view get_name(const job& j) { return j.step_name; }
  static std::string_view get_service(const job& j) { return j.pipeline; }
  static trace::timestamp_ns get_start(const job& j) { return j.began_us * trace::microsecond; }
  static trace::timestamp_ns get_end(const job& j) { return j.finished_us * trace::microsecond; }
  static trace::status_code get_status(const job& j) {
    return j.failed ? trace::status_code::error : trace::status_code::ok;
  }
  template <class F>
  static bool visit_attributes(const job& j, F&& f) {
    for (const auto& [key, value] : j.counters)
      if (f(trace::attribute_scope::span, std::string_view(key), trace::attribute_value{value})) return true;
    return false;
  }
};

namespace app {
// A record that names the library that produced it: it opts into scope filters.
struct library_event {
  std::uint64_t id;
  std::string library;
  std::string library_version;
};
}  // namespace app

template <>
struct trace::span_traits<app::library_event> {
  using event = app::library_event;
  static trace::trace_id get_trace_id(const event&) { return {0, 1}; }
  static trace::span_id get_span_id(const event& e) { return trace::span_id{e.id}; }
  static trace::span_id get_parent_id(const event&) { return {}; }
  static std::string_view get_name(const event&) { return "event"; }
  static std::string_view get_service(const event&) { return "app"; }
  static trace::timestamp_ns get_start(const event&) { return 0; }
  static trace::timestamp_ns get_end(const event&) { return 0; }
  static trace::status_code get_status(const event&) { return trace::status_code::unset; }
  static std::string_view get_scope_name(const event& e) { return e.library; }
  static std::string_view get_scope_version(const event& e) { return e.library_version; }
};

namespace {
std::vector<app::job_record> pipeline_run() {
  return {
      {7, 1, 0, "etl", "run", 0, 1000, false, {}},
      {7, 2, 1, "etl", "extract", 10, 300, false, {{"rows", 5000}}},
      {7, 3, 1, "etl", "transform", 300, 900, true, {{"rows", 4990}}},
      {7, 4, 3, "etl", "validate", 310, 400, false, {}},
  };
}
}  // namespace

TEST_CASE("span_like holds for the library's spans and a specialised user type, not for others") {
  STATIC_REQUIRE(trace::span_like<trace::span>);
  STATIC_REQUIRE(trace::span_like<app::job_record>);
  STATIC_REQUIRE(trace::attributed_span_like<app::job_record>);
  STATIC_REQUIRE_FALSE(trace::scoped_span_like<app::job_record>);
  STATIC_REQUIRE(trace::scoped_span_like<app::library_event>);
  STATIC_REQUIRE(trace::scoped_span_like<trace::span>);
  STATIC_REQUIRE_FALSE(trace::span_like<app::unrelated>);
  STATIC_REQUIRE_FALSE(trace::span_like<int>);
  STATIC_REQUIRE_FALSE(trace::span_like<std::string>);
}

TEST_CASE("optional accessors fall back to defaults for a user type") {
  auto job = pipeline_run()[0];
  CHECK(trace::kind_of(job) == trace::span_kind::unspecified);
  CHECK(trace::status_message_of(job).empty());
  CHECK(trace::scope_name_of(job).empty());
  CHECK(trace::scope_version_of(job).empty());
  CHECK(trace::duration_of(job) == 1000 * trace::microsecond);
}

TEST_CASE("a user's span type builds a trace tree") {
  auto tree = trace::build_tree(pipeline_run());
  CHECK_FALSE(tree.has_issues());
  CHECK(tree.depth() == 3);
  CHECK(trace::render_text(tree) ==
        "run (etl) 1.00ms ok\n"
        "├─ extract (etl) 290us ok\n"
        "└─ transform (etl) 600us ERROR\n"
        "   └─ validate (etl) 90.0us ok\n");
  CHECK(tree.self_time(tree.find(trace::span_id{3})) == 510 * trace::microsecond);
}

TEST_CASE("a user's span type is filtered by the query layer, attributes included") {
  using namespace trace::where;
  auto jobs = pipeline_run();
  CHECK(trace::count_matching(jobs, status(trace::status_code::error)) == 1);
  CHECK(trace::count_matching(jobs, attribute("rows") > 4995) == 1);
  CHECK(trace::count_matching(jobs, service("etl") && min_duration(100 * trace::microsecond)) == 3);
  auto slowest = trace::select_spans(jobs, {any(), trace::span_order::duration_descending, 0, 1});
  REQUIRE(slowest.size() == 1);
  CHECK(slowest[0].step_name == "run");
}

TEST_CASE("scope filters never match a user type without scope accessors, and read one that has them") {
  using namespace trace::where;
  auto jobs = pipeline_run();
  // Its scope is unknown rather than empty: not even the empty name matches.
  CHECK(trace::count_matching(jobs, scope_name("")) == 0);
  CHECK(trace::count_matching(jobs, scope_version("")) == 0);
  CHECK(trace::count_matching(jobs, trace::filters::scope_is{}) == 0);
  CHECK(trace::count_matching(jobs, !scope_name("")) == 4);

  std::vector<app::library_event> events{{1, "libcurl", "8.5.0"}, {2, "libcurl", "8.6.0"}, {3, "", ""}};
  CHECK(trace::count_matching(events, scope_name("libcurl")) == 2);
  CHECK(trace::count_matching(events, scope_name("libcurl") && scope_version("8.6.0")) == 1);
  CHECK(trace::count_matching(events, scope_name("libcurl") && scope_version("8.6")) == 0);
  CHECK(trace::count_matching(events, scope_name("")) == 1);
}

TEST_CASE("a user's span type is summarised") {
  auto report = trace::summarize(pipeline_run());
  CHECK(report.spans.count == 4);
  CHECK(report.trace_count == 1);
  CHECK(report.spans.errors == 1);
  CHECK(report.spans.max == 1000 * trace::microsecond);
  REQUIRE(report.top_error_operations.size() == 1);
  CHECK(report.top_error_operations[0].operation == "transform");
}
