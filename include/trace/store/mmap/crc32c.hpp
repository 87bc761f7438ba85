#pragma once
// CRC-32C (Castagnoli), the checksum of every record and section of the mmap store, and
// LevelDB's masking of stored checksums: a CRC computed over bytes that themselves hold a
// CRC is weak, so what is written to disk is a rotated-and-offset form of it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace trace {
inline namespace v0 {
namespace detail {

// Slicing-by-8 tables for the reflected polynomial 0x82F63B78, built at compile time.
inline constexpr auto crc32c_tables = [] {
  std::array<std::array<std::uint32_t, 256>, 8> tables{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    tables[0][i] = crc;
  }
  for (std::size_t i = 0; i < 256; ++i)
    for (std::size_t t = 1; t < 8; ++t)
      tables[t][i] = (tables[t - 1][i] >> 8) ^ tables[0][tables[t - 1][i] & 0xff];
  return tables;
}();

// Slicing-by-8 over the tables, for processors without the instruction.
inline std::uint32_t crc32c_tables_extend(std::uint32_t crc, const unsigned char* p, std::size_t size) noexcept {
  const auto& t = crc32c_tables;
  crc = ~crc;
  while (size >= 8) {
    std::uint32_t low, high;
    std::memcpy(&low, p, 4);  // the tables assume little-endian words, as on every target we build for
    std::memcpy(&high, p + 4, 4);
    low ^= crc;
    crc = t[7][low & 0xff] ^ t[6][(low >> 8) & 0xff] ^ t[5][(low >> 16) & 0xff] ^ t[4][low >> 24] ^
          t[3][high & 0xff] ^ t[2][(high >> 8) & 0xff] ^ t[1][(high >> 16) & 0xff] ^ t[0][high >> 24];
    p += 8;
    size -= 8;
  }
  while (size--) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
  return ~crc;
}

// The same CRC from the processor's CRC32 instruction (SSE 4.2: 8 bytes per instruction, some
// 5x the tables' speed), used when the processor has it. Every record is checksummed at write
// and every sealed segment at its first read, so this is most of the cost of opening a store.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TRACE_CRC32C_INSTRUCTION 1
// The register over `words` 8-byte words, no conditioning: R(c, data) = shift(c) ^ R(0, data),
// with shift(c) = R(c, zeros) linear in c.
__attribute__((target("sse4.2"))) inline std::uint64_t crc32c_words(std::uint64_t c, const unsigned char* p,
                                                                     std::size_t words) noexcept {
  for (; words; p += 8, --words) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    c = __builtin_ia32_crc32di(c, word);
  }
  return c;
}

// The instruction gives its result 3 cycles after it starts but can start one each cycle:
// three lanes of this many bytes run side by side, and each lane's register is carried over
// the bytes after it by `crc32c_lane_shift` (a linear map of 32 bits: four table lookups).
inline constexpr std::size_t crc32c_lane_bytes = 4096;

inline const std::array<std::array<std::uint32_t, 256>, 4>& crc32c_lane_shift() {
  static const auto tables = [] {
    // shift(c) for each single bit of c, then each byte's 256 combinations.
    static constexpr unsigned char zeros[crc32c_lane_bytes] = {};
    std::array<std::uint32_t, 32> basis{};
    for (std::size_t bit = 0; bit < 32; ++bit)
      basis[bit] = static_cast<std::uint32_t>(crc32c_words(std::uint64_t{1} << bit, zeros, crc32c_lane_bytes / 8));
    std::array<std::array<std::uint32_t, 256>, 4> t{};
    for (std::size_t byte = 0; byte < 4; ++byte)
      for (std::size_t v = 0; v < 256; ++v)
        for (std::size_t bit = 0; bit < 8; ++bit)
          if (v >> bit & 1) t[byte][v] ^= basis[8 * byte + bit];
    return t;
  }();
  return tables;
}

__attribute__((target("sse4.2"))) inline std::uint32_t crc32c_instruction(std::uint32_t crc, const unsigned char* p,
                                                                           std::size_t size) noexcept {
  std::uint64_t c = ~crc;
  constexpr std::size_t lane = crc32c_lane_bytes;
  if (size >= 3 * lane) {
    const auto& shift = crc32c_lane_shift();
    auto carry = [&shift](std::uint64_t r) {
      return std::uint64_t{shift[0][r & 0xff] ^ shift[1][(r >> 8) & 0xff] ^ shift[2][(r >> 16) & 0xff] ^ shift[3][(r >> 24) & 0xff]};
    };
    for (; size >= 3 * lane; p += 3 * lane, size -= 3 * lane) {
      std::uint64_t c1 = 0, c2 = 0;
      for (std::size_t at = 0; at < lane; at += 8) {
        std::uint64_t w0, w1, w2;
        std::memcpy(&w0, p + at, 8);
        std::memcpy(&w1, p + lane + at, 8);
        std::memcpy(&w2, p + 2 * lane + at, 8);
        c = __builtin_ia32_crc32di(c, w0);
        c1 = __builtin_ia32_crc32di(c1, w1);
        c2 = __builtin_ia32_crc32di(c2, w2);
      }
      c = carry(carry(c) ^ c1) ^ c2;
    }
  }
  c = crc32c_words(c, p, size / 8);
  p += size / 8 * 8;
  size %= 8;
  auto c32 = static_cast<std::uint32_t>(c);
  for (; size; ++p, --size) c32 = __builtin_ia32_crc32qi(c32, *p);
  return ~c32;
}
inline bool has_crc32c_instruction() noexcept {
  static const bool present = (__builtin_cpu_init(), __builtin_cpu_supports("sse4.2"));
  return present;
}
#endif

}  // namespace detail

// Continues `crc` (the CRC-32C of some earlier bytes, 0 for none) over `size` more bytes.
inline std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
#ifdef TRACE_CRC32C_INSTRUCTION
  if (detail::has_crc32c_instruction()) return detail::crc32c_instruction(crc, p, size);
#endif
  return detail::crc32c_tables_extend(crc, p, size);
}

inline std::uint32_t crc32c(const void* data, std::size_t size) noexcept { return crc32c_extend(0, data, size); }
inline std::uint32_t crc32c(std::string_view text) noexcept { return crc32c(text.data(), text.size()); }

inline constexpr std::uint32_t crc32c_mask_delta = 0xa282ead8u;

// The form stored on disk.
constexpr std::uint32_t mask_crc(std::uint32_t crc) noexcept {
  return ((crc >> 15) | (crc << 17)) + crc32c_mask_delta;
}
constexpr std::uint32_t unmask_crc(std::uint32_t masked) noexcept {
  std::uint32_t rotated = masked - crc32c_mask_delta;
  return (rotated >> 17) | (rotated << 15);
}

}  // namespace v0
}  // namespace trace
