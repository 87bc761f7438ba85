// The store-wide trace filter table (trace_filter_table.hpp): find_trace asks it which sealed
// segments may hold an id instead of probing each segment's filter. It must name exactly the
// segments whose own filters say "maybe" (never fewer: a trace would be hidden), keep up
// with seals, compaction and reopening, and report a damaged filter rather than skip it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "trace/store/mmap.hpp"

using test_support::files_with;
using test_support::make_batch;
using test_support::small_segment_options;
using test_support::temp_dir;

namespace {

std::uint64_t bits_of(std::uint64_t seed) { return trace::detail::mix64(seed * 0x9e3779b97f4a7c15ull + 1); }

trace::trace_id id_of_trace(std::uint64_t t) { return make_batch(t, 1, 1).front().trace; }

// `segments` sealed segments of `traces` traces each (trace numbers run on), 2 spans a trace.
void write_sealed(const trace::mmap_options& o, std::uint64_t segments, std::uint64_t traces, std::uint64_t first = 0) {
  trace::mmap_store store(o);
  for (std::uint64_t s = 0; s < segments; ++s) {
    store.append(make_batch(first + s * traces, traces, 2));
    store.roll();
  }
}

std::vector<std::shared_ptr<const trace::detail::segment>> open_all(const std::filesystem::path& dir) {
  std::vector<std::shared_ptr<const trace::detail::segment>> out;
  for (const auto& path : files_with(dir, "seg")) out.push_back(trace::detail::segment::open_sealed(path));
  return out;
}

// The segments the table names for `id`, and those whose own filters say they may hold it.
std::vector<std::uint64_t> table_says(const trace::detail::trace_filter_table& table, const trace::trace_id& id) {
  std::vector<std::uint64_t> out;
  table.for_each_candidate(id, [&out](const trace::detail::segment& s) { out.push_back(s.sequence()); });
  return out;
}
std::vector<std::uint64_t> filters_say(const std::vector<std::shared_ptr<const trace::detail::segment>>& segments,
                                       const trace::trace_id& id) {
  std::vector<std::uint64_t> out;
  for (const auto& s : segments)
    if (s->may_hold(id)) out.push_back(s->sequence());
  return out;
}

}  // namespace

TEST_CASE("the 64x64 bit transpose moves bit c of row r to bit r of row c") {
  for (std::uint64_t round = 0; round < 20; ++round) {
    std::uint64_t rows[64], before[64];
    for (std::uint64_t r = 0; r < 64; ++r) rows[r] = before[r] = bits_of(round * 64 + r);
    trace::detail::transpose_bits(rows);
    for (unsigned r = 0; r < 64; ++r)
      for (unsigned c = 0; c < 64; ++c) REQUIRE(((rows[c] >> r) & 1) == ((before[r] >> c) & 1));
  }
}

TEST_CASE("filters of segments of similar sizes share one geometry (a power of two of blocks)") {
  using trace::detail::trace_filter_blocks_for;
  CHECK(trace_filter_blocks_for(0) == 1);
  CHECK(trace_filter_blocks_for(1) == 1);
  CHECK(trace_filter_blocks_for(33) == 2);  // 33 keys of 16 bits: just over one 512-bit block
  CHECK(trace_filter_blocks_for(70'000) == 4096);
  CHECK(trace_filter_blocks_for(80'000) == 4096);
  CHECK(trace_filter_blocks_for(140'000) == 8192);
}

TEST_CASE("across 150 sealed segments the table names exactly the segments whose filters may hold an id") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  write_sealed(o, 150, 40);
  const auto segments = open_all(o.path);
  REQUIRE(segments.size() == 150);
  const auto table = trace::detail::trace_filter_table::update(nullptr, segments);
  CHECK(table->slice_count() == 3);  // 64 + 64 + 22, one geometry
  CHECK(table->unfiltered_count() == 0);

  // Stored ids: each in its own segment, so at least that one is named.
  for (std::uint64_t t = 0; t < 150 * 40; ++t) {
    const auto id = id_of_trace(t);
    const auto named = table_says(*table, id);
    REQUIRE(named == filters_say(segments, id));
    REQUIRE(std::count(named.begin(), named.end(), segments[t / 40]->sequence()) == 1);
  }
  // Absent ids, until enough of them collide with some segment's filter (a false positive):
  // the table must name those segments too, and the lookup then finds nothing there.
  std::size_t collisions = 0, tried = 0;
  trace::mmap_options read_only = o;
  read_only.mode = trace::open_mode::read_only;
  const trace::mmap_store store(read_only);
  for (; collisions < 20 && tried < 2'000'000; ++tried) {
    const trace::trace_id id(bits_of(2 * tried) | 1, bits_of(2 * tried + 1));
    const auto named = table_says(*table, id);
    REQUIRE(named == filters_say(segments, id));
    if (!named.empty()) {
      ++collisions;
      REQUIRE(store.find_trace(id).size() == 0);
    }
  }
  CHECK(collisions == 20);
}

TEST_CASE("segments of different filter geometries go to different slices, answered in segment order") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  {
    trace::mmap_store store(o);
    // Trace 0 has spans in every segment; the segments hold 10, 500 and 10 traces.
    const std::uint64_t sizes[] = {10, 500, 10, 70};
    std::uint64_t next = 1;
    for (std::uint64_t traces : sizes) {
      auto batch = make_batch(next, traces, 1);
      batch.push_back(test_support::make_span(0, next));
      store.append(batch);
      store.roll();
      next += traces;
    }
  }
  const auto segments = open_all(o.path);
  REQUIRE(segments.size() == 4);
  // Every geometry sliced, however few its segments (by default they are probed one by one).
  const auto table = trace::detail::trace_filter_table::update(nullptr, segments, 1);
  CHECK(table->slice_count() == 3);  // 1 block (10 traces twice), 16 blocks, 4 blocks
  CHECK(table->probed_count() == 0);

  const auto named = table_says(*table, id_of_trace(0));
  CHECK(named == std::vector<std::uint64_t>{1, 2, 3, 4});
  trace::mmap_store store(o);
  const auto spans = store.find_trace(id_of_trace(0));
  REQUIRE(spans.size() == 4);
  std::vector<std::uint64_t> order;
  for (const auto& s : spans) order.push_back(s.id().value());
  CHECK(order == std::vector<std::uint64_t>{2, 12, 512, 522});  // span index = first trace number of its segment
  for (std::uint64_t t = 1; t < 591; ++t) REQUIRE(store.find_trace(id_of_trace(t)).size() == 1);
}

TEST_CASE("the table keeps up with seals (readers keep theirs), compaction and reopening") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  trace::mmap_store store(o);
  store.append(make_batch(0, 20, 2));
  store.roll();
  const auto before = store.read();  // sees one sealed segment
  std::uint64_t traces = 20;
  for (int s = 0; s < 70; ++s, traces += 20) {  // past the first slice's 64 members
    store.append(make_batch(traces, 20, 2));
    store.roll();
  }
  store.append(make_batch(traces, 5, 2));  // in the active log
  traces += 5;
  for (std::uint64_t t = 0; t < traces; ++t) REQUIRE(store.find_trace(id_of_trace(t)).size() == 2);
  CHECK(before.find_trace(id_of_trace(0)).size() == 2);
  CHECK(before.find_trace(id_of_trace(30)).size() == 0);  // sealed after that reader's view
  CHECK(store.find_trace(id_of_trace(traces)).size() == 0);

  CHECK(store.compact() > 0);  // fewer, larger segments: the table is built again
  for (std::uint64_t t = 0; t < traces; ++t) REQUIRE(store.find_trace(id_of_trace(t)).size() == 2);

  trace::mmap_options deferred = o;
  deferred.mode = trace::open_mode::read_only;
  deferred.check_sealed_at_open = false;
  const trace::mmap_store reopened(deferred);
  for (std::uint64_t t = 0; t < traces - 5; ++t) REQUIRE(reopened.find_trace(id_of_trace(t)).size() == 2);
}

TEST_CASE("a damaged filter under deferred checks is reported by the lookup, never skipped") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  write_sealed(o, 3, 20);
  const auto seg = files_with(o.path, "seg")[1];
  std::string bytes = test_support::read_file(seg);
  const std::size_t filter_at = trace::detail::file_header_size + test_support::sealed_block_size(bytes);
  test_support::flip_byte(seg, filter_at + trace::detail::trace_filter_head_size + 3);
  trace::mmap_options deferred = o;
  deferred.mode = trace::open_mode::read_only;
  deferred.check_sealed_at_open = false;
  const trace::mmap_store store(deferred);  // the table lists that segment apart
  for (std::uint64_t t : {0, 25, 50, 1000})
    CHECK_THROWS_WITH(store.find_trace(id_of_trace(t)), Catch::Contains(seg.string()) && Catch::Contains("trace filter checksum mismatch"));
}

TEST_CASE("a crash between a seal and the log's removal leaves each trace found once") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  test_support::seal_then_crash_before_log_removal(o, [](trace::mmap_store& store) {
    store.append(make_batch(0, 20, 2));
    store.roll();
    store.append(make_batch(20, 20, 2));  // the log sealed, then put back
  });
  for (bool writable : {false, true}) {
    trace::mmap_options reopen = o;
    if (!writable) reopen.mode = trace::open_mode::read_only;
    const trace::mmap_store store(reopen);
    for (std::uint64_t t = 0; t < 40; ++t) REQUIRE(store.find_trace(id_of_trace(t)).size() == 2);
  }
}

// The table reads the filters at its first lookup, not when the store opens or seals: a
// table never asked is built anew from all its segments, and one that was asked keeps its
// full slices when a seal adds segments. Both must name what the segments' filters say.
TEST_CASE("a table built at its first lookup answers as one built at once, asked or not before a seal") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  write_sealed(o, 74, 20);
  const auto segments = open_all(o.path);
  REQUIRE(segments.size() == 74);
  const std::vector<std::shared_ptr<const trace::detail::segment>> first(segments.begin(), segments.begin() + 66);
  const auto never_asked = trace::detail::trace_filter_table::update(nullptr, first);
  const auto asked = trace::detail::trace_filter_table::update(nullptr, first);
  REQUIRE(asked->slice_count() == 1);  // 64, and 2 too few to slice
  REQUIRE(asked->probed_count() == 2);
  const auto after_unasked = trace::detail::trace_filter_table::update(never_asked, segments);
  const auto after_asked = trace::detail::trace_filter_table::update(asked, segments);
  for (std::uint64_t t = 0; t < 74 * 20; t += 3) {
    const auto id = id_of_trace(t);
    const auto expected = filters_say(segments, id);
    REQUIRE(table_says(*after_unasked, id) == expected);
    REQUIRE(table_says(*after_asked, id) == expected);
  }
  CHECK(after_asked->slice_count() == 2);  // 64 + 10: the 2 probed ones joined the new slice
  CHECK(after_unasked->slice_count() == 2);
  CHECK(after_asked->probed_count() == 0);
  CHECK(table_says(*never_asked, id_of_trace(0)) == filters_say(first, id_of_trace(0)));
}

// A slice holds 64 filters' worth of words whatever its members: for a store of one or a few
// segments, building it cost more than every lookup of a tracectl run (8 MiB zeroed and
// transposed for one 1M-span segment). Such segments' own filters answer instead.
TEST_CASE("a store of few segments builds no slice: their filters are probed one by one, naming the same segments") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  write_sealed(o, 3, 40);
  const auto segments = open_all(o.path);
  REQUIRE(segments.size() == 3);
  const auto table = trace::detail::trace_filter_table::update(nullptr, segments);
  CHECK(table->slice_count() == 0);
  CHECK(table->probed_count() == 3);
  for (std::uint64_t t = 0; t < 3 * 40; ++t) {
    const auto named = table_says(*table, id_of_trace(t));
    REQUIRE(named == filters_say(segments, id_of_trace(t)));
    REQUIRE(std::count(named.begin(), named.end(), segments[t / 40]->sequence()) == 1);
  }
  for (std::uint64_t tried = 0; tried < 20'000; ++tried) {
    const trace::trace_id id(bits_of(2 * tried) | 1, bits_of(2 * tried + 1));
    REQUIRE(table_says(*table, id) == filters_say(segments, id));
  }
  const trace::mmap_store store(o);
  for (std::uint64_t t = 0; t < 3 * 40; ++t) REQUIRE(store.find_trace(id_of_trace(t)).size() == 2);
}
