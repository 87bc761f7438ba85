#pragma once
// The primary's replication log: every committed batch as a frame, numbered 1, 2, ... in
// commit order, in files `<16-digit first sequence>.rlog` of a folder. Senders read it to
// ship batches, so a replica that was down catches up from here; files beyond `files_kept`
// are deleted oldest first, and a replica that needs a batch older than what is left is told
// to re-seed from a snapshot. One writer thread appends and syncs; any number of sender
// threads read what was synced. File layout and recovery: docs/FORMAT.md.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "trace/core/error.hpp"
#include "trace/store/mmap/file.hpp"
#include "trace/store/replication/frame.hpp"

namespace trace {
inline namespace v0 {
namespace replication {

struct log_options {
  std::filesystem::path path;               // the folder, created when missing
  std::uint64_t file_bytes = 64ull << 20;   // a file is closed and a new one begun past this size
  unsigned files_kept = 4;                  // older files are deleted (their batches then need a re-seed)
};

inline constexpr std::string_view log_magic = "TRACERPL";  // then u32 version 1, u32 zero
inline constexpr std::size_t log_header_size = 16;

class replication_log {
 public:
  // Opens (creating) the log; a torn last frame of the newest file (a crash while
  // appending) is cut off. Damage anywhere else is refused naming the file and offset.
  explicit replication_log(log_options options);

  // Writes a batch frame after the last one and returns its sequence; senders see it only
  // after `sync`.
  std::uint64_t append(std::string_view batch_payload);
  // Puts every appended frame on stable storage and shows it to readers.
  void sync();

  // The last synced sequence (0 when none) and the oldest one still held (`last() + 1` when
  // the log holds nothing).
  std::uint64_t last() const;
  std::uint64_t oldest() const;

  // Reads frames in order from one sequence on, for one sender.
  class cursor {
   public:
    // The next synced frame, or nullopt when the reader is at the end; throws when the file
    // it needs was deleted meanwhile (the caller then re-seeds) or is damaged.
    std::optional<frame> next();
    std::uint64_t position() const noexcept { return next_; }

   private:
    friend class replication_log;
    cursor(const replication_log& log, std::uint64_t from) : log_(&log), next_(from) {}
    bool open_file_holding(std::uint64_t sequence);
    const replication_log* log_;
    std::uint64_t next_;
    trace::detail::file_handle file_;
    std::uint64_t file_first_ = 0, offset_ = 0;
  };
  // A cursor whose first frame is `from`; nullopt when `from` is older than `oldest()`
  // (the replica must re-seed).
  std::optional<cursor> read_from(std::uint64_t from) const;

  const log_options& options() const noexcept { return options_; }

 private:
  struct file_entry {
    std::uint64_t first;  // sequence of its first frame
    std::uint64_t bytes;  // synced bytes (the last file's grow as batches are synced)
  };
  std::filesystem::path file_path(std::uint64_t first) const {
    std::string name = std::to_string(first);
    return options_.path / (std::string(16 - std::min<std::size_t>(16, name.size()), '0') + name + ".rlog");
  }
  void start_file(std::uint64_t first);
  // Walks a file's frames; returns the offset after the last whole one and its count.
  std::pair<std::uint64_t, std::uint64_t> walk(const trace::detail::file_handle& f, bool torn_tail_allowed) const;

  log_options options_;
  trace::detail::file_handle active_;
  std::uint64_t written_ = 0;  // bytes written to the active file (synced or not)
  std::uint64_t appended_ = 0;  // last appended sequence
  std::string buffer_;
  mutable std::mutex mutex_;    // guards files_ and synced_
  std::vector<file_entry> files_;
  std::uint64_t synced_ = 0;
};

// ---------------------------------------------------------------------------------------

inline replication_log::replication_log(log_options options) : options_(std::move(options)) {
  if (options_.path.empty()) throw error(errc::invalid_option, "replication log_options.path must name a folder");
  if (options_.files_kept < 1) throw error(errc::invalid_option, "replication log_options.files_kept must be at least 1 (got 0)");
  if (options_.file_bytes < 4096)
    throw error(errc::invalid_option, "replication log_options.file_bytes must be at least 4096 (got " +
                                          std::to_string(options_.file_bytes) + ")");
  std::filesystem::create_directories(options_.path);
  for (const auto& entry : std::filesystem::directory_iterator(options_.path)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != 21 || name.substr(16) != ".rlog" || name.find_first_not_of("0123456789") != 16) continue;
    files_.push_back({std::stoull(name.substr(0, 16)), 0});
  }
  std::ranges::sort(files_, {}, &file_entry::first);
  for (std::size_t i = 0; i < files_.size(); ++i) {
    const bool newest = i + 1 == files_.size();
    trace::detail::file_handle f(file_path(files_[i].first), newest ? O_RDWR : O_RDONLY);
    auto [end, count] = walk(f, newest);
    files_[i].bytes = end;
    if (!newest && files_[i].first + count != files_[i + 1].first)
      throw error(errc::corrupt_data, f.path().string() + ": holds batches " + std::to_string(files_[i].first) + ".." +
                                          std::to_string(files_[i].first + count - 1) + " but the next file starts at " +
                                          std::to_string(files_[i + 1].first));
    if (newest) {
      if (end < f.size()) {  // a torn tail: cut it off so later frames follow whole ones
        f.resize(end);
        f.sync();
      }
      appended_ = files_[i].first + count - 1;
      written_ = end;
      active_ = std::move(f);
    }
  }
  if (files_.empty()) start_file(1);
  synced_ = appended_;
}

inline std::pair<std::uint64_t, std::uint64_t> replication_log::walk(const trace::detail::file_handle& f,
                                                                     bool torn_tail_allowed) const {
  const std::uint64_t size = f.size();
  std::string bytes(static_cast<std::size_t>(size), '\0');
  for (std::uint64_t done = 0; done < size;) {
    const ssize_t got = ::pread(f.fd(), bytes.data() + done, size - done, static_cast<off_t>(done));
    if (got <= 0) trace::detail::throw_system_error("pread", f.path());
    done += static_cast<std::uint64_t>(got);
  }
  if (size < log_header_size || std::string_view(bytes).substr(0, 8) != log_magic || detail::load_le(bytes.data() + 8, 4) != 1) {
    throw error(errc::corrupt_data, f.path().string() + ": not a replication log (magic " + std::string(log_magic) + ", version 1)");
  }
  std::uint64_t offset = log_header_size, count = 0;
  const std::string where_prefix = f.path().string() + " at offset ";
  while (offset < size) {
    try {
      if (size - offset < frame_header_size) throw error(errc::corrupt_data, "a frame header cut short");
      const frame_header h = parse_frame_header(bytes.data() + offset, where_prefix + std::to_string(offset));
      if (size - offset - frame_header_size < h.length) throw error(errc::corrupt_data, "a frame cut short");
      check_frame(bytes.data() + offset, h, std::string_view(bytes).substr(offset + frame_header_size, h.length),
                  where_prefix + std::to_string(offset));
      const std::uint64_t expected = std::stoull(f.path().filename().string().substr(0, 16)) + count;
      if (h.type != frame_type::batch || h.sequence != expected)
        throw error(errc::corrupt_data, where_prefix + std::to_string(offset) + ": expected batch " + std::to_string(expected) +
                                            ", found frame type " + std::to_string(static_cast<int>(h.type)) + " sequence " +
                                            std::to_string(h.sequence));
      offset += frame_header_size + h.length;
      ++count;
    } catch (const error& e) {
      // Only the newest file may end in a frame that a crash left half written.
      if (!torn_tail_allowed) throw error(errc::corrupt_data, where_prefix + std::to_string(offset) + ": " + e.what());
      break;
    }
  }
  return {offset, count};
}

inline void replication_log::start_file(std::uint64_t first) {
  // Written aside and renamed, so that a file of this name always has its whole header.
  const std::filesystem::path path = file_path(first), temporary = path.string() + ".tmp";
  trace::detail::file_handle f(temporary, O_RDWR | O_CREAT | O_TRUNC);
  char header[log_header_size] = {};
  std::memcpy(header, log_magic.data(), log_magic.size());
  detail::store_le(header + 8, 1, 4);
  f.write_all(header, sizeof header, 0);
  f.sync();
  std::filesystem::rename(temporary, path);
  trace::detail::sync_directory(options_.path);
  active_ = trace::detail::file_handle(path, O_RDWR);
  written_ = log_header_size;
  std::lock_guard lock(mutex_);
  files_.push_back({first, log_header_size});
}

inline std::uint64_t replication_log::append(std::string_view batch_payload) {
  if (written_ >= options_.file_bytes) {
    sync();  // the file being closed must be whole and durable before the next begins
    start_file(appended_ + 1);
    std::vector<std::filesystem::path> doomed;
    {
      std::lock_guard lock(mutex_);
      while (files_.size() > options_.files_kept) {
        doomed.push_back(file_path(files_.front().first));
        files_.erase(files_.begin());
      }
    }
    for (const auto& path : doomed) std::filesystem::remove(path);
  }
  buffer_.clear();
  encode_frame(buffer_, frame_type::batch, appended_ + 1, batch_payload);
  active_.write_all(buffer_.data(), buffer_.size(), written_);
  written_ += buffer_.size();
  return ++appended_;
}

inline void replication_log::sync() {
  if (synced_ == appended_ && files_.back().bytes == written_) return;
  if (::fdatasync(active_.fd()) != 0) trace::detail::throw_system_error("fdatasync", active_.path());
  std::lock_guard lock(mutex_);
  files_.back().bytes = written_;
  synced_ = appended_;
}

inline std::uint64_t replication_log::last() const {
  std::lock_guard lock(mutex_);
  return synced_;
}

inline std::uint64_t replication_log::oldest() const {
  std::lock_guard lock(mutex_);
  return files_.empty() ? synced_ + 1 : std::min(files_.front().first, synced_ + 1);
}

inline std::optional<replication_log::cursor> replication_log::read_from(std::uint64_t from) const {
  if (from < oldest()) return std::nullopt;
  return cursor(*this, from);
}

inline bool replication_log::cursor::open_file_holding(std::uint64_t sequence) {
  std::uint64_t first = 0;
  {
    std::lock_guard lock(log_->mutex_);
    auto it = std::ranges::upper_bound(log_->files_, sequence, {}, &file_entry::first);
    if (it == log_->files_.begin()) return false;
    first = std::prev(it)->first;
  }
  try {
    file_ = trace::detail::file_handle(log_->file_path(first), O_RDONLY);
  } catch (const error&) {
    return false;  // deleted by retention since the lookup
  }
  file_first_ = first;
  offset_ = log_header_size;
  return true;
}

inline std::optional<frame> replication_log::cursor::next() {
  if (next_ > log_->last()) return std::nullopt;
  auto gone = [&] {
    return error(errc::io_error, "replication log " + log_->options_.path.string() + " no longer holds batch " +
                                     std::to_string(next_) + " (the oldest is " + std::to_string(log_->oldest()) + ")");
  };
  if (!file_.is_open() && !open_file_holding(next_)) throw gone();
  for (;;) {
    std::uint64_t synced_bytes = 0;
    bool later_file = false;
    {
      std::lock_guard lock(log_->mutex_);
      auto it = std::ranges::find(log_->files_, file_first_, &file_entry::first);
      synced_bytes = it == log_->files_.end() ? file_.size() : it->bytes;  // a deleted file is whole
      later_file = it == log_->files_.end() || std::next(it) != log_->files_.end();
    }
    if (offset_ >= synced_bytes) {
      if (!later_file) return std::nullopt;
      file_.reset();
      if (!open_file_holding(next_)) throw gone();
      continue;
    }
    char header[frame_header_size];
    auto read_exact = [&](char* into, std::size_t size, std::uint64_t at) {
      for (std::size_t done = 0; done < size;) {
        const ssize_t got = ::pread(file_.fd(), into + done, size - done, static_cast<off_t>(at + done));
        if (got <= 0) throw error(errc::corrupt_data, file_.path().string() + " ends inside the frame at offset " + std::to_string(at));
        done += static_cast<std::size_t>(got);
      }
    };
    const std::string where = file_.path().string() + " at offset " + std::to_string(offset_);
    read_exact(header, frame_header_size, offset_);
    const frame_header h = parse_frame_header(header, where);
    frame f{h.type, h.sequence, std::string(h.length, '\0')};
    read_exact(f.payload.data(), h.length, offset_ + frame_header_size);
    check_frame(header, h, f.payload, where);
    offset_ += frame_header_size + h.length;
    if (f.sequence < next_) continue;  // before the wanted one, in the file it starts in
    if (f.sequence != next_)
      throw error(errc::corrupt_data, where + ": expected batch " + std::to_string(next_) + ", found " + std::to_string(f.sequence));
    ++next_;
    return f;
  }
}

}  // namespace replication
}  // namespace v0
}  // namespace trace
