// The mmap store's format 2 encoding: strings as "text or ref", zigzag integers, event times
// relative to the span, packed column widths. Spans of every shape must come back whole from
// a log block, from sealing (which interns short strings) and from compaction (which
// resolves refs through each source's table and re-interns them); damaged refs and widths
// are refused; and a sealed segment is much smaller than the log it came from.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "trace/query/text_query.hpp"
#include "trace/store/mmap.hpp"

using test_support::materialize_all;
using test_support::default_options;
using test_support::files_with;
using test_support::sorted;
using test_support::temp_dir;

namespace {

// Span `index` of a batch tagged `tag`: every attribute value type, strings on both sides of
// the interning limit, negative and extreme integers, events before and after the span's
// start with every level, links. Each tag brings strings of its own, so the segments'
// string tables differ and compaction has to renumber refs.
trace::span rich_span(const std::string& tag, std::uint64_t index) {
  const std::size_t limit = trace::detail::max_interned_extras_text;
  trace::span s;
  s.trace = trace::trace_id(0xabc, 1 + index / 3 + std::hash<std::string>{}(tag) % 1000 * 100);
  s.id = trace::span_id(std::hash<std::string>{}(tag) % 100000 * 1000 + index + 1);
  s.parent = index % 3 ? trace::span_id(s.id.value() - index % 3) : trace::span_id();
  s.name = tag + ".op-" + std::to_string(index % 4);
  s.kind = static_cast<trace::span_kind>(index % 6);
  s.start = 1'700'000'000'000'000'000ull + index * 7'000'000'123ull;
  s.end = s.start + (index % 2 ? 3 : 90'000'000'000ull);
  s.status.code = static_cast<trace::status_code>(index % 3);
  if (index % 3 == 2) s.status.message = std::string(limit + 1 + index, 'm');  // too long to intern
  s.trace_state = index % 2 ? "" : tag + "=state";
  s.resource.service_name = tag + "-svc";
  s.resource.attributes.set("host.name", tag + "-host-" + std::to_string(index % 2));
  s.resource.attributes.set("cores", std::int64_t{-8});
  s.scope.name = "scope-" + tag;
  s.scope.version = "v" + std::to_string(index % 2);
  s.scope.attributes.set("weights", std::vector<double>{0.5, -1.25});
  if (index % 3 == 1) s.resource.schema_url = "https://opentelemetry.io/schemas/1." + std::to_string(index % 2);
  if (index % 4 == 1) s.scope.schema_url = "https://opentelemetry.io/schemas/scope";
  s.flags = index % 2 ? 0x101 : 0;  // format 3: OTLP flags
  s.attributes.set(tag + ".key", tag + ".value");
  s.attributes.set("empty", std::string());
  s.attributes.set("exactly the limit", std::string(limit, 'x'));
  s.attributes.set("one past the limit", std::string(limit + 1, 'y'));
  s.attributes.set("long", std::string(1000 + index, 'z'));
  s.attributes.set("negative", std::int64_t(-1) - static_cast<std::int64_t>(index));
  s.attributes.set("min", std::numeric_limits<std::int64_t>::min());
  s.attributes.set("max", std::numeric_limits<std::int64_t>::max());
  s.attributes.set("zero", std::int64_t{0});
  s.attributes.set("ratio", -0.125 * static_cast<double>(index));
  s.attributes.set("flag", index % 2 == 0);
  s.attributes.set("flags", std::vector<bool>{true, false, index % 2 == 1});
  s.attributes.set("ints", std::vector<std::int64_t>{-300, 0, 300, std::numeric_limits<std::int64_t>::min()});
  s.attributes.set("reals", std::vector<double>{1.5, -2.5});
  s.attributes.set("texts", std::vector<std::string>{"", tag, std::string(limit + 5, 't')});
  s.attributes.set("no ints", std::vector<std::int64_t>{});
  if (index % 2 == 0) {
    s.events.push_back({s.start - 5'000, "before the span " + tag, {{"n", std::int64_t(-1)}}, trace::event_level::debug, 1});
    for (int level = 0; level <= static_cast<int>(trace::event_level::critical); ++level)
      s.events.push_back({s.start + static_cast<std::uint64_t>(level) * 1'000'000'000'000ull, "level " + std::to_string(level),
                          {}, static_cast<trace::event_level>(level), 0});
    s.events.push_back({s.start, std::string(limit + 2, 'e'), {{tag, tag}}, std::nullopt, 0});
    s.links.push_back({trace::trace_id(9, index + 1), trace::span_id(99), tag + "=link", {{"why", tag + " follows"}}, 2});
    s.links.push_back({trace::trace_id(~0ull, ~0ull), trace::span_id(~0ull), "", {}, 0, 0x301});
    s.dropped_attributes = 1;
    s.dropped_events = 300;
    s.dropped_links = 70000;
  }
  return s;
}

// The extras of `s` as formats 2 to 6 wrote them: every head field and count, zero or not;
// format 3 on appends the flags (`with_flags`).
std::string extras_of_format_6(const trace::span& s, bool with_flags) {
  std::string out;
  trace::detail::encode_extras_every_field(out, s);
  if (!with_flags) out.resize(out.size() - 1 - s.links.size());  // the flags are one byte each here
  return out;
}

std::vector<trace::span> rich_batch(const std::string& tag, std::uint64_t count) {
  std::vector<trace::span> out;
  for (std::uint64_t i = 0; i < count; ++i) out.push_back(rich_span(tag, i));
  return out;
}

std::vector<trace::span> joined(const std::vector<std::vector<trace::span>>& batches) {
  std::vector<trace::span> all;
  for (const auto& b : batches) all.insert(all.end(), b.begin(), b.end());
  return all;
}

}  // namespace

TEST_CASE("spans of every shape come back whole from a log, a sealed segment and a compacted one") {
  temp_dir dir;
  auto o = default_options(dir);
  const std::vector<std::vector<trace::span>> batches{rich_batch("alpha", 13), rich_batch("beta", 9), rich_batch("gamma", 11)};
  const auto all = sorted(joined(batches));
  {
    trace::mmap_store store(o);
    store.append(batches[0]);
    REQUIRE_FALSE(store.segments().back().sealed);
    CHECK(materialize_all(store) == sorted(batches[0]));  // log block: inline strings

    store.roll();
    REQUIRE(store.segments().back().sealed);
    CHECK(materialize_all(store) == sorted(batches[0]));  // sealed: interned refs

    store.append(batches[1]);
    store.roll();
    store.append(batches[2]);
    store.roll();
    REQUIRE(store.segments().size() == 3);
    CHECK(materialize_all(store) == all);

    CHECK(store.compact() == 2);  // refs resolved through each source's table, then re-interned
    REQUIRE(store.segments().size() == 1);
    CHECK(materialize_all(store) == all);
  }
  trace::mmap_store reopened(o);
  CHECK(materialize_all(reopened) == all);
  for (const auto& expected : all) {
    auto found = reopened.find_trace(expected.trace);
    auto match = std::find_if(found.begin(), found.end(), [&](const trace::mmap_span& s) { return s.id() == expected.id; });
    REQUIRE(match != found.end());
    CHECK((*match).status_message() == expected.status.message);
    CHECK((*match).trace_state() == expected.trace_state);
  }
}

TEST_CASE("sealing interns short extras strings as refs and keeps long ones inline") {
  // Worked example of docs/FORMAT.md: one attribute http.method = "GET".
  trace::span s = test_support::make_span(1, 1);
  s.attributes = {};
  s.attributes.set("http.method", std::string("GET"));
  s.attributes.set("http.status_code", std::int64_t{-3});
  std::string log_bytes;
  trace::detail::encode_extras(log_bytes, s);
  // A key and its value's tag in one varint: (11 << 1) << 3 | 3 (text) = 179; then the value.
  const std::string inline_attribute = std::string("\xb3\x01http.method\x06GET", 16);
  CHECK(log_bytes.find(inline_attribute) != std::string::npos);
  // (16 << 1) << 3 | 1 (integer) = 257, zigzag(-3) = 5
  CHECK(log_bytes.find(std::string("\x81\x02http.status_code\x05", 19)) != std::string::npos);

  trace::detail::string_table_builder table;
  table.intern("already here");  // id 1, so the refs below are ids 2, 3, 4
  std::string sealed_bytes;
  trace::detail::byte_reader in(log_bytes, "test extras");
  trace::detail::byte_writer out(sealed_bytes, &table);
  trace::detail::transcode_extras(in, out);
  // key: ref 2 → 5, with tag 3 (text) → 5 << 3 | 3 = 43; value: ref 3 → varint 7.
  CHECK(sealed_bytes.find(std::string("\x2b\x07", 2)) != std::string::npos);
  CHECK(sealed_bytes.find("http.method") == std::string::npos);
  // The three strings' bytes are gone, and the keys' varints take one byte instead of two.
  CHECK(sealed_bytes.size() + 11 + 3 + 16 + 2 == log_bytes.size());

  s.attributes.set("long", std::string(trace::detail::max_interned_extras_text + 1, 'l'));
  log_bytes.clear();
  trace::detail::encode_extras(log_bytes, s);
  sealed_bytes.clear();
  trace::detail::byte_reader long_in(log_bytes, "test extras");
  trace::detail::transcode_extras(long_in, out);
  CHECK(sealed_bytes.find(std::string(trace::detail::max_interned_extras_text + 1, 'l')) != std::string::npos);
}

namespace {

// One block in memory, parsed into `view` over `strings`.
struct parsed_block {
  std::string bytes;
  trace::detail::string_list strings;
  trace::detail::block_view view;
};

std::vector<trace::detail::row_input> rows_with_extras(std::string_view extras) {
  trace::detail::row_input row;
  row.trace = trace::trace_id(1, 2);
  row.id = trace::span_id(3);
  row.start = 1000;
  row.duration = 70000;
  row.service = "svc";
  row.name = "op";
  row.extras = extras;
  return {row};
}

void encode(parsed_block& b, const std::vector<trace::detail::row_input>& rows) {
  trace::detail::string_table_builder builder;
  trace::detail::encode_block(b.bytes, rows, builder, true);
  b.strings.push_back({});
}

}  // namespace

TEST_CASE("a string ref outside the block's table is refused with corrupt_data naming the id") {
  // Extras holding a trace state alone (fields 8), ref 1000: varints 8, (1000 << 1 | 1).
  std::string extras = "\x08\xd1\x0f";
  parsed_block b;
  encode(b, rows_with_extras(extras));
  trace::detail::parse_block(b.view, reinterpret_cast<const std::byte*>(b.bytes.data()), b.bytes.size(), b.strings, "test block");
  REQUIRE(b.view.refs().end == 3);  // "", "svc", "op"
  trace::mmap_span span(&b.view, 0);
  try {
    (void)span.trace_state();
    FAIL("a ref outside the table was read");
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::corrupt_data);
    CHECK_THAT(e.what(), Catch::Contains("string id 1000 is outside the 3 strings"));
  }
  auto ignore = [](auto&&...) { return false; };
  CHECK_THROWS_WITH(span.visit_attributes(ignore), Catch::Contains("string id 1000"));

  // A ref inside the table resolves to the table's bytes, in place.
  extras[1] = '\x05';  // ref 2: "op"
  extras.erase(2, 1);
  parsed_block ok;
  encode(ok, rows_with_extras(extras));
  trace::detail::parse_block(ok.view, reinterpret_cast<const std::byte*>(ok.bytes.data()), ok.bytes.size(), ok.strings, "test block");
  trace::mmap_span good(&ok.view, 0);
  CHECK(good.trace_state() == "op");
  CHECK(good.trace_state().data() == good.name().data());

  // Resources and scopes hold inline strings only: a ref there is refused too.
  CHECK_THROWS_AS(trace::detail::decode_resource(std::string_view("\x03\x00\x00", 3)), trace::error);
}

TEST_CASE("packed columns take the fewest bytes for the block and a bad width is refused") {
  using trace::detail::packed_column;
  parsed_block b;
  encode(b, rows_with_extras({}));
  const auto widths = trace::detail::unpack_widths(trace::detail::load<std::uint32_t>(reinterpret_cast<const std::byte*>(b.bytes.data()) + 28));
  CHECK(widths[static_cast<std::size_t>(packed_column::start)] == 1);     // one row: start − min start = 0
  CHECK(widths[static_cast<std::size_t>(packed_column::duration)] == 3);  // 70000 < 2^24
  CHECK(widths[static_cast<std::size_t>(packed_column::name)] == 1);
  trace::detail::parse_block(b.view, reinterpret_cast<const std::byte*>(b.bytes.data()), b.bytes.size(), b.strings, "test block");
  CHECK(b.view.duration_at(0) == 70000);
  CHECK(b.view.start_at(0) == 1000);
  CHECK(b.view.name_at(0) == "op");

  struct bad_case {
    packed_column column;
    std::uint8_t width;
  };
  for (bad_case bad : {bad_case{packed_column::start, 0}, bad_case{packed_column::duration, 9},
                       bad_case{packed_column::ordinal, 5}, bad_case{packed_column::extras_end, 15}}) {
    auto damaged = widths;
    damaged[static_cast<std::size_t>(bad.column)] = bad.width;
    std::string bytes = b.bytes;
    const std::uint32_t packed = trace::detail::pack_widths(damaged);
    std::memcpy(bytes.data() + 28, &packed, 4);
    trace::detail::string_list strings;
    strings.push_back({});
    trace::detail::block_view view;
    INFO("column " << trace::detail::column_name(bad.column) << " width " << int(bad.width));
    try {
      trace::detail::parse_block(view, reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), strings, "test block");
      FAIL("a bad width was accepted");
    } catch (const trace::error& e) {
      CHECK(e.code() == trace::errc::corrupt_data);
      CHECK_THAT(e.what(), Catch::Contains(std::string("the ") + trace::detail::column_name(bad.column) +
                                           " column a width of " + std::to_string(bad.width)));
    }
    CHECK(strings.size() == 1);  // nothing of the refused block stays in the table
  }
}

TEST_CASE("a bad column width in a log record is refused when the log is opened") {
  temp_dir dir;
  auto o = default_options(dir);
  o.strict_recovery = true;
  o.segment_bytes = trace::min_segment_bytes;  // a small file to edit
  { trace::mmap_store(o).append(rich_batch("w", 3)); }
  auto logs = test_support::files_with(o.path, "log");
  REQUIRE(logs.size() == 1);
  std::string bytes = test_support::read_file(logs[0]);
  // The first record: 16-byte record header, then the block, whose head's last u32 holds the widths.
  auto* record = reinterpret_cast<std::byte*>(bytes.data()) + trace::detail::file_header_size;
  const std::uint32_t length = trace::detail::load<std::uint32_t>(record + 4);
  const std::uint32_t widths = 0;  // width 0 for every column
  std::memcpy(record + trace::detail::record_header_size + 28, &widths, 4);
  const std::uint32_t crc = trace::mask_crc(trace::detail::record_crc(record, record + trace::detail::record_header_size, length));
  std::memcpy(record, &crc, 4);  // a valid checksum: the structure check is what must catch it
  test_support::write_file(logs[0], bytes);
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains("start column a width of 0"));
}

namespace {

// Spans shaped like bench/workload.hpp: 20 services of 10 operations, scope "bench"/"1.0",
// attributes http.method, http.status_code, tenant (of 1000), region (of 6), payload.bytes.
std::vector<trace::span> bench_like(std::size_t count) {
  std::vector<trace::span> out;
  const char* methods[] = {"GET", "POST", "PUT", "DELETE"};
  const char* regions[] = {"eu-west", "eu-central", "us-east", "us-west", "ap-south", "ap-east"};
  std::uint64_t x = 88172645463325252ull;
  auto next = [&x] {  // xorshift64: deterministic
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  trace::span root;
  for (std::size_t i = 0; i < count; ++i) {
    trace::span s;
    const bool new_trace = i % 20 == 0;
    s.trace = new_trace ? trace::trace_id(next(), next() | 1) : root.trace;
    s.id = trace::span_id(next() | 1);
    s.parent = new_trace ? trace::span_id() : root.id;
    const std::size_t service = next() % 20;
    s.resource.service_name = "service-" + std::to_string(service);
    s.name = s.resource.service_name + ".operation-" + std::to_string(next() % 10);
    s.scope.name = "bench";
    s.scope.version = "1.0";
    s.start = (new_trace ? 1'735'689'600'000'000'000ull + i * 250'000 : root.start) + next() % 10'000'000;
    s.end = s.start + 1 + next() % 50'000'000;
    s.kind = new_trace ? trace::span_kind::server : trace::span_kind::client;
    s.attributes.set("http.method", std::string(methods[next() % 4]));
    s.attributes.set("http.status_code", std::int64_t(next() % 30 ? 200 : 500));
    s.attributes.set("tenant", "tenant-" + std::to_string(next() % 1000));
    s.attributes.set("region", std::string(regions[next() % 6]));
    s.attributes.set("payload.bytes", static_cast<std::int64_t>(next() % 100'000));
    if (new_trace) root = s;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

TEST_CASE("a sealed segment of a bench-like workload is much smaller than its log") {
  temp_dir dir;
  auto o = default_options(dir);
  const auto spans = bench_like(20'000);
  trace::mmap_store store(o);
  for (std::size_t at = 0; at < spans.size(); at += 1000)
    store.append(std::vector<trace::span>(spans.begin() + static_cast<std::ptrdiff_t>(at),
                                          spans.begin() + static_cast<std::ptrdiff_t>(at + 1000)));
  const std::uint64_t log_bytes = store.segments().back().bytes;
  store.roll();
  REQUIRE(store.segments().size() == 1);
  const std::uint64_t sealed_bytes = store.segments().front().bytes;
  const double per_span = static_cast<double>(sealed_bytes) / static_cast<double>(spans.size());
  INFO("log " << log_bytes << " B, sealed " << sealed_bytes << " B, " << per_span << " B/span");
  // Interned, the keys and values take one or two bytes each instead of their text:
  CHECK(sealed_bytes * 3 < log_bytes * 2);
  // Ids (16), status and kind (2), seven packed columns of at most 4 bytes, and extras of
  // 5 head bytes, 2 counts and 5 attributes of at most 2 + 1 + 3 bytes each.
  CHECK(per_span < 16 + 2 + 7 * 4 + 5 + 2 + 5 * 6);
  CHECK(materialize_all(store) == sorted(spans));
}

TEST_CASE("format 2 encodings, without schema URLs and flags, still read") {
  trace::span s = rich_span("old", 0);
  s.flags = 0;
  for (auto& l : s.links) l.flags = 0;
  s.resource.schema_url.clear();
  s.scope.schema_url.clear();
  // Format 3 appends: a resource's or scope's schema URL (an empty one: one zero byte), and
  // after the links the span's and each link's flags (zeros: one byte each).
  std::string resource_bytes, scope_bytes;
  trace::detail::encode_resource(resource_bytes, s.resource);
  trace::detail::encode_scope(scope_bytes, s.scope);
  const std::string extras = extras_of_format_6(s, false);
  CHECK(trace::detail::decode_resource(std::string_view(resource_bytes).substr(0, resource_bytes.size() - 1)) == s.resource);
  CHECK(trace::detail::decode_scope(std::string_view(scope_bytes).substr(0, scope_bytes.size() - 1)) == s.scope);
  trace::span back;
  back.start = s.start;
  trace::detail::byte_reader in(extras, "format 2 extras");
  trace::detail::decode_extras(in.with_layout(trace::detail::extras_layout::every_field), back);
  CHECK(back.events == s.events);
  CHECK(back.links == s.links);
  CHECK(back.flags == 0);
}

TEST_CASE("extras of formats 3 to 6 read and transcode into the current layout") {
  // A span with attributes and nothing else, the common case: one byte of field bits
  // instead of three dropped counts, two empty texts, two empty lists and the flags, and
  // each value's type in its key's varint.
  trace::span plain;
  plain.attributes.set("k", std::int64_t{1});
  std::string plain_current;
  trace::detail::encode_extras(plain_current, plain);
  CHECK(plain_current.size() + 8 == extras_of_format_6(plain, true).size());

  for (std::uint64_t index : {0, 1, 2, 3}) {
    const trace::span s = rich_span("six", index);
    const std::string old = extras_of_format_6(s, true);
    std::string current;
    trace::detail::encode_extras(current, s);
    CHECK(current.size() <= old.size() + 2);  // the field bits: at most two bytes more, with every field there
    auto decoded = [&s](const std::string& bytes, trace::detail::extras_layout layout) {
      trace::span back;
      back.start = s.start;
      trace::detail::byte_reader in(bytes, "extras");
      trace::detail::decode_extras(in.with_layout(layout), back);
      CHECK(in.at_end());
      return back;
    };
    const trace::span from_old = decoded(old, trace::detail::extras_layout::every_field);
    CHECK(from_old.attributes == s.attributes);
    CHECK(from_old.events == s.events);
    CHECK(from_old.links == s.links);
    CHECK(from_old.flags == s.flags);
    CHECK(from_old.trace_state == s.trace_state);
    CHECK(from_old.status.message == s.status.message);
    CHECK(from_old.dropped_events == s.dropped_events);
    // Sealing a format-6 file transcodes its extras: the bytes are the current encoding's.
    std::string transcoded;
    trace::detail::byte_writer out(transcoded);
    trace::detail::byte_reader in(old, "extras");
    trace::detail::transcode_extras(in.with_layout(trace::detail::extras_layout::every_field), out);
    CHECK(transcoded == current);
    const trace::span from_current = decoded(current, trace::detail::extras_layout::present_fields);
    CHECK(from_current.attributes == from_old.attributes);
    CHECK(from_current.links == from_old.links);
    CHECK(from_current.dropped_links == s.dropped_links);
  }
}

TEST_CASE("one block_encoder kept across blocks of every size writes every byte a fresh one writes, and every row reads back") {
  // A log keeps one encoder for all its batches and writes each block straight into its
  // mapping: blocks of 1 to 20 rows (packed values near a column's end are written in their
  // width alone) and larger ones, rows of traces interleaved, widths of 1 to 8 bytes.
  trace::detail::block_encoder kept;
  trace::detail::string_table_builder kept_strings, fresh_strings;
  trace::detail::string_list kept_table;
  kept_table.push_back({});
  std::vector<std::string> texts;
  texts.reserve(4 * 400);
  std::vector<std::vector<std::byte>> written;  // the table keeps views into every block's strings
  written.reserve(28);
  for (std::size_t n : {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 20, 300, 4, 1}) {
    for (bool sorted_index : {false, true}) {
      INFO(n << " rows, sorted index " << sorted_index);
      std::vector<trace::detail::row_input> rows(n);
      texts.clear();
      for (std::size_t i = 0; i < n; ++i) {
        trace::detail::row_input& r = rows[i];
        r.trace = trace::trace_id(7, (i * 5) % 3 + (n > 100 ? i % 40 : 0));
        r.id = trace::span_id(0x1000 + i);
        r.parent = trace::span_id(i % 2 ? 0x1000 + i - 1 : 0);
        r.start = 1'700'000'000'000'000'000ull + (i * 7919 % n) * (n > 16 ? 1'000'000'007ull : 3ull);
        r.duration = i % 4 == 0 ? i : std::uint64_t{1} << (8 * (i % 8));
        texts.push_back("svc-" + std::to_string(i % 3));
        r.service = texts.back();
        texts.push_back("op-" + std::to_string(i % (n > 100 ? 290 : 5)) + "-" + std::to_string(n));
        r.name = texts.back();
        texts.push_back(std::string(i % 4, 'x'));
        r.extras = texts.back();
        r.status = static_cast<trace::status_code>(i % 3);
        r.kind = static_cast<trace::span_kind>(i % 6);
      }
      const std::size_t size = kept.plan(rows, kept_strings, sorted_index);
      std::vector<std::byte>& into = written.emplace_back(size, std::byte{0xa5});  // stale bytes: all overwritten
      const trace::detail::region_bounds bounds = kept.write(into.data());
      std::string fresh;
      CHECK(trace::detail::encode_block(fresh, rows, fresh_strings, sorted_index) == bounds);
      REQUIRE(fresh.size() == size);
      CHECK(std::memcmp(fresh.data(), into.data(), size) == 0);

      trace::detail::block_view view;
      trace::detail::parse_block(view, into.data(), size, kept_table, "test block");
      REQUIRE(view.rows() == n);
      std::size_t seen = 0;
      for (std::uint32_t t = 0; t < view.trace_count(); ++t) {
        if (sorted_index && t) CHECK(view.trace_at(t - 1) < view.trace_at(t));
        for (std::uint32_t row = view.trace_first_row(t); row < view.trace_first_row(t) + view.trace_row_count(t); ++row) {
          const trace::detail::row_input& r = rows[view.id_at(row).value() - 0x1000];
          CHECK(view.trace_of_row(row) == r.trace);
          CHECK(view.trace_at(t) == r.trace);
          CHECK(view.parent_at(row) == r.parent);
          CHECK(view.start_at(row) == r.start);
          CHECK(view.duration_at(row) == r.duration);
          CHECK(view.service_at_row(row) == r.service);
          CHECK(view.name_at(row) == r.name);
          CHECK(view.status_at(row) == r.status);
          CHECK(view.kind_at(row) == r.kind);
          CHECK(view.extras_reader(row).remaining() == r.extras.size());
          ++seen;
        }
      }
      CHECK(seen == n);
    }
  }
}

TEST_CASE("string_table_builder gives each text one id in first-use order, through its growth and roll_back") {
  // Checked against a std::map: thousands of texts (the open-addressed table doubles many
  // times), texts that share prefixes and lengths, and batches rolled back and replaced.
  trace::detail::string_table_builder table;
  std::map<std::string, std::uint32_t> expected;
  std::vector<std::string> by_id{""};
  std::uint64_t seed = 12345;
  auto next = [&seed] { return seed = seed * 6364136223846793005u + 1442695040888963407u, seed >> 33; };
  for (int batch = 0; batch < 300; ++batch) {
    INFO("batch " << batch);
    const std::uint32_t before = table.next_id();
    const auto expected_before = expected;
    const auto by_id_before = by_id;
    for (int k = 0; k < 40; ++k) {
      std::string text(next() % 70, 'k');
      for (char& c : text) c = "abc"[next() % 3];
      const std::uint32_t id = table.intern(text);
      if (text.empty()) {
        CHECK(id == 0);
        continue;
      }
      auto [at, fresh] = expected.try_emplace(text, static_cast<std::uint32_t>(by_id.size()));
      if (fresh) by_id.push_back(text);
      REQUIRE(id == at->second);
    }
    const std::vector<std::string_view> added = table.take_added();
    REQUIRE(before + added.size() == by_id.size());
    for (std::size_t i = 0; i < added.size(); ++i) CHECK(added[i] == by_id[before + i]);
    if (batch % 5 == 2) {  // a block that was never written
      table.roll_back(before);
      expected = expected_before;
      by_id = by_id_before;
      CHECK(table.next_id() == before);
    }
  }
  CHECK(table.next_id() == by_id.size());
  CHECK(by_id.size() > 5000);
}

TEST_CASE("sealing with the buffers kept from a larger seal writes the bytes that fresh buffers write") {
  // The store keeps its sealing buffers from one roll to the next: whatever a larger
  // segment left in them must not reach the next sealed file.
  temp_dir dir, copy;
  trace::mmap_options o = default_options(dir);
  std::filesystem::path kept_seal, log_copy;
  {
    trace::mmap_store store(o);
    store.append(rich_batch("large", 900));
    store.roll();
    store.append(rich_batch("small", 70));
    store.sync();
    const std::vector<std::filesystem::path> logs = files_with(o.path, "log");
    REQUIRE(logs.size() == 1);
    log_copy = copy / logs.front().filename().string();
    std::filesystem::copy_file(logs.front(), log_copy);
    store.roll();
    kept_seal = o.path / logs.front().filename().replace_extension(".seg");
  }
  REQUIRE(std::filesystem::exists(kept_seal));
  const auto tags = trace::detail::segment::open_sealed(kept_seal)->indexed_tags();
  std::vector<trace::dropped_log_tail> dropped;
  const auto log = trace::detail::segment::open_log(log_copy, {.strict = true}, dropped);
  const std::filesystem::path fresh_seal = log->write_sealed(copy.path(), tags);
  const std::string kept_bytes = test_support::read_file(kept_seal);
  CHECK(kept_bytes.size() > 1000);
  CHECK(kept_bytes == test_support::read_file(fresh_seal));
}

TEST_CASE("an mmap span's one-pass text walk gives the texts of the generic walk, in a log and sealed") {
  // visit_span_text over an mmap_span reads its extras once (mmap_span::visit_text); sealing
  // builds the text index with the same walk. Its texts must be the model's own, or the index
  // and a scan of the same rows would answer a text query differently.
  temp_dir dir;
  trace::mmap_store store(test_support::default_options(dir));
  auto batch = rich_batch("walk", 12);
  batch.front().status.message = "card declined";
  store.append(batch);
  auto texts_of = [](const auto& s) {
    std::vector<std::string> out;
    trace::visit_span_text(s, [&out](std::string_view text) { out.emplace_back(text); });
    std::ranges::sort(out);
    return out;
  };
  for (int sealed = 0; sealed < 2; ++sealed) {
    INFO((sealed ? "sealed" : "log"));
    std::size_t rows = 0;
    for (const trace::mmap_span s : store.scan()) {
      const std::vector<std::string> walked = texts_of(s);
      CHECK(walked == texts_of(s.materialize()));
      CHECK(std::ranges::find(walked, std::string(s.name())) != walked.end());
      ++rows;
    }
    CHECK(rows == batch.size());
    const trace::text_query declined("\"card declined\"");
    CHECK(std::ranges::count_if(store.scan(), [&declined](const trace::mmap_span& s) { return declined.matches(s); }) == 1);
    store.roll();
  }
}
