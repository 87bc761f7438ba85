#pragma once
// CRC-32C of a range of an open file, read with pread through a small buffer that each
// thread reuses, not through the file's mapping. Opening a store checks every byte of it,
// but a query reads only some columns: through the mapping, the check faulted in every page
// (the first touch of a mapped page is a fault, dearer in a virtual machine), and at 1M spans
// that cost more than the checksum itself. The bytes are those the mapping shows (one page
// cache), so what passes here is what the mapping serves.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <cerrno>
#include <unistd.h>  // pread

#include "trace/core/error.hpp"
#include "trace/store/mmap/crc32c.hpp"
#include "trace/store/mmap/file.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

// Continues `crc` over `size` bytes of `file` from `offset`. Throws `error(errc::io_error)`
// when the file cannot be read there (it ends first: another process truncated it).
inline std::uint32_t file_crc32c(const file_handle& file, std::uint32_t crc, std::uint64_t offset, std::uint64_t size) {
  constexpr std::size_t buffer_bytes = 128 << 10;  // stays in L2 between the read and the checksum
  thread_local const std::unique_ptr<unsigned char[]> buffer(new unsigned char[buffer_bytes]);
  while (size) {
    const ssize_t got = ::pread(file.fd(), buffer.get(), static_cast<std::size_t>(std::min<std::uint64_t>(size, buffer_bytes)),
                                static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw_system_error("pread", file.path());
    if (got == 0)
      throw error(errc::io_error, "pread " + file.path().string() + ": the file ends at offset " + std::to_string(offset) +
                                      ", before the bytes being checked (another process truncated it)");
    crc = crc32c_extend(crc, buffer.get(), static_cast<std::size_t>(got));
    offset += static_cast<std::uint64_t>(got);
    size -= static_cast<std::uint64_t>(got);
  }
  return crc;
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
