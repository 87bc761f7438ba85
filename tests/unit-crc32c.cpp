#include <catch2/catch.hpp>

#include <string>

#include "trace/store/mmap/crc32c.hpp"

TEST_CASE("crc32c matches the published check values") {
  CHECK(trace::crc32c("123456789") == 0xE3069283u);
  CHECK(trace::crc32c(std::string(32, '\0')) == 0x8A9136AAu);
  CHECK(trace::crc32c(std::string(32, '\xff')) == 0x62A8AB43u);
  CHECK(trace::crc32c("") == 0u);
}

TEST_CASE("crc32c extended piecewise equals the crc of the whole") {
  std::string text = "the quick brown fox jumps over the lazy dog, twice over";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    std::uint32_t first = trace::crc32c(text.data(), cut);
    CHECK(trace::crc32c_extend(first, text.data() + cut, text.size() - cut) == trace::crc32c(text));
  }
}

TEST_CASE("a masked crc differs from the crc and unmasks back to it") {
  std::uint32_t crc = trace::crc32c("foo");
  CHECK(trace::mask_crc(crc) != crc);
  CHECK(trace::mask_crc(trace::mask_crc(crc)) != crc);
  CHECK(trace::unmask_crc(trace::mask_crc(crc)) == crc);
  CHECK(trace::unmask_crc(trace::unmask_crc(trace::mask_crc(trace::mask_crc(crc)))) == crc);
}

TEST_CASE("crc32c changes when any single bit of the input changes") {
  std::string text(100, 'x');
  std::uint32_t base = trace::crc32c(text);
  for (std::size_t i = 0; i < text.size(); i += 7) {
    std::string edited = text;
    edited[i] = static_cast<char>(edited[i] ^ 1);
    CHECK(trace::crc32c(edited) != base);
  }
}

// The processor's instruction, where present, and the tables give the same checksums, at
// every length and alignment (files written on one machine are read on another).
TEST_CASE("crc32c from the tables equals crc32c_extend for every length and alignment") {
  std::string bytes;
  for (int i = 0; i < 300; ++i) bytes.push_back(static_cast<char>(i * 37 + 11));
  for (std::size_t offset = 0; offset < 9; ++offset)
    for (std::size_t size = 0; size + offset <= bytes.size(); size += 13) {
      const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + offset;
      CHECK(trace::detail::crc32c_tables_extend(0x1234u, p, size) == trace::crc32c_extend(0x1234u, p, size));
    }
  CHECK(trace::detail::crc32c_tables_extend(0, reinterpret_cast<const unsigned char*>("123456789"), 9) == 0xE3069283u);
}

// Long inputs take three lanes of 4 KiB side by side where the instruction is present: the
// lanes' joins must give the CRC of the bytes in order, at lengths around a multiple of the
// lanes and with a tail after them.
TEST_CASE("crc32c over many kilobytes equals crc32c from the tables") {
  std::string bytes;
  for (std::size_t i = 0; i < 40000; ++i) bytes.push_back(static_cast<char>((i * 2654435761u) >> 13));
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::size_t size : {12287u, 12288u, 12289u, 12295u, 24576u, 30001u, 36864u, 39999u}) {
    INFO("size " << size);
    CHECK(trace::detail::crc32c_tables_extend(0x5eedu, p + 1, size) == trace::crc32c_extend(0x5eedu, p + 1, size));
  }
  const std::string zeros(36864, '\0');
  CHECK(trace::crc32c(zeros) == trace::detail::crc32c_tables_extend(0, reinterpret_cast<const unsigned char*>(zeros.data()), zeros.size()));
}
