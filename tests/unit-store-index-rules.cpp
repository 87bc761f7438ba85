// Index rules bound to a schema's tags: checked against the schema, kept in the catalog,
// built into each segment the group's store seals (format version 6 on), used by the row
// filter, trace search and TraceQL with the same answers as a scan, reported and scanned
// around when damaged, and rebuilt by `compact` when the rules change.
#include <catch2/catch.hpp>

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "support/request_schema.hpp"
#include "trace/query/span_query.hpp"
#include "trace/query/trace_search.hpp"
#include "trace/query/traceql.hpp"
#include "trace/query/traceql/search.hpp"
#include "trace/store/database.hpp"
#include "trace/store/memory.hpp"

using test_support::make_batch;
using test_support::read_file;
using test_support::temp_dir;
using test_support::write_file;
using trace_test::request_schema;

namespace {

std::vector<trace::index_rule> request_rules() {
  return {{"by_status", "http.status_code", trace::index_kind::sorted},
          {"by_host", "host.name", trace::index_kind::inverted},
          {"by_cached", "cached", trace::index_kind::inverted},
          {"by_ratio", "ratio", trace::index_kind::sorted},
          {"by_time", "start", trace::index_kind::sorted},
          {"by_service", "service", trace::index_kind::inverted},
          {"by_operation", "operation", trace::index_kind::inverted},
          {"by_span_status", "status", trace::index_kind::inverted},
          {"by_kind", "kind", trace::index_kind::inverted}};
}

std::vector<trace::indexed_tag> request_tags() {
  std::vector<trace::indexed_tag> out;
  for (const auto& r : request_rules()) out.push_back(trace::index_for(request_schema(), r));
  return out;
}

// Conditions on indexed tags, alone and mixed with others; each must count as a scan does.
std::vector<trace::filter> questions() {
  using trace::where::attribute;
  const trace::timestamp_ns t0 = 1'700'000'000'000'000'000ull;
  return {attribute("http.status_code") == 300,
          attribute("http.status_code") == 300.0,
          attribute("http.status_code") >= 400,
          attribute("http.status_code") < 250.5,
          attribute("host.name") == "host-1",
          attribute("host.name", trace::attribute_scope::span) == "host-1",
          attribute("host.name") == "nowhere",
          attribute("cached") == true,
          attribute("ratio") > 1.0,
          attribute("http.status_code") == 300 && trace::where::operation("op-1"),
          attribute("host.name") == "host-0" || attribute("host.name") == "host-2",
          attribute("host.name") == "host-0" || trace::where::operation("op-2"),
          !(attribute("http.status_code") == 200),
          trace::where::started_between(t0 + 5'000'000, t0 + 9'000'000),
          trace::where::started_between(t0 + 5'000'000, t0 + 9'000'000) && attribute("cached") == false,
          attribute("http.status_code") == "300",
          trace::where::service("svc-1"),
          trace::where::service("nowhere"),
          trace::where::operation("op-3"),
          trace::where::status(trace::status_code::error),
          trace::where::kind(trace::span_kind::server),
          trace::where::service("svc-2") && trace::where::operation("op-1"),
          trace::where::service("svc-0") || trace::where::status(trace::status_code::error),
          trace::where::kind(trace::span_kind::client) && attribute("cached") == true,
          !trace::where::service("svc-3"),
          trace::where::operation_contains("op-")};
}

// The segment's tag index region, as its header places it.
std::size_t tag_index_size(const std::string& bytes) {
  std::uint32_t size = 0;
  std::memcpy(&size, bytes.data() + 76, 4);
  return size;
}

// Writes the sealed segment `bytes` back to `path` with `index` in place of its tag index
// (the size at header offset 76, the header's checksum sealed again): a checksum-valid index
// that disagrees with the rows.
void replace_tag_index(const std::filesystem::path& path, std::string bytes, const std::string& index) {
  bytes.resize(bytes.size() - tag_index_size(bytes));
  const auto size = static_cast<std::uint32_t>(index.size());
  std::memcpy(bytes.data() + 76, &size, 4);
  trace::detail::seal_file_header(reinterpret_cast<std::byte*>(bytes.data()));
  write_file(path, bytes + index);
}

}  // namespace

TEST_CASE("index rules are checked against their schema, naming the rule and what is wrong") {
  const trace::trace_schema s = request_schema();
  auto refused = [&s](trace::index_rule r) {
    try {
      trace::index_for(s, r);
    } catch (const trace::error& e) {
      CHECK(e.code() == trace::errc::invalid_argument);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(refused({"r", "nope", trace::index_kind::inverted}),
             Catch::Contains("index rule \"r\" of trace schema \"request\": tag \"nope\" is not one of the schema's tags"));
  CHECK_THAT(refused({"r", "trace_id", trace::index_kind::inverted}),
             Catch::Contains("maps onto the span's trace_id; rules index attributes, the start time, the service"));
  for (const char* own : {"operation", "service", "status", "kind"}) {
    INFO(own);
    CHECK(refused({"r", own, trace::index_kind::inverted}) == "accepted");
    CHECK_THAT(refused({"r", own, trace::index_kind::sorted}), Catch::Contains("which takes an inverted index (equality)"));
  }
  CHECK(trace::index_for(s, {"r", "operation", trace::index_kind::inverted}) ==
        trace::indexed_tag{.field = trace::indexed_field::name, .key = "", .type = trace::indexed_type::string});
  CHECK(trace::index_for(s, {"r", "status", trace::index_kind::inverted}) ==
        trace::indexed_tag{.field = trace::indexed_field::status, .key = "", .type = trace::indexed_type::int64});
  CHECK_THAT(refused({"r", "ratio", trace::index_kind::inverted}), Catch::Contains("is a double: use a sorted index"));
  CHECK_THAT(refused({"r", "host.name", trace::index_kind::sorted}), Catch::Contains("a sorted index takes numbers and timestamps"));
  CHECK(refused({"r", "cached", trace::index_kind::inverted}) == "accepted");
  const std::vector<trace::index_rule> twice{{"a", "cached", trace::index_kind::inverted}, {"b", "cached", trace::index_kind::inverted}};
  CHECK_THROWS_WITH(trace::check_index_rules(s, twice), Catch::Contains("index rules \"a\" and \"b\" both index tag \"cached\""));
}

TEST_CASE("a database keeps each schema's index rules in its catalog and its store builds them") {
  temp_dir dir;
  const auto root = dir / "db";
  {
    trace::database db(root);
    db.create_group("orders", {.segment_bytes = trace::min_segment_bytes});
    db.put_schema("orders", request_schema());
    CHECK(db.index_rules("orders", "request").empty());
    db.put_index_rules("orders", "request", request_rules());
    CHECK_THROWS_WITH(db.put_index_rules("orders", "nope", {}), Catch::Contains("has no trace schema \"nope\""));
    // A schema change that drops an indexed tag is refused while a rule names it.
    trace::trace_schema smaller = request_schema();
    std::erase_if(smaller.tags, [](const trace::tag_spec& t) { return t.name == "host.name"; });
    CHECK_THROWS_WITH(db.put_schema("orders", smaller), Catch::Contains("tag \"host.name\" is not one of the schema's tags"));
    db.append("orders", "request", make_batch(0, 40, 5));
    db.store("orders").roll();
  }
  CHECK_THAT(read_file(root / "CATALOG"), Catch::Contains("trace-database-catalog 2\n") &&
                                              Catch::Contains("rule orders request by_host host.name inverted\n"));
  trace::database db(root);
  CHECK(db.index_rules("orders", "request") == request_rules());
  CHECK(db.indexed_tags("orders") == request_tags());
  const auto segments = db.store("orders").segments();
  REQUIRE(segments.size() >= 1);
  CHECK(segments[0].sealed);
  CHECK(segments[0].tag_index_bytes > 0);
  INFO(segments[0].tag_index_problem);
  CHECK(segments[0].indexed_tags == request_tags());
  CHECK(segments[0].tag_index_problem.empty());
}

TEST_CASE("queries on indexed tags answer as the scan does: row filter, trace search and TraceQL") {
  temp_dir dir;
  trace::mmap_options o = test_support::small_segment_options(dir);
  o.indexed_tags = request_tags();
  const auto spans = make_batch(0, 300, 6);
  trace::mmap_store store(o);
  for (std::size_t at = 0; at < spans.size(); at += 100)
    store.append(std::vector<trace::span>(spans.begin() + static_cast<std::ptrdiff_t>(at),
                                          spans.begin() + static_cast<std::ptrdiff_t>(std::min(at + 100, spans.size()))));
  store.roll();
  REQUIRE(store.segments().size() > 1);  // several sealed segments, each with its indexes
  for (const auto& s : store.segments()) CHECK(s.indexed_tags == request_tags());
  for (const trace::filter& f : questions()) {
    const std::size_t scanned = trace::count_matching(spans, f);
    CHECK(trace::count_matching(store, f) == scanned);
    std::set<trace::trace_id> expected;
    for (const trace::span& s : spans)
      if (trace::matches(f, s)) expected.insert(s.trace);
    const auto found = trace::find_trace_ids(store, {.where = f, .limit = spans.size()});
    CHECK(std::set<trace::trace_id>(found.begin(), found.end()) == expected);
  }
  CHECK(trace::count_matching(store, trace::parse_traceql("{ .http.status_code = 300 && resource.host.name = \"host-1\" }")) ==
        trace::count_matching(spans, trace::parse_traceql("{ .http.status_code = 300 && resource.host.name = \"host-1\" }")));
  CHECK(trace::count_matching(store, trace::parse_traceql("{ span.ratio >= 1.0 }")) ==
        trace::count_matching(spans, trace::parse_traceql("{ span.ratio >= 1.0 }")));
  // The span's own fields in TraceQL: the search's candidates go through their indexes.
  trace::memory_store scanned;
  scanned.append(spans);
  for (const char* q : {R"({ service = "svc-1" && name = "op-2" })", "{ status = error }", "{ kind = producer }",
                        R"({ name = "op-0" } >> { status = error })"}) {
    INFO(q);
    const auto query = trace::parse_traceql_query(q);
    std::set<trace::trace_id> expected, found;
    for (const auto& t : trace::search_traceql(scanned, query, {.limit = spans.size()})) expected.insert(t.id);
    for (const auto& t : trace::search_traceql(store, query, {.limit = spans.size()})) found.insert(t.id);
    CHECK(found == expected);
    CHECK(!expected.empty());
  }
}

TEST_CASE("the active log's batches are indexed by the first query that asks") {
  temp_dir dir;
  trace::mmap_options o = test_support::default_options(dir);
  o.indexed_tags = request_tags();
  const auto spans = make_batch(0, 60, 5);
  trace::mmap_store store(o);
  store.append(std::vector<trace::span>(spans.begin(), spans.begin() + 100));
  store.append(std::vector<trace::span>(spans.begin() + 100, spans.end()));
  REQUIRE(store.segments().size() == 1);
  REQUIRE_FALSE(store.segments()[0].sealed);
  for (const auto& b : store.blocks()) {
    REQUIRE(b.tag_index() != nullptr);
    CHECK(b.tag_index()->entries().size() == request_tags().size());
  }
  for (const trace::filter& f : questions()) CHECK(trace::count_matching(store, f) == trace::count_matching(spans, f));
  // Reopened read-only: the replayed batches are indexed alike.
  trace::mmap_options reader = o;
  reader.mode = trace::open_mode::read_only;
  const trace::mmap_store again(reader);
  for (const trace::filter& f : questions()) CHECK(trace::count_matching(again, f) == trace::count_matching(spans, f));
}

TEST_CASE("the row filter reads only the rows an index names") {
  // An index that says no row carries status 300 (built over other spans) while every row
  // does: an indexed query then finds none, so the index, not the scan, answered it.
  temp_dir dir;
  trace::mmap_options o = test_support::default_options(dir);
  o.indexed_tags = std::vector<trace::indexed_tag>{request_tags()[0]};
  {
    trace::mmap_store store(o);
    auto batch = make_batch(0, 10, 3);
    for (auto& s : batch) s.attributes.set("http.status_code", std::int64_t{300});
    store.append(batch);
    store.roll();
  }
  const auto path = trace::detail::segment_path(o.path, 1, ".seg");
  REQUIRE(std::filesystem::exists(path));
  std::string bytes = read_file(path);
  trace::detail::tag_index_builder other(*o.indexed_tags);
  for (std::uint32_t row = 0; row < 30; ++row) other.add(row, trace::span{});
  replace_tag_index(path, bytes, other.finish(30));
  trace::mmap_store store(o);
  CHECK(store.segments()[0].tag_index_problem.empty());
  CHECK(trace::count_matching(store, trace::where::attribute("http.status_code") == 300) == 0);
  CHECK(trace::count_matching(store, trace::where::attribute("http.status_code").exists()) == 30);  // not an indexed question
}

TEST_CASE("the row filter reads only the rows a service, operation, status or kind index names") {
  // As above: every row is of service svc-1, operation op-0, status error and kind server,
  // but the indexes were built over spans with none of those, so indexed queries find none.
  temp_dir dir;
  trace::mmap_options o = test_support::default_options(dir);
  std::vector<trace::indexed_tag> own;
  for (const char* tag : {"service", "operation", "status", "kind"}) own.push_back(trace::index_for(request_schema(), {tag, tag}));
  o.indexed_tags = own;
  {
    trace::mmap_store store(o);
    auto batch = make_batch(0, 10, 3);
    for (auto& s : batch) {
      s.resource.service_name = "svc-1";
      s.name = "op-0";
      s.status.code = trace::status_code::error;
      s.kind = trace::span_kind::server;
    }
    store.append(batch);
    store.roll();
  }
  const auto path = trace::detail::segment_path(o.path, 1, ".seg");
  std::string bytes = read_file(path);
  trace::detail::tag_index_builder other(own);
  for (std::uint32_t row = 0; row < 30; ++row) other.add(row, test_support::make_span(0, 2));  // svc-0, op-2, ok, client
  replace_tag_index(path, bytes, other.finish(30));
  trace::mmap_store store(o);
  CHECK(store.segments()[0].tag_index_problem.empty());
  CHECK(trace::count_matching(store, trace::where::service("svc-1")) == 0);
  CHECK(trace::count_matching(store, trace::where::operation("op-0")) == 0);
  CHECK(trace::count_matching(store, trace::where::status(trace::status_code::error)) == 0);
  CHECK(trace::count_matching(store, trace::where::kind(trace::span_kind::server)) == 0);
  CHECK(trace::count_matching(store, trace::parse_traceql(R"({ service = "svc-1" })")) == 0);
  // Rows the index names are still tested: svc-0 is in the index, in no row.
  CHECK(trace::count_matching(store, trace::where::service("svc-0")) == 0);
  CHECK(trace::count_matching(store, !trace::where::service("svc-0")) == 30);  // a negation reads every row
}

TEST_CASE("a damaged tag index is reported and its segment scanned: never a wrong answer") {
  temp_dir dir;
  trace::mmap_options o = test_support::default_options(dir);
  o.indexed_tags = request_tags();
  const auto spans = make_batch(0, 50, 4);
  {
    trace::mmap_store store(o);
    store.append(spans);
    store.roll();
  }
  const auto path = trace::detail::segment_path(o.path, 1, ".seg");
  std::string bytes = read_file(path);
  const std::size_t at = bytes.size() - tag_index_size(bytes);
  bytes[at + 40] = static_cast<char>(bytes[at + 40] ^ 0x04);
  write_file(path, bytes);
  trace::mmap_store store(o);
  const auto segments = store.segments();
  CHECK_THAT(segments[0].tag_index_problem, Catch::Contains(path.string()) && Catch::Contains("tag index checksum mismatch") &&
                                                Catch::Contains("(bytes " + std::to_string(at) + ".."));
  CHECK(segments[0].indexed_tags.empty());
  for (const trace::filter& f : questions()) CHECK(trace::count_matching(store, f) == trace::count_matching(spans, f));
  // compact rebuilds it.
  store.compact();
  CHECK(store.segments()[0].tag_index_problem.empty());
  CHECK(store.segments()[0].indexed_tags == request_tags());
}

TEST_CASE("changed rules apply to new segments, and to old ones on compact") {
  temp_dir dir;
  trace::mmap_options o = test_support::default_options(dir);
  const auto spans = make_batch(0, 30, 4);
  trace::mmap_store store(o);
  store.append(spans);
  store.roll();
  CHECK(store.segments()[0].tag_index_bytes == 0);
  store.set_indexed_tags(request_tags());
  store.append(make_batch(100, 5, 2));
  store.roll();
  REQUIRE(store.segments().size() == 2);
  CHECK(store.segments()[0].indexed_tags.empty());
  CHECK(store.segments()[1].indexed_tags == request_tags());
  store.compact();
  for (const auto& s : store.segments()) CHECK(s.indexed_tags == request_tags());
  CHECK(trace::count_matching(store, trace::where::attribute("http.status_code") == 300) ==
        trace::count_matching(spans, trace::where::attribute("http.status_code") == 300) +
            trace::count_matching(make_batch(100, 5, 2), trace::where::attribute("http.status_code") == 300));
}
