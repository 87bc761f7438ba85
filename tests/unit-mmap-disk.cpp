// Disk management of the mmap store: retention by TTL (whole segments), the disk budget
// (refuse or evict oldest), and snapshots by hard link.
#include <catch2/catch.hpp>

#include <set>

#include <sys/stat.h>

#include "mmap_test_support.hpp"
#include "trace/store/mmap.hpp"

using test_support::make_batch;
using test_support::small_segment_options;
using test_support::temp_dir;

namespace {

// Three sealed segments, spans of segment k starting around `base + k hours`, plus an active log.
void three_sealed(trace::mmap_store& store, trace::timestamp_ns base) {
  for (std::uint64_t k = 0; k < 4; ++k) {
    auto batch = make_batch(k * 10, 3, 3);
    for (auto& s : batch) {
      s.end = base + k * trace::hour + (s.end - s.start);
      s.start = base + k * trace::hour;
    }
    store.append(batch);
    if (k < 3) store.roll();
  }
}

std::uint64_t inode_of(const std::filesystem::path& p) {
  struct stat info {};
  REQUIRE(::stat(p.c_str(), &info) == 0);
  return info.st_ino;
}

}  // namespace

TEST_CASE("retention exposes and then drops whole segments older than the TTL") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  o.retention_ttl = 2 * trace::hour;
  // Recent enough that the retention run after each roll (at the real now) keeps everything.
  const trace::timestamp_ns base = trace::now_ns() - 30 * trace::minute;
  trace::mmap_store store(o);
  three_sealed(store, base);
  REQUIRE(store.size() == 36);
  const trace::timestamp_ns now = base + 3 * trace::hour + trace::minute;  // cutoff: base + 1h + 1min
  auto range = store.removal_range(now);
  REQUIRE(range);
  CHECK(*range == trace::time_range{base, now - o.retention_ttl});
  CHECK(store.apply_retention(now) == 2);  // segments at base and base + 1h
  CHECK(store.size() == 18);
  for (trace::mmap_span s : store.scan()) CHECK(s.start() >= base + 2 * trace::hour);
  CHECK_FALSE(store.removal_range(now));
  CHECK(test_support::files_with(o.path, "seg").size() == 1);
}

TEST_CASE("retention with an explicit TTL, for a store opened without one") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  const trace::timestamp_ns base = trace::now_ns() - 30 * trace::minute;
  trace::mmap_store store(o);
  three_sealed(store, base);
  const trace::timestamp_ns now = base + 3 * trace::hour + trace::minute;
  CHECK_FALSE(store.removal_range(now));  // the option says: keep everything
  CHECK(store.removal_range(now, 2 * trace::hour) == trace::time_range{base, now - 2 * trace::hour});
  CHECK(store.removal_range(now, 10 * trace::hour) == std::nullopt);
  CHECK(store.apply_retention(now, 2 * trace::hour) == 2);
  CHECK(store.size() == 18);
}

TEST_CASE("retention never drops the active segment") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  o.retention_ttl = trace::hour;
  trace::mmap_store store(o);
  store.append(make_batch(1, 2, 2));  // starts in 2023, long past the TTL
  CHECK_FALSE(store.removal_range(trace::now_ns()));
  CHECK(store.apply_retention(trace::now_ns()) == 0);
  CHECK(store.size() == 4);
}

TEST_CASE("over the byte budget an append is refused and the store is unchanged") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  o.max_disk_bytes = 20'000;
  trace::mmap_store store(o);
  std::size_t accepted = 0;
  bool refused = false;
  for (std::uint64_t k = 0; k < 100 && !refused; ++k) {
    try {
      store.append(make_batch(k * 4, 4, 4));
      accepted += 16;
    } catch (const trace::error& e) {
      refused = true;
      CHECK(e.code() == trace::errc::io_error);
      CHECK(std::string(e.what()).find("over its disk budget") != std::string::npos);
      CHECK(std::string(e.what()).find("max_disk_bytes 20000") != std::string::npos);
    }
  }
  REQUIRE(refused);
  CHECK(accepted > 0);
  CHECK(store.size() == accepted);
  CHECK(store.disk_usage() <= o.max_disk_bytes);
  CHECK(store.find_trace(test_support::make_span(0, 0).trace).size() == 4);
}

TEST_CASE("with evict_oldest the budget drops the oldest sealed segments, never the newest spans") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  o.max_disk_bytes = 30'000;
  o.on_disk_full = trace::disk_full_policy::evict_oldest;
  trace::mmap_store store(o);
  const std::uint64_t batches = 30;
  for (std::uint64_t k = 0; k < batches; ++k) {
    store.append(make_batch(k * 4, 4, 4));
    store.roll();
  }
  CHECK(store.disk_usage() <= o.max_disk_bytes);
  CHECK(store.size() < batches * 16);
  CHECK(store.size() % 16 == 0);
  // What is left is the newest batches, each whole.
  std::set<std::uint64_t> traces;
  for (trace::mmap_span s : store.scan()) traces.insert(s.trace().high() - 0x1000);
  const std::uint64_t kept = store.size() / 16;
  CHECK(traces.size() == kept * 4);
  CHECK(*traces.begin() == (batches - kept) * 4);
  CHECK(*traces.rbegin() == batches * 4 - 1);
}

TEST_CASE("a batch that cannot fit even after evicting everything is refused without evicting") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  o.max_disk_bytes = 8'000;
  o.on_disk_full = trace::disk_full_policy::evict_oldest;
  trace::mmap_store store(o);
  store.append(make_batch(0, 1, 2));
  store.roll();
  CHECK_THROWS_WITH(store.append(make_batch(10, 20, 10)), Catch::Contains("over its disk budget"));
  CHECK(store.size() == 2);
}

TEST_CASE("snapshots hard-link sealed segments, open as stores, and only the newest are kept") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  trace::mmap_store store(o);
  three_sealed(store, 1'000 * trace::hour);
  auto first = store.snapshot();
  auto sealed = test_support::files_with(o.path, "seg");
  REQUIRE(sealed.size() == 3);
  for (const auto& seg : sealed) CHECK(inode_of(seg) == inode_of(first / seg.filename()));
  CHECK(test_support::files_with(first, "log").size() == 1);

  auto snapshot_options = o;
  snapshot_options.path = first;
  snapshot_options.mode = trace::open_mode::read_only;
  {
    trace::mmap_store copy(snapshot_options);
    CHECK(copy.size() == 36);
  }
  store.append(make_batch(500, 1, 1));
  auto second = store.snapshot();
  auto third = store.snapshot();
  CHECK_FALSE(std::filesystem::exists(first));
  CHECK(std::filesystem::exists(second));
  CHECK(std::filesystem::exists(third));
  snapshot_options.path = third;
  trace::mmap_store copy(snapshot_options);
  CHECK(copy.size() == 37);
}

namespace {

// Everything a query can see, in a comparable form.
std::vector<std::string> visible(const trace::mmap_store& store) {
  std::vector<std::string> out;
  for (trace::mmap_span s : store.scan()) {
    trace::span full = s.materialize();
    std::size_t in_trace = store.find_trace(full.trace).size();
    out.push_back(full.id.to_hex() + "/" + full.name + "/" + std::to_string(full.attributes.size()) + "/" +
                  std::to_string(full.events.size()) + "/" + std::to_string(in_trace));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void six_small_segments(trace::mmap_store& store) {
  for (std::uint64_t k = 0; k < 6; ++k) {
    auto batch = make_batch(k / 2 * 3, 3, 3);  // each trace is split over two segments
    for (auto& s : batch) s.id = trace::span_id(s.id.value() + 100 * (k % 2));
    store.append(batch);
    store.roll();
  }
}

}  // namespace

TEST_CASE("compaction merges small sealed segments without losing or duplicating a span") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  trace::mmap_store store(o);
  six_small_segments(store);
  store.append(make_batch(100, 1, 2));  // the active log is never compacted
  auto before = visible(store);
  REQUIRE(before.size() == 56);
  REQUIRE(store.segments().size() == 7);
  CHECK(store.compact() == 5);
  REQUIRE(store.segments().size() == 2);
  CHECK(store.segments()[0].sealed);
  CHECK(store.segments()[0].spans == 54);
  CHECK(visible(store) == before);
  CHECK(store.size() == 56);
  CHECK(test_support::files_with(o.path, "seg").size() == 1);
}

TEST_CASE("compaction that stops before removing the merged segments still shows each span once") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  std::vector<std::string> before;
  std::vector<std::pair<std::filesystem::path, std::string>> originals;
  {
    trace::mmap_store store(o);
    six_small_segments(store);
    before = visible(store);
    for (const auto& seg : test_support::files_with(o.path, "seg")) originals.emplace_back(seg, test_support::read_file(seg));
    store.compact();
  }
  // As if the crash came right after the merged file replaced the first one.
  for (std::size_t i = 1; i < originals.size(); ++i) test_support::write_file(originals[i].first, originals[i].second);
  auto read_only = o;
  read_only.mode = trace::open_mode::read_only;
  {
    trace::mmap_store reader(read_only);
    CHECK(visible(reader) == before);
  }
  trace::mmap_store store(o);
  CHECK(visible(store) == before);
  CHECK(test_support::files_with(o.path, "seg").size() == 1);
}
