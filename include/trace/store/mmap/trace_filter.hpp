#pragma once
// A sealed segment's trace-id membership filter: a blocked Bloom filter written after the
// block, so that `find_trace` skips a segment without touching its trace index when the id
// is not there (all but about 0.1 % of the segments a lookup visits in a large store).
//
// Layout (docs/FORMAT.md, "Trace filter"), all little-endian:
//   masked CRC-32C of the bytes after it u32 | hash count u32 | block count u64 |
//   blocks of 64 bytes (512 bits) each
// A key sets `hash count` bits, all inside one 64-byte block chosen by its hash, so a lookup
// reads one cache line.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "trace/core/error.hpp"
#include "trace/core/ids.hpp"
#include "trace/store/mmap/codec.hpp"
#include "trace/store/mmap/crc32c.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

inline constexpr std::size_t trace_filter_head_size = 16;
inline constexpr std::size_t trace_filter_block_bytes = 64;
inline constexpr std::uint32_t trace_filter_bits_per_key = 16;  // about 0.1 % false positives
inline constexpr std::uint32_t trace_filter_hashes = 8;
inline constexpr std::uint64_t max_trace_filter_blocks = 0xffffffffull;  // a segment is under 4 GiB

// The block a key lives in and the two hashes its bits are derived from (double hashing).
// mix64 (core/ids.hpp, MurmurHash3's finalizer) is part of the format: ids chosen by hand
// (sequential, small) still spread over the blocks.
struct trace_filter_probe {
  std::uint64_t block;
  std::uint32_t first, step;
};
constexpr trace_filter_probe probe_for(const trace_id& id, std::uint64_t blocks) noexcept {
  const std::uint64_t h = mix64(id.high() ^ mix64(id.low()));
  const std::uint64_t g = mix64(h);
  // Multiply-shift maps the high half of h onto [0, blocks) without a division (blocks < 2^32).
  const std::uint64_t block = ((h >> 32) * blocks) >> 32;
  return {block, static_cast<std::uint32_t>(g), static_cast<std::uint32_t>(g >> 32) | 1u};
}

// At least `trace_filter_bits_per_key` bits a key, rounded up to a power of two blocks: the
// segments of one store then mostly share a geometry, which the store-wide table
// (trace_filter_table.hpp) needs to slice their filters together.
constexpr std::uint64_t trace_filter_blocks_for(std::uint64_t keys) noexcept {
  const std::uint64_t bits = keys * trace_filter_bits_per_key;
  const std::uint64_t blocks = (bits + trace_filter_block_bytes * 8 - 1) / (trace_filter_block_bytes * 8);
  return std::bit_ceil(std::max<std::uint64_t>(blocks, 1));
}

constexpr std::size_t trace_filter_bytes_for(std::uint64_t keys) noexcept {
  return trace_filter_head_size + static_cast<std::size_t>(trace_filter_blocks_for(keys)) * trace_filter_block_bytes;
}

// Builds the filter region in `out` (appended) for `count` ids given by `id_at(i)`.
template <class IdAt>
void encode_trace_filter(std::string& out, std::uint64_t count, IdAt&& id_at) {
  const std::uint64_t blocks = trace_filter_blocks_for(count);
  const std::size_t at = out.size();
  out.resize(at + trace_filter_bytes_for(count), '\0');
  auto* region = reinterpret_cast<std::byte*>(out.data()) + at;
  std::memcpy(region + 4, &trace_filter_hashes, 4);
  std::memcpy(region + 8, &blocks, 8);
  std::byte* bits = region + trace_filter_head_size;
  for (std::uint64_t i = 0; i < count; ++i) {
    const trace_filter_probe p = probe_for(id_at(i), blocks);
    std::byte* block = bits + p.block * trace_filter_block_bytes;
    for (std::uint32_t k = 0; k < trace_filter_hashes; ++k) {
      const std::uint32_t bit = (p.first + k * p.step) & 511u;
      block[bit >> 3] |= static_cast<std::byte>(1u << (bit & 7));
    }
  }
  const std::uint32_t crc = mask_crc(crc32c(region + 4, out.size() - at - 4));
  std::memcpy(region, &crc, 4);
}

// A filter read in place from a mapping; an empty one (a segment written before version 5)
// says every id may be present.
class trace_filter_view {
 public:
  trace_filter_view() = default;
  // Checks the region's checksum and that its size matches its head; `where` names the file.
  trace_filter_view(const std::byte* region, std::size_t size, std::uint64_t region_offset, const std::string& where) {
    auto refuse = [&](const std::string& what) {
      throw error(errc::corrupt_data, where + ": trace filter " + what + " (bytes " + std::to_string(region_offset) + ".." +
                                          std::to_string(region_offset + size) + ")");
    };
    if (size < trace_filter_head_size) refuse("is shorter than its " + std::to_string(trace_filter_head_size) + "-byte head");
    if (unmask_crc(load<std::uint32_t>(region)) != crc32c(region + 4, size - 4)) refuse("checksum mismatch");
    const auto hashes = load<std::uint32_t>(region + 4);
    const auto blocks = load<std::uint64_t>(region + 8);
    if (hashes == 0 || hashes > 64) refuse("has " + std::to_string(hashes) + " hashes per key (1..64 are read)");
    if (blocks == 0 || blocks > max_trace_filter_blocks || blocks != (size - trace_filter_head_size) / trace_filter_block_bytes ||
        (size - trace_filter_head_size) % trace_filter_block_bytes != 0)
      refuse("says " + std::to_string(blocks) + " blocks but holds " + std::to_string(size - trace_filter_head_size) +
             " bytes of them");
    bits_ = region + trace_filter_head_size;
    blocks_ = blocks;
    hashes_ = hashes;
  }

  bool empty() const noexcept { return bits_ == nullptr; }
  std::uint64_t blocks() const noexcept { return blocks_; }
  std::uint32_t hashes() const noexcept { return hashes_; }
  // The 64 bytes of block `b` (< blocks()).
  const std::byte* block(std::uint64_t b) const noexcept { return bits_ + b * trace_filter_block_bytes; }
  // False only when `id` is certainly not in the segment.
  bool may_contain(const trace_id& id) const noexcept {
    if (!bits_) return true;
    const trace_filter_probe p = probe_for(id, blocks_);
    const std::byte* block = bits_ + p.block * trace_filter_block_bytes;
    for (std::uint32_t k = 0; k < hashes_; ++k) {
      const std::uint32_t bit = (p.first + k * p.step) & 511u;
      if ((block[bit >> 3] & static_cast<std::byte>(1u << (bit & 7))) == std::byte{0}) return false;
    }
    return true;
  }

 private:
  const std::byte* bits_ = nullptr;
  std::uint64_t blocks_ = 0;
  std::uint32_t hashes_ = 0;
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
