#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "trace/io/parquet.hpp"

using namespace trace;

namespace {

// A span with every field of the model set, varied by `n`.
span full_span(std::uint64_t n) {
  span s;
  s.trace = trace_id{0x0102030405060708ULL + n, 0xf0e0d0c0b0a09080ULL};
  s.id = span_id{0x1000 + n};
  if (n % 3) s.parent = span_id{0x1000 + n - 1};
  s.trace_state = n % 2 ? "vendor=x" : "";
  s.name = "op-" + std::to_string(n % 4);
  s.kind = static_cast<span_kind>(n % 6);
  s.start = 1'700'000'000'000'000'000ULL + n * 1000;
  s.end = s.start + 123 + n;
  s.status = {n % 5 == 0 ? status_code::error : status_code::ok, n % 5 == 0 ? "boom \"quoted\"" : ""};
  s.attributes.set("http.status_code", std::int64_t{200 + static_cast<std::int64_t>(n)});
  s.attributes.set("ok", n % 2 == 0);
  s.attributes.set("ratio", 0.25 * static_cast<double>(n));
  s.attributes.set("path", std::string("/a/") + std::to_string(n));
  if (n % 2) {
    s.attributes.set("bools", std::vector<bool>{true, false});
    s.attributes.set("ints", std::vector<std::int64_t>{-1, 0, std::numeric_limits<std::int64_t>::max()});
    s.attributes.set("doubles", std::vector<double>{1.0, 2.5, std::numeric_limits<double>::infinity()});
    s.attributes.set("strings", std::vector<std::string>{"a\"b", "line\nbreak", ""});
    s.attributes.set("empty", std::vector<std::string>{});
  }
  s.resource.service_name = n % 2 ? "cart" : "checkout";
  s.resource.attributes.set("host.name", std::string("h") + std::to_string(n % 3));
  s.resource.dropped_attributes = static_cast<std::uint32_t>(n % 2);
  s.resource.schema_url = "https://opentelemetry.io/schemas/1.21.0";
  s.scope = {"lib", "1.2", {}, 0, ""};
  if (n % 4 == 1) s.scope.attributes.set("scope.k", std::string("v"));
  s.dropped_attributes = 1, s.dropped_events = 2, s.dropped_links = 3;
  s.flags = n % 2 ? 0x301 : 0;
  for (std::uint64_t e = 0; e < n % 3; ++e) {
    event ev;
    ev.time = s.start + e;
    ev.name = "event-" + std::to_string(e);
    if (e == 1) ev.level = event_level::warn;
    if (e == 0) ev.attributes.set("exception.message", std::string("m") + std::to_string(n));
    ev.dropped_attributes = static_cast<std::uint32_t>(e);
    s.events.push_back(ev);
  }
  if (n % 4 == 2) {
    trace::link l;
    l.trace = trace_id{7, n};
    l.span = span_id{9};
    l.trace_state = "a=b";
    l.flags = 1;
    l.dropped_attributes = 4;
    l.attributes.set("link.kind", std::string("follows"));
    s.links.push_back(l);
    trace::link bare;
    bare.trace = trace_id{8, 1};
    bare.span = span_id{10};
    s.links.push_back(bare);
  }
  return s;
}

std::string write_spans(const std::vector<span>& spans, parquet::write_options options) {
  std::ostringstream out;
  parquet::writer w(out, options);
  for (const auto& s : spans) w.write(s);
  w.close();
  return std::move(out).str();
}

std::vector<span> sample(std::size_t n) {
  std::vector<span> spans;
  for (std::size_t i = 0; i < n; ++i) spans.push_back(full_span(i));
  return spans;
}

std::int64_t plain_int64(const std::string& bytes) {
  REQUIRE(bytes.size() == 8);
  std::uint64_t v = 0;
  for (int b = 7; b >= 0; --b) v = (v << 8) | static_cast<std::uint8_t>(bytes[static_cast<std::size_t>(b)]);
  return static_cast<std::int64_t>(v);
}

}  // namespace

TEST_CASE("Parquet snappy: the format's literal and copy tags decode, and our blocks round-trip") {
  // Length 10, literal "abcd" (tag (4-1)<<2), copy of 6 at offset 4 (tag 01: (6-4)<<2 | 1).
  const std::string block = std::string("\x0a\x0c", 2) + "abcd" + std::string("\x09\x04", 2);
  CHECK(parquet::snappy_decompress(block, 10, "test") == "abcdabcdab");
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "span-" + std::to_string(i % 37) + ";";
  std::string noise;
  std::uint32_t x = 12345;
  for (int i = 0; i < 200000; ++i) noise.push_back(static_cast<char>((x = x * 1664525u + 1013904223u) >> 24));
  for (const std::string& input : {std::string(), std::string("a"), text, noise, std::string(100000, 'z')}) {
    const std::string compressed = parquet::snappy_compress(input);
    CHECK(parquet::snappy_decompress(compressed, input.size(), "test") == input);
    if (input == text) CHECK(compressed.size() < input.size() / 4);
  }
  CHECK_THROWS_WITH(parquet::snappy_decompress(std::string("\x0a\x09\x04", 3), 10, "page 3"),
                    Catch::Contains("page 3") && Catch::Contains("copy before the start"));
  CHECK_THROWS_WITH(parquet::snappy_decompress(block, 11, "page 3"), Catch::Contains("length differs"));
}

TEST_CASE("Parquet RLE/bit-packed hybrid: the spec's packing of 0-7 in 3 bits, runs, round trips") {
  std::string out;
  parquet::rle_hybrid_encode(out, {0, 1, 2, 3, 4, 5, 6, 7}, 3);
  CHECK(out == std::string("\x03\x88\xc6\xfa", 4));  // one group; 10001000 11000110 11111010
  out.clear();
  parquet::rle_hybrid_encode(out, std::vector<std::uint32_t>(10, 1), 1);
  CHECK(out == std::string("\x14\x01", 2));  // run of 10 (10<<1), value 1
  std::vector<std::uint32_t> mixed;
  for (std::uint32_t i = 0; i < 1000; ++i) mixed.push_back(i % 100 < 40 ? 5 : i % 7);
  for (int width : {3, 9, 17}) {
    out.clear();
    parquet::rle_hybrid_encode(out, mixed, width);
    CHECK(parquet::rle_hybrid_decode(out, width, mixed.size(), "test") == mixed);
  }
  CHECK_THROWS_WITH(parquet::rle_hybrid_decode(std::string("\x05\x88", 2), 3, 8, "levels of x"),
                    Catch::Contains("levels of x") && Catch::Contains("past the end"));
}

TEST_CASE("Parquet thrift compact: short and long field headers, zigzag varints, lists, skipping") {
  std::string out;
  parquet::compact_writer w(out);
  w.begin_struct();
  w.field_i32(1, 1);        // delta 1, type 5: 0x15, zigzag(1) = 2
  w.field_i64(20, -1);      // delta 19: type byte 0x06, zigzag id 40, zigzag(-1) = 1
  w.field_binary(21, "ab");
  w.field_list(22, parquet::ctype::i32, 2);
  w.i32(3), w.i32(-3);
  w.end_struct();
  CHECK(out == std::string("\x15\x02\x06\x28\x01\x18\x02" "ab" "\x19\x25\x06\x05\x00", 14));
  parquet::compact_reader r(out, "test");
  r.begin_struct();
  auto f = r.next_field();
  CHECK((f.id == 1 && f.type == parquet::ctype::i32 && r.read_i32() == 1));
  f = r.next_field();
  CHECK((f.id == 20 && r.read_i64() == -1));
  f = r.next_field();
  CHECK((f.id == 21 && r.read_binary() == "ab"));
  f = r.next_field();
  CHECK(f.id == 22);
  r.skip(f.type);
  CHECK(r.next_field().type == parquet::ctype::stop);
  parquet::compact_reader truncated(std::string_view(out).substr(0, 8), "footer", 100);
  truncated.begin_struct();
  truncated.next_field(), truncated.read_i32();
  truncated.next_field(), truncated.read_i64();
  truncated.next_field();
  CHECK_THROWS_WITH(truncated.read_binary(), Catch::Contains("footer at byte 107") && Catch::Contains("past the end"));
}

TEST_CASE("Parquet spans: every field comes back, in row groups, plain and snappy") {
  const auto spans = sample(23);
  for (auto codec : {parquet::compression::uncompressed, parquet::compression::snappy}) {
    const std::string file = write_spans(spans, {5, codec});
    CHECK(file.substr(0, 4) == "PAR1");
    CHECK(file.substr(file.size() - 4) == "PAR1");
    parquet::reader r(file);
    CHECK(r.row_count() == 23);
    REQUIRE(r.row_group_count() == 5);
    CHECK(r.metadata().row_groups[4].num_rows == 3);
    const auto back = r.read_all();
    REQUIRE(back.size() == spans.size());
    for (std::size_t i = 0; i < spans.size(); ++i) {
      INFO("span " << i);
      CHECK(back[i] == spans[i]);
    }
    for (const auto& c : r.metadata().row_groups[0].columns)
      CHECK(c.compression == (codec == parquet::compression::snappy ? parquet::codec::snappy : parquet::codec::uncompressed));
  }
}

TEST_CASE("Parquet spans: statistics give each row group's time range and null counts; names use a dictionary") {
  const std::string file = write_spans(sample(10), {4, parquet::compression::snappy});
  parquet::reader r(file);
  const auto& layout = r.layout();
  const std::size_t start = layout.leaf_index.at("start_time");
  const std::size_t parent = layout.leaf_index.at("parent_span_id");
  const std::size_t name = layout.leaf_index.at("name");
  const auto& first = r.metadata().row_groups[1].columns;  // spans 4..7
  CHECK(plain_int64(*first[start].stats.min_value) == static_cast<std::int64_t>(full_span(4).start));
  CHECK(plain_int64(*first[start].stats.max_value) == static_cast<std::int64_t>(full_span(7).start));
  CHECK(*first[parent].stats.null_count == 1);  // span 6 is a root
  CHECK(*first[name].stats.min_value == "op-0");
  CHECK(*first[name].stats.max_value == "op-3");
  // 4 names over 40 rows: a dictionary of 4 and 1-byte indices beat the plain strings.
  parquet::reader many(write_spans(sample(40), {40, parquet::compression::uncompressed}));
  const auto& chunk = many.metadata().row_groups[0].columns[name];
  CHECK(std::find(chunk.encodings.begin(), chunk.encodings.end(), parquet::encoding::rle_dictionary) != chunk.encodings.end());
  CHECK(chunk.dictionary_page_offset.has_value());
  CHECK(many.read_all() == sample(40));
  CHECK(r.layout().find_leaf("start_time")->logical.type == parquet::logical_type::kind::timestamp);
}

TEST_CASE("Parquet spans: an empty file has a schema and no rows") {
  parquet::reader r(write_spans({}, {}));
  CHECK(r.row_count() == 0);
  CHECK(r.row_group_count() == 0);
  CHECK(r.read_all().empty());
}

TEST_CASE("Parquet reader: a file without the magic or with a footer past its start is refused, naming what") {
  const std::string file = write_spans(sample(3), {});
  CHECK_THROWS_WITH(parquet::reader(file.substr(0, file.size() - 1)), Catch::Contains("PAR1"));
  std::string bad_length = file;
  bad_length[bad_length.size() - 5] = '\x7f';
  CHECK_THROWS_WITH(parquet::reader(bad_length), Catch::Contains("footer length"));
  std::ostringstream sink;
  CHECK_THROWS_WITH(parquet::writer(sink, {0}), Catch::Contains("row_group_rows"));
}

TEST_CASE("Parquet reader: byte changes all over a file read or throw trace::error, never crash") {
  for (auto codec : {parquet::compression::uncompressed, parquet::compression::snappy}) {
    const std::string file = write_spans(sample(4), {3, codec});
    std::size_t refused = 0, tried = 0;
    // About 300 places spread over the file (fuzz_parquet tries the rest).
    for (std::size_t i = 0; i < file.size(); i += 1 + file.size() / 300, ++tried) {
      std::string damaged = file;
      damaged[i] = static_cast<char>(damaged[i] ^ (i % 2 ? 0xff : 0x01));
      try {
        parquet::reader r(damaged);
        (void)r.read_all();
      } catch (const trace::error&) {
        ++refused;
      }
    }
    CHECK(refused > tried / 4);  // the footer and page headers are most of a small file
  }
}

TEST_CASE("Parquet spans: levels of an event's attributes say 'no event' and 'an event without attributes' apart") {
  span none = full_span(0);  // n % 3 == 0: no events
  span one = full_span(1);   // one event, with attributes
  one.events[0].attributes = {};
  const std::string file = write_spans({none, one}, {10, parquet::compression::uncompressed});
  parquet::reader r(file);
  const auto& layout = r.layout();
  const std::size_t index = layout.leaf_index.at("events.list.element.attributes.key_value.key");
  const auto& descriptor = layout.leaves[index];
  CHECK(descriptor.max_repetition == 2);
  CHECK(descriptor.max_definition == 3);  // list, element (optional), key_value
  const auto values = parquet::read_column_chunk(file, r.metadata().row_groups[0].columns[index], descriptor);
  CHECK(values.definition_levels == std::vector<std::uint8_t>{0, 2});  // no list; an element, no map entry
  CHECK(values.repetition_levels == std::vector<std::uint8_t>{0, 0});
  CHECK(r.read_all() == std::vector<span>{none, one});
}
