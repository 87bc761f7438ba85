// Damage to a log's committed records, as opposed to the torn tail a crash leaves
// (unit-mmap-corruption.cpp): readers are told and served the records before it, writers
// refuse to open until `mmap_store::repair`, which reports what it drops; a log cut short
// at a record boundary is caught by its commit watermark.
#include <catch2/catch.hpp>

#include <cstring>

#include "mmap_test_support.hpp"
#include "trace/store/mmap.hpp"

using test_support::flip_byte;
using test_support::make_batch;
using test_support::read_file;
using test_support::small_segment_options;
using test_support::temp_dir;
using test_support::write_file;

namespace {

// Three batches of 6 spans, closed cleanly (the watermark covers them); the record offsets.
std::vector<std::uint64_t> three_committed_batches(const trace::mmap_options& o) {
  trace::mmap_store store(o);
  std::vector<std::uint64_t> offsets{trace::detail::file_header_size};
  for (std::uint64_t b = 0; b < 3; ++b) {
    store.append(make_batch(b * 2, 2, 3));
    offsets.push_back(store.segments().back().bytes);
  }
  return offsets;
}

std::filesystem::path only_log(const trace::mmap_options& o) {
  auto logs = test_support::files_with(o.path, "log");
  REQUIRE(logs.size() == 1);
  return logs[0];
}

trace::mmap_options read_only(trace::mmap_options o) {
  o.mode = trace::open_mode::read_only;
  return o;
}

}  // namespace

TEST_CASE("a damaged record followed by committed ones is reported to readers, who get the records before it") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto offsets = three_committed_batches(o);
  flip_byte(only_log(o), offsets[1] + trace::detail::record_header_size + 20);
  std::vector<trace::dropped_log_tail> told;
  auto r = read_only(o);
  r.on_dropped = [&told](const trace::dropped_log_tail& d) { told.push_back(d); };
  trace::mmap_store store(r);
  CHECK(store.size() == 6);
  CHECK(store.damaged());
  REQUIRE(store.dropped().size() == 1);
  const auto& d = store.dropped()[0];
  CHECK(d.damage);
  CHECK(d.offset == offsets[1]);
  CHECK(d.bytes == offsets[3] - offsets[1]);
  CHECK(d.records_after == std::vector<std::uint64_t>{offsets[2]});
  CHECK(d.spans_after == 6);
  REQUIRE(d.spans);
  CHECK(*d.spans == 12);  // the watermark committed 18; 6 are served
  CHECK(d.reason == "record at offset " + std::to_string(offsets[1]) + " fails its checksum");
  REQUIRE(told.size() == 1);
  CHECK(trace::describe(told[0]).find("among them 1 valid records holding 6 spans; 12 committed spans in all") !=
        std::string::npos);
}

TEST_CASE("a damaged last committed record is damage too, not a torn tail") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto offsets = three_committed_batches(o);
  flip_byte(only_log(o), offsets[2] + trace::detail::record_header_size + 20);
  trace::mmap_store store(read_only(o));
  CHECK(store.size() == 12);
  REQUIRE(store.dropped().size() == 1);
  CHECK(store.dropped()[0].damage);
  CHECK(store.dropped()[0].records_after.empty());
  CHECK(store.dropped()[0].spans == std::optional<std::uint64_t>(6));
}

TEST_CASE("a writer refuses a damaged log, naming it, and changes nothing") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto offsets = three_committed_batches(o);
  auto log = only_log(o);
  flip_byte(log, offsets[1] + trace::detail::record_header_size + 20);
  const std::string before = read_file(log);
  try {
    trace::mmap_store store(o);
    FAIL("a writer opened a damaged log");
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::corrupt_data);
    const std::string message = e.what();
    CHECK(message.find(log.string()) != std::string::npos);
    CHECK(message.find("record at offset " + std::to_string(offsets[1]) + " fails its checksum") != std::string::npos);
    CHECK(message.find("mmap_store::repair") != std::string::npos);
  }
  CHECK(read_file(log) == before);
}

TEST_CASE("repair drops the damaged record and those after it, says so, and the store is writable again") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto offsets = three_committed_batches(o);
  flip_byte(only_log(o), offsets[1] + trace::detail::record_header_size + 20);
  const auto dropped = trace::mmap_store::repair(o);
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].damage);
  CHECK(dropped[0].offset == offsets[1]);
  CHECK(dropped[0].records_after == std::vector<std::uint64_t>{offsets[2]});
  CHECK(dropped[0].spans == std::optional<std::uint64_t>(12));
  {
    trace::mmap_store store(o);
    CHECK(store.size() == 6);
    CHECK(store.dropped().empty());
    store.append(make_batch(20, 1, 5));
  }
  trace::mmap_store reopened(read_only(o));
  CHECK(reopened.size() == 11);
  CHECK_FALSE(reopened.damaged());
  CHECK(reopened.dropped().empty());
}

TEST_CASE("a log cut at a record boundary is caught by its commit watermark") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto offsets = three_committed_batches(o);
  auto log = only_log(o);
  SECTION("zeroed from the boundary on") {
    std::string bytes = read_file(log);
    std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(offsets[2]), bytes.end(), '\0');
    write_file(log, bytes);
  }
  SECTION("truncated at the boundary") { test_support::shrink_to(log, offsets[2]); }
  trace::mmap_store store(read_only(o));
  CHECK(store.size() == 12);
  REQUIRE(store.dropped().size() == 1);
  CHECK(store.dropped()[0].damage);
  CHECK(store.dropped()[0].reason.find("cut short") != std::string::npos);
  CHECK(store.dropped()[0].spans == std::optional<std::uint64_t>(6));
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains("cut short") && Catch::Contains("repair"));
}

TEST_CASE("a bad record followed by valid ones is damage even past the watermark") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  o.sync = trace::sync_policy::none;  // nothing synced: the watermark stays at the start
  std::vector<std::uint64_t> offsets{trace::detail::file_header_size};
  {
    trace::mmap_store store(o);
    for (std::uint64_t b = 0; b < 3; ++b) {
      store.append(make_batch(b * 2, 2, 3));
      offsets.push_back(store.segments().back().bytes);
    }
  }
  flip_byte(only_log(o), offsets[1] + trace::detail::record_header_size + 20);
  trace::mmap_store store(read_only(o));
  REQUIRE(store.dropped().size() == 1);
  CHECK(store.dropped()[0].damage);
  CHECK(store.dropped()[0].records_after == std::vector<std::uint64_t>{offsets[2]});
  CHECK_FALSE(store.dropped()[0].spans);  // the damaged record was never committed: its count is unknown
  CHECK_THROWS_AS(trace::mmap_store(o), trace::error);
}

TEST_CASE("a version 2 or 3 log, without a watermark, is read, and a writer seals it") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  // A log in the block layout of versions 2 to 6 (19 spans; tests/data/mmap-format-6).
  std::filesystem::create_directories(o.path);
  const auto log = o.path / "0000000000000002.log";
  std::filesystem::copy_file(std::filesystem::path(TRACE_TEST_DATA_DIR) / "mmap-format-6" / log.filename(), log);
  {  // rewrite the header as versions 2 and 3 wrote it: no commit slots, the CRC over 124 bytes
    std::string bytes = read_file(log);
    auto* header = reinterpret_cast<std::byte*>(bytes.data());
    const std::uint32_t version = GENERATE(2u, 3u);
    std::memcpy(header + 8, &version, 4);
    std::memset(header + trace::detail::commit_slot_offset, 0,
                trace::detail::commit_slot_size * trace::detail::commit_slot_count);
    trace::detail::seal_file_header(header);
    write_file(log, bytes);
  }
  {
    trace::mmap_store store(read_only(o));
    CHECK(store.size() == 19);
    CHECK(store.dropped().empty());
  }
  trace::mmap_store store(o);
  CHECK(store.size() == 19);
  CHECK(test_support::files_with(o.path, "log").empty());
  CHECK(test_support::files_with(o.path, "seg").size() == 1);
  store.append(make_batch(30, 1, 2));
  CHECK(store.size() == 21);
}

TEST_CASE("repair leaves a store that checks clean, whatever generations the commit slots carry") {
  // Found by fuzz_store: both slots at generation 2^32 - 1, the one read second claiming more
  // than the log holds. The next generation wrapped to 0 and was written over the winning
  // slot (chosen by parity), so the stale claim won and the repaired log reported damage.
  temp_dir dir;
  auto o = small_segment_options(dir);
  auto offsets = three_committed_batches(o);
  const auto intact = test_support::materialize_all(trace::mmap_store(read_only(o)));
  const auto log = only_log(o);
  {
    std::string bytes = read_file(log);
    auto* header = reinterpret_cast<std::byte*>(bytes.data());
    trace::detail::write_commit_slot(header, {offsets[2], 12, 0xffffffffu}, 0);
    trace::detail::write_commit_slot(header, {~0ull, ~0ull, 0xffffffffu}, 1);
    const std::uint32_t huge = 0xffffffffu;  // a torn record after the third: past the end of the file
    std::memcpy(bytes.data() + offsets[3] + 4, &huge, 4);
    bytes[offsets[3] + 8] = 1;
    write_file(log, bytes);
  }
  {
    trace::mmap_store before(read_only(o));
    REQUIRE(before.dropped().size() == 1);
    CHECK_FALSE(before.damaged());  // slot 0 wins the tie: the third batch and the torn record are past it
  }
  const auto dropped = trace::mmap_store::repair(o);
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].offset == offsets[3]);
  trace::mmap_store after(read_only(o));
  CHECK_FALSE(after.damaged());
  CHECK(after.dropped().empty());
  CHECK(test_support::materialize_all(after) == intact);  // all 18 spans, the third batch too
}

TEST_CASE("commit generations compare as serial numbers: the next one is newer, even past 2^32 - 1") {
  using trace::detail::newer_generation;
  CHECK(newer_generation(1, 0));
  CHECK(newer_generation(0, 0xffffffffu));
  CHECK_FALSE(newer_generation(0xffffffffu, 0));
  CHECK_FALSE(newer_generation(7, 7));
  CHECK_FALSE(newer_generation(5, 6));
}
