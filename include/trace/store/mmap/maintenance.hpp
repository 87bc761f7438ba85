#pragma once
// The maintenance calls of `mmap_store`: rolling the active log into a sealed segment,
// compaction, the cold tier, the disk budget, retention by TTL and snapshots. Part of
// <trace/store/mmap.hpp>; docs/FORMAT.md describes each.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/statvfs.h>  // statvfs: the file system's size for the percent budget

#include "trace/store/mmap.hpp"

namespace trace {
inline namespace v0 {

inline void mmap_store::roll() {
  require_writable();
  roll_locked(now_ns());
}

inline void mmap_store::roll_locked(timestamp_ns now) {
  if (segments_.empty() || segments_.back()->sealed()) return;
  auto& active = segments_.back();
  if (active->span_count() == 0) {
    std::filesystem::remove(active->path());
    segments_.pop_back();
  } else {
    auto sealed_path = active->write_sealed(options_.path, indexed_tags(), seal_buffers_);
    std::filesystem::path log_path = active->path();
    auto sealed = detail::segment::open_sealed(sealed_path, true, options_.use_tag_indexes);
    // The sealed copy is durable before the log goes; views into the old log die here.
    active = std::move(sealed);
    std::filesystem::remove(log_path);
  }
  detail::sync_directory(options_.path);
  publish(true);
  if (options_.retention_ttl) apply_retention(now);
  if (options_.cold_after) move_to_cold(now);
}

inline std::size_t mmap_store::move_to_cold(timestamp_ns now, duration_ns age) {
  require_writable();
  if (!age || now < age) return 0;
  const timestamp_ns cutoff = now - age;
  const std::filesystem::path dir = options_.path / detail::cold_folder;
  std::size_t moved = 0;
  for (std::size_t i = 0; i < segments_.size();) {
    const auto& s = *segments_[i];
    if (!s.sealed() || s.span_count() == 0 || s.max_start() >= cutoff) {
      ++i;
      continue;
    }
    // Complete and durable under its final name (checked as a reader would) before the
    // segment goes; a crash between the two leaves both, and the segment wins at open.
    const std::filesystem::path path = detail::write_cold_file(dir, s, options_.cold_row_group_rows);
    auto cold = detail::cold_file::open(path, *detail::parse_cold_name(path.filename().string()));
    if (cold->span_count() != s.span_count())
      throw error(errc::io_error, path.string() + " holds " + std::to_string(cold->span_count()) + " spans, segment " +
                                      s.path().string() + " " + std::to_string(s.span_count()));
    std::filesystem::remove(s.path());
    detail::sync_directory(options_.path);
    segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(i));
    cold_.insert(std::ranges::upper_bound(cold_, cold->first(), {}, &detail::cold_file::first), std::move(cold));
    ++moved;
  }
  if (moved) publish(true);
  return moved;
}

inline std::size_t mmap_store::compact() {
  require_writable();
  std::size_t removed = 0;
  const std::vector<indexed_tag> tags = indexed_tags();
  for (std::size_t first = 0; first < segments_.size(); ++first) {
    std::size_t last = first;
    std::uint64_t bytes = segments_[first]->sealed() ? segments_[first]->used_bytes() : options_.segment_bytes + 1;
    while (last + 1 < segments_.size() && segments_[last + 1]->sealed() &&
           bytes + segments_[last + 1]->used_bytes() <= options_.segment_bytes)
      bytes += segments_[++last]->used_bytes();
    // A lone segment is rewritten to give it a text index (written before the index existed,
    // or its index failed its checks), or the tag indexes asked for now.
    const bool rewrite = segments_[first]->sealed() &&
                         (!segments_[first]->has_text_index() || segments_[first]->indexed_tags() != tags ||
                          !segments_[first]->tag_index_problem().empty());
    if (last == first ? !rewrite : bytes > options_.segment_bytes) continue;
    std::vector<const detail::segment*> run;
    for (std::size_t i = first; i <= last; ++i) run.push_back(segments_[i].get());
    // The merged file atomically replaces the first; its header names the last it covers,
    // so the others are dropped at the next open even if we crash before removing them.
    auto merged = detail::segment::open_sealed(detail::segment::write_sealed(options_.path, run, tags), true, options_.use_tag_indexes);
    for (std::size_t i = first + 1; i <= last; ++i) std::filesystem::remove(segments_[i]->path());
    detail::sync_directory(options_.path);
    segments_[first] = std::move(merged);
    segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(first + 1),
                    segments_.begin() + static_cast<std::ptrdiff_t>(last + 1));
    removed += last - first;
  }
  publish(true);
  return removed;
}

inline void mmap_store::make_room(std::uint64_t bytes) {
  auto over_budget = [&](std::uint64_t freed) {
    std::uint64_t used = disk_usage() - freed + bytes;
    if (options_.max_disk_bytes && used > options_.max_disk_bytes) return true;
    struct statvfs fs {};
    if (::statvfs(options_.path.c_str(), &fs) != 0 || fs.f_blocks == 0) return false;
    double total = static_cast<double>(fs.f_blocks) * static_cast<double>(fs.f_frsize);
    double in_use = total - static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize) -
                    static_cast<double>(freed) + static_cast<double>(bytes);
    return in_use / total * 100 > options_.max_disk_percent;
  };
  if (!over_budget(0)) return;
  std::uint64_t evictable = 0;
  std::size_t sealed = 0;
  for (const auto& s : segments_)
    if (s->sealed()) evictable += s->used_bytes(), ++sealed;
  for (const auto& c : cold_) evictable += c->bytes(), ++sealed;
  if (options_.on_disk_full == disk_full_policy::evict_oldest && !over_budget(evictable)) {
    // The cold tier holds the oldest spans: it goes first.
    while (over_budget(0) && !cold_.empty()) drop_cold(0);
    while (over_budget(0)) {
      auto oldest = std::ranges::find_if(segments_, [](const auto& s) { return s->sealed(); });
      drop_segment(static_cast<std::size_t>(oldest - segments_.begin()));
    }
    if (std::filesystem::is_directory(options_.path / detail::cold_folder))
      detail::sync_directory(options_.path / detail::cold_folder);
    detail::sync_directory(options_.path);
    publish(true);
    return;
  }
  throw error(errc::io_error, "store " + options_.path.string() + " is over its disk budget: " +
                                  std::to_string(disk_usage()) + " bytes used, batch needs about " + std::to_string(bytes) +
                                  " more (max_disk_bytes " + std::to_string(options_.max_disk_bytes) + ", max_disk_percent " +
                                  std::to_string(options_.max_disk_percent) + ", " + std::to_string(sealed) +
                                  " sealed segments and cold files evictable)");
}

inline void mmap_store::drop_segment(std::size_t index) {
  spans_ -= segments_[index]->span_count();
  std::filesystem::remove(segments_[index]->path());
  segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(index));
}

inline void mmap_store::drop_cold(std::size_t index) {
  spans_ -= cold_[index]->span_count();
  std::filesystem::remove(cold_[index]->path());
  cold_.erase(cold_.begin() + static_cast<std::ptrdiff_t>(index));
}

inline std::optional<time_range> mmap_store::removal_range(timestamp_ns now, duration_ns ttl) const {
  if (!ttl || now < ttl) return std::nullopt;
  const timestamp_ns cutoff = now - ttl;
  std::optional<time_range> range;
  auto add = [&range, cutoff](timestamp_ns min_start) {
    range = time_range{range ? std::min(range->begin, min_start) : min_start, cutoff};
  };
  for (const auto& s : segments_)
    if (s->sealed() && s->max_start() < cutoff) add(s->min_start());
  for (const auto& c : cold_)
    if (c->max_start() < cutoff) add(c->min_start());
  return range;
}

inline std::size_t mmap_store::apply_retention(timestamp_ns now, duration_ns ttl) {
  require_writable();
  auto range = removal_range(now, ttl);
  if (!range) return 0;
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < cold_.size();) {
    if (cold_[i]->max_start() < range->end) {
      drop_cold(i);
      ++dropped;
    } else {
      ++i;
    }
  }
  if (dropped) detail::sync_directory(options_.path / detail::cold_folder);
  for (std::size_t i = 0; i < segments_.size();) {
    if (segments_[i]->sealed() && segments_[i]->max_start() < range->end) {
      drop_segment(i);
      ++dropped;
    } else {
      ++i;
    }
  }
  detail::sync_directory(options_.path);
  publish(true);
  return dropped;
}

inline std::filesystem::path mmap_store::snapshot() {
  require_writable();
  const std::filesystem::path root = options_.path / "snapshots";
  std::filesystem::create_directories(root);
  std::filesystem::path target;
  for (timestamp_ns stamp = now_ns();; ++stamp) {
    char name[24];
    std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(stamp));
    target = root / name;
    if (std::filesystem::create_directory(target)) break;
  }
  for (const auto& s : segments_) {
    auto to = target / s->path().filename();
    if (s->sealed()) {
      std::filesystem::create_hard_link(s->path(), to);
    } else {
      s->sync();
      detail::file_handle source(s->path(), O_RDONLY);
      detail::file_handle copy(to, O_RDWR | O_CREAT | O_TRUNC);
      std::string bytes(static_cast<std::size_t>(s->used_bytes()), '\0');
      if (::pread(source.fd(), bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
        detail::throw_system_error("pread", s->path());
      copy.write_all(bytes.data(), bytes.size(), 0);
      copy.sync();
    }
  }
  if (!cold_.empty()) {
    std::filesystem::create_directory(target / detail::cold_folder);
    for (const auto& c : cold_) std::filesystem::create_hard_link(c->path(), target / detail::cold_folder / c->path().filename());
    detail::sync_directory(target / detail::cold_folder);
  }
  detail::sync_directory(target);
  std::vector<std::filesystem::path> all;
  for (const auto& entry : std::filesystem::directory_iterator(root))
    if (entry.is_directory()) all.push_back(entry.path());
  std::ranges::sort(all);
  for (std::size_t i = 0; i + options_.max_snapshots < all.size(); ++i) std::filesystem::remove_all(all[i]);
  detail::sync_directory(root);
  return target;
}

}  // namespace v0
}  // namespace trace
