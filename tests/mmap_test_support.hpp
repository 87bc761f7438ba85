#pragma once
// Helpers shared by the mmap store tests: a temporary directory that cleans up after
// itself, deterministic spans carrying every part of the model, and byte edits on files.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "trace/core/span.hpp"
#include "trace/store/mmap.hpp"

namespace test_support {

class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "trace-mmap-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A store in `dir`/store with default options.
inline trace::mmap_options default_options(const temp_dir& dir) {
  trace::mmap_options o;
  o.path = dir.path() / "store";
  return o;
}

// The same with the smallest segments, so that files stay small and byte edits cheap.
inline trace::mmap_options small_segment_options(const temp_dir& dir) {
  trace::mmap_options o = default_options(dir);
  o.segment_bytes = trace::min_segment_bytes;
  return o;
}

// Spans in span-id order: every stored span materialized, or a list of spans.
inline std::vector<trace::span> sorted(std::vector<trace::span> spans) {
  std::sort(spans.begin(), spans.end(), [](const trace::span& a, const trace::span& b) { return a.id < b.id; });
  return spans;
}
inline std::vector<trace::span> materialize_all(const trace::mmap_store& store) {
  std::vector<trace::span> out;
  for (trace::mmap_span s : store.scan()) out.push_back(s.materialize());
  return sorted(std::move(out));
}

// Span `index` of trace `trace_number`; every few spans carry the rare parts too.
inline trace::span make_span(std::uint64_t trace_number, std::uint64_t index) {
  trace::span s;
  s.trace = trace::trace_id(0x1000 + trace_number, trace_number * 7919 + 1);
  s.id = trace::span_id(trace_number * 1000 + index + 1);
  s.parent = index ? trace::span_id(trace_number * 1000 + 1) : trace::span_id();
  s.name = "op-" + std::to_string(index % 5);
  s.kind = static_cast<trace::span_kind>(1 + index % 5);
  s.start = 1'700'000'000'000'000'000ull + trace_number * 1'000'000 + index * 1000;
  s.end = s.start + 500 + (index * 37 + trace_number * 11) % 100'000;
  s.status.code = index % 7 == 3 ? trace::status_code::error : trace::status_code::ok;
  if (s.status.code == trace::status_code::error) s.status.message = "failed at step " + std::to_string(index);
  s.resource.service_name = "svc-" + std::to_string(trace_number % 4);
  s.resource.attributes.set("host.name", std::string("host-") + std::to_string(trace_number % 3));
  s.scope.name = "lib";
  s.scope.version = "1.2";
  s.attributes.set("http.status_code", std::int64_t(200 + index % 3 * 100));
  s.attributes.set("ratio", 0.25 * static_cast<double>(index));
  s.attributes.set("cached", index % 2 == 0);
  if (index % 3 == 0) {
    s.trace_state = "vendor=abc";
    s.attributes.set("tags", std::vector<std::string>{"a", "b"});
    s.attributes.set("codes", std::vector<std::int64_t>{1, 2, 3});
    s.events.push_back({s.start + 10, "retry", {{"attempt", std::int64_t(2)}}, trace::event_level::warn, 1});
    s.events.push_back({s.start + 20, "done", {}, std::nullopt, 0});
    s.links.push_back({trace::trace_id(9, 9), trace::span_id(99), "k=v", {{"why", std::string("follows")}}, 0});
    s.dropped_attributes = 1;
    s.dropped_events = 2;
    s.dropped_links = 3;
  }
  return s;
}

// `count` spans over traces [first_trace, first_trace + traces).
inline std::vector<trace::span> make_batch(std::uint64_t first_trace, std::uint64_t traces, std::uint64_t spans_per_trace) {
  std::vector<trace::span> out;
  for (std::uint64_t t = first_trace; t < first_trace + traces; ++t)
    for (std::uint64_t i = 0; i < spans_per_trace; ++i) out.push_back(make_span(t, i));
  return out;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
// Edits in place, so a large preallocated log is not read whole.
inline void flip_byte(const std::filesystem::path& path, std::size_t offset) {
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  file.seekg(static_cast<std::streamoff>(offset));
  char byte = 0;
  if (!file.get(byte)) throw std::runtime_error("flip_byte: offset past the end of " + path.string());
  file.seekp(static_cast<std::streamoff>(offset));
  file.put(static_cast<char>(byte ^ 0x5a));
}
inline void shrink_to(const std::filesystem::path& path, std::uint64_t size) { std::filesystem::resize_file(path, size); }

// Bytes of a sealed segment's block: as many as its header says (the trace filter and the
// text index follow the block), at most what the file holds after the header.
inline std::size_t sealed_block_size(const std::string& bytes) {
  namespace d = trace::detail;
  const std::size_t available = bytes.size() - d::file_header_size;
  const auto* data = reinterpret_cast<const std::byte*>(bytes.data());
  return static_cast<std::size_t>(std::min<std::uint64_t>(d::load<std::uint64_t>(data + 32), available));
}

// After an edit, recompute every checksum a file carries, so that the structure checks behind
// the checksums are what a test (or the store fuzzer) exercises. A sealed segment: each
// region's, the trace filter's and the text index's, then the header's. A log: each record's
// that fits in the file, the commit slots' and the header's.
inline void fix_sealed_checksums(std::string& bytes) {
  namespace d = trace::detail;
  if (bytes.size() < d::file_header_size) return;
  auto* data = reinterpret_cast<std::byte*>(bytes.data());
  const std::size_t block = sealed_block_size(bytes);
  if (auto bounds = d::block_bounds(data + d::file_header_size, block))
    for (std::size_t r = 0; r < d::block_region_count; ++r) {
      const std::uint32_t crc = trace::mask_crc(
          trace::crc32c(data + d::file_header_size + (*bounds)[r], (*bounds)[r + 1] - (*bounds)[r]));
      std::memcpy(data + 40 + 4 * r, &crc, 4);
    }
  // The regions after the block, each as large as the header says within what the file holds.
  std::size_t at = d::file_header_size + block;
  const std::size_t filter = std::min<std::size_t>(d::load<std::uint32_t>(data + 60), bytes.size() - at);
  if (filter >= d::trace_filter_head_size) {
    const std::uint32_t crc = trace::mask_crc(trace::crc32c(data + at + 4, filter - 4));
    std::memcpy(data + at, &crc, 4);
  }
  at += filter;
  const bool has_text = d::load<std::uint32_t>(data + 8) >= 6;
  const std::size_t text = has_text ? std::min<std::size_t>(d::load<std::uint32_t>(data + 72), bytes.size() - at) : 0;
  if (text >= 4) {  // the text index carries its own checksum in its first 4 bytes
    const std::uint32_t crc = trace::mask_crc(trace::crc32c(data + at + 4, text - 4));
    std::memcpy(data + at, &crc, 4);
  }
  d::seal_file_header(data);
}
inline void fix_log_checksums(std::string& bytes) {
  namespace d = trace::detail;
  if (bytes.size() < d::file_header_size) return;
  auto* data = reinterpret_cast<std::byte*>(bytes.data());
  for (std::size_t at = d::file_header_size; at + d::record_header_size <= bytes.size();) {
    std::uint32_t length = 0;
    std::memcpy(&length, data + at + 4, 4);
    if (length > bytes.size() - at - d::record_header_size) break;
    const std::uint32_t crc = trace::mask_crc(d::record_crc(data + at, data + at + d::record_header_size, length));
    std::memcpy(data + at, &crc, 4);
    at += d::align8(d::record_header_size + length);
  }
  for (std::size_t slot = 0; slot < d::commit_slot_count; ++slot) {
    std::byte* at = data + d::commit_slot_offset + d::commit_slot_size * slot;
    const std::uint32_t crc = trace::mask_crc(trace::crc32c(at, 20));
    std::memcpy(at + 20, &crc, 4);
  }
  d::seal_file_header(data);
}
inline void fix_sealed_checksums(const std::filesystem::path& path) {
  std::string bytes = read_file(path);
  fix_sealed_checksums(bytes);
  write_file(path, bytes);
}

// The files of a store with one extension ("log" or "seg"), sorted.
inline std::vector<std::filesystem::path> files_with(const std::filesystem::path& dir, const std::string& ext) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == "." + ext) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// A store at `o` of one sealed segment: 8 traces of 4 spans over 4 services. Its path.
inline std::filesystem::path sealed_store(const trace::mmap_options& o) {
  {
    trace::mmap_store store(o);
    store.append(make_batch(1, 8, 4));
    store.roll();
  }
  auto segments = files_with(o.path, "seg");
  if (segments.size() != 1) throw std::runtime_error("sealed_store: " + std::to_string(segments.size()) + " segments, not 1");
  return segments[0];
}

// Opens a store at `o`, lets `fill` write to it, then seals its one log with roll() and puts
// the log back: the files a crash between the seal and the log's removal leaves.
template <class Fill>
void seal_then_crash_before_log_removal(const trace::mmap_options& o, Fill fill) {
  std::filesystem::path log_path;
  std::string log_bytes;
  {
    trace::mmap_store store(o);
    fill(store);
    store.sync();
    log_path = files_with(o.path, "log").at(0);
    log_bytes = read_file(log_path);
    store.roll();
  }
  write_file(log_path, log_bytes);
}

}  // namespace test_support
