#pragma once
// Move-only RAII wrappers for the mmap store's system resources: a file descriptor and a
// shared mapping. The mapping keeps the size the caller asked for apart from the
// page-rounded size the kernel mapped. Failures throw `error(errc::io_error)` naming the
// call, the path and the OS's reason.

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>

#include <fcntl.h>     // open, posix_fallocate
#include <sys/mman.h>  // mmap, msync
#include <sys/stat.h>  // fstat
#include <unistd.h>    // close, ftruncate, fsync, pread, lseek

#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

[[noreturn]] inline void throw_system_error(const char* call, const std::filesystem::path& path) {
  int code = errno;
  throw error(errc::io_error, std::string(call) + " " + path.string() + ": " + std::strerror(code));
}

class file_handle {
 public:
  file_handle() = default;
  file_handle(const std::filesystem::path& path, int flags, mode_t mode = 0644) : path_(path) {
    fd_ = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd_ < 0) throw_system_error("open", path);
  }
  file_handle(file_handle&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}
  file_handle& operator=(file_handle&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
      path_ = std::move(other.path_);
    }
    return *this;
  }
  ~file_handle() { reset(); }

  int fd() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  const std::filesystem::path& path() const noexcept { return path_; }

  std::uint64_t size() const {
    struct stat info {};
    if (::fstat(fd_, &info) != 0) throw_system_error("fstat", path_);
    return static_cast<std::uint64_t>(info.st_size);
  }
  void resize(std::uint64_t bytes) const {
    if (::ftruncate(fd_, static_cast<off_t>(bytes)) != 0) throw_system_error("ftruncate", path_);
  }
  void sync() const {
    if (::fsync(fd_) != 0) throw_system_error("fsync", path_);
  }
  // Allocates the file's blocks up to `bytes` (extending it), so that writing through a
  // mapping never meets a hole the file system cannot fill: that would be SIGBUS, not an error.
  void reserve(std::uint64_t bytes) const {
    const int code = ::posix_fallocate(fd_, 0, static_cast<off_t>(bytes));
    if (code == ENOSPC || code == EDQUOT)
      throw error(errc::io_error, "no space left on " + path_.string() + ": need " + std::to_string(bytes) + " bytes");
    if (code != 0) throw error(errc::io_error, "posix_fallocate " + path_.string() + ": " + std::strerror(code));
  }
  // The first offset at or after `from` holding data, skipping holes (`end` when none does).
  // Scans use it so they never fault in pages that were never written.
  std::uint64_t next_data(std::uint64_t from, std::uint64_t end) const noexcept {
    const off_t at = ::lseek(fd_, static_cast<off_t>(from), SEEK_DATA);
    if (at < 0) return errno == ENXIO ? end : from;  // ENXIO: only a hole follows; else no SEEK_DATA here
    return std::min<std::uint64_t>(static_cast<std::uint64_t>(at), end);
  }
  // The first hole at or after `from` (`end` when none does or holes are not reported).
  std::uint64_t next_hole(std::uint64_t from, std::uint64_t end) const noexcept {
    const off_t at = ::lseek(fd_, static_cast<off_t>(from), SEEK_HOLE);
    return at < 0 ? end : std::min<std::uint64_t>(static_cast<std::uint64_t>(at), end);
  }
  void write_all(const void* data, std::size_t size, std::uint64_t offset) const {
    const auto* p = static_cast<const char*>(data);
    while (size) {
      ssize_t done = ::pwrite(fd_, p, size, static_cast<off_t>(offset));
      if (done < 0) {
        if (errno == EINTR) continue;
        throw_system_error("pwrite", path_);
      }
      p += done;
      size -= static_cast<std::size_t>(done);
      offset += static_cast<std::uint64_t>(done);
    }
  }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

// A MAP_SHARED mapping of the first `size` bytes of a file.
class mapping {
 public:
  mapping() = default;
  mapping(const file_handle& file, std::size_t size, bool writable) : size_(size) {
    if (size == 0) return;
    long page = ::sysconf(_SC_PAGESIZE);
    mapped_size_ = (size + static_cast<std::size_t>(page) - 1) / static_cast<std::size_t>(page) *
                   static_cast<std::size_t>(page);
    void* address = ::mmap(nullptr, mapped_size_, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
                           file.fd(), 0);
    if (address == MAP_FAILED) throw_system_error("mmap", file.path());
    data_ = static_cast<std::byte*>(address);
  }
  mapping(mapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        mapped_size_(std::exchange(other.mapped_size_, 0)) {}
  mapping& operator=(mapping&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      mapped_size_ = std::exchange(other.mapped_size_, 0);
    }
    return *this;
  }
  ~mapping() { reset(); }

  std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }  // as requested
  std::size_t mapped_size() const noexcept { return mapped_size_; }  // page-rounded

  // Asks the kernel to write [offset, offset + bytes) back to the file and waits for it.
  void sync(std::size_t offset, std::size_t bytes, const std::filesystem::path& path) const {
    if (!data_ || bytes == 0) return;
    long page = ::sysconf(_SC_PAGESIZE);
    std::size_t first = offset / static_cast<std::size_t>(page) * static_cast<std::size_t>(page);
    if (::msync(data_ + first, offset + bytes - first, MS_SYNC) != 0) throw_system_error("msync", path);
  }

  void reset() noexcept {
    if (data_) ::munmap(data_, mapped_size_);
    data_ = nullptr;
    size_ = mapped_size_ = 0;
  }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_size_ = 0;
};

// Makes a directory entry just created, renamed or removed durable.
inline void sync_directory(const std::filesystem::path& dir) {
  file_handle handle(dir, O_RDONLY | O_DIRECTORY);
  handle.sync();
}

// Writes `bytes` to `temporary`, syncs it, then renames it over `final_path` and syncs the
// folder: after a crash the file is either absent (or the old one) or whole, never partial.
inline void write_file_durably(const std::filesystem::path& temporary, const std::filesystem::path& final_path,
                               const void* bytes, std::size_t size) {
  {
    file_handle tmp(temporary, O_RDWR | O_CREAT | O_TRUNC);
    tmp.write_all(bytes, size, 0);
    tmp.sync();
  }
  std::filesystem::rename(temporary, final_path);
  sync_directory(final_path.parent_path().empty() ? std::filesystem::path(".") : final_path.parent_path());
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
