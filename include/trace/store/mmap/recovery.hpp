#pragma once
// How `mmap_store` opens a directory: which files make up the store, replaying the active
// log (a writer also seals older logs left by a crash mid-roll and removes temporary
// files), and dropping segments that a merged segment replaced. Part of
// <trace/store/mmap.hpp>; docs/FORMAT.md has the recovery rules.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "trace/store/mmap.hpp"

namespace trace {
inline namespace v0 {
namespace detail {
// The segment files of a directory: sequence → which forms exist.
struct segment_files {
  std::uint64_t sequence = 0;
  bool log = false, sealed = false;
};

inline std::vector<segment_files> list_segment_files(const std::filesystem::path& dir,
                                                     std::vector<std::filesystem::path>* leftovers) {
  std::vector<segment_files> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    if (name.size() < 17 || name.find_first_not_of("0123456789") != 16) continue;
    std::string ext = name.substr(16);
    if (ext == ".log.tmp" || ext == ".seg.tmp") {
      if (leftovers) leftovers->push_back(entry.path());
      continue;
    }
    if (ext != ".log" && ext != ".seg") continue;
    std::uint64_t sequence = std::stoull(name.substr(0, 16));
    auto it = std::ranges::find(found, sequence, &segment_files::sequence);
    if (it == found.end()) it = found.insert(found.end(), {sequence});
    (ext == ".log" ? it->log : it->sealed) = true;
  }
  std::ranges::sort(found, {}, &segment_files::sequence);
  return found;
}
}  // namespace detail

inline std::shared_ptr<detail::segment> mmap_store::open_segment(std::uint64_t sequence, bool sealed,
                                                                  const detail::log_recovery& how) {
  const auto path = detail::segment_path(options_.path, sequence, sealed ? ".seg" : ".log");
  std::size_t before = dropped_.size();
  std::shared_ptr<detail::segment> s =
      sealed ? detail::segment::open_sealed(path, options_.check_sealed_at_open, options_.use_tag_indexes) : detail::segment::open_log(path, how, dropped_);
  if (s->sequence() != sequence)
    throw error(errc::corrupt_data, path.string() + ": header says sequence " + std::to_string(s->sequence()) +
                                        " but the file is named for " + std::to_string(sequence));
  for (std::size_t d = before; d < dropped_.size(); ++d)
    if (options_.on_dropped) options_.on_dropped(dropped_[d]);
  spans_ += s->span_count();
  if (!sealed) s->set_log_tags(indexed_tags());
  return s;
}

inline void mmap_store::open_writer(bool repair) {
  std::filesystem::create_directories(options_.path);
  lock_ = detail::directory_lock(options_.path);
  std::vector<std::filesystem::path> leftovers;
  auto files = detail::list_segment_files(options_.path, &leftovers);
  for (const auto& path : leftovers) std::filesystem::remove(path);  // a seal or create that never finished
  for (const auto& f : files) {
    next_sequence_ = f.sequence + 1;
    // A crash after sealing but before removing the log leaves both; the sealed one wins.
    if (f.sealed && f.log) std::filesystem::remove(detail::segment_path(options_.path, f.sequence, ".log"));
    segments_.push_back(open_segment(f.sequence, f.sealed,
                                     {.writable = true, .strict = options_.strict_recovery, .repair = repair}));
  }
  drop_covered();
  open_cold();
  if (!leftovers.empty() || !files.empty()) detail::sync_directory(options_.path);
  // Only the newest log stays active, and only if it is of this build's format (its blocks
  // are appended in the current layout); older ones (left by a crash mid-roll, or by an older
  // build) are sealed now.
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i]->sealed() || (i + 1 == segments_.size() && segments_[i]->version() == detail::format_version)) continue;
    if (segments_[i]->span_count() == 0) {
      std::filesystem::remove(segments_[i]->path());
      segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(i--));
      continue;
    }
    auto sealed_path = segments_[i]->write_sealed(options_.path, indexed_tags());
    std::filesystem::remove(segments_[i]->path());
    segments_[i] = detail::segment::open_sealed(sealed_path, true, options_.use_tag_indexes);
  }
  if (options_.retention_ttl) apply_retention(now_ns());
}

inline void mmap_store::open_reader() {
  if (!std::filesystem::is_directory(options_.path))
    throw error(errc::io_error, "store " + options_.path.string() + " does not exist (read-only open creates nothing)");
  for (const auto& f : detail::list_segment_files(options_.path, nullptr))
    segments_.push_back(open_segment(f.sequence, f.sealed, {.strict = options_.strict_recovery}));
  drop_covered();
  open_cold();
}

// A cold file counts unless a segment it replaced is still there: then the move did not
// finish (the crash came after the rename, before the segment was dropped), the segment
// wins and the cold file goes (a writer deletes it, to be written again by the next move).
// Temporary files of a move that never renamed go too. A damaged cold file refuses a
// writer's open; a read-only open serves around it and reports it in `dropped()`.
inline void mmap_store::open_cold() {
  const std::filesystem::path dir = options_.path / detail::cold_folder;
  if (!std::filesystem::is_directory(dir)) return;
  std::vector<std::pair<detail::cold_name, std::filesystem::path>> found;
  bool removed = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".parquet.tmp") && detail::parse_cold_name(name.substr(0, name.size() - 4))) {
      if (writable()) std::filesystem::remove(entry.path()), removed = true;
      continue;
    }
    if (auto n = detail::parse_cold_name(name)) found.emplace_back(*n, entry.path());
  }
  std::ranges::sort(found, {}, [](const auto& f) { return f.first.first; });
  for (const auto& entry : found) {
    const detail::cold_name& name = entry.first;  // not a structured binding: clang 14 cannot capture one
    const std::filesystem::path& path = entry.second;
    next_sequence_ = std::max(next_sequence_, name.last + 1);  // a new segment never takes a cold file's number
    const bool superseded = std::ranges::any_of(segments_, [&name](const auto& s) {
      return s->sequence() >= name.first && s->sequence() <= name.last;
    });
    if (superseded) {
      if (writable()) std::filesystem::remove(path), removed = true;
      continue;
    }
    try {
      cold_.push_back(detail::cold_file::open(path, name));
    } catch (const error& e) {
      if (writable()) throw;
      dropped_log_tail d{path, 0, std::filesystem::file_size(path), e.what(), true};
      if (options_.on_dropped) options_.on_dropped(d);
      dropped_.push_back(std::move(d));
      continue;
    }
    spans_ += cold_.back()->span_count();
  }
  if (removed) detail::sync_directory(dir);
}

// A merged segment replaces the ones it covers; a crash before their removal leaves them
// behind, and they are dropped here (only from memory when read-only).
inline void mmap_store::drop_covered() {
  std::uint64_t covered = 0;
  for (std::size_t i = 0; i < segments_.size();) {
    if (segments_[i]->sequence() <= covered) {
      spans_ -= segments_[i]->span_count();
      if (writable()) std::filesystem::remove(segments_[i]->path());
      segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    if (segments_[i]->sealed()) covered = std::max(covered, segments_[i]->covers_through());
    ++i;
  }
}

}  // namespace v0
}  // namespace trace
