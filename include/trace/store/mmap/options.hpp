#pragma once
// Options of the mmap store, after BanyanDB's storage flags: data path, flush interval,
// sync policy, segment size and time span, disk budget (percent and bytes), snapshots kept,
// retention TTL. `validate` refuses a bad value with a message naming the option.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/time.hpp"
#include "trace/store/mmap/indexed_tag.hpp"

namespace trace {
inline namespace v0 {

// When the store asks the OS to put acknowledged batches on stable storage.
enum class sync_policy : std::uint8_t {
  none,         // never by itself: the OS writes back when it likes; sync() still works
  interval,     // at the first append or flush() after `flush_interval` has passed
  every_batch,  // before append() returns
};

// What to do when an append would go over the disk budget.
enum class disk_full_policy : std::uint8_t {
  refuse,        // throw error(errc::io_error) and keep the store unchanged
  evict_oldest,  // delete the oldest sealed segments until the batch fits
};

enum class open_mode : std::uint8_t { read_write, read_only };

// What recovery found wrong in one log and did not serve. Two kinds (docs/FORMAT.md):
//  - a torn tail (`damage` false): a bad or incomplete record after the log's commit
//    watermark with nothing valid after it, what a crash leaves; it is dropped;
//  - damage (`damage` true): a bad record below the watermark, a log that ends before its
//    watermark, or a bad record followed by valid ones. Readers serve the records before it
//    and report it; a writer refuses to open the store until `mmap_store::repair` drops it.
struct dropped_log_tail {
  std::filesystem::path file;
  std::uint64_t offset = 0;  // where the valid prefix ends
  std::uint64_t bytes = 0;   // how many bytes after it are not served
  std::string reason;
  bool damage = false;
  std::vector<std::uint64_t> records_after{};  // offsets of valid records after the bad bytes (not served either)
  std::uint64_t spans_after = 0;               // the spans those records hold
  std::optional<std::uint64_t> spans{};        // every span not served, when known (through the watermark)
};

// One line saying what was not served and why, for messages and tools.
inline std::string describe(const dropped_log_tail& d) {
  std::string out = d.file.string() + ": " + d.reason + " (" + std::to_string(d.bytes) + " bytes after offset " +
                    std::to_string(d.offset) + (d.damage ? " not served" : " dropped");
  if (!d.records_after.empty())
    out += ", among them " + std::to_string(d.records_after.size()) + " valid records holding " +
           std::to_string(d.spans_after) + " spans";
  if (d.spans) out += "; " + std::to_string(*d.spans) + " committed spans in all";
  return out + ")";
}

struct mmap_options {
  std::filesystem::path path;  // the store's directory, created when missing
  open_mode mode = open_mode::read_write;
  std::chrono::milliseconds flush_interval{1000};
  sync_policy sync = sync_policy::interval;
  std::uint64_t segment_bytes = 64ull << 20;  // a log rolls into a sealed segment past this size
  duration_ns segment_span = 24 * hour;       // ... or once it is this old (by wall clock)
  double max_disk_percent = 95;               // of the file system holding `path`
  std::uint64_t max_disk_bytes = 0;           // 0: no byte budget
  disk_full_policy on_disk_full = disk_full_policy::refuse;
  unsigned max_snapshots = 2;
  duration_ns retention_ttl = 0;  // 0: keep forever; else drop segments whose spans all started before now - ttl
  // The cold tier: at each roll, sealed segments whose spans all started before now - cold_after
  // move into Parquet files in `cold/` (0: never by itself; mmap_store::move_to_cold still works).
  duration_ns cold_after = 0;
  std::size_t cold_row_group_rows = 8192;  // spans per row group of a cold file: what a lookup decodes at most
  bool strict_recovery = false;   // a torn log tail is an error too, instead of being dropped
  std::function<void(const dropped_log_tail&)> on_dropped{};  // told about each dropped tail
  // The tag indexes built into each segment sealed from now on (docs/FORMAT.md, "Tag index");
  // `compact` rebuilds the segments sealed with others. Unset: those of the newest sealed
  // segment, so that a tool opening the store without its rules keeps them.
  std::optional<std::vector<indexed_tag>> indexed_tags{};
  // Opening checks every region of every sealed segment (a damaged one refuses the open).
  // False: opening reads each sealed segment's header and zone map only, so a large store
  // opens in milliseconds; the rest of a segment's checks run when a read first needs it,
  // before it serves a span, and a damaged region then fails that read, naming it.
  bool check_sealed_at_open = true;
  // False: queries scan even the segments that have tag indexes (scale-bench compares the two).
  bool use_tag_indexes = true;
};

inline constexpr std::uint64_t min_segment_bytes = 64 << 10;
inline constexpr std::uint64_t max_segment_bytes = 0xffffffffull;  // offsets inside a segment are 32-bit

// Throws `error(errc::invalid_option)` naming the first bad option and its value.
inline void validate(const mmap_options& o) {
  auto refuse = [](std::string_view option, const std::string& rule) {
    throw error(errc::invalid_option, "mmap_options." + std::string(option) + " " + rule);
  };
  if (o.path.empty()) refuse("path", "must name a directory");
  if (o.flush_interval.count() <= 0)
    refuse("flush_interval", "must be positive (got " + std::to_string(o.flush_interval.count()) + "ms)");
  if (o.segment_bytes < min_segment_bytes || o.segment_bytes > max_segment_bytes)
    refuse("segment_bytes", "must be between " + std::to_string(min_segment_bytes) + " and " +
                                std::to_string(max_segment_bytes) + " (got " + std::to_string(o.segment_bytes) + ")");
  if (o.segment_span < second) refuse("segment_span", "must be at least one second (got " + std::to_string(o.segment_span) + "ns)");
  if (!(o.max_disk_percent > 0 && o.max_disk_percent <= 100))
    refuse("max_disk_percent", "must be in (0, 100] (got " + std::to_string(o.max_disk_percent) + ")");
  if (o.max_snapshots < 1) refuse("max_snapshots", "must be at least 1 (got 0)");
  if (o.cold_row_group_rows < 1) refuse("cold_row_group_rows", "must be at least 1 (got 0)");
}

}  // namespace v0
}  // namespace trace
