#pragma once
// The memory-mapped file store: the embedded, durable store. Spans are appended to a log of
// checksummed records in the active segment; a segment rolls by size or age into a sealed
// segment with a sorted trace index and zone maps; reads hand out `mmap_span` views into the
// mapped files. The file format and the crash semantics are written down in docs/FORMAT.md.
//
//   trace::mmap_store store({.path = "spans", .sync = trace::sync_policy::every_batch});
//   store.append(batch);                         // durable when it returns (every_batch)
//   for (trace::mmap_span s : store.find_trace(id)) ...
//
// Thread safety: one writer per directory (an advisory lock refuses a second one, in this
// process or another). Within the process, the reading calls (`size`, `empty`, `scan`,
// `find_trace`, `read`) may run on any number of threads while one thread makes the other
// calls (`append`, `sync`, `flush`, `roll`, `compact`, retention, `snapshot`, `segments`):
// a reader sees a committed prefix of the store, every batch whole or not at all. Ranges,
// results and `reader`s keep the segments they show mapped, even after the writer seals,
// compacts or deletes them; an `mmap_span` is valid while the range or result it came from
// (or the store, for segments it still holds) lives.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <vector>

#include <sys/statvfs.h>  // statvfs: the file system's size for the percent budget

#include "trace/core/span.hpp"
#include "trace/core/validate.hpp"
#include "trace/store/columnar_store.hpp"
#include "trace/store/mmap/block.hpp"
#include "trace/store/mmap/block_columns.hpp"
#include "trace/store/mmap/codec.hpp"
#include "trace/store/mmap/lock.hpp"
#include "trace/store/mmap/options.hpp"
#include "trace/store/mmap/segment.hpp"
#include "trace/store/mmap/span_view.hpp"

namespace trace {
inline namespace v0 {

struct time_range {
  timestamp_ns begin = 0, end = 0;  // [begin, end)
  friend bool operator==(const time_range&, const time_range&) = default;
};

// What one segment holds, for tools and tests.
struct segment_info {
  std::filesystem::path path;
  std::uint64_t sequence = 0;
  bool sealed = false;
  std::uint64_t spans = 0;
  std::uint64_t bytes = 0;  // bytes in use (a log's preallocated tail is not counted)
  timestamp_ns min_start = 0, max_start = 0;
};

namespace detail {
// What readers are shown: the segments that no longer change, and the committed prefix of
// the active log. The writer publishes a new one under a mutex; readers copy it.
struct published_view {
  std::shared_ptr<const std::vector<std::shared_ptr<const segment>>> frozen;
  std::shared_ptr<const segment> log;  // the active log, when there is one
  std::size_t log_blocks = 0;          // its committed blocks
  std::size_t spans = 0;
};
}  // namespace detail

class mmap_store {
 public:
  class reader;
  class span_range;
  using trace_spans = gathered_spans<mmap_span, detail::published_view>;  // keeps the segments mapped
  class block_list;

  // Opens (creating when missing, in read_write mode) the store in `options.path`, replays
  // the active log and reports any dropped tail through `options.on_dropped` and `dropped()`.
  explicit mmap_store(mmap_options options);
  ~mmap_store();
  mmap_store(const mmap_store&) = delete;
  mmap_store& operator=(const mmap_store&) = delete;

  // Appends a batch, all or nothing: an invalid span refuses it with `error(errc::invalid_span)`
  // naming its position; an append over the disk budget is refused with `error(errc::io_error)`
  // (or evicts the oldest sealed segments, by option). Durable per `options.sync` on return.
  template <std::ranges::forward_range R>
  void append(const R& batch);
  template <class String>
  void append(const basic_span<String>& one) { append(std::vector<basic_span<String>>{one}); }

  // A consistent view of the committed spans as of now: several queries on one reader agree
  // with each other whatever the writer does meanwhile.
  reader read() const;
  std::size_t size() const;
  bool empty() const { return size() == 0; }
  span_range scan() const;
  // Every block as a `column_block` (a sealed segment's one block, a log's batches), for the
  // fast paths of columnar_store.hpp; their zone maps are the blocks' bounds.
  block_list blocks() const;
  // Every span of one trace, across segments and batches, in segment then batch order.
  trace_spans find_trace(const trace_id& id) const;

  // Durability: `sync()` puts every acknowledged batch on stable storage now; `flush()` does
  // so when the sync policy is `interval` and the interval has passed (call it from a timer).
  void sync();
  void flush();
  // Seals the active segment now (it would roll by size or age anyway).
  void roll();

  std::vector<segment_info> segments() const;
  const std::vector<dropped_log_tail>& dropped() const noexcept { return dropped_; }
  const mmap_options& options() const noexcept { return options_; }
  std::uint64_t disk_usage() const noexcept;

  // Retention: sealed segments whose spans all started before `now - ttl` (by default the
  // option `retention_ttl`; 0 keeps everything). `removal_range` tells what would go.
  std::optional<time_range> removal_range(timestamp_ns now) const { return removal_range(now, options_.retention_ttl); }
  std::optional<time_range> removal_range(timestamp_ns now, duration_ns ttl) const;
  std::size_t apply_retention(timestamp_ns now) { return apply_retention(now, options_.retention_ttl); }
  std::size_t apply_retention(timestamp_ns now, duration_ns ttl);

  // Merges runs of consecutive sealed segments whose total size fits in `segment_bytes`
  // into one sealed segment each, without losing or duplicating a span (a crash midway
  // leaves either the old segments or the merged one). Returns how many segments went away.
  std::size_t compact();

  // Hard-links the sealed segments (and copies the active log's written prefix) into
  // `snapshots/<timestamp>/`, keeps the newest `max_snapshots`; returns the new folder.
  std::filesystem::path snapshot();

 private:
  void open_writer();
  void open_reader();
  // Shows readers the current state; `segments_changed`: the list of segments changed, not
  // only the active log's length.
  void publish(bool segments_changed);
  void roll_locked(timestamp_ns now);
  void make_room(std::uint64_t bytes);
  void drop_segment(std::size_t index);
  void drop_covered();
  void sync_if_due();
  bool writable() const noexcept { return options_.mode == open_mode::read_write; }

  mmap_options options_;
  detail::directory_lock lock_;
  std::vector<std::shared_ptr<detail::segment>> segments_;  // by sequence; the last may be the active log
  std::vector<dropped_log_tail> dropped_;
  std::size_t spans_ = 0;
  std::uint64_t next_sequence_ = 1;
  std::chrono::steady_clock::time_point last_sync_ = std::chrono::steady_clock::now();
  std::string scratch_, arena_;
  std::vector<detail::row_input> rows_;
  mutable std::mutex view_mutex_;  // guards view_ (written by the writer, copied by readers)
  detail::published_view view_;
};

// A consistent view of the store's committed spans; cheap to copy, and it keeps what it
// shows mapped for as long as it lives.
class mmap_store::reader {
 public:
  std::size_t size() const noexcept { return view_.spans; }
  bool empty() const noexcept { return view_.spans == 0; }
  span_range scan() const;
  block_list blocks() const;
  trace_spans find_trace(const trace_id& id) const;

 private:
  friend class mmap_store;
  explicit reader(detail::published_view view) : view_(std::move(view)) {}
  detail::published_view view_;
};

// Every span of a view, as `mmap_span`s.
class mmap_store::span_range {
 public:
  class iterator {
   public:
    using value_type = mmap_span;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::forward_iterator_tag;

    iterator() = default;
    explicit iterator(const span_range* range) noexcept : range_(range) { settle(); }
    mmap_span operator*() const noexcept { return mmap_span(block_, row_); }
    iterator& operator++() noexcept {
      if (++row_ == block_->rows()) {
        row_ = 0;
        ++block_index_;
        settle();
      }
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.block_ == b.block_ && a.row_ == b.row_;
    }
    friend bool operator==(const iterator& a, std::default_sentinel_t) noexcept { return a.block_ == nullptr; }

   private:
    // Moves to the first non-empty block, from the current position.
    void settle() noexcept {
      for (block_ = nullptr; segment_index_ < range_->segment_count(); ++segment_index_, block_index_ = 0) {
        for (; block_index_ < range_->block_count(segment_index_); ++block_index_) {
          const detail::block_view& b = range_->block(segment_index_, block_index_);
          if (b.rows()) {
            block_ = &b;
            return;
          }
        }
      }
    }
    const span_range* range_ = nullptr;
    std::size_t segment_index_ = 0, block_index_ = 0;
    const detail::block_view* block_ = nullptr;
    std::uint32_t row_ = 0;
  };

  explicit span_range(detail::published_view view) : view_(std::move(view)) {}
  iterator begin() const noexcept { return iterator(this); }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  friend class mmap_store::block_list;
  std::size_t segment_count() const noexcept { return view_.frozen->size() + (view_.log ? 1 : 0); }
  const detail::segment& segment(std::size_t s) const noexcept {
    return s < view_.frozen->size() ? *(*view_.frozen)[s] : *view_.log;
  }
  std::size_t block_count(std::size_t s) const noexcept {
    return s < view_.frozen->size() ? segment(s).blocks().size() : view_.log_blocks;
  }
  const detail::block_view& block(std::size_t s, std::size_t b) const noexcept { return segment(s).blocks()[b]; }

  detail::published_view view_;
};

// The non-empty blocks of a view, as `mmap_block`s, keeping their segments mapped.
class mmap_store::block_list {
 public:
  using const_iterator = std::vector<mmap_block>::const_iterator;
  explicit block_list(detail::published_view view) : range_(std::move(view)) {
    for (std::size_t s = 0; s < range_.segment_count(); ++s)
      for (std::size_t b = 0; b < range_.block_count(s); ++b)
        if (range_.block(s, b).rows()) blocks_.emplace_back(&range_.block(s, b));
  }
  const_iterator begin() const noexcept { return blocks_.begin(); }
  const_iterator end() const noexcept { return blocks_.end(); }
  std::size_t size() const noexcept { return blocks_.size(); }

 private:
  span_range range_;
  std::vector<mmap_block> blocks_;
};

static_assert(std::forward_iterator<mmap_store::span_range::iterator>);
static_assert(span_store<mmap_store>);
static_assert(columnar_store<mmap_store>);

// ---------------------------------------------------------------------------------------

inline mmap_store::mmap_store(mmap_options options) : options_(std::move(options)) {
  validate(options_);
  if (writable()) open_writer();
  else open_reader();
  publish(true);
}

inline mmap_store::~mmap_store() {
  try {
    if (writable() && options_.sync != sync_policy::none) sync();
  } catch (...) {
    // A destructor cannot report; callers who need to know call sync() first.
  }
}

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

inline void mmap_store::open_writer() {
  std::filesystem::create_directories(options_.path);
  lock_ = detail::directory_lock(options_.path);
  std::vector<std::filesystem::path> leftovers;
  auto files = detail::list_segment_files(options_.path, &leftovers);
  for (const auto& path : leftovers) std::filesystem::remove(path);  // a seal or create that never finished
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    next_sequence_ = f.sequence + 1;
    if (f.sealed) {
      // A crash after sealing but before removing the log leaves both; the sealed one wins.
      if (f.log) std::filesystem::remove(detail::segment_path(options_.path, f.sequence, ".log"));
      segments_.push_back(detail::segment::open_sealed(detail::segment_path(options_.path, f.sequence, ".seg")));
    } else {
      std::size_t before = dropped_.size();
      segments_.push_back(detail::segment::open_log(detail::segment_path(options_.path, f.sequence, ".log"), true,
                                                     dropped_, options_.strict_recovery));
      if (options_.on_dropped)
        for (std::size_t d = before; d < dropped_.size(); ++d) options_.on_dropped(dropped_[d]);
    }
    spans_ += segments_.back()->span_count();
  }
  drop_covered();
  if (!leftovers.empty() || !files.empty()) detail::sync_directory(options_.path);
  // Only the newest log stays active; older ones (left by a crash mid-roll) are sealed now.
  for (std::size_t i = 0; i + 1 < segments_.size(); ++i) {
    if (segments_[i]->sealed()) continue;
    if (segments_[i]->span_count() == 0) {
      std::filesystem::remove(segments_[i]->path());
      segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(i--));
      continue;
    }
    auto sealed_path = segments_[i]->write_sealed(options_.path);
    std::filesystem::remove(segments_[i]->path());
    segments_[i] = detail::segment::open_sealed(sealed_path);
  }
  if (options_.retention_ttl) apply_retention(now_ns());
}

inline void mmap_store::open_reader() {
  if (!std::filesystem::is_directory(options_.path))
    throw error(errc::io_error, "store " + options_.path.string() + " does not exist (read-only open creates nothing)");
  for (const auto& f : detail::list_segment_files(options_.path, nullptr)) {
    if (f.sealed) {
      segments_.push_back(detail::segment::open_sealed(detail::segment_path(options_.path, f.sequence, ".seg")));
    } else {
      std::size_t before = dropped_.size();
      segments_.push_back(detail::segment::open_log(detail::segment_path(options_.path, f.sequence, ".log"), false,
                                                     dropped_, options_.strict_recovery));
      if (options_.on_dropped)
        for (std::size_t d = before; d < dropped_.size(); ++d) options_.on_dropped(dropped_[d]);
    }
    spans_ += segments_.back()->span_count();
  }
  drop_covered();
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

inline std::size_t mmap_store::compact() {
  if (!writable()) throw error(errc::invalid_argument, "store " + options_.path.string() + " is open read-only");
  std::size_t removed = 0;
  for (std::size_t first = 0; first < segments_.size(); ++first) {
    std::size_t last = first;
    std::uint64_t bytes = segments_[first]->sealed() ? segments_[first]->used_bytes() : options_.segment_bytes + 1;
    while (last + 1 < segments_.size() && segments_[last + 1]->sealed() &&
           bytes + segments_[last + 1]->used_bytes() <= options_.segment_bytes)
      bytes += segments_[++last]->used_bytes();
    if (last == first || bytes > options_.segment_bytes) continue;
    std::vector<const detail::segment*> run;
    for (std::size_t i = first; i <= last; ++i) run.push_back(segments_[i].get());
    // The merged file atomically replaces the first; its header names the last it covers,
    // so the others are dropped at the next open even if we crash before removing them.
    auto merged = detail::segment::open_sealed(detail::segment::write_sealed(options_.path, run));
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

inline void mmap_store::publish(bool segments_changed) {
  using frozen_list = std::vector<std::shared_ptr<const detail::segment>>;
  const bool has_log = writable() && !segments_.empty() && !segments_.back()->sealed();
  std::shared_ptr<const frozen_list> frozen = view_.frozen;  // only this thread writes view_
  if (segments_changed || !frozen)
    frozen = std::make_shared<const frozen_list>(segments_.begin(), segments_.end() - (has_log ? 1 : 0));
  std::lock_guard lock(view_mutex_);
  view_.frozen = std::move(frozen);
  view_.log = has_log ? segments_.back() : nullptr;
  view_.log_blocks = has_log ? segments_.back()->blocks().size() : 0;
  view_.spans = spans_;
}

inline mmap_store::reader mmap_store::read() const {
  std::lock_guard lock(view_mutex_);
  return reader(view_);
}

inline std::size_t mmap_store::size() const {
  std::lock_guard lock(view_mutex_);
  return view_.spans;
}

template <std::ranges::forward_range R>
void mmap_store::append(const R& batch) {
  if (!writable()) throw error(errc::invalid_argument, "store " + options_.path.string() + " is open read-only");
  const std::size_t position = validate_batch(batch);
  if (position == 0) return;

  // Encode the rare parts into one arena first, then point the rows into it.
  struct parts { std::size_t resource, scope, extras, end; };
  std::vector<parts> offsets;
  offsets.reserve(position);
  arena_.clear();
  for (const auto& s : batch) {
    parts p{};
    p.resource = arena_.size();
    detail::encode_resource(arena_, s.resource);
    p.scope = arena_.size();
    detail::encode_scope(arena_, s.scope);
    p.extras = arena_.size();
    detail::encode_extras(arena_, s);
    p.end = arena_.size();
    offsets.push_back(p);
  }
  rows_.clear();
  std::size_t i = 0;
  std::string_view arena(arena_);
  for (const auto& s : batch) {
    const parts& p = offsets[i++];
    rows_.push_back({s.trace, s.id, s.parent, s.start, s.end - s.start, std::string_view(s.resource.service_name),
                     std::string_view(s.name), arena.substr(p.resource, p.scope - p.resource),
                     arena.substr(p.scope, p.extras - p.scope), arena.substr(p.extras, p.end - p.extras), s.status.code,
                     s.kind});
  }

  // Upper bound of the record: rows' columns and index entries, their strings, the arena.
  std::uint64_t needed = detail::record_header_size + detail::block_head_size + 64 + arena_.size();
  for (const auto& r : rows_) needed += 96 + r.service.size() + r.name.size();

  const timestamp_ns now = now_ns();
  auto* active = segments_.empty() || segments_.back()->sealed() ? nullptr : segments_.back().get();
  if (active && active->span_count() && now > active->created_ns() && now - active->created_ns() >= options_.segment_span) {
    roll_locked(now);
    active = nullptr;
  }
  make_room(needed);
  for (int attempt = 0;; ++attempt) {
    if (!active) {
      // A batch larger than a segment gets a log of its own size.
      std::uint64_t capacity = std::max<std::uint64_t>(options_.segment_bytes, detail::file_header_size + needed);
      segments_.push_back(detail::segment::create_log(options_.path, next_sequence_++, capacity, now));
      active = segments_.back().get();
    }
    if (active->append(rows_, scratch_)) break;
    if (attempt) throw error(errc::invalid_argument, "batch of " + std::to_string(position) + " spans does not fit in a new segment");
    roll_locked(now);
    active = nullptr;
  }
  spans_ += position;
  publish(false);
  if (options_.sync == sync_policy::every_batch) sync();
  else if (options_.sync == sync_policy::interval) sync_if_due();
}

inline mmap_store::span_range mmap_store::scan() const { return read().scan(); }
inline mmap_store::block_list mmap_store::blocks() const { return read().blocks(); }
inline mmap_store::trace_spans mmap_store::find_trace(const trace_id& id) const { return read().find_trace(id); }

inline mmap_store::span_range mmap_store::reader::scan() const { return span_range(view_); }
inline mmap_store::block_list mmap_store::reader::blocks() const { return block_list(view_); }

inline mmap_store::trace_spans mmap_store::reader::find_trace(const trace_id& id) const {
  std::vector<mmap_span> spans;
  auto collect = [&spans](const detail::block_view& b, std::uint32_t first, std::uint32_t count) {
    for (std::uint32_t row = first; row < first + count; ++row) spans.emplace_back(&b, row);
  };
  for (const auto& s : *view_.frozen) s->for_each_run(id, s->blocks().size(), collect);
  if (view_.log) view_.log->for_each_run(id, view_.log_blocks, collect);
  return trace_spans(std::move(spans), view_);
}

inline void mmap_store::sync() {
  if (!segments_.empty() && !segments_.back()->sealed()) segments_.back()->sync();
  last_sync_ = std::chrono::steady_clock::now();
}

inline void mmap_store::sync_if_due() {
  if (std::chrono::steady_clock::now() - last_sync_ >= options_.flush_interval) sync();
}

inline void mmap_store::flush() {
  if (options_.sync == sync_policy::interval) sync_if_due();
}

inline void mmap_store::roll() {
  if (!writable()) throw error(errc::invalid_argument, "store " + options_.path.string() + " is open read-only");
  roll_locked(now_ns());
}

inline void mmap_store::roll_locked(timestamp_ns now) {
  if (segments_.empty() || segments_.back()->sealed()) return;
  auto& active = segments_.back();
  if (active->span_count() == 0) {
    std::filesystem::remove(active->path());
    segments_.pop_back();
  } else {
    auto sealed_path = active->write_sealed(options_.path);
    std::filesystem::path log_path = active->path();
    auto sealed = detail::segment::open_sealed(sealed_path);
    // The sealed copy is durable before the log goes; views into the old log die here.
    active = std::move(sealed);
    std::filesystem::remove(log_path);
  }
  detail::sync_directory(options_.path);
  publish(true);
  if (options_.retention_ttl) apply_retention(now);
}

inline std::uint64_t mmap_store::disk_usage() const noexcept {
  std::uint64_t total = 0;
  for (const auto& s : segments_) total += s->used_bytes();
  return total;
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
  if (options_.on_disk_full == disk_full_policy::evict_oldest && !over_budget(evictable)) {
    while (over_budget(0)) {
      auto oldest = std::ranges::find_if(segments_, [](const auto& s) { return s->sealed(); });
      drop_segment(static_cast<std::size_t>(oldest - segments_.begin()));
    }
    detail::sync_directory(options_.path);
    publish(true);
    return;
  }
  throw error(errc::io_error, "store " + options_.path.string() + " is over its disk budget: " +
                                  std::to_string(disk_usage()) + " bytes used, batch needs about " + std::to_string(bytes) +
                                  " more (max_disk_bytes " + std::to_string(options_.max_disk_bytes) + ", max_disk_percent " +
                                  std::to_string(options_.max_disk_percent) + ", " + std::to_string(sealed) +
                                  " sealed segments evictable)");
}

inline void mmap_store::drop_segment(std::size_t index) {
  spans_ -= segments_[index]->span_count();
  std::filesystem::remove(segments_[index]->path());
  segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(index));
}

inline std::optional<time_range> mmap_store::removal_range(timestamp_ns now, duration_ns ttl) const {
  if (!ttl || now < ttl) return std::nullopt;
  const timestamp_ns cutoff = now - ttl;
  std::optional<time_range> range;
  for (const auto& s : segments_)
    if (s->sealed() && s->max_start() < cutoff)
      range = time_range{range ? std::min(range->begin, s->min_start()) : s->min_start(), cutoff};
  return range;
}

inline std::size_t mmap_store::apply_retention(timestamp_ns now, duration_ns ttl) {
  if (!writable()) throw error(errc::invalid_argument, "store " + options_.path.string() + " is open read-only");
  auto range = removal_range(now, ttl);
  if (!range) return 0;
  std::size_t dropped = 0;
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

inline std::vector<segment_info> mmap_store::segments() const {
  std::vector<segment_info> out;
  for (const auto& s : segments_)
    out.push_back({s->path(), s->sequence(), s->sealed(), s->span_count(), s->used_bytes(),
                   s->span_count() ? s->min_start() : 0, s->max_start()});
  return out;
}

inline std::filesystem::path mmap_store::snapshot() {
  if (!writable()) throw error(errc::invalid_argument, "store " + options_.path.string() + " is open read-only");
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
