// The mmap store's cold tier: sealed segments moved into Parquet files answer every read as
// they did before the move; a move killed at any point leaves each span counted once;
// damaged cold files are refused or served around, never read wrong; retention and the
// disk budget reach the cold tier too.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <signal.h>
#include <unistd.h>

#include "mmap_test_support.hpp"
#include "support/killed_writer.hpp"
#include "trace/io/parquet/reader.hpp"
#include "trace/query/span_query.hpp"
#include "trace/store/mmap.hpp"

using test_support::temp_dir;

namespace {

constexpr std::uint64_t cold_traces = 120, cold_spans_per_trace = 5;
constexpr int kill_iterations = 12;  // each copies a store, kills a move and checks every answer

// Old spans (2023) in several sealed segments, and recent ones in the active log.
trace::mmap_options cold_options(const std::filesystem::path& path) {
  trace::mmap_options o;
  o.path = path;
  o.segment_bytes = trace::min_segment_bytes;
  o.sync = trace::sync_policy::none;
  o.cold_row_group_rows = 64;  // several row groups per file, so pruning has something to skip
  return o;
}

std::vector<trace::span> recent_batch() {
  auto spans = test_support::make_batch(5000, 3, 4);
  const trace::timestamp_ns now = trace::now_ns();
  for (auto& s : spans) {
    const trace::duration_ns d = s.end - s.start;
    s.start = now - 1'000'000'000 + (s.start % 1'000'000);
    s.end = s.start + d;
    for (auto& e : s.events) e.time = s.start + 10;
  }
  return spans;
}

void fill(trace::mmap_store& store) {
  for (std::uint64_t t = 0; t < cold_traces; t += 10) {
    store.append(test_support::make_batch(t, 10, cold_spans_per_trace));
    if (t % 30 == 20) store.roll();
  }
  store.roll();
  store.append(recent_batch());
  store.sync();
}

std::size_t files_named(const std::filesystem::path& dir, const std::string& suffix) {
  if (!std::filesystem::is_directory(dir)) return 0;
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.path().filename().string().ends_with(suffix);
  return n;
}

// Every answer the tests compare before and after a move.
struct answers {
  std::vector<trace::span> all;
  std::vector<std::vector<trace::span>> traces;
  std::size_t errors = 0, svc1_window = 0;
  friend bool operator==(const answers&, const answers&) = default;
};

const trace::timestamp_ns window_begin = 1'700'000'000'000'000'000ull + 40 * 1'000'000;
const trace::timestamp_ns window_end = 1'700'000'000'000'000'000ull + 60 * 1'000'000;

answers answers_of(const trace::mmap_store& store) {
  answers a;
  a.all = test_support::materialize_all(store);
  for (std::uint64_t t : {0ull, 7ull, 55ull, 119ull, 5001ull, 777ull}) {
    std::vector<trace::span> spans;
    for (trace::mmap_span s : store.find_trace(test_support::make_span(t, 0).trace)) spans.push_back(s.materialize());
    a.traces.push_back(test_support::sorted(std::move(spans)));
  }
  a.errors = trace::count_matching(store, trace::where::status(trace::status_code::error));
  a.svc1_window = trace::count_matching(store, trace::where::service("svc-1") && trace::where::started_between(window_begin, window_end - 1));
  return a;
}

}  // namespace

TEST_CASE("cold tier: moved segments answer scans, lookups and queries as before, across reopening") {
  temp_dir dir;
  const auto o = cold_options(dir / "store");
  answers before;
  {
    trace::mmap_store store(o);
    fill(store);
    before = answers_of(store);
    REQUIRE(before.all.size() == cold_traces * cold_spans_per_trace + 12);
    REQUIRE(before.traces[0].size() == cold_spans_per_trace);
    REQUIRE(before.traces[5].empty());  // trace 777 was never written
    REQUIRE(before.svc1_window > 0);

    const std::size_t sealed = files_named(o.path, ".seg");
    REQUIRE(sealed >= 3);
    CHECK(store.move_to_cold(trace::now_ns(), 24 * trace::hour) == sealed);
    CHECK(files_named(o.path, ".seg") == 0);
    CHECK(files_named(o.path / "cold", ".parquet") == sealed);
    CHECK(store.cold_files().size() == sealed);
    CHECK(store.size() == before.all.size());
    CHECK(answers_of(store) == before);
    // Spans outlive the range they came from while the store lives, from either tier.
    std::vector<trace::mmap_span> kept;
    for (trace::mmap_span s : store.scan()) kept.push_back(s);
    std::vector<trace::span> again;
    for (const auto& s : kept) again.push_back(s.materialize());
    CHECK(test_support::sorted(std::move(again)) == before.all);
    // Nothing more is old enough.
    CHECK(store.move_to_cold(trace::now_ns(), 24 * trace::hour) == 0);
  }
  trace::mmap_store writer(o);
  CHECK(writer.size() == before.all.size());
  CHECK(answers_of(writer) == before);

  auto ro = o;
  ro.mode = trace::open_mode::read_only;
  trace::mmap_store reader(ro);
  CHECK(answers_of(reader) == before);
  CHECK_FALSE(reader.damaged());
}

TEST_CASE("cold tier: files are plain Parquet, row groups sorted by trace and pruned by time and service") {
  temp_dir dir;
  const auto o = cold_options(dir / "store");
  trace::mmap_store store(o);
  fill(store);
  const std::size_t hot_blocks = store.blocks().size();
  store.move_to_cold(trace::now_ns(), 24 * trace::hour);

  std::size_t rows = 0, groups = 0;
  for (const auto& info : store.cold_files()) {
    // Any Parquet reader reads the file; its rows are the segment's spans, by trace id.
    auto file = trace::parquet::reader::open(info.path);
    const auto spans = file.read_all();
    REQUIRE(spans.size() == info.spans);
    CHECK(std::is_sorted(spans.begin(), spans.end(), [](const auto& a, const auto& b) { return a.trace < b.trace; }));
    rows += spans.size();
    groups += info.row_groups;
  }
  CHECK(rows == cold_traces * cold_spans_per_trace);
  REQUIRE(groups > 4);

  // Unpruned: every row group is decoded into one block, beside the active log's block.
  const std::size_t all_blocks = store.blocks().size();
  CHECK(all_blocks == groups + 1);
  CHECK(hot_blocks > 1);

  // A window of 20 traces' start times keeps only the groups that overlap it; the spans of
  // the window are all there.
  auto pruned = store.read({.window = {window_begin, window_end}});
  const std::size_t kept = pruned.blocks().size();
  CHECK(kept < all_blocks / 2);
  const auto in_window = trace::where::started_between(window_begin, window_end - 1);  // inclusive bounds
  CHECK(trace::count_matching(pruned.scan(), in_window) == trace::count_matching(store, in_window));
  // A service outside every group's range leaves only the active log.
  CHECK(store.read({.service = "zzz-no-such-service"}).blocks().size() == 1);
  CHECK(store.read({.service = "svc-2"}).blocks().size() == all_blocks);
  // A window after every cold span leaves only the active log too.
  CHECK(store.read({.window = {trace::now_ns() - trace::hour, trace::now_ns() + trace::hour}}).blocks().size() == 1);
}

TEST_CASE("cold tier: a move stopped between its steps leaves every span counted once") {
  temp_dir dir;
  const auto o = cold_options(dir / "store");
  answers before;
  std::filesystem::path first_segment;
  {
    trace::mmap_store store(o);
    fill(store);
    before = answers_of(store);
    first_segment = trace::detail::segment_path(o.path, store.segments().front().sequence, ".seg");
  }
  const auto cold_dir = o.path / "cold";

  SECTION("stopped before the rename: the temporary file goes, the segment serves") {
    auto s = trace::detail::segment::open_sealed(first_segment);
    const auto written = trace::detail::write_cold_file(cold_dir, *s, o.cold_row_group_rows);
    std::filesystem::rename(written, written.string() + ".tmp");
    trace::mmap_store store(o);
    CHECK(files_named(cold_dir, ".tmp") == 0);
    CHECK(store.cold_files().empty());
    CHECK(answers_of(store) == before);
  }
  SECTION("stopped after the rename, before the segment was dropped: the segment wins") {
    auto s = trace::detail::segment::open_sealed(first_segment);
    trace::detail::write_cold_file(cold_dir, *s, o.cold_row_group_rows);
    s.reset();
    auto ro = o;
    ro.mode = trace::open_mode::read_only;
    {
      trace::mmap_store reader(ro);  // reads the segment and ignores the cold copy, deleting nothing
      CHECK(reader.size() == before.all.size());
      CHECK(answers_of(reader) == before);
      CHECK(files_named(cold_dir, ".parquet") == 1);
    }
    trace::mmap_store store(o);
    CHECK(files_named(cold_dir, ".parquet") == 0);
    CHECK(std::filesystem::exists(first_segment));
    CHECK(store.size() == before.all.size());
    CHECK(answers_of(store) == before);
    // The next move writes it again.
    CHECK(store.move_to_cold(trace::now_ns(), 24 * trace::hour) > 0);
    CHECK(answers_of(store) == before);
  }
  SECTION("after the segment was dropped: the cold file serves, and later segments never reuse its number") {
    {
      trace::mmap_store store(o);
      store.move_to_cold(trace::now_ns(), 24 * trace::hour);
      store.roll();  // the active log too is sealed now, recent: it stays hot
    }
    {
      trace::mmap_store store(o);
      CHECK(answers_of(store) == before);
      store.append(test_support::make_batch(9000, 2, 2));
      store.roll();
    }
    trace::mmap_store store(o);
    CHECK(store.size() == before.all.size() + 4);
    for (const auto& seg : store.segments())
      for (const auto& cold : store.cold_files()) CHECK((seg.sequence < cold.first || seg.sequence > cold.last));
  }
}

TEST_CASE("cold tier: a writer killed at random moments of a move loses and doubles nothing") {
  std::mt19937 random(20261201);
  temp_dir dir;
  const auto prepared = dir / "prepared";
  answers before;
  {
    trace::mmap_store store(cold_options(prepared));
    fill(store);
    before = answers_of(store);
  }
  // How long a whole move takes here (sanitizers slow it down): the kills spread over it.
  unsigned move_us = 0;
  {
    const auto path = dir / "timed";
    std::filesystem::copy(prepared, path, std::filesystem::copy_options::recursive);
    trace::mmap_store store(cold_options(path));
    const auto start = std::chrono::steady_clock::now();
    store.move_to_cold(trace::now_ns(), 24 * trace::hour);
    move_us = static_cast<unsigned>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());
  }
  std::size_t partial = 0;
  for (int iteration = 0; iteration < kill_iterations; ++iteration) {
    const auto path = dir / ("run-" + std::to_string(iteration));
    std::filesystem::copy(prepared, path, std::filesystem::copy_options::recursive);
    const auto o = cold_options(path);
    test_support::killed_writer mover([&o](auto acknowledge) {
      trace::mmap_store store(o);
      acknowledge(1);  // open: the kill lands in the move
      store.move_to_cold(trace::now_ns(), 24 * trace::hour);
    });
    REQUIRE(mover.started());
    const bool opened = mover.next_ack().has_value();
    ::usleep(std::uniform_int_distribution<unsigned>(0, move_us + move_us / 4)(random));
    const int status = mover.kill();
    INFO("iteration " << iteration);
    REQUIRE(opened);
    REQUIRE(test_support::killed_writer::killed_or_finished(status));

    trace::mmap_store store(o);
    const std::size_t cold = store.cold_files().size();
    partial += cold > 0 && files_named(path, ".seg") > 0;
    REQUIRE(store.size() == before.all.size());
    REQUIRE(answers_of(store) == before);
    std::filesystem::remove_all(path);
  }
  // Not asserted (timing decides): how many kills left both tiers in use.
  WARN("reopenings with segments in both tiers: " << partial << " of " << kill_iterations << " (a whole move took " << move_us << " us)");
}

TEST_CASE("cold tier: a damaged cold file is refused by a writer and served around, reported, by a reader") {
  temp_dir dir;
  const auto o = cold_options(dir / "store");
  std::size_t hot = 0, total = 0;
  std::filesystem::path damaged;
  {
    trace::mmap_store store(o);
    fill(store);
    total = store.size();
    store.move_to_cold(trace::now_ns(), 24 * trace::hour);
    const auto files = store.cold_files();
    REQUIRE(files.size() >= 2);
    damaged = files[1].path;
    hot = total - files[1].spans;
  }
  // One flipped byte in a data page: Parquet alone would decode it as another value.
  test_support::flip_byte(damaged, 100);
  try {
    trace::mmap_store writer(o);
    FAIL("a writer opened a store with a damaged cold file");
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::corrupt_data);
    CHECK_THAT(e.what(), Catch::Contains(damaged.filename().string()) && Catch::Contains("checksum mismatch"));
  }
  auto ro = o;
  ro.mode = trace::open_mode::read_only;
  trace::mmap_store reader(ro);
  REQUIRE(reader.damaged());
  REQUIRE(reader.dropped().size() == 1);
  CHECK(reader.dropped()[0].file == damaged);
  CHECK(reader.size() == hot);
  CHECK(test_support::materialize_all(reader).size() == hot);

  // A file cut short is refused the same way.
  test_support::flip_byte(damaged, 100);
  test_support::shrink_to(damaged, std::filesystem::file_size(damaged) - 9);
  CHECK_THROWS_AS(trace::mmap_store(o), trace::error);
}

TEST_CASE("cold tier: retention by age and the disk budget reach the cold files") {
  temp_dir dir;
  auto o = cold_options(dir / "store");
  std::size_t recent = 0;
  {
    trace::mmap_store store(o);
    fill(store);
    recent = store.size() - cold_traces * cold_spans_per_trace;
    store.move_to_cold(trace::now_ns(), 24 * trace::hour);
    REQUIRE(!store.cold_files().empty());
  }
  SECTION("TTL") {
    trace::mmap_store store(o);
    const auto range = store.removal_range(trace::now_ns(), 24 * trace::hour);
    REQUIRE(range);
    CHECK(range->begin == test_support::make_span(0, 0).start);
    CHECK(store.apply_retention(trace::now_ns(), 24 * trace::hour) >= 2);
    CHECK(store.cold_files().empty());
    CHECK(files_named(o.path / "cold", ".parquet") == 0);
    CHECK(store.size() == recent);
  }
  SECTION("disk budget, evicting the oldest") {
    std::vector<trace::cold_file_info> cold;
    std::uint64_t usage = 0, cold_bytes = 0;
    {
      trace::mmap_store probe(o);
      cold = probe.cold_files();
      usage = probe.disk_usage();
    }
    for (const auto& c : cold) cold_bytes += c.bytes;
    CHECK(usage > cold_bytes);  // the cold files count in the usage
    o.max_disk_bytes = usage + 1024;  // the next append needs more room: the oldest files go first
    o.on_disk_full = trace::disk_full_policy::evict_oldest;
    trace::mmap_store store(o);
    const std::size_t before = store.size();
    store.append(test_support::make_batch(7000, 20, 5));
    CHECK(store.disk_usage() <= o.max_disk_bytes);
    std::size_t evicted = 0, evicted_spans = 0;
    for (const auto& c : cold)
      if (!std::filesystem::exists(c.path)) ++evicted, evicted_spans += c.spans;
    CHECK(evicted >= 1);
    CHECK_FALSE(std::filesystem::exists(cold.front().path));
    CHECK(store.cold_files().size() == cold.size() - evicted);
    CHECK(store.size() == before - evicted_spans + 100);
  }
}
