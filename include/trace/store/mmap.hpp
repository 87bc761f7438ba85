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
// calls (`append`, `sync`, `flush`, `roll`, `compact`, `move_to_cold`, retention, `snapshot`,
// `segments`, `cold_files`):
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

#include "trace/core/span.hpp"
#include "trace/core/validate.hpp"
#include "trace/store/columnar_store.hpp"
#include "trace/store/mmap/block.hpp"
#include "trace/store/mmap/block_columns.hpp"
#include "trace/store/mmap/codec.hpp"
#include "trace/store/mmap/cold.hpp"
#include "trace/store/mmap/encoded_rows.hpp"
#include "trace/store/mmap/lock.hpp"
#include "trace/store/mmap/options.hpp"
#include "trace/store/mmap/segment.hpp"
#include "trace/store/mmap/span_view.hpp"
#include "trace/store/mmap/trace_filter_table.hpp"

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
  std::uint64_t text_index_bytes = 0;  // sealed: its text index (0: none, text queries scan it)
  std::string text_index_problem{};    // sealed: why its text index is not used (it failed its checks)
  std::uint64_t tag_index_bytes = 0;  // sealed: its tag indexes (0: none, conditions on tags scan it)
  std::string tag_index_problem{};    // sealed: why its tag indexes are not used (they failed their checks)
  std::vector<indexed_tag> indexed_tags{};  // sealed: what its usable tag indexes cover
};

// What one file of the cold tier holds (docs/FORMAT.md, "Cold tier").
struct cold_file_info {
  std::filesystem::path path;
  std::uint64_t first = 0, last = 0;  // the sequences of the segments it replaced
  std::uint64_t spans = 0;
  std::uint64_t bytes = 0;
  std::size_t row_groups = 0;
  timestamp_ns min_start = 0, max_start = 0;
};

// What a read may leave out of the cold tier: the row groups whose statistics show no span
// starting in `window` (of `service`, when not empty). Queries still apply their own filters;
// this only spares decoding what cannot match.
struct cold_pruning {
  time_range window{0, std::numeric_limits<timestamp_ns>::max()};
  std::string service{};
};

namespace detail {
using cold_list = std::vector<std::shared_ptr<const cold_file>>;
using segment_list = std::vector<std::shared_ptr<const segment>>;
// What readers are shown: the segments that no longer change, and the committed prefix of
// the active log. The writer publishes a new one under a mutex; readers copy it.
struct published_view {
  std::shared_ptr<const std::vector<std::shared_ptr<const segment>>> frozen;
  std::shared_ptr<const trace_filter_table> filters;  // which of `frozen` may hold a trace id
  std::shared_ptr<const segment> log;  // the active log, when there is one
  std::size_t log_blocks = 0;          // its committed blocks
  std::size_t spans = 0;
  std::shared_ptr<const cold_list> cold;  // the cold tier, older than every segment
  // Row groups of the cold tier decoded for this view (a range or a lookup), before `frozen`.
  std::shared_ptr<const segment_list> thawed;
};
}  // namespace detail

class mmap_store {
 public:
  class reader;
  class span_range;
  using trace_spans = gathered_spans<mmap_span, detail::published_view>;  // keeps the segments mapped
  class block_list;

  // Opens (creating when missing, in read_write mode) the store in `options.path`, replays
  // the active log and reports what it does not serve through `options.on_dropped` and
  // `dropped()`: a torn tail is dropped; damage is served around when read-only, and refused
  // with `error(errc::corrupt_data)` when opening for writing (see `repair`).
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
  // The same view, but its scans and blocks leave out the cold row groups that `pruning`
  // rules out by their statistics (a lookup by trace id already reads only the row groups
  // whose id range holds it).
  reader read(cold_pruning pruning) const;
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
  // What recovery did not serve: torn tails (dropped) and damage (see dropped_log_tail).
  // A read-only store with damage serves the records before it; a writer refuses to open.
  const std::vector<dropped_log_tail>& dropped() const noexcept { return dropped_; }
  bool damaged() const noexcept {
    return std::ranges::any_of(dropped_, [](const dropped_log_tail& d) { return d.damage; });
  }
  // Opens the store in `options.path` for writing, dropping damaged log records (and every
  // record after them) instead of refusing, cuts them off the files, moves each log's commit
  // watermark to what is kept, and returns what was dropped. Damage in a sealed segment is
  // not repaired: opening still fails, naming the file and region.
  static std::vector<dropped_log_tail> repair(mmap_options options);
  const mmap_options& options() const noexcept { return options_; }
  std::uint64_t disk_usage() const noexcept;

  // Retention: sealed segments and cold files whose spans all started before `now - ttl` (by
  // default the option `retention_ttl`; 0 keeps everything). `removal_range` tells what would
  // go; `apply_retention` returns how many files went.
  std::optional<time_range> removal_range(timestamp_ns now) const { return removal_range(now, options_.retention_ttl); }
  std::optional<time_range> removal_range(timestamp_ns now, duration_ns ttl) const;
  std::size_t apply_retention(timestamp_ns now) { return apply_retention(now, options_.retention_ttl); }
  std::size_t apply_retention(timestamp_ns now, duration_ns ttl);

  // The cold tier: sealed segments whose spans all started before `now - age` (by default
  // the option `cold_after`; 0 moves nothing) become Parquet files in `cold/`, one per
  // segment, each written and synced before its segment is dropped. Returns how many moved.
  // Reads serve both tiers alike. docs/FORMAT.md, "Cold tier", has the crash rules.
  std::size_t move_to_cold(timestamp_ns now) { return move_to_cold(now, options_.cold_after); }
  std::size_t move_to_cold(timestamp_ns now, duration_ns age);
  std::vector<cold_file_info> cold_files() const;

  // Merges runs of consecutive sealed segments whose total size fits in `segment_bytes`
  // into one sealed segment each, without losing or duplicating a span (a crash midway
  // leaves either the old segments or the merged one), and rewrites a lone sealed segment
  // without a usable text index, or whose tag indexes are not the ones `indexed_tags` asks
  // for or are damaged. Returns how many segments went away.
  std::size_t compact();
  // Changes the tag indexes built into the segments sealed from now on (`compact` rebuilds
  // the older ones); a segment's own indexes serve queries until then.
  void set_indexed_tags(std::vector<indexed_tag> tags) {
    require_writable();
    options_.indexed_tags = std::move(tags);
  }
  // The tag indexes the next sealed segment gets (see mmap_options::indexed_tags).
  std::vector<indexed_tag> indexed_tags() const {
    if (options_.indexed_tags) return *options_.indexed_tags;
    for (auto s = segments_.rbegin(); s != segments_.rend(); ++s) {
      if (!(*s)->sealed()) continue;
      try {
        if ((*s)->tag_index_problem().empty()) return (*s)->indexed_tags();
      } catch (const error&) {
        // A segment that fails its checks tells nothing of the rules; the read that needs
        // its spans reports the damage (checks deferred to first use throw again there).
      }
    }
    return {};
  }

  // Hard-links the sealed segments and cold files (and copies the active log's written
  // prefix) into `snapshots/<timestamp>/`, keeps the newest `max_snapshots`; returns the new folder.
  std::filesystem::path snapshot();

 private:
  struct repairing {};
  mmap_store(mmap_options options, repairing);
  void open_writer(bool repair);
  void open_reader();
  // Opens the files of `cold/` (see docs/FORMAT.md for which ones count).
  void open_cold();
  // A lookup in `view`, which the result keeps (one copy of the view per lookup).
  static trace_spans find_in(detail::published_view view, const trace_id& id);
  std::shared_ptr<detail::segment> open_segment(std::uint64_t sequence, bool sealed, const detail::log_recovery& how);
  // Shows readers the current state; `segments_changed`: the list of segments changed, not
  // only the active log's length.
  void publish(bool segments_changed);
  void roll_locked(timestamp_ns now);
  void make_room(std::uint64_t bytes);
  void drop_segment(std::size_t index);
  void drop_cold(std::size_t index);
  void drop_covered();
  void sync_if_due();
  bool writable() const noexcept { return options_.mode == open_mode::read_write; }
  // Throws `error(errc::invalid_argument)` when the store was opened read-only.
  void require_writable() const;

  mmap_options options_;
  detail::directory_lock lock_;
  std::vector<std::shared_ptr<detail::segment>> segments_;  // by sequence; the last may be the active log
  std::vector<dropped_log_tail> dropped_;
  std::vector<std::shared_ptr<const detail::cold_file>> cold_;  // by sequence, all older than segments_
  std::size_t spans_ = 0;
  std::uint64_t next_sequence_ = 1;
  std::chrono::steady_clock::time_point last_sync_ = std::chrono::steady_clock::now();
  detail::encoded_rows rows_;
  detail::block_encoder encoder_;  // its working memory serves every batch
  detail::seal_buffers seal_buffers_;  // and this one every roll of the log
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
  explicit reader(detail::published_view view, cold_pruning pruning = {}) : view_(std::move(view)), pruning_(std::move(pruning)) {}
  // The view with the cold row groups that the pruning keeps decoded into `thawed`.
  detail::published_view thawed_view() const;
  detail::published_view view_;
  cold_pruning pruning_;
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
  // Segments in order: the thawed cold row groups, the frozen segments, the active log.
  std::size_t thawed_count() const noexcept { return view_.thawed ? view_.thawed->size() : 0; }
  std::size_t segment_count() const noexcept { return thawed_count() + view_.frozen->size() + (view_.log ? 1 : 0); }
  const detail::segment& segment(std::size_t s) const noexcept {
    if (s < thawed_count()) return *(*view_.thawed)[s];
    s -= thawed_count();
    return s < view_.frozen->size() ? *(*view_.frozen)[s] : *view_.log;
  }
  std::size_t block_count(std::size_t s) const noexcept {
    return s < thawed_count() + view_.frozen->size() ? segment(s).blocks().size() : view_.log_blocks;
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
  if (writable()) open_writer(false);
  else open_reader();
  publish(true);
}

inline mmap_store::mmap_store(mmap_options options, repairing) : options_(std::move(options)) {
  options_.mode = open_mode::read_write;
  options_.strict_recovery = false;
  validate(options_);
  open_writer(true);
  publish(true);
}

inline std::vector<dropped_log_tail> mmap_store::repair(mmap_options options) {
  mmap_store store(std::move(options), repairing{});
  store.sync();
  return store.dropped_;
}

inline mmap_store::~mmap_store() {
  try {
    if (writable() && options_.sync != sync_policy::none) sync();
  } catch (...) {
    // A destructor cannot report; callers who need to know call sync() first.
  }
}

inline void mmap_store::publish(bool segments_changed) {
  using frozen_list = std::vector<std::shared_ptr<const detail::segment>>;
  const bool has_log = writable() && !segments_.empty() && !segments_.back()->sealed();
  std::shared_ptr<const frozen_list> frozen = view_.frozen;  // only this thread writes view_
  std::shared_ptr<const detail::trace_filter_table> filters = view_.filters;
  if (segments_changed || !frozen) {
    frozen = std::make_shared<const frozen_list>(segments_.begin(), segments_.end() - (has_log ? 1 : 0));
    filters = detail::trace_filter_table::update(filters, *frozen);
  }
  std::lock_guard lock(view_mutex_);
  view_.frozen = std::move(frozen);
  view_.filters = std::move(filters);
  view_.log = has_log ? segments_.back() : nullptr;
  view_.log_blocks = has_log ? segments_.back()->blocks().size() : 0;
  view_.spans = spans_;
  if (segments_changed || !view_.cold) view_.cold = std::make_shared<const detail::cold_list>(cold_);
}

inline void mmap_store::require_writable() const {
  if (!writable()) throw error(errc::invalid_argument, "store " + options_.path.string() + " is open read-only");
}

inline mmap_store::reader mmap_store::read() const {
  std::lock_guard lock(view_mutex_);
  return reader(view_);
}

inline mmap_store::reader mmap_store::read(cold_pruning pruning) const {
  std::lock_guard lock(view_mutex_);
  return reader(view_, std::move(pruning));
}

inline std::size_t mmap_store::size() const {
  std::lock_guard lock(view_mutex_);
  return view_.spans;
}

template <std::ranges::forward_range R>
void mmap_store::append(const R& batch) {
  require_writable();
  const std::size_t position = validate_batch(batch);
  if (position == 0) return;

  rows_.encode(batch);
  const std::uint64_t needed = detail::record_header_size + rows_.block_bytes_bound();

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
      active->set_log_tags(indexed_tags());
    }
    if (active->append(rows_.rows(), encoder_)) break;
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
inline mmap_store::trace_spans mmap_store::find_trace(const trace_id& id) const {
  detail::published_view view;
  {
    std::lock_guard lock(view_mutex_);
    view = view_;
  }
  return find_in(std::move(view), id);
}

namespace detail {
// Before a read touches the mappings: a file that another process truncated would raise
// SIGBUS at the first access past its new end; one fstat per segment refuses it instead.
// (A truncation after this check still raises SIGBUS, see docs/FORMAT.md.) A sealed segment
// whose checks were left for its first use is checked now, before any of its spans is served.
inline void check_mapped_sizes(const published_view& view) {
  for (const auto& s : *view.frozen) {
    s->check_file_size();
    s->verify();
  }
  if (view.log) view.log->check_file_size();
}
}  // namespace detail

inline detail::published_view mmap_store::reader::thawed_view() const {
  detail::published_view view = view_;
  if (!view.cold || view.cold->empty()) return view;
  auto thawed = std::make_shared<detail::segment_list>();
  const auto& [begin, end] = pruning_.window;
  for (const auto& file : *view.cold)
    for (std::size_t g = 0; g < file->row_groups().size(); ++g)
      if (file->row_groups()[g].may_match(begin, end, pruning_.service)) thawed->push_back(file->thaw(g));
  view.thawed = std::move(thawed);
  return view;
}

inline mmap_store::span_range mmap_store::reader::scan() const {
  detail::check_mapped_sizes(view_);
  return span_range(thawed_view());
}
inline mmap_store::block_list mmap_store::reader::blocks() const {
  detail::check_mapped_sizes(view_);
  return block_list(thawed_view());
}

inline mmap_store::trace_spans mmap_store::reader::find_trace(const trace_id& id) const { return find_in(view_, id); }

// The store-wide filter table names the sealed segments that may hold `id` (one or two, or
// a false positive in some thousands of lookups); only those are read, so only their sizes
// are checked, and not again within a few ms: an absent id costs no system call, nor does a
// stored one in a stream of lookups.
inline mmap_store::trace_spans mmap_store::find_in(detail::published_view view, const trace_id& id) {
  std::vector<mmap_span> spans;
  auto collect = [&spans](const detail::block_view& b, std::uint32_t first, std::uint32_t count) {
    for (std::uint32_t row = first; row < first + count; ++row) spans.emplace_back(&b, row);
  };
  // The cold tier first (the oldest spans): only the row groups whose trace-id range holds `id`.
  if (view.cold && !view.cold->empty()) {
    auto thawed = std::make_shared<detail::segment_list>();
    for (const auto& file : *view.cold)
      for (std::size_t g = 0; g < file->row_groups().size(); ++g)
        if (file->row_groups()[g].may_hold(id)) {
          thawed->push_back(file->thaw(g));
          thawed->back()->for_each_run(id, 1, collect);
        }
    view.thawed = std::move(thawed);
  }
  view.filters->for_each_candidate(id, [&](const detail::segment& s) {
    s.check_file_size_for_lookup();
    s.for_each_run(id, s.blocks().size(), collect);
  });
  if (view.log) {
    // The log's index is in memory: its file is touched (and so checked) only when it holds `id`.
    if (view.log->log_holds(id, view.log_blocks)) {
      view.log->check_file_size_for_lookup();
      view.log->for_each_run(id, view.log_blocks, collect);
    }
  }
  return trace_spans(std::move(spans), std::move(view));
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

inline std::uint64_t mmap_store::disk_usage() const noexcept {
  std::uint64_t total = 0;
  for (const auto& s : segments_) total += s->used_bytes();
  for (const auto& c : cold_) total += c->bytes();
  return total;
}

inline std::vector<cold_file_info> mmap_store::cold_files() const {
  std::vector<cold_file_info> out;
  for (const auto& c : cold_)
    out.push_back({c->path(), c->first(), c->last(), c->span_count(), c->bytes(), c->row_groups().size(), c->min_start(),
                   c->max_start()});
  return out;
}

inline std::vector<segment_info> mmap_store::segments() const {
  std::vector<segment_info> out;
  for (const auto& s : segments_)
    out.push_back({s->path(), s->sequence(), s->sealed(), s->span_count(), s->used_bytes(),
                   s->span_count() ? s->min_start() : 0, s->max_start(), s->text_index_bytes(), s->text_index_problem(),
                   s->tag_index_bytes(), s->tag_index_problem(), s->indexed_tags()});
  return out;
}

}  // namespace v0
}  // namespace trace


// Opening and recovery, then the maintenance calls (declared above), are defined here:
#include "trace/store/mmap/recovery.hpp"     // IWYU pragma: export
#include "trace/store/mmap/maintenance.hpp"  // IWYU pragma: export
