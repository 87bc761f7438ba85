// The memory store's layout: rows in fixed chunks (one column block each), attributes packed
// in pages that never move, and what that promises: exact round trips across chunk and page
// boundaries, stored data that stays in place across appends, and byte accounting that
// matches what the layout says it holds.
#include <catch2/catch.hpp>
#include <trace/query/span_query.hpp>
#include <trace/query/trace_search.hpp>
#include <trace/store/memory.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "support/make_span.hpp"

using trace_test::make_span;
using trace_test::trace_n;

namespace {

constexpr std::uint32_t chunk_rows = trace::memory_store::chunk_rows;

// Span i of trace i / 7, with a tenant per trace, an integer, and now and then a value of
// each other kind: a long string, an array, a bool, a double, an error with a message.
trace::span numbered_span(std::uint64_t i) {
  trace::span s = make_span(1 + i / 7, 1 + i, i % 7 ? i : 0, "svc-" + std::to_string(i % 3), "op-" + std::to_string(i % 11),
                            i, i + 1 + i % 5);
  s.attributes.set("tenant", "tenant-" + std::to_string(i / 7 % 13));
  s.attributes.set("n", static_cast<std::int64_t>(i));
  if (i % 97 == 0) s.attributes.set("url", std::string(40 + i % 9, 'u') + std::to_string(i));
  if (i % 89 == 0) s.attributes.set("list", std::vector<std::int64_t>{1, static_cast<std::int64_t>(i)});
  if (i % 83 == 0) s.attributes.set("flag", i % 2 == 0);
  if (i % 79 == 0) s.attributes.set("ratio", static_cast<double>(i) / 8);
  if (i % 61 == 0) {
    s.status.code = trace::status_code::error;
    s.status.message = "failed " + std::to_string(i);
  }
  return s;
}

std::vector<trace::span> numbered_spans(std::uint64_t first, std::uint64_t count) {
  std::vector<trace::span> out;
  for (std::uint64_t i = first; i < first + count; ++i) out.push_back(numbered_span(i));
  return out;
}

}  // namespace

TEST_CASE("memory_store: rows across chunk boundaries read back exactly, one block per chunk") {
  trace::memory_store store;
  const std::uint64_t total = 2 * chunk_rows + 123;
  // Odd batch sizes, so that batches straddle chunk boundaries.
  for (std::uint64_t first = 0; first < total; first += 3001) store.append(numbered_spans(first, std::min<std::uint64_t>(3001, total - first)));
  REQUIRE(store.size() == total);
  CHECK(store.trace_count() == (total + 6) / 7);

  const auto blocks = store.blocks();
  REQUIRE(blocks.size() == 3);
  CHECK(blocks[0].rows() == chunk_rows);
  CHECK(blocks[1].rows() == chunk_rows);
  CHECK(blocks[2].rows() == 123);
  CHECK(blocks[2].first_row() == 2 * chunk_rows);
  // Each block's zone map holds its own rows only.
  CHECK(blocks[1].bounds().min_start == chunk_rows * trace::millisecond);
  CHECK(blocks[1].bounds().max_start == (2 * chunk_rows - 1) * trace::millisecond);

  for (std::uint64_t i : {std::uint64_t{0}, std::uint64_t{chunk_rows - 1}, std::uint64_t{chunk_rows}, total - 1, std::uint64_t{97 * 89},
                          std::uint64_t{61 * 83}}) {
    INFO("row " << i);
    CHECK(store.at(static_cast<std::uint32_t>(i)).materialize() == numbered_span(i));
  }
  for (std::uint32_t row = 0; row < total; row += 1) {
    const auto& b = blocks[row / chunk_rows];
    const std::uint32_t r = row % chunk_rows;
    if (b.span(r).id().value() != row + 1 || b.trace(r) != trace_n(1 + row / 7) || b.start(r) != row * trace::millisecond) {
      FAIL("block row " << r << " of block " << row / chunk_rows << " is not store row " << row);
    }
  }
  // A trace whose rows straddle the first chunk boundary is found whole, in order.
  const std::uint64_t straddling = 1 + (chunk_rows - 1) / 7;
  std::vector<std::uint64_t> ids;
  for (const auto& s : store.find_trace(trace_n(straddling))) ids.push_back(s.id().value());
  std::vector<std::uint64_t> expected;
  for (std::uint64_t i = (straddling - 1) * 7; i < straddling * 7; ++i) expected.push_back(i + 1);
  CHECK(ids == expected);
}

TEST_CASE("memory_store: stored data stays in place across later appends") {
  trace::memory_store store;
  trace::span first = numbered_span(97);  // with a long string
  store.append(first);
  const trace::attribute_slot* slots = store.span_attribute_slots(0).data();
  const std::string_view long_text = std::get<std::string_view>(store.span_attribute_values(0)[2]);
  const std::string_view name = store.at(0).name();
  const auto block = store.blocks()[0];

  for (std::uint64_t first_row = 1; first_row < 3 * chunk_rows; first_row += 5000) store.append(numbered_spans(first_row, 5000));

  // The same addresses, still holding row 0's data.
  CHECK(store.span_attribute_slots(0).data() == slots);
  CHECK(std::get<std::string_view>(store.span_attribute_values(0)[2]).data() == long_text.data());
  CHECK(long_text == std::string(40 + 97 % 9, 'u') + "97");
  CHECK(store.at(0).name().data() == name.data());
  CHECK(block.span(0).id() == trace::span_id{98});
  CHECK(block.rows() == 1);  // a block shows the chunk as of the call
  CHECK(store.at(0).materialize() == first);
}

TEST_CASE("memory_store: rows with many attributes, long texts and large flags round trip") {
  trace::memory_store store;
  trace::span wide = make_span(1, 1, 0, "svc", "wide", 0, 1);
  // Keys appended, not "k" + std::to_string(k): on that, g++ 12 -O3 raises a false -Wrestrict.
  for (int k = 0; k < 300; ++k) wide.attributes.set(std::string("key-").append(std::to_string(k)), static_cast<std::int64_t>(k));  // past the one-byte count
  trace::span huge = make_span(1, 2, 1, "svc", "huge", 0, 1);
  for (int k = 0; k < 20'000; ++k) huge.attributes.set(std::string("k").append(std::to_string(k)), static_cast<std::int64_t>(k));  // more than a page
  trace::span flagged = make_span(1, 3, 1, "svc", "flags", 0, 1);
  flagged.flags = 0x10301;  // beyond the 16-bit flags column
  flagged.attributes.set("text", std::string(100'000, 'x'));  // longer than a text page
  store.append(std::vector{wide, huge, flagged, wide});
  CHECK(store.span_attribute_slots(0).size() == 300);
  CHECK(store.span_attribute_slots(1).size() == 20'000);
  CHECK(store.at(0).materialize() == wide);
  CHECK(store.at(1).materialize() == huge);
  CHECK(store.at(2).materialize() == flagged);
  CHECK(store.at(3).materialize() == wide);
}

TEST_CASE("memory_store: an attribute equality reads the key's column, brought up to date after appends") {
  using namespace trace::where;
  trace::memory_store store;
  std::vector<trace::span> spans = numbered_spans(0, chunk_rows + 500);
  // Values of the key that are not short texts: an integer and a long string.
  spans[3].attributes.set("tenant", std::int64_t{5});
  spans[4].attributes.set("tenant", std::string(50, 't'));
  spans[5].attributes.erase("tenant");
  spans[6].resource.attributes.set("tenant", std::string("tenant-3"));  // found through the resource
  store.append(spans);
  auto expected = [&](const trace::filter& f) {
    std::size_t n = 0;
    for (const auto& s : store.scan()) n += trace::matches(f, s);  // the span-by-span reading
    return n;
  };
  for (const trace::filter& f : {attribute("tenant") == "tenant-3", attribute("tenant") == "5", attribute("tenant") == "no-such",
                                 attribute("tenant") == std::string(50, 't'), service("svc-1") && attribute("tenant") == "tenant-3"}) {
    CHECK(trace::count_matching(store, f) == expected(f));
  }
  CHECK(trace::count_matching(store, attribute("tenant") == "tenant-3") > 0);
  store.append(numbered_spans(chunk_rows + 500, 700));  // new rows in the last chunk, and a new chunk
  CHECK(trace::count_matching(store, attribute("tenant") == "tenant-3") == expected(attribute("tenant") == "tenant-3"));
  CHECK(store.memory_usage().key_columns >= 2 * chunk_rows * sizeof(std::uint32_t));  // one column per chunk for the key
}

TEST_CASE("memory_store: memory_usage counts what the layout holds") {
  trace::memory_store store;
  CHECK(store.memory_usage().total() < 4096);  // nothing allocated but the empty string's entry

  // Spans with exactly two integer attributes: 2 slots + 1 word of kinds + 2 payloads.
  const std::size_t n = 3 * chunk_rows + 1;
  std::vector<trace::span> spans;
  for (std::size_t i = 0; i < n; ++i) {
    trace::span s = make_span(1 + i / 10, 1 + i, 0, "svc", "op", i, i + 1);
    s.attributes.set("a", static_cast<std::int64_t>(i));
    s.attributes.set("b", std::int64_t{7});
    spans.push_back(std::move(s));
  }
  store.append(spans);
  const trace::memory_store_usage u = store.memory_usage();
  constexpr std::size_t words_per_row = 5, page_words = std::size_t{1} << 15;
  const std::size_t rows_per_page = page_words / words_per_row;
  const std::size_t pages = (n + rows_per_page - 1) / rows_per_page;
  const std::size_t chunks = 4;
  // Pages and chunks exactly, plus the small tables that index them.
  CHECK(u.attributes >= pages * page_words * 8);
  CHECK(u.attributes <= pages * page_words * 8 + 1024);
  CHECK(u.columns >= chunks * sizeof(trace::detail::row_chunk));
  CHECK(u.columns <= chunks * sizeof(trace::detail::row_chunk) + 1024);
  CHECK(u.extras == 0);
  CHECK(u.long_texts == 0);
  CHECK(u.traces >= (n + 9) / 10 * sizeof(trace::detail::trace_table::record));
  // The per-row cost the layout promises for these rows: the columns' bytes per row and 40 bytes of attributes.
  const double per_row = static_cast<double>(u.total()) / static_cast<double>(n);
  CHECK(per_row < static_cast<double>(sizeof(trace::detail::row_chunk)) / chunk_rows * 4.0 / 3.0 + 40.0 + 16.0);
}
