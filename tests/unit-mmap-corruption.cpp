// Damage to the files, as byte edits: each failure mode is detected, named, and never
// served. A torn log tail (after the commit watermark, nothing valid after it) is dropped and
// reported (or refused under strict recovery); damage to a sealed segment, whose bytes were
// synced before it existed, is a hard error naming the region. Damage below a log's
// watermark is tested in unit-mmap-damage.cpp.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>

#include "mmap_test_support.hpp"
#include "trace/store/mmap.hpp"

using test_support::flip_byte;
using test_support::make_batch;
using test_support::read_file;
using test_support::sealed_store;
using test_support::small_segment_options;
using test_support::temp_dir;
using test_support::write_file;

namespace {

// A store whose active log holds three batches of 6 spans, the first two synced (below the
// commit watermark), the third not, as a crash would leave it; returns the record offsets.
std::vector<std::uint64_t> three_batches(trace::mmap_options o) {
  o.sync = trace::sync_policy::none;
  trace::mmap_store store(o);
  std::vector<std::uint64_t> offsets{trace::detail::file_header_size};
  for (std::uint64_t b = 0; b < 3; ++b) {
    store.append(make_batch(b * 2, 2, 3));
    offsets.push_back(store.segments().back().bytes);
    if (b == 1) store.sync();
  }
  return offsets;
}

std::filesystem::path only_log(const trace::mmap_options& o) {
  auto logs = test_support::files_with(o.path, "log");
  REQUIRE(logs.size() == 1);
  return logs[0];
}

// Rewrites the header checksum after an edit, so that a deeper check is the one that fires.
void fix_header_checksum(const std::filesystem::path& path) {
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  std::byte header[trace::detail::file_header_size];
  file.read(reinterpret_cast<char*>(header), sizeof header);
  trace::detail::seal_file_header(header);
  file.seekp(0);
  file.write(reinterpret_cast<const char*>(header), sizeof header);
}

}  // namespace

TEST_CASE("a truncated trailing record is dropped and reported, earlier batches kept") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto offsets = three_batches(o);
  test_support::shrink_to(only_log(o), offsets[2] + 40);  // cut inside the third record
  std::vector<trace::dropped_log_tail> told;
  o.on_dropped = [&told](const trace::dropped_log_tail& d) { told.push_back(d); };
  trace::mmap_store store(o);
  CHECK(store.size() == 12);
  REQUIRE(store.dropped().size() == 1);
  CHECK(store.dropped()[0].offset == offsets[2]);
  CHECK(store.dropped()[0].bytes == 40);
  CHECK(store.dropped()[0].reason.find("torn write") != std::string::npos);
  REQUIRE(told.size() == 1);
  CHECK(told[0].reason == store.dropped()[0].reason);
}

TEST_CASE("after a dropped tail the store appends cleanly and keeps the new batch") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto offsets = three_batches(o);
  flip_byte(only_log(o), offsets[2] + 30);
  {
    trace::mmap_store store(o);
    CHECK(store.size() == 12);
    store.append(make_batch(50, 1, 2));
  }
  trace::mmap_store reopened(o);
  CHECK(reopened.size() == 14);
  CHECK(reopened.dropped().empty());
}

TEST_CASE("a torn record failing its checksum is never served, nor anything after it") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto offsets = three_batches(o);
  flip_byte(only_log(o), offsets[2] + trace::detail::record_header_size + 20);  // payload of the third record
  trace::mmap_store store(o);
  CHECK(store.size() == 12);
  REQUIRE(store.dropped().size() == 1);
  CHECK(store.dropped()[0].offset == offsets[2]);
  CHECK(store.dropped()[0].bytes == offsets[3] - offsets[2]);
  CHECK_FALSE(store.dropped()[0].damage);
  CHECK(store.dropped()[0].reason == "record at offset " + std::to_string(offsets[2]) + " fails its checksum");
  for (trace::mmap_span s : store.scan()) CHECK(s.trace().high() - 0x1000 < 4);
}

TEST_CASE("a damaged record length is caught by the checksum that covers it") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto offsets = three_batches(o);
  flip_byte(only_log(o), offsets[2] + 4);  // low byte of the third record's length
  trace::mmap_store store(o);
  CHECK(store.size() == 12);
  REQUIRE(store.dropped().size() == 1);
  CHECK(store.dropped()[0].offset == offsets[2]);
}

TEST_CASE("a damaged record type is caught by the checksum that covers it") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto offsets = three_batches(o);
  flip_byte(only_log(o), offsets[2] + 8);
  trace::mmap_store store(o);
  CHECK(store.size() == 12);
  REQUIRE(store.dropped().size() == 1);
  CHECK(store.dropped()[0].reason.find("fails its checksum") != std::string::npos);
}

TEST_CASE("strict recovery turns a damaged log tail into an error naming file and offset") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto offsets = three_batches(o);
  auto log = only_log(o);
  flip_byte(log, offsets[2] + 30);
  o.strict_recovery = true;
  try {
    trace::mmap_store store(o);
    FAIL("strict recovery accepted a damaged log");
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::corrupt_data);
    std::string message = e.what();
    CHECK(message.find(log.string()) != std::string::npos);
    CHECK(message.find("record at offset " + std::to_string(offsets[2]) + " fails its checksum") != std::string::npos);
  }
}

TEST_CASE("the end of a log is found from its records: stray bytes past it are not read") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto offsets = three_batches(o);
  flip_byte(only_log(o), offsets[3] + 1000);  // inside the zero-filled, preallocated space
  {
    trace::mmap_store store(o);
    CHECK(store.size() == 18);
    CHECK(store.dropped().empty());
    store.append(make_batch(40, 10, 10));  // over the stray byte
  }
  trace::mmap_store reopened(o);
  CHECK(reopened.size() == 118);
  CHECK(reopened.dropped().empty());
}

TEST_CASE("a damaged log header is an error, not an empty store") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  three_batches(o);
  auto log = only_log(o);
  flip_byte(log, 20);
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains(log.string()) && Catch::Contains("header checksum mismatch"));
  flip_byte(log, 20);
  flip_byte(log, 0);
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains("header magic is not TRACESEG"));
}

TEST_CASE("a file from another format version is refused with both versions named") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  three_batches(o);
  auto log = only_log(o);
  const std::string this_build = "this build reads versions " + std::to_string(trace::detail::oldest_format_version) +
                                 " to " + std::to_string(trace::detail::format_version);
  SECTION("a newer version") {
    flip_byte(log, 8);  // version field
    fix_header_checksum(log);
    CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains("format version") && Catch::Contains(this_build));
  }
  SECTION("version 1, before packed columns and string refs") {
    std::fstream file(log, std::ios::binary | std::ios::in | std::ios::out);
    const std::uint32_t version_1 = 1;
    file.seekp(8);
    file.write(reinterpret_cast<const char*>(&version_1), 4);
    file.close();
    fix_header_checksum(log);
    CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains("format version 1 is not supported") && Catch::Contains(this_build));
  }
}

// ---- sealed segments ----

namespace {

trace::detail::region_bounds regions_of(const std::filesystem::path& path) {
  std::string bytes = read_file(path);
  auto bounds = trace::detail::block_bounds(reinterpret_cast<const std::byte*>(bytes.data()) + trace::detail::file_header_size,
                                            test_support::sealed_block_size(bytes));
  REQUIRE(bounds);
  return *bounds;
}

}  // namespace

TEST_CASE("a flipped byte in each region of a sealed segment is named in the error") {
  using trace::detail::block_region;
  for (auto region : {block_region::zone_map, block_region::strings, block_region::trace_index, block_region::columns,
                      block_region::extras}) {
    temp_dir dir;
    auto o = small_segment_options(dir);
    auto seg = sealed_store(o);
    auto bounds = regions_of(seg);
    auto r = static_cast<std::size_t>(region);
    REQUIRE(bounds[r + 1] > bounds[r]);
    // Past the head's counts, so the sizes still add up and the checksum is what catches it.
    std::size_t offset = trace::detail::file_header_size + (region == block_region::zone_map ? 40 : (bounds[r] + bounds[r + 1]) / 2);
    flip_byte(seg, offset);
    INFO("region " << trace::detail::region_name(region) << ", byte " << offset);
    CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains(seg.string()) &&
                                                Catch::Contains(std::string(trace::detail::region_name(region)) + " checksum mismatch"));
  }
}

TEST_CASE("a sealed segment whose head counts are damaged is refused") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto seg = sealed_store(o);
  flip_byte(seg, trace::detail::file_header_size);  // span count
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains("zone map region is damaged"));
}

TEST_CASE("a truncated sealed segment is refused with its sizes") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto seg = sealed_store(o);
  auto size = std::filesystem::file_size(seg);
  test_support::shrink_to(seg, size - 8);
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains("file is " + std::to_string(size - 8) + " bytes but its header says " +
                                                          std::to_string(size)));
  test_support::shrink_to(seg, 50);
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains("shorter than its 128-byte header"));
}

TEST_CASE("a damaged sealed segment header is refused") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto seg = sealed_store(o);
  flip_byte(seg, 50);
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains("sealed segment") && Catch::Contains("header checksum mismatch"));
}

TEST_CASE("a crash between sealing and removing the log keeps one copy of each span") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  test_support::seal_then_crash_before_log_removal(o, [](trace::mmap_store& store) { store.append(make_batch(1, 4, 4)); });
  REQUIRE(test_support::files_with(o.path, "log").size() == 1);  // the log back beside its segment
  trace::mmap_store store(o);
  CHECK(store.size() == 16);
  CHECK(test_support::files_with(o.path, "log").empty());
}

TEST_CASE("a crash in the middle of sealing leaves a temporary file that is discarded") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  {
    trace::mmap_store store(o);
    store.append(make_batch(1, 4, 4));
  }
  auto log = only_log(o);
  auto tmp = log;
  tmp.replace_extension(".seg.tmp");
  write_file(tmp, "half a segment");
  trace::mmap_store store(o);
  CHECK(store.size() == 16);
  CHECK_FALSE(std::filesystem::exists(tmp));
}
