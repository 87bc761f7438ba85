#pragma once
// Snappy's raw block format (Parquet's SNAPPY codec: no framing): the uncompressed length as
// a varint, then elements. A literal's tag is (length-1)<<2 with the length in the tag for
// up to 60 bytes, else in 1-4 little-endian bytes after it (tags 60-63). A copy repeats
// earlier output: tag 01 holds a length of 4-11 and an 11-bit offset, tag 10 a length of
// 1-64 and a 2-byte offset, tag 11 a 4-byte offset. The compressor is greedy over a hash
// of 4-byte sequences, within 64 KiB blocks as Snappy's own, so offsets fit in two bytes.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {
namespace parquet {

namespace detail {

inline void snappy_literal(std::string& out, const char* data, std::size_t size) {
  while (size > 0) {
    const std::size_t n = size < 65536 ? size : 65536;
    const std::size_t code = n - 1;
    if (code < 60) {
      out.push_back(static_cast<char>(code << 2));
    } else if (code < 256) {
      out.push_back(static_cast<char>(60 << 2));
      out.push_back(static_cast<char>(code));
    } else {
      out.push_back(static_cast<char>(61 << 2));
      out.push_back(static_cast<char>(code & 0xff));
      out.push_back(static_cast<char>(code >> 8));
    }
    out.append(data, n);
    data += n;
    size -= n;
  }
}

inline void snappy_copy(std::string& out, std::size_t offset, std::size_t length) {
  while (length > 0) {
    // Leave at least 4 for the last piece so the 1-byte-offset form stays possible.
    std::size_t n = length > 64 ? (length - 64 < 4 ? 60 : 64) : length;
    if (n >= 4 && n <= 11 && offset < 2048) {
      out.push_back(static_cast<char>(((offset >> 8) << 5) | ((n - 4) << 2) | 1));
      out.push_back(static_cast<char>(offset & 0xff));
    } else {
      out.push_back(static_cast<char>(((n - 1) << 2) | 2));
      out.push_back(static_cast<char>(offset & 0xff));
      out.push_back(static_cast<char>(offset >> 8));
    }
    length -= n;
  }
}

inline std::uint32_t load32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace detail

inline std::string snappy_compress(std::string_view input) {
  std::string out;
  out.reserve(input.size() / 2 + 16);
  for (std::uint64_t n = input.size(); ; n >>= 7) {
    if (n < 0x80) {
      out.push_back(static_cast<char>(n));
      break;
    }
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
  }
  constexpr int hash_bits = 14;
  std::vector<std::uint16_t> table(std::size_t{1} << hash_bits);
  const char* const data = input.data();
  for (std::size_t block = 0; block < input.size(); block += 65536) {
    const std::size_t end = input.size() - block < 65536 ? input.size() : block + 65536;
    std::fill(table.begin(), table.end(), std::uint16_t{0});
    std::size_t literal_start = block;
    std::size_t i = block + 1;  // position 0 of the block is the table's "empty" value
    while (i + 4 <= end) {
      const std::uint32_t word = detail::load32(data + i);
      const std::uint32_t h = (word * 0x1e35a7bdu) >> (32 - hash_bits);
      const std::size_t candidate = block + table[h];
      table[h] = static_cast<std::uint16_t>(i - block);
      if (candidate < i && candidate >= block && detail::load32(data + candidate) == word) {
        std::size_t length = 4;
        while (i + length < end && data[candidate + length] == data[i + length]) ++length;
        detail::snappy_literal(out, data + literal_start, i - literal_start);
        detail::snappy_copy(out, i - candidate, length);
        i += length;
        literal_start = i;
      } else {
        ++i;
      }
    }
    detail::snappy_literal(out, data + literal_start, end - literal_start);
  }
  return out;
}

// Throws `error(errc::corrupt_data)` naming `what` when the block is malformed or does not
// decode to exactly `expected_size` bytes (the size the page header promised).
inline std::string snappy_decompress(std::string_view input, std::size_t expected_size, const std::string& what) {
  auto fail = [&what](std::size_t at, const char* message) -> error {
    return error(errc::corrupt_data, "snappy block of " + what + " at byte " + std::to_string(at) + ": " + message);
  };
  std::size_t pos = 0;
  std::uint64_t length = 0;
  for (int shift = 0;; shift += 7) {
    if (pos >= input.size() || shift > 28) throw fail(pos, "bad length varint");
    const auto byte = static_cast<std::uint8_t>(input[pos++]);
    length |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) break;
  }
  if (length != expected_size) throw fail(0, "length differs from the page header's");
  // A 3-byte copy yields at most 64 bytes: a longer claim is a lie, refused before allocating.
  if (length > 22 * static_cast<std::uint64_t>(input.size()) + 64) throw fail(0, "length beyond what the block can hold");
  std::string out;
  out.reserve(length);
  while (pos < input.size()) {
    const auto tag = static_cast<std::uint8_t>(input[pos++]);
    std::size_t n = 0;
    std::size_t offset = 0;
    if ((tag & 3) == 0) {
      n = tag >> 2;
      if (n >= 60) {
        const std::size_t bytes = n - 59;
        if (bytes > input.size() - pos) throw fail(pos, "truncated literal length");
        n = 0;
        for (std::size_t b = 0; b < bytes; ++b) n |= static_cast<std::size_t>(static_cast<std::uint8_t>(input[pos + b])) << (8 * b);
        pos += bytes;
      }
      ++n;
      if (n > input.size() - pos || n > length - out.size()) throw fail(pos, "literal past the end");
      out.append(input.data() + pos, n);
      pos += n;
      continue;
    }
    const std::size_t extra = (tag & 3) == 1 ? 1 : (tag & 3) == 2 ? 2 : 4;
    if (extra > input.size() - pos) throw fail(pos, "truncated copy");
    if ((tag & 3) == 1) {
      n = ((tag >> 2) & 7) + 4;
      offset = (static_cast<std::size_t>(tag >> 5) << 8) | static_cast<std::uint8_t>(input[pos]);
    } else {
      n = (tag >> 2) + 1;
      for (std::size_t b = 0; b < extra; ++b) offset |= static_cast<std::size_t>(static_cast<std::uint8_t>(input[pos + b])) << (8 * b);
    }
    pos += extra;
    if (offset == 0 || offset > out.size()) throw fail(pos, "copy before the start");
    if (n > length - out.size()) throw fail(pos, "copy past the end");
    const std::size_t from = out.size() - offset;
    for (std::size_t k = 0; k < n; ++k) out.push_back(out[from + k]);  // may overlap itself
  }
  if (out.size() != length) throw fail(pos, "ends early");
  return out;
}

}  // namespace parquet
}  // namespace v0
}  // namespace trace
