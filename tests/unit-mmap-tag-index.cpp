// A sealed segment's tag indexes on their own: what a lookup returns (a superset of the
// matching rows, every row whose value has another type included), that ranges follow the
// filter's comparison rules, and that damage is refused naming the index, never misread.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "trace/core/span.hpp"
#include "trace/query/filter.hpp"
#include "trace/store/mmap/tag_index.hpp"

namespace {

using trace::compare_op;
using trace::indexed_field;
using trace::indexed_type;
using trace::indexed_tag;
using rows = std::vector<std::uint32_t>;

std::vector<trace::span> spans_with(const std::vector<trace::attribute_value>& values) {
  std::vector<trace::span> out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    trace::span s;
    s.start = 1000 + 10 * i;
    s.attributes.set("k", values[i]);
    out.push_back(s);
  }
  return out;
}

std::string build(const std::vector<trace::span>& spans, std::vector<indexed_tag> specs) {
  trace::detail::tag_index_builder builder(std::move(specs));
  for (std::uint32_t row = 0; row < spans.size(); ++row) builder.add(row, spans[row]);
  return builder.finish(static_cast<std::uint32_t>(spans.size()));
}

trace::detail::tag_index_view open(const std::string& bytes, std::uint32_t rows) {
  return trace::detail::tag_index_view::open(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), rows, 500,
                                             "segment x");
}

// The rows a scan finds: what every lookup must contain.
rows scan(const std::vector<trace::span>& spans, compare_op op, const trace::attribute_value& wanted) {
  rows out;
  for (std::uint32_t row = 0; row < spans.size(); ++row)
    if (trace::matches(trace::where::attribute("k").compare(op, wanted), spans[row])) out.push_back(row);
  return out;
}

}  // namespace

TEST_CASE("an inverted index of strings returns exactly the rows that carry the value") {
  auto spans = spans_with({std::string("GET"), std::string("POST"), std::string("GET"), std::string(""), std::string("PUT"),
                          std::string("PATCH")});
  std::string bytes = build(spans, {{indexed_field::attribute, "k", indexed_type::string, trace::index_kind::inverted}});
  auto view = open(bytes, 6);
  const auto* index = view.find(indexed_field::attribute, "k");
  REQUIRE(index != nullptr);
  CHECK(view.find(indexed_field::attribute, "other") == nullptr);
  CHECK(index->candidates(compare_op::eq, std::string("GET")) == rows{0, 2});
  CHECK(index->candidates(compare_op::eq, std::string("")) == rows{3});
  CHECK(index->candidates(compare_op::eq, std::string("PATCH")) == rows{5});
  CHECK(index->candidates(compare_op::eq, std::string("DELETE")) == rows{});
  // "200" also equals an int 200, and ranges are not kept: the index declines, the query scans.
  CHECK_FALSE(index->candidates(compare_op::eq, std::int64_t{200}));
  CHECK_FALSE(index->candidates(compare_op::lt, std::string("M")));
}

TEST_CASE("rows whose value has another type are candidates of every lookup") {
  auto spans = spans_with({std::int64_t{200}, std::string("200"), std::vector<std::int64_t>{1, 2}, std::int64_t{404}});
  std::string bytes = build(spans, {{indexed_field::attribute, "k", indexed_type::int64, trace::index_kind::inverted}});
  auto view = open(bytes, 4);
  const auto* index = view.find(indexed_field::attribute, "k");
  REQUIRE(index != nullptr);
  CHECK(index->candidates(compare_op::eq, std::int64_t{404}) == rows{1, 2, 3});
  CHECK(index->candidates(compare_op::eq, 200.0) == rows{0, 1, 2});
  CHECK(index->candidates(compare_op::eq, 200.5) == rows{1, 2});
  // An inverted index keeps no order for ranges.
  CHECK_FALSE(index->candidates(compare_op::gt, std::int64_t{0}));
}

TEST_CASE("a sorted index answers ranges as the filter compares numbers") {
  std::vector<trace::attribute_value> values;
  for (std::int64_t v : std::vector<std::int64_t>{-5, 0, 3, 3, 7, 100, std::numeric_limits<std::int64_t>::min(),
                                              std::numeric_limits<std::int64_t>::max()})
    values.emplace_back(v);
  auto spans = spans_with(values);
  std::string bytes = build(spans, {{indexed_field::attribute, "k", indexed_type::int64, trace::index_kind::sorted}});
  auto view = open(bytes, static_cast<std::uint32_t>(spans.size()));
  const auto* index = view.find(indexed_field::attribute, "k");
  REQUIRE(index != nullptr);
  for (compare_op op : {compare_op::eq, compare_op::lt, compare_op::le, compare_op::gt, compare_op::ge})
    for (trace::attribute_value wanted :
         {trace::attribute_value(std::int64_t{3}), trace::attribute_value(2.5), trace::attribute_value(3.0),
          trace::attribute_value(-5.5), trace::attribute_value(std::numeric_limits<std::int64_t>::min()),
          trace::attribute_value(std::numeric_limits<std::int64_t>::max())}) {
      INFO("op " << static_cast<int>(op) << " value " << trace::to_string(wanted));
      CHECK(index->candidates(op, wanted) == scan(spans, op, wanted));
    }
}

TEST_CASE("a sorted index of doubles orders negative numbers, zeros and infinities") {
  auto spans = spans_with({-1.5, -0.0, 0.0, 2.25, -1e300, 1e300, std::numeric_limits<double>::infinity()});
  std::string bytes = build(spans, {{indexed_field::attribute, "k", indexed_type::double_, trace::index_kind::sorted}});
  auto view = open(bytes, static_cast<std::uint32_t>(spans.size()));
  const auto* index = view.find(indexed_field::attribute, "k");
  for (compare_op op : {compare_op::eq, compare_op::lt, compare_op::le, compare_op::gt, compare_op::ge})
    for (trace::attribute_value wanted : {trace::attribute_value(0.0), trace::attribute_value(-1.5),
                                          trace::attribute_value(std::int64_t{2}), trace::attribute_value(1e301)}) {
      INFO("op " << static_cast<int>(op) << " value " << trace::to_string(wanted));
      CHECK(index->candidates(op, wanted) == scan(spans, op, wanted));
    }
}

TEST_CASE("an index of bools and an index of start times") {
  auto spans = spans_with({true, false, true});
  std::string bytes = build(spans, {{indexed_field::attribute, "k", indexed_type::bool_, trace::index_kind::inverted},
                                    {indexed_field::start, "", indexed_type::int64, trace::index_kind::sorted}});
  auto view = open(bytes, 3);
  CHECK(view.find(indexed_field::attribute, "k")->candidates(compare_op::eq, true) == rows{0, 2});
  CHECK_FALSE(view.find(indexed_field::attribute, "k")->candidates(compare_op::eq, std::int64_t{1}));
  const auto* start = view.find(indexed_field::start, "");
  REQUIRE(start != nullptr);
  CHECK(start->rows_between(trace::detail::int_key(1005), trace::detail::int_key(1020)) == rows{1, 2});
}

TEST_CASE("indexes of the span's own fields: service and operation as strings, status and kind as numbers") {
  std::vector<trace::span> spans(5);
  const char* services[] = {"api", "db", "api", "web", "db"};
  for (std::size_t i = 0; i < spans.size(); ++i) {
    spans[i].start = 1000 + i;
    spans[i].resource.service_name = services[i];
    spans[i].name = i % 2 ? "GET /a" : "GET /b";
    spans[i].status.code = i == 3 ? trace::status_code::error : trace::status_code::ok;
    spans[i].kind = i < 2 ? trace::span_kind::server : trace::span_kind::client;
  }
  std::string bytes = build(spans, {{indexed_field::service, "", indexed_type::string, trace::index_kind::inverted},
                                    {indexed_field::name, "", indexed_type::string, trace::index_kind::inverted},
                                    {indexed_field::status, "", indexed_type::int64, trace::index_kind::inverted},
                                    {indexed_field::kind, "", indexed_type::int64, trace::index_kind::inverted}});
  const auto view = open(bytes, 5);
  REQUIRE(view.entries().size() == 4);
  const auto* service = view.find(indexed_field::service, "");
  REQUIRE(service != nullptr);
  CHECK(service->candidates(compare_op::eq, std::string("db")) == rows{1, 4});
  CHECK(service->candidates(compare_op::eq, std::string("nowhere")) == rows{});
  CHECK_FALSE(service->candidates(compare_op::lt, std::string("db")));  // equality only
  CHECK(view.find(indexed_field::name, "")->candidates(compare_op::eq, std::string("GET /a")) == rows{1, 3});
  CHECK(view.find(indexed_field::status, "")->candidates(compare_op::eq, std::int64_t{2}) == rows{3});
  CHECK(view.find(indexed_field::kind, "")->candidates(compare_op::eq, std::int64_t{3}) == rows{2, 3, 4});
  CHECK(view.find(indexed_field::attribute, "") == nullptr);

  // A field code past those known is refused as damage (with its checksum fixed up).
  bytes[16 + 1] = 7;
  const std::uint32_t crc = trace::mask_crc(trace::crc32c(reinterpret_cast<const std::byte*>(bytes.data()) + 4, bytes.size() - 4));
  std::memcpy(bytes.data(), &crc, 4);
  CHECK_THROWS_WITH(open(bytes, 5), Catch::Contains("index 0 has an unknown kind, field or type"));
}

TEST_CASE("a damaged tag index is refused, naming what and where") {
  auto spans = spans_with({std::string("a"), std::string("b")});
  std::string bytes = build(spans, {{indexed_field::attribute, "k", indexed_type::string, trace::index_kind::inverted}});
  SECTION("a flipped byte fails the checksum") {
    bytes[bytes.size() - 9] ^= 0x10;
    CHECK_THROWS_WITH(open(bytes, 2), Catch::Contains("segment x: tag index checksum mismatch (bytes 500..") &&
                                          Catch::Contains(std::to_string(500 + bytes.size())));
  }
  SECTION("cut short") {
    bytes.resize(bytes.size() - 8);
    CHECK_THROWS_WITH(open(bytes, 2), Catch::Contains("tag index checksum mismatch"));
  }
  SECTION("for another number of rows") { CHECK_THROWS_WITH(open(bytes, 3), Catch::Contains("covers 2 rows, the segment has 3")); }
  SECTION("a posting past the rows, with its checksum fixed up, is still refused") {
    const std::uint32_t past = 7;
    std::memcpy(bytes.data() + bytes.size() - 8, &past, 4);
    const std::uint32_t crc =
        trace::mask_crc(trace::crc32c(reinterpret_cast<const std::byte*>(bytes.data()) + 4, bytes.size() - 4));
    std::memcpy(bytes.data(), &crc, 4);
    CHECK_THROWS_WITH(open(bytes, 2), Catch::Contains("posting list names a row past the segment's 2"));
  }
  SECTION("shorter than its head") { CHECK_THROWS_WITH(open(bytes.substr(0, 8), 2), Catch::Contains("shorter than its 16-byte head")); }
}
