// Bytes that pass their checksums but break the structure: a sealed segment is edited and
// its checksums recomputed, so only the structure checks stand between the bytes and a
// reader. Each is refused when the segment is opened, naming the file and the region,
// because an index or zone map that lies makes lookups and filtered scans miss spans.
#include <catch2/catch.hpp>

#include <cstring>
#include <set>

#include "mmap_test_support.hpp"
#include "trace/store/mmap.hpp"

using test_support::make_batch;
using test_support::read_file;
using test_support::sealed_store;
using test_support::small_segment_options;
using test_support::temp_dir;
using test_support::write_file;

namespace {

// Edits the block of a sealed segment in place, then recomputes its checksums.
template <class Edit>
void edit_block(const std::filesystem::path& seg, Edit edit) {
  std::string bytes = read_file(seg);
  auto* block = reinterpret_cast<std::byte*>(bytes.data()) + trace::detail::file_header_size;
  auto bounds = trace::detail::block_bounds(block, test_support::sealed_block_size(bytes));
  REQUIRE(bounds);
  edit(block, *bounds);
  test_support::fix_sealed_checksums(bytes);
  write_file(seg, bytes);
}

template <class T>
void store_at(std::byte* p, T value) {
  std::memcpy(p, &value, sizeof value);
}

using trace::detail::block_region;
constexpr std::size_t region(block_region r) { return static_cast<std::size_t>(r); }

}  // namespace

TEST_CASE("a sealed trace index out of order is refused even with valid checksums") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto seg = sealed_store(o);
  SECTION("one trace id zeroed in its high half") {
    edit_block(seg, [](std::byte* block, const trace::detail::region_bounds& b) {
      store_at<std::uint64_t>(block + b[region(block_region::trace_index)] + 3 * trace::detail::trace_entry_size, 0);
    });
  }
  SECTION("two entries swapped") {
    edit_block(seg, [](std::byte* block, const trace::detail::region_bounds& b) {
      std::byte* first = block + b[region(block_region::trace_index)];
      std::byte* second = first + trace::detail::trace_entry_size;
      std::byte ids[16];
      std::memcpy(ids, first, 16);
      std::memcpy(first, second, 16);
      std::memcpy(second, ids, 16);
    });
  }
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains(seg.string()) && Catch::Contains("trace index is not sorted"));
  o.mode = trace::open_mode::read_only;
  try {
    trace::mmap_store store(o);
    FAIL("a read-only open served an index that cannot find its traces");
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::corrupt_data);
  }
}

TEST_CASE("a zone map whose start or duration bounds do not match the rows is refused") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto seg = sealed_store(o);
  std::size_t field = GENERATE(8, 16, 24);  // max start, min duration, max duration
  INFO("zone map field at " << field);
  edit_block(seg, [field](std::byte* block, const trace::detail::region_bounds&) {
    std::byte* at = block + trace::detail::block_head_size + field;
    std::uint64_t value = 0;
    std::memcpy(&value, at, 8);
    store_at<std::uint64_t>(at, field == 16 ? value - 1 : value + 1);  // a filtered scan would skip spans
  });
  CHECK_THROWS_WITH(trace::mmap_store(o),
                    Catch::Contains(seg.string()) && Catch::Contains("zone map's start or duration bounds do not match"));
}

TEST_CASE("a zone map that leaves out a service of its rows is refused") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto seg = sealed_store(o);
  edit_block(seg, [](std::byte* block, const trace::detail::region_bounds&) {
    // Four services (ids sorted after the head's 32 bytes and four u64 bounds): replace the
    // last by the block's last string id, which names a string but no row's service, so
    // only the cross-check with the rows sees it.
    std::byte* services = block + trace::detail::block_head_size + 32;
    std::uint32_t count = 0, string_base = 0, strings = 0, third = 0;
    std::memcpy(&count, block + 24, 4);
    std::memcpy(&string_base, block + 8, 4);
    std::memcpy(&strings, block + 12, 4);
    std::memcpy(&third, services + 8, 4);
    REQUIRE(count == 4);
    REQUIRE(string_base + strings - 1 > third);
    store_at<std::uint32_t>(services + 12, string_base + strings - 1);
  });
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains(seg.string()) && Catch::Contains("zone map's services lack row"));
}

TEST_CASE("a row whose ordinal names another trace's run is refused") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto seg = sealed_store(o);
  edit_block(seg, [](std::byte* block, const trace::detail::region_bounds& b) {
    // Row 0 is in trace 0's run; its ordinal (after the span ids and the start and duration
    // columns) now names trace 1, an existing trace whose run lies elsewhere.
    std::uint32_t rows = 0, packed_widths = 0;
    std::memcpy(&rows, block, 4);
    std::memcpy(&packed_widths, block + 28, 4);
    const auto widths = trace::detail::unpack_widths(packed_widths);
    std::byte* ordinal = block + b[region(block_region::columns)] + std::size_t{rows} * (8 + widths[0] + widths[1]);
    REQUIRE(std::to_integer<int>(ordinal[0]) == 0);
    ordinal[0] = std::byte{1};
  });
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains(seg.string()) && Catch::Contains("row 0 is outside its trace's run"));
}

TEST_CASE("a parent code naming a row outside its trace's run or a missing foreign parent is refused") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto seg = sealed_store(o);
  // Row 1 of trace 0 (4 spans, its parent at row 0: code 2) now names row 4, past the run,
  // or foreign parent 0 of a block that has none.
  const std::uint8_t code = GENERATE(std::uint8_t{10}, std::uint8_t{1});
  INFO("parent code " << int(code));
  edit_block(seg, [code](std::byte* block, const trace::detail::region_bounds& b) {
    std::uint32_t rows = 0, packed_widths = 0;
    std::memcpy(&rows, block, 4);
    std::memcpy(&packed_widths, block + 28, 4);
    std::size_t before = 8;  // the span id, then the packed columns before the parent code
    for (std::uint8_t width : trace::detail::unpack_widths(packed_widths)) before += width;
    std::byte* parents = block + b[region(block_region::columns)] + std::size_t{rows} * before;
    REQUIRE(std::to_integer<int>(parents[0]) == 0);
    REQUIRE(std::to_integer<int>(parents[1]) == 2);
    parents[1] = std::byte{code};
  });
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains(seg.string()) &&
                                              Catch::Contains("row 1 names a parent outside its trace's run"));
}

TEST_CASE("a segment whose header names another sequence than its file is refused") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto seg = sealed_store(o);
  std::string bytes = read_file(seg);
  store_at<std::uint64_t>(reinterpret_cast<std::byte*>(bytes.data()) + 16, 7);
  test_support::fix_sealed_checksums(bytes);
  write_file(seg, bytes);
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains(seg.string()) && Catch::Contains("header says sequence 7"));
}

TEST_CASE("a valid sealed segment finds every span of every trace its scan shows") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  sealed_store(o);
  trace::mmap_store store(o);
  std::set<trace::trace_id> traces;
  for (trace::mmap_span s : store.scan()) traces.insert(s.trace());
  REQUIRE(traces.size() == 8);
  for (const auto& id : traces) CHECK(store.find_trace(id).size() == 4);
}
