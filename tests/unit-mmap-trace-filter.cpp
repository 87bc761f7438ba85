// The sealed segment's trace filter (format version 5 on): find_trace consults it before the
// segment's trace index, so it must never miss an id the index holds; it is checksummed and
// checked against the index at open; segments written before it (version 4) are still read.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "trace/store/mmap.hpp"

using test_support::flip_byte;
using test_support::make_batch;
using test_support::read_file;
using test_support::small_segment_options;
using test_support::temp_dir;
using test_support::write_file;

namespace {

// Ids that look like real ones (random bits), from a fixed sequence.
std::vector<trace::trace_id> random_ids(std::size_t n, std::uint64_t seed) {
  std::vector<trace::trace_id> ids;
  for (std::size_t i = 0; i < n; ++i)
    ids.emplace_back(trace::detail::mix64(seed + 2 * i), trace::detail::mix64(seed + 2 * i + 1) | 1);
  return ids;
}

struct filter_bytes {
  std::string bytes;
  trace::detail::trace_filter_view view;
};
filter_bytes build_filter(const std::vector<trace::trace_id>& ids) {
  filter_bytes f;
  trace::detail::encode_trace_filter(f.bytes, ids.size(), [&ids](std::uint64_t i) { return ids[i]; });
  f.view = trace::detail::trace_filter_view(reinterpret_cast<const std::byte*>(f.bytes.data()), f.bytes.size(), 0, "test");
  return f;
}

std::uint32_t filter_size_in_header(const std::filesystem::path& seg) {
  std::string bytes = read_file(seg);
  return trace::detail::load<std::uint32_t>(reinterpret_cast<const std::byte*>(bytes.data()) + 60);
}
// Where the filter starts: right after the block (the text index follows it since version 6).
std::size_t filter_offset(const std::filesystem::path& seg) {
  return trace::detail::file_header_size + test_support::sealed_block_size(read_file(seg));
}

// Three sealed segments of 20 traces each, and the spans each trace has.
std::vector<std::filesystem::path> three_sealed(const trace::mmap_options& o) {
  trace::mmap_store store(o);
  for (std::uint64_t s = 0; s < 3; ++s) {
    store.append(make_batch(s * 20, 20, 3));
    store.roll();
  }
  auto segs = test_support::files_with(o.path, "seg");
  REQUIRE(segs.size() == 3);
  return segs;
}

void require_every_trace_found(const trace::mmap_store& store, std::uint64_t traces, std::size_t spans_per_trace) {
  for (std::uint64_t t = 0; t < traces; ++t) {
    const auto found = store.find_trace(make_batch(t, 1, 1).front().trace);
    INFO("trace number " << t);
    REQUIRE(found.size() == spans_per_trace);
  }
}

}  // namespace

TEST_CASE("the trace filter holds every id it was built from and rejects nearly all others") {
  const auto members = random_ids(50'000, 1);
  const auto others = random_ids(50'000, 1'000'001);
  const filter_bytes f = build_filter(members);
  CHECK(f.bytes.size() == trace::detail::trace_filter_bytes_for(members.size()));
  for (const auto& id : members) REQUIRE(f.view.may_contain(id));
  std::size_t false_positives = 0;
  for (const auto& id : others) false_positives += f.view.may_contain(id);
  // 16 bits per id, 8 hashes in 512-bit blocks: about 0.1 %; 1 % would mean a broken hash.
  CHECK(false_positives < others.size() / 100);
  // Sequential ids, as a hand-made store has, spread as well as random ones.
  std::vector<trace::trace_id> sequential, next;
  for (std::uint64_t i = 1; i <= 20'000; ++i) sequential.emplace_back(0, i);
  for (std::uint64_t i = 20'001; i <= 40'000; ++i) next.emplace_back(0, i);
  const filter_bytes g = build_filter(sequential);
  for (const auto& id : sequential) REQUIRE(g.view.may_contain(id));
  std::size_t sequential_false = 0;
  for (const auto& id : next) sequential_false += g.view.may_contain(id);
  CHECK(sequential_false < next.size() / 100);
}

TEST_CASE("a trace filter whose size or head is wrong is refused, naming what is wrong") {
  const filter_bytes f = build_filter(random_ids(100, 7));
  const auto* data = reinterpret_cast<const std::byte*>(f.bytes.data());
  CHECK_THROWS_WITH(trace::detail::trace_filter_view(data, 8, 500, "seg"), Catch::Contains("shorter than its 16-byte head"));
  CHECK_THROWS_WITH(trace::detail::trace_filter_view(data, f.bytes.size() - 64, 500, "seg"),
                    Catch::Contains("checksum mismatch") && Catch::Contains("bytes 500.."));
  std::string zero_hashes = f.bytes;
  std::memset(zero_hashes.data() + 4, 0, 4);
  const std::uint32_t crc = trace::mask_crc(trace::crc32c(zero_hashes.data() + 4, zero_hashes.size() - 4));
  std::memcpy(zero_hashes.data(), &crc, 4);
  CHECK_THROWS_WITH(
      trace::detail::trace_filter_view(reinterpret_cast<const std::byte*>(zero_hashes.data()), zero_hashes.size(), 0, "seg"),
      Catch::Contains("0 hashes per key"));
}

TEST_CASE("each sealed segment carries a trace filter and find_trace answers through it") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  const auto segs = three_sealed(o);
  for (const auto& seg : segs) {
    INFO(seg);
    CHECK(filter_size_in_header(seg) == trace::detail::trace_filter_bytes_for(20));
  }
  trace::mmap_store store(o);
  require_every_trace_found(store, 60, 3);
  CHECK(store.find_trace(trace::trace_id(0xdead, 0xbeef)).size() == 0);
}

TEST_CASE("compaction writes one filter covering every merged segment") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  three_sealed(o);
  trace::mmap_store store(o);
  CHECK(store.compact() > 0);
  const auto segs = test_support::files_with(o.path, "seg");
  REQUIRE(segs.size() == 1);
  CHECK(filter_size_in_header(segs[0]) == trace::detail::trace_filter_bytes_for(60));
  require_every_trace_found(store, 60, 3);
}

TEST_CASE("a flipped byte in a sealed segment's trace filter is refused, naming the filter") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  const auto seg = three_sealed(o).front();
  flip_byte(seg, filter_offset(seg) + filter_size_in_header(seg) - 10);
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains(seg.string()) && Catch::Contains("trace filter checksum mismatch"));
}

TEST_CASE("a filter that passes its checksum but misses a trace of the index is refused") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  const auto seg = three_sealed(o).front();
  std::string bytes = read_file(seg);
  const std::size_t filter_at = filter_offset(seg);
  std::memset(bytes.data() + filter_at + trace::detail::trace_filter_head_size, 0,
              filter_size_in_header(seg) - trace::detail::trace_filter_head_size);  // every bit cleared
  test_support::fix_sealed_checksums(bytes);
  write_file(seg, bytes);
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains("trace filter does not hold trace"));
}

TEST_CASE("a sealed segment of format version 4, without a filter, is still read") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  // What version 4 wrote: a block in the layout of versions 2 to 6 (the format-6 segment of
  // tests/data/mmap-format-6: 4 traces of 6 spans), nothing after it, zero at header offsets
  // 60, 72 and 76.
  std::filesystem::create_directories(o.path);
  const auto seg = o.path / "0000000000000001.seg";
  std::string bytes = read_file(std::filesystem::path(TRACE_TEST_DATA_DIR) / "mmap-format-6" / seg.filename());
  bytes.resize(trace::detail::file_header_size + test_support::sealed_block_size(bytes));
  const std::uint32_t version = 4, none = 0;
  std::memcpy(bytes.data() + 8, &version, 4);
  for (std::size_t at : {60, 72, 76}) std::memcpy(bytes.data() + at, &none, 4);
  trace::detail::seal_file_header(reinterpret_cast<std::byte*>(bytes.data()));
  write_file(seg, bytes);
  {
    trace::mmap_store store(o);
    require_every_trace_found(store, 4, 6);
    CHECK(store.find_trace(trace::trace_id(0xdead, 0xbeef)).size() == 0);
    store.compact();  // a lone segment without a filter or text index: rewritten in the current version
  }
  const auto segs = test_support::files_with(o.path, "seg");
  REQUIRE(segs.size() == 1);
  CHECK(filter_size_in_header(segs[0]) == trace::detail::trace_filter_bytes_for(4));
  trace::mmap_store store(o);
  require_every_trace_found(store, 4, 6);
}
