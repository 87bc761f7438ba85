#pragma once
// A small append-only file of checksummed records, beside a store's segments: the comment
// log (comments.log) and the log-record store (logs.log) keep their changes in one. Records
// are framed as the mmap store's log records (docs/FORMAT.md, "Log records") after a 16-byte
// header: magic[8] | version u32 | masked CRC-32C of the 12 bytes before u32.
//
// The crash rules are the store's: `append` returns once the record is on stable storage
// (fdatasync), so an acknowledged record survives a crash; at open a torn last record (a
// crash during an append) is dropped whole, and cut off by a writer, while a bad record
// followed by a valid one is damage (`errc::corrupt_data` naming the file and offset). One
// writer per file (an advisory flock; a second gets `errc::io_error`).

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sys/file.h>  // flock
#include <unistd.h>    // pread, fdatasync

#include "trace/core/error.hpp"
#include "trace/store/mmap/codec.hpp"
#include "trace/store/mmap/crc32c.hpp"
#include "trace/store/mmap/file.hpp"
#include "trace/store/mmap/format.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

// What tells one kind of record file from another.
struct record_file_kind {
  std::string_view magic;     // 8 bytes
  std::uint32_t version;      // the only version this build reads
  std::uint8_t record_type;   // of every record
  std::string_view name;      // for messages: "comment log"
};

class record_file {
 public:
  static constexpr std::size_t header_size = 16;

  record_file() = default;

  // Opens (creating it when missing and `writable`) the file at `path` and hands each
  // record's payload, in order, to `apply(payload)`, which returns false (or throws
  // `trace::error`) when the record does not fit what came before. A read-only open of a
  // missing file reads nothing.
  template <class Apply>
  record_file(const std::filesystem::path& path, const record_file_kind& kind, bool writable, Apply&& apply)
      : kind_(kind), writable_(writable) {
    open(path, apply);
  }

  bool is_open() const noexcept { return file_.is_open(); }
  const std::filesystem::path& path() const noexcept { return file_.path(); }
  // Whether the open dropped a torn record, and where it began.
  std::optional<std::uint64_t> dropped_tail() const noexcept { return dropped_; }

  // Appends one record and returns once it is on stable storage.
  void append(std::string_view payload) {
    if (!writable_) throw error(errc::invalid_argument, std::string(kind_.name) + " " + path().string() + " is open read-only");
    if (payload.size() > 0xffffffffu - record_header_size)
      throw error(errc::invalid_argument, std::string(kind_.name) + ": a record of " + std::to_string(payload.size()) +
                                              " bytes does not fit the 32-bit length");
    std::string record(record_header_size, '\0');
    const auto length = static_cast<std::uint32_t>(payload.size());
    std::memcpy(record.data() + 4, &length, 4);
    record[8] = static_cast<char>(kind_.record_type);
    record += payload;
    const auto* header = reinterpret_cast<const std::byte*>(record.data());
    const std::uint32_t crc = mask_crc(record_crc(header, header + record_header_size, length));
    std::memcpy(record.data(), &crc, 4);
    record.resize(align8(record.size()), '\0');
    file_.write_all(record.data(), record.size(), end_);
    if (::fdatasync(file_.fd()) != 0) throw_system_error("fdatasync", file_.path());
    end_ += record.size();
  }

 private:
  template <class Apply>
  void open(const std::filesystem::path& path, Apply& apply) {
    const std::string where = std::string(kind_.name) + " " + path.string();
    if (!writable_ && !std::filesystem::exists(path)) return;
    file_ = file_handle(path, writable_ ? O_RDWR | O_CREAT : O_RDONLY);
    if (writable_ && ::flock(file_.fd(), LOCK_EX | LOCK_NB) != 0)
      throw error(errc::io_error, where + " is already open for writing by another writer");
    std::string bytes(static_cast<std::size_t>(file_.size()), '\0');
    if (!bytes.empty() && ::pread(file_.fd(), bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
      throw_system_error("pread", path);
    if (bytes.size() < header_size) {
      // New, or a crash before its header was synced: nothing was ever acknowledged in it.
      if (!writable_) return;
      std::string header(kind_.magic);
      header.append(reinterpret_cast<const char*>(&kind_.version), 4);
      const std::uint32_t crc = mask_crc(crc32c(header.data(), 12));
      header.append(reinterpret_cast<const char*>(&crc), 4);
      file_.resize(0);
      file_.write_all(header.data(), header.size(), 0);
      file_.sync();
      sync_directory(path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path());
      end_ = header_size;
      return;
    }
    const auto* base = reinterpret_cast<const std::byte*>(bytes.data());
    if (std::memcmp(base, kind_.magic.data(), 8) != 0)
      throw error(errc::corrupt_data, where + ": header magic is not " + std::string(kind_.magic));
    if (unmask_crc(load<std::uint32_t>(base + 12)) != crc32c(base, 12))
      throw error(errc::corrupt_data, where + ": header checksum mismatch");
    if (load<std::uint32_t>(base + 8) != kind_.version)
      throw error(errc::corrupt_data, where + ": version " + std::to_string(load<std::uint32_t>(base + 8)) +
                                          " is not read by this build (it reads " + std::to_string(kind_.version) + ")");
    std::uint64_t at = header_size;
    std::string problem;
    while (at < bytes.size()) {
      problem = record_problem(base, at, bytes.size());
      if (!problem.empty()) break;
      const auto length = load<std::uint32_t>(base + at + 4);
      std::string_view payload(bytes.data() + at + record_header_size, length);
      bool applied = false;
      try {
        applied = apply(payload);
      } catch (const error& e) {
        problem = e.what();
        break;
      }
      if (!applied) {
        problem = "a record that does not fit the records before it";
        break;
      }
      at += align8(record_header_size + length);
    }
    if (!problem.empty()) {
      // A torn tail is a bad record with no valid record after it; anything else is damage.
      for (std::uint64_t next = at + 8; next + record_header_size <= bytes.size(); next += 8)
        if (record_problem(base, next, bytes.size()).empty())
          throw error(errc::corrupt_data, where + ": record at offset " + std::to_string(at) + ": " + problem +
                                              ", and valid records follow it (damage, not a torn write)");
      dropped_ = at;
      if (writable_) {
        file_.resize(at);
        file_.sync();
      }
    }
    end_ = at;  // records start 8-aligned: after a cut-off padding the next one still does
  }

  std::string record_problem(const std::byte* base, std::uint64_t at, std::uint64_t size) const {
    if (at + record_header_size > size) return "record header cut short by the end of the file";
    const auto length = load<std::uint32_t>(base + at + 4);
    if (length > size - at - record_header_size) return "record runs past the end of the file";
    if (unmask_crc(load<std::uint32_t>(base + at)) != record_crc(base + at, base + at + record_header_size, length))
      return "record fails its checksum";
    if (load<std::uint8_t>(base + at + 8) != kind_.record_type) return "record of an unknown type";
    return {};
  }

  record_file_kind kind_{};
  bool writable_ = false;
  file_handle file_;
  std::uint64_t end_ = 0;
  std::optional<std::uint64_t> dropped_;
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
