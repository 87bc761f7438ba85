#pragma once
// Parquet's RLE/bit-packed hybrid, the encoding of repetition and definition levels and of
// dictionary indices. A run starts with a varint header: even (count<<1) for a repeated
// value stored in ceil(width/8) little-endian bytes, odd (groups<<1 | 1) for groups of 8
// values bit-packed least significant bit first. Only the last bit-packed run may be padded.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {
namespace parquet {

// Bits needed for values up to `max_value` (0 for 0).
constexpr int bit_width(std::uint64_t max_value) noexcept {
  int bits = 0;
  while (max_value) {
    ++bits;
    max_value >>= 1;
  }
  return bits;
}

namespace detail {

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline void put_bit_packed(std::string& out, const std::uint32_t* values, std::size_t count, int width) {
  // `count` is a multiple of 8 except for the stream's last run, which is padded with zeros.
  const std::size_t groups = (count + 7) / 8;
  put_varint(out, (groups << 1) | 1);
  std::uint64_t buffer = 0;
  int filled = 0;
  for (std::size_t i = 0; i < groups * 8; ++i) {
    buffer |= static_cast<std::uint64_t>(i < count ? values[i] : 0) << filled;
    filled += width;
    while (filled >= 8) {
      out.push_back(static_cast<char>(buffer & 0xff));
      buffer >>= 8;
      filled -= 8;
    }
  }
}

}  // namespace detail

// Appends `values` (each below 2^width) to `out`. Runs of 8 or more equal values become RLE
// runs, everything else bit-packed groups.
inline void rle_hybrid_encode(std::string& out, const std::vector<std::uint32_t>& values, int width) {
  const std::size_t value_bytes = static_cast<std::size_t>((width + 7) / 8);
  std::size_t literal_start = 0;
  std::size_t i = 0;
  while (i < values.size()) {
    std::size_t run = 1;
    while (i + run < values.size() && values[i + run] == values[i]) ++run;
    // A literal stretch ahead of an RLE run must hold whole groups: lend it run values.
    const std::size_t lend = (8 - (i - literal_start) % 8) % 8;
    if (run >= lend + 8) {
      i += lend;
      run -= lend;
      if (i > literal_start) detail::put_bit_packed(out, values.data() + literal_start, i - literal_start, width);
      detail::put_varint(out, run << 1);
      for (std::size_t b = 0; b < value_bytes; ++b) out.push_back(static_cast<char>((values[i] >> (8 * b)) & 0xff));
      i += run;
      literal_start = i;
    } else {
      i += run;
    }
  }
  if (i > literal_start) detail::put_bit_packed(out, values.data() + literal_start, i - literal_start, width);
}

// Decodes exactly `count` values (a bit-packed run's padding is dropped); throws
// `error(errc::corrupt_data)` naming `what` when the data ends early or a value is malformed.
inline std::vector<std::uint32_t> rle_hybrid_decode(std::string_view data, int width, std::size_t count,
                                                    const std::string& what) {
  auto fail = [&what](const char* message) -> error {
    return error(errc::corrupt_data, "parquet " + what + ": " + message);
  };
  if (width < 0 || width > 32) throw fail("bit width over 32");
  std::vector<std::uint32_t> out;
  out.reserve(count);
  std::size_t pos = 0;
  const std::size_t value_bytes = static_cast<std::size_t>((width + 7) / 8);
  while (out.size() < count) {
    std::uint64_t header = 0;
    for (int shift = 0;; shift += 7) {
      if (pos >= data.size()) throw fail("levels or indices end early");
      if (shift > 35) throw fail("run header varint too long");
      const auto byte = static_cast<std::uint8_t>(data[pos++]);
      header |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    if (header & 1) {
      const std::uint64_t values = (header >> 1) * 8;
      const std::uint64_t bytes = (header >> 1) * static_cast<std::uint64_t>(width);
      if (bytes > data.size() - pos) throw fail("bit-packed run past the end");
      const std::size_t run_end = pos + static_cast<std::size_t>(bytes);
      std::uint64_t buffer = 0;
      int filled = 0;
      const std::uint64_t mask = width == 32 ? 0xffffffffu : ((std::uint64_t{1} << width) - 1);
      for (std::uint64_t v = 0; v < values && out.size() < count; ++v) {
        while (filled < width) {
          buffer |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(data[pos++])) << filled;
          filled += 8;
        }
        out.push_back(static_cast<std::uint32_t>(buffer & mask));
        buffer >>= width;
        filled -= width;
      }
      pos = run_end;
    } else {
      const std::uint64_t run = header >> 1;
      if (run == 0) throw fail("empty RLE run");
      if (value_bytes > data.size() - pos) throw fail("RLE run past the end");
      std::uint32_t value = 0;
      for (std::size_t b = 0; b < value_bytes; ++b) value |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(data[pos + b])) << (8 * b);
      pos += value_bytes;
      if (width < 32 && (value >> width)) throw fail("RLE value wider than the bit width");
      const std::uint64_t take = run < count - out.size() ? run : count - out.size();
      out.insert(out.end(), static_cast<std::size_t>(take), value);
    }
  }
  return out;
}

}  // namespace parquet
}  // namespace v0
}  // namespace trace
