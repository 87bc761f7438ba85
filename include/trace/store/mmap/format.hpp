#pragma once
// The on-disk constants of the mmap store, in one place (docs/FORMAT.md is the prose spec).
// Every file starts with a 128-byte header; a log then holds checksummed records, a sealed
// segment one block whose regions each carry their own checksum.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "trace/core/error.hpp"
#include "trace/store/mmap/codec.hpp"
#include "trace/store/mmap/crc32c.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

inline constexpr char file_magic[8] = {'T', 'R', 'A', 'C', 'E', 'S', 'E', 'G'};
inline constexpr std::uint32_t format_version = 7;  // 7: parents named by code, status and kind in a byte, extras led by the fields they hold (block.hpp, codec.hpp); 6: a sealed segment's text index and tag indexes, header CRC to 124 when sealed; 5: a sealed segment's trace filter; 4: a log's commit watermark; 3: schema URLs, span and link flags
inline constexpr std::uint32_t oldest_format_version = 2;  // 2: packed columns, string refs; 2 and 3 read as 4 without what came later
inline constexpr std::size_t file_header_size = 128;
inline constexpr std::size_t header_crc_offset = 124;  // masked CRC of the header's fixed bytes

enum class file_kind : std::uint32_t { log = 1, sealed = 2 };

// The header bytes its CRC covers. Versions 4 and 5: the fixed fields only, because a log's
// commit slots after them are rewritten at every sync (each slot has its own CRC). A sealed
// segment has no commit slots, so from version 6 on its CRC covers every byte before it again,
// including the region sizes that version 6 put there.
constexpr std::size_t header_checked_bytes(std::uint32_t version, file_kind kind) noexcept {
  if (version < 4) return 124;
  return version >= 6 && kind == file_kind::sealed ? 124 : 72;
}

// A sealed segment's block regions, each checksummed on its own so that damage is named.
enum class block_region : std::uint32_t { zone_map, strings, trace_index, columns, extras };
inline constexpr std::size_t block_region_count = 5;
constexpr const char* region_name(block_region region) noexcept {
  switch (region) {
    case block_region::zone_map: return "zone map";
    case block_region::strings: return "string table";
    case block_region::trace_index: return "trace index";
    case block_region::columns: return "columns";
    case block_region::extras: return "extras";
  }
  return "region";
}

// A log's commit watermark: the records below `bytes`, holding `spans` spans, were on stable
// storage when it was written (it is written after they were synced). Recovery may drop a
// torn tail after it, never a record before it. Two slots take turns, so a write torn by a
// power cut leaves the previous watermark readable; the one with the newer generation wins.
struct commit_point {
  std::uint64_t bytes = 0, spans = 0;
  std::uint32_t generation = 0;
};
// Generations compare as serial numbers (RFC 1982), so that generation + 1 is always newer,
// even past 2^32 - 1: a damaged header may carry any value, and repair writes the next one.
constexpr bool newer_generation(std::uint32_t a, std::uint32_t b) noexcept {
  return a != b && static_cast<std::uint32_t>(a - b) < 0x80000000u;
}
inline constexpr std::size_t commit_slot_offset = 72, commit_slot_size = 24, commit_slot_count = 2;
// Slot layout: bytes u64 | spans u64 | generation u32 | masked CRC of the 20 bytes before u32.

// Writes `c` into slot `index`: always the slot that does not hold the current watermark, so
// that a torn write leaves the current one readable and the new one is the only newer slot.
inline void write_commit_slot(std::byte* header, const commit_point& c, std::size_t index) {
  std::byte* slot = header + commit_slot_offset + commit_slot_size * index;
  std::memcpy(slot, &c.bytes, 8);
  std::memcpy(slot + 8, &c.spans, 8);
  std::memcpy(slot + 16, &c.generation, 4);
  const std::uint32_t crc = mask_crc(crc32c(slot, 20));
  std::memcpy(slot + 20, &crc, 4);
}

struct file_header {
  std::uint32_t version = format_version;
  file_kind kind = file_kind::log;
  std::uint64_t sequence = 0;    // segment number, increasing
  std::uint64_t created_ns = 0;  // wall clock at creation, for rolling by time
  std::uint64_t block_bytes = 0;  // sealed: size of the block after the header
  std::uint32_t region_crcs[block_region_count] = {};  // sealed: masked CRC of each region
  std::uint32_t filter_bytes = 0;      // sealed, version 5 on: size of the trace filter after the block
  std::uint32_t text_index_bytes = 0;  // sealed, version 6 on: size of the text index after the trace filter (0: none)
  std::uint32_t tag_index_bytes = 0;   // sealed, version 6 on: size of the tag indexes after the text index (0: none)
  std::uint64_t covers_through = 0;  // sealed by compaction: it replaces segments up to this sequence
  commit_point committed{};          // log, version 4 on: the newest readable commit slot
  std::size_t committed_slot = 1;    // ... and which slot holds it (none written: the next goes to 0)
  bool commit_slots_damaged = false;  // log: no slot is readable although one was written
};
// Layout: magic[8] | version u32 | kind u32 | sequence u64 | created_ns u64 | block_bytes u64 |
//         region crcs u32[5] | filter_bytes u32 at 60 | covers_through u64 at 64 | commit slots 2 × 24 at 72 (log) |
//         text index bytes u32 at 72 (sealed, version 6) | tag index bytes u32 at 76 (sealed, version 6) |
//         zero padding | header crc u32 at 124.

// Writes the header CRC of the header at `out` for the version it names.
inline void seal_file_header(std::byte* out) {
  const auto version = load<std::uint32_t>(out + 8);
  const auto kind = static_cast<file_kind>(load<std::uint32_t>(out + 12));
  const std::uint32_t crc = mask_crc(crc32c(out, header_checked_bytes(version, kind)));
  std::memcpy(out + header_crc_offset, &crc, 4);
}

inline void write_file_header(std::byte* out, const file_header& h) {
  std::memset(out, 0, file_header_size);
  std::memcpy(out, file_magic, 8);
  auto put = [out](std::size_t at, auto value) { std::memcpy(out + at, &value, sizeof value); };
  put(8, format_version);
  put(12, static_cast<std::uint32_t>(h.kind));
  put(16, h.sequence);
  put(24, h.created_ns);
  put(32, h.block_bytes);
  for (std::size_t i = 0; i < block_region_count; ++i) put(40 + 4 * i, h.region_crcs[i]);
  put(60, h.filter_bytes);
  if (h.kind == file_kind::sealed) {
    put(72, h.text_index_bytes);
    put(76, h.tag_index_bytes);
  }
  put(64, h.covers_through);
  seal_file_header(out);
}

// The newest commit slot whose CRC holds; a zero slot was never written.
inline void read_commit_slots(const std::byte* in, file_header& h) {
  bool written = false, readable = false;
  for (std::size_t i = 0; i < commit_slot_count; ++i) {
    const std::byte* slot = in + commit_slot_offset + commit_slot_size * i;
    std::byte zeros[commit_slot_size] = {};
    if (std::memcmp(slot, zeros, commit_slot_size) == 0) continue;
    written = true;
    if (unmask_crc(load<std::uint32_t>(slot + 20)) != crc32c(slot, 20)) continue;
    commit_point c{load<std::uint64_t>(slot), load<std::uint64_t>(slot + 8), load<std::uint32_t>(slot + 16)};
    if (!readable || newer_generation(c.generation, h.committed.generation)) {
      h.committed = c;
      h.committed_slot = i;
    }
    readable = true;
  }
  h.commit_slots_damaged = written && !readable;
}

// Reads and checks a header; `where` names the file in errors.
inline file_header read_file_header(const std::byte* in, std::size_t available, const std::string& where) {
  if (available < file_header_size)
    throw error(errc::corrupt_data, where + ": file is " + std::to_string(available) +
                                        " bytes, shorter than its " + std::to_string(file_header_size) + "-byte header");
  if (std::memcmp(in, file_magic, 8) != 0) throw error(errc::corrupt_data, where + ": header magic is not TRACESEG");
  auto version = load<std::uint32_t>(in + 8);
  if (version < oldest_format_version || version > format_version)
    throw error(errc::corrupt_data, where + ": format version " + std::to_string(version) +
                                        " is not supported (this build reads versions " +
                                        std::to_string(oldest_format_version) + " to " + std::to_string(format_version) + ")");
  // The kind picks how many bytes the CRC covers; a damaged kind still fails the check, since
  // every variant covers it.
  const auto claimed_kind = static_cast<file_kind>(load<std::uint32_t>(in + 12));
  if (unmask_crc(load<std::uint32_t>(in + header_crc_offset)) != crc32c(in, header_checked_bytes(version, claimed_kind)))
    throw error(errc::corrupt_data, where + ": header checksum mismatch");
  file_header h;
  h.version = version;
  auto kind = load<std::uint32_t>(in + 12);
  if (kind != 1 && kind != 2) throw error(errc::corrupt_data, where + ": unknown file kind " + std::to_string(kind));
  h.kind = static_cast<file_kind>(kind);
  h.sequence = load<std::uint64_t>(in + 16);
  h.created_ns = load<std::uint64_t>(in + 24);
  h.block_bytes = load<std::uint64_t>(in + 32);
  for (std::size_t i = 0; i < block_region_count; ++i) h.region_crcs[i] = load<std::uint32_t>(in + 40 + 4 * i);
  h.filter_bytes = load<std::uint32_t>(in + 60);  // zero before version 5 (reserved)
  if (version >= 6 && h.kind == file_kind::sealed) {
    h.text_index_bytes = load<std::uint32_t>(in + 72);
    h.tag_index_bytes = load<std::uint32_t>(in + 76);
  }
  h.covers_through = load<std::uint64_t>(in + 64);
  if (version >= 4 && h.kind == file_kind::log) read_commit_slots(in, h);
  return h;
}

// ---- log records ----
// masked crc u32 | payload length u32 | type u8 | 7 zero bytes | payload | zero padding to 8.
// The CRC covers bytes 4..16 of the record header (length, type, reserved) and the payload.
inline constexpr std::size_t record_header_size = 16;
enum class record_type : std::uint8_t { batch = 1 };

constexpr std::size_t align8(std::size_t n) noexcept { return (n + 7) & ~std::size_t{7}; }

inline std::uint32_t record_crc(const std::byte* header, const std::byte* payload, std::uint32_t length) noexcept {
  return crc32c_extend(crc32c(header + 4, record_header_size - 4), payload, length);
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
