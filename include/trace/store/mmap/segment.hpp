#pragma once
// A segment of the mmap store: one file, either
//   - a log (`<sequence>.log`): the segment being written, a preallocated file of
//     checksummed records, one block per batch, mapped read-write; or
//   - a sealed segment (`<sequence>.seg`): written once when its log rolls, one block with
//     its trace index sorted and every region checksummed, mapped read-only.
// Opening a log replays its records to rebuild the in-memory trace index of the active
// segment; opening a sealed segment only checks checksums and points into the mapping.
//
// Concurrency: one writer thread appends to a log while reader threads read the blocks
// below a count published to them (mmap_store does the publishing): blocks and strings live
// in append-only lists that never move an element, and the log's trace index is guarded by
// a shared mutex held only while it is read or updated.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/store/mmap/block.hpp"
#include "trace/store/mmap/crc32c.hpp"
#include "trace/store/mmap/file.hpp"
#include "trace/store/mmap/file_checksum.hpp"
#include "trace/store/mmap/format.hpp"
#include "trace/store/mmap/options.hpp"
#include "trace/store/mmap/span_view.hpp"
#include "trace/store/mmap/tag_index.hpp"
#include "trace/store/mmap/text_index.hpp"
#include "trace/store/mmap/trace_filter.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

inline std::filesystem::path segment_path(const std::filesystem::path& dir, std::uint64_t sequence, const char* ext) {
  char name[40];
  std::snprintf(name, sizeof name, "%016llu%s", static_cast<unsigned long long>(sequence), ext);
  return dir / name;
}

// Where a row of a log segment's trace lives: block number and trace ordinal in it.
struct trace_run {
  std::uint32_t block;
  std::uint32_t ordinal;
};

// How a log is opened.
struct log_recovery {
  bool writable = false;  // map it for appends; cut a dropped tail off the file
  bool strict = false;    // any problem, even a torn tail, is an error
  bool repair = false;    // writable: drop damage too (mmap_store::repair) instead of refusing to open
};

// The state of the record at `at` in a log of `size` bytes; `length` gets its payload size.
// With `file` (the log's, whose mapping `base` is), the payload's checksum is read from the
// file rather than the mapping (file_checksum.hpp says why).
enum class record_state { end, valid, torn, bad_checksum, bad_type };
inline record_state check_record(const std::byte* base, std::uint64_t at, std::uint64_t size, std::uint32_t& length,
                                 const file_handle* file = nullptr) {
  if (at + record_header_size > size) {
    for (std::uint64_t i = at; i < size; ++i)
      if (base[i] != std::byte{0}) return record_state::torn;  // a header cut short by the end of the file
    return record_state::end;
  }
  const std::byte* header = base + at;
  const auto stored_crc = load<std::uint32_t>(header);
  length = load<std::uint32_t>(header + 4);
  const auto type = load<std::uint8_t>(header + 8);
  if (stored_crc == 0 && length == 0 && type == 0) return record_state::end;  // zeros: the end of the log
  if (length > size - at - record_header_size) return record_state::torn;
  const std::uint32_t crc = file ? file_crc32c(*file, crc32c(header + 4, record_header_size - 4), at + record_header_size, length)
                                 : record_crc(header, header + record_header_size, length);
  if (unmask_crc(stored_crc) != crc) return record_state::bad_checksum;
  if (type != static_cast<std::uint8_t>(record_type::batch)) return record_state::bad_type;
  return record_state::valid;
}

// A cheap test of whether a record may start at `at`, before its checksum is computed: type
// batch, zero reserved bytes, and a block head that adds up to the length. Scanning damaged
// bytes for the next record uses it, so garbage that looks like a long record costs nothing.
inline bool plausible_record(const std::byte* base, std::uint64_t at, std::uint64_t size, block_layout layout) {
  if (at + record_header_size > size) return false;
  const std::byte* header = base + at;
  const auto length = load<std::uint32_t>(header + 4);
  if (load<std::uint8_t>(header + 8) != static_cast<std::uint8_t>(record_type::batch) || length > size - at - record_header_size)
    return false;
  for (std::size_t i = 9; i < record_header_size; ++i)
    if (header[i] != std::byte{0}) return false;
  return block_bounds(header + record_header_size, length, layout).has_value();
}

// The working memory of sealing. The store keeps it from one seal to the next (sized by the
// largest log it sealed): allocated afresh, each of its pages would be faulted in and zeroed
// by the kernel at every seal.
struct seal_buffers {
  std::string extras;  // the rows' extras, transcoded to the sealed table
  std::vector<std::size_t> extras_ends;
  std::vector<row_input> rows;
  std::string file;  // the sealed file's bytes
  block_encoder encoder;
};

class segment {
 public:
  segment(const segment&) = delete;
  segment& operator=(const segment&) = delete;

  // Checks the header, the file's size and the zone map, then, unless `check_now` is false,
  // every region (see verify). `tag_indexes` false leaves its tag indexes unused.
  static std::unique_ptr<segment> open_sealed(const std::filesystem::path& path, bool check_now = true,
                                              bool tag_indexes = true);
  // Sealed, opened with `check_now` false: checks, once, what opening left for the first use
  // (each region's checksum, the index order, the trace filter, the tag indexes), throwing
  // `error(errc::corrupt_data)` naming the region; no span is served before. Thread-safe.
  void verify() const;
  // Replays a log, adding what it does not serve to `dropped` (see log_recovery).
  static std::unique_ptr<segment> open_log(const std::filesystem::path& path, const log_recovery& how,
                                           std::vector<dropped_log_tail>& dropped);
  static std::unique_ptr<segment> create_log(const std::filesystem::path& dir, std::uint64_t sequence,
                                             std::uint64_t capacity, std::uint64_t created_ns);
  // A sealed segment held in memory, with no file (the cold tier's decoded row groups): one
  // block of `rows` with its trace index sorted; `where` names the source in messages.
  static std::unique_ptr<segment> in_memory(std::uint64_t sequence, const std::vector<row_input>& rows,
                                            const std::string& where);

  bool sealed() const noexcept { return header_.kind == file_kind::sealed; }
  std::uint32_t version() const noexcept { return header_.version; }
  std::uint64_t sequence() const noexcept { return header_.sequence; }
  std::uint64_t created_ns() const noexcept { return header_.created_ns; }
  const std::filesystem::path& path() const noexcept { return file_.path(); }
  // Bytes that hold data: the whole file when sealed, the written prefix of a log.
  std::uint64_t used_bytes() const noexcept { return used_; }
  std::uint64_t capacity() const noexcept { return map_.size(); }
  std::uint64_t span_count() const noexcept { return spans_; }
  const append_only_list<block_view>& blocks() const {
    verify();
    return blocks_;
  }
  timestamp_ns min_start() const noexcept { return min_start_; }
  timestamp_ns max_start() const noexcept { return max_start_; }
  // Sealed: its tag indexes, and why they are not used when the file's failed their checks
  // (then queries scan this segment, and `tracectl check` reports it).
  std::uint32_t tag_index_bytes() const noexcept { return header_.tag_index_bytes; }
  const std::string& tag_index_problem() const {
    verify();
    return tag_index_problem_;
  }
  // What its indexes cover (empty for a log): compaction rebuilds a segment sealed with
  // other index rules, or whose indexes are damaged.
  std::vector<indexed_tag> indexed_tags() const;
  // A log: the tags its batches' indexes cover (built by the first query that asks). Set by
  // the writer before the log is shown to readers, never after.
  void set_log_tags(std::vector<indexed_tag> tags) { log_tags_ = std::move(tags); }
  // Sealed: whether its text index is in use, and why not when the file has one that failed
  // its checks (then text queries scan this segment, and `tracectl check` reports it).
  bool has_text_index() const { return blocks().size() && blocks_.front().text_index(); }
  std::uint32_t text_index_bytes() const noexcept { return header_.text_index_bytes; }
  const std::string& text_index_problem() const {
    verify();
    return text_index_problem_;
  }

  // Appends the spans of `rows` as one record, laid out by `encoder` (the writer keeps one,
  // and its working memory, for all its batches). Returns false, writing nothing, when the
  // record does not fit in the log's remaining space.
  bool append(const std::vector<row_input>& rows, block_encoder& encoder);
  // Forces the written records to stable storage, then moves the commit watermark to them.
  void sync();
  // Throws `error(errc::io_error)` when the file is no longer as long as its mapping (another
  // process truncated it): touching the missing pages would raise SIGBUS.
  void check_file_size() const;
  // The same for lookups, which read a few pages: skipped when a check passed in the last
  // `size_recheck_interval`, so that a stream of lookups costs no system call each (a
  // truncation inside that window raises SIGBUS, as one after any check does; docs/FORMAT.md).
  void check_file_size_for_lookup() const {
    const std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
    if (now - size_checked_at_.load(std::memory_order_relaxed) < size_recheck_interval.count()) return;
    check_file_size();
    size_checked_at_.store(now, std::memory_order_relaxed);
  }
  static constexpr std::chrono::steady_clock::duration size_recheck_interval = std::chrono::milliseconds(50);
  // Writes the sealed form of this log to `<sequence>.seg` (durably) and returns its path;
  // it holds the tag indexes `tags`.
  std::filesystem::path write_sealed(const std::filesystem::path& dir, const std::vector<indexed_tag>& tags,
                                     seal_buffers& buffers) const {
    return write_sealed(dir, {this}, tags, buffers);
  }
  std::filesystem::path write_sealed(const std::filesystem::path& dir, const std::vector<indexed_tag>& tags) const {
    seal_buffers buffers;
    return write_sealed(dir, tags, buffers);
  }
  // Writes the spans of `sources` (consecutive segments) as one sealed segment named after
  // the first, replacing it atomically; its header says which sequences it covers.
  static std::filesystem::path write_sealed(const std::filesystem::path& dir, const std::vector<const segment*>& sources,
                                            const std::vector<indexed_tag>& tags, seal_buffers& buffers);
  static std::filesystem::path write_sealed(const std::filesystem::path& dir, const std::vector<const segment*>& sources,
                                            const std::vector<indexed_tag>& tags) {
    seal_buffers buffers;
    return write_sealed(dir, sources, tags, buffers);
  }
  // Interns first, into the table of a segment sealed from `sources`, the strings its rows name most.
  static void intern_by_use(const std::vector<const segment*>& sources, string_table_builder& strings);
  // Compaction: the last sequence this sealed segment replaces (its own when not merged).
  std::uint64_t covers_through() const noexcept { return std::max(header_.covers_through, header_.sequence); }

  // False only when the segment certainly holds no span of `id` (its trace filter says so).
  bool may_hold(const trace_id& id) const {
    verify_filter();
    return filter_.may_contain(id);
  }
  // Its trace filter (empty: none), checked first when the checks were deferred.
  const trace_filter_view& trace_filter() const {
    verify_filter();
    return filter_;
  }
  // Calls f(block, first_row, row_count) for each run of `id`'s rows in the blocks below
  // `block_limit` (the blocks a reader was shown).
  template <class F>
  void for_each_run(const trace_id& id, std::size_t block_limit, F&& f) const;
  // A log: whether its blocks below `block_limit` hold a span of `id` (from its in-memory
  // index, without touching the file).
  bool log_holds(const trace_id& id, std::size_t block_limit) const {
    build_deferred_log_index();
    std::shared_lock lock(log_index_mutex_);
    auto found = log_index_.find(id);
    return found != log_index_.end() && !found->second.empty() && found->second.front().block < block_limit;
  }

 private:
  segment() { strings_.push_back({}); }  // id 0: the empty string
  void add_block(const std::byte* p, std::size_t size, const std::string& where);
  void check_region(std::size_t r, const std::string& where) const;
  void load_filter(const std::string& where);
  void load_block(const std::string& where);
  void verify_filter() const;
  // Adds block `b`'s traces to the log's trace index.
  void index_log_block(std::uint32_t b);
  // A log opened read-only indexes its traces at the first lookup, not at open: a query that
  // looks no trace up (tracectl stats) never needs them. Thread-safe.
  void build_deferred_log_index() const;
  // Replays records from `at`; returns where the valid prefix ends, `problem` says why.
  std::uint64_t replay(std::uint64_t at, const std::string& where, std::string& problem);
  // What is not served after a valid prefix that ends with `problem` (empty: a clean end).
  std::optional<dropped_log_tail> find_loss(const std::string& problem) const;

  file_header header_;
  // Sealed, version 5 on: the trace filter, copied out of the mapping so that probing it
  // never touches the file (a lookup checks the size of only the files it then reads).
  std::vector<std::byte> filter_bytes_;
  trace_filter_view filter_;  // empty: every id may be present (logs, versions before 5)
  file_handle file_;
  mapping map_;
  std::string memory_;  // the block of an in-memory segment (then file_ and map_ are empty)
  string_list strings_;
  append_only_list<block_view> blocks_;
  mutable std::shared_mutex log_index_mutex_;
  std::unordered_map<trace_id, std::vector<trace_run>> log_index_;
  bool log_index_deferred_ = false;  // a log opened read-only: log_index_ is built at the first lookup
  mutable std::once_flag log_index_built_;
  string_table_builder builder_;  // logs being written
  // A log being written: the record being laid out before it is written to the file.
  std::unique_ptr<std::byte[]> record_;
  std::size_t record_capacity_ = 0;
  tag_index_view tag_index_;
  std::string tag_index_problem_;
  std::vector<indexed_tag> log_tags_;
  region_bounds bounds_{};  // sealed: where the block's regions lie
  bool deferred_ = false;   // sealed: opened with its checks left for the first use
  bool use_tag_indexes_ = true;
  mutable std::once_flag filter_checked_, block_checked_;
  // When check_file_size_for_lookup last passed (steady clock ticks); long ago at first.
  mutable std::atomic<std::int64_t> size_checked_at_{std::numeric_limits<std::int64_t>::min() / 2};
  text_index_view text_index_;
  std::string text_index_problem_;
  std::uint64_t used_ = 0, synced_ = 0, spans_ = 0;
  timestamp_ns min_start_ = ~timestamp_ns{0}, max_start_ = 0;
};

inline void segment::add_block(const std::byte* p, std::size_t size, const std::string& where) {
  const std::size_t count = blocks_.size();
  block_view& view = blocks_.push_back({});
  try {
    parse_block(view, p, size, strings_, where, layout_of(header_.version));
  } catch (...) {
    blocks_.truncate(count);
    throw;
  }
  if (!sealed()) {  // a sealed segment's count and range come from its zone map, at open
    view.set_log_tags(&log_tags_);
    spans_ += view.rows();
    if (view.rows()) {
      min_start_ = std::min(min_start_, view.min_start());
      max_start_ = std::max(max_start_, view.max_start());
    }
    if (!log_index_deferred_) index_log_block(static_cast<std::uint32_t>(count));
  }
}

inline void segment::index_log_block(std::uint32_t b) {
  const block_view& view = blocks_[b];
  std::unique_lock lock(log_index_mutex_);
  for (std::uint32_t t = 0; t < view.trace_count(); ++t) log_index_[view.trace_at(t)].push_back({b, t});
}

inline void segment::build_deferred_log_index() const {
  if (!log_index_deferred_) return;
  std::call_once(log_index_built_, [this] {
    for (std::size_t b = 0; b < blocks_.size(); ++b) const_cast<segment*>(this)->index_log_block(static_cast<std::uint32_t>(b));
  });
}

inline std::unique_ptr<segment> segment::open_sealed(const std::filesystem::path& path, bool check_now, bool tag_indexes) {
  std::unique_ptr<segment> s(new segment());
  s->use_tag_indexes_ = tag_indexes;
  s->file_ = file_handle(path, O_RDONLY);
  const std::uint64_t size = s->file_.size();
  s->map_ = mapping(s->file_, static_cast<std::size_t>(size), false);
  const std::string where = "sealed segment " + path.string();
  s->header_ = read_file_header(s->map_.data(), s->map_.size(), where);
  if (s->header_.kind != file_kind::sealed) throw error(errc::corrupt_data, where + ": header says it is a log");
  const std::uint64_t expected = file_header_size + s->header_.block_bytes + s->header_.filter_bytes +
                                 s->header_.text_index_bytes + s->header_.tag_index_bytes;
  if (size != expected)
    throw error(errc::corrupt_data, where + ": file is " + std::to_string(size) + " bytes but its header says " +
                                        std::to_string(expected) + " (truncated or extended)");
  const std::byte* block = s->map_.data() + file_header_size;
  auto bounds = block_bounds(block, static_cast<std::size_t>(s->header_.block_bytes), layout_of(s->header_.version));
  if (!bounds) throw error(errc::corrupt_data, where + ": zone map region is damaged (block sizes do not add up)");
  s->bounds_ = *bounds;
  // The zone map alone is checked now (a few hundred bytes): it gives the span count and the
  // time range that retention and the store's size need before any span is read.
  s->check_region(0, where);
  s->spans_ = load<std::uint32_t>(block);
  if (s->spans_) {
    s->min_start_ = load<std::uint64_t>(block + block_head_size);
    s->max_start_ = load<std::uint64_t>(block + block_head_size + 8);
  }
  s->used_ = s->synced_ = size;
  if (check_now) {
    s->load_filter(where);
    s->load_block(where);
  } else {
    s->deferred_ = true;
  }
  return s;
}

inline void segment::check_region(std::size_t r, const std::string& where) const {
  const std::uint32_t actual = file_crc32c(file_, 0, file_header_size + bounds_[r], bounds_[r + 1] - bounds_[r]);
  if (unmask_crc(header_.region_crcs[r]) != actual)
    throw error(errc::corrupt_data, where + ": " + region_name(static_cast<block_region>(r)) + " checksum mismatch (bytes " +
                                        std::to_string(file_header_size + bounds_[r]) + ".." +
                                        std::to_string(file_header_size + bounds_[r + 1]) + ")");
}

inline void segment::load_filter(const std::string& where) {
  if (!header_.filter_bytes) return;
  const std::uint64_t filter_at = file_header_size + header_.block_bytes;
  const std::byte* region = map_.data() + filter_at;
  filter_bytes_.assign(region, region + header_.filter_bytes);
  filter_ = trace_filter_view(filter_bytes_.data(), filter_bytes_.size(), filter_at, where);
}

inline void segment::load_block(const std::string& where) {
  const std::byte* block = map_.data() + file_header_size;
  for (std::size_t r = 1; r < block_region_count; ++r) check_region(r, where);
  add_block(block, static_cast<std::size_t>(header_.block_bytes), where);
  check_sorted_index(blocks_.front(), where);
  // A filter that passed its checksum but misses an id would hide a trace: every lookup must
  // agree with the index. The index was just read for its checksum, so this costs little.
  const block_view& b = blocks_.front();
  for (std::uint32_t t = 0; t < b.trace_count(); ++t)
    if (!filter_.may_contain(b.trace_at(t)))
      throw error(errc::corrupt_data, where + ": trace filter does not hold trace " + b.trace_at(t).to_hex() +
                                          " of the trace index (the filter is damaged)");
  if (header_.text_index_bytes) {
    // The index only narrows scans, so a damaged one costs speed, not the segment's spans.
    try {
      text_index_ = text_index_view::open(block + header_.block_bytes + header_.filter_bytes, header_.text_index_bytes,
                                          b.rows(), where);
      blocks_[0].set_text_index(&text_index_);
    } catch (const error& e) {
      text_index_problem_ = e.what();
    }
  }
  if (header_.tag_index_bytes && use_tag_indexes_) {
    // The indexes only narrow scans, so damaged ones cost speed, never the segment's spans.
    const std::uint64_t at = used_ - header_.tag_index_bytes;
    try {
      tag_index_ = tag_index_view::open(map_.data() + at, header_.tag_index_bytes, b.rows(), at, where);
      blocks_[0].set_tag_index(&tag_index_);
    } catch (const error& e) {
      tag_index_problem_ = e.what();
    }
  }
}

inline void segment::verify_filter() const {
  if (!deferred_) return;
  std::call_once(filter_checked_, [this] { const_cast<segment*>(this)->load_filter("sealed segment " + path().string()); });
}

inline void segment::verify() const {
  if (!deferred_) return;
  verify_filter();
  std::call_once(block_checked_, [this] { const_cast<segment*>(this)->load_block("sealed segment " + path().string()); });
}

inline std::vector<indexed_tag> segment::indexed_tags() const {
  verify();
  std::vector<indexed_tag> out;
  for (const auto& e : tag_index_.entries()) out.push_back(e.spec());
  return out;
}

inline std::unique_ptr<segment> segment::in_memory(std::uint64_t sequence, const std::vector<row_input>& rows,
                                                   const std::string& where) {
  std::unique_ptr<segment> s(new segment());
  s->header_.kind = file_kind::sealed;
  s->header_.sequence = sequence;
  string_table_builder strings;
  encode_block(s->memory_, rows, strings, true);
  s->add_block(reinterpret_cast<const std::byte*>(s->memory_.data()), s->memory_.size(), where);
  const block_view& b = s->blocks_.front();  // a sealed block's count and range, as open_sealed takes them
  s->spans_ = b.rows();
  if (b.rows()) {
    s->min_start_ = b.min_start();
    s->max_start_ = b.max_start();
  }
  s->used_ = s->synced_ = s->memory_.size();
  return s;
}

inline std::unique_ptr<segment> segment::create_log(const std::filesystem::path& dir, std::uint64_t sequence,
                                                    std::uint64_t capacity, std::uint64_t created_ns) {
  // Built under a temporary name and renamed, so a log file always has a valid header.
  const std::filesystem::path final_path = segment_path(dir, sequence, ".log");
  const std::filesystem::path temporary = segment_path(dir, sequence, ".log.tmp");
  {
    file_handle tmp(temporary, O_RDWR | O_CREAT | O_TRUNC);
    try {
      tmp.reserve(capacity);  // allocated, zero-filled: reads as the end of the log, never a hole to fault on
    } catch (const error&) {
      std::filesystem::remove(temporary);
      throw;
    }
    file_header header;
    header.kind = file_kind::log;
    header.sequence = sequence;
    header.created_ns = created_ns;
    std::byte bytes[file_header_size];
    write_file_header(bytes, header);
    tmp.write_all(bytes, sizeof bytes, 0);
    tmp.sync();
  }
  std::filesystem::rename(temporary, final_path);
  sync_directory(dir);
  std::vector<dropped_log_tail> none;
  return open_log(final_path, {.writable = true, .strict = true}, none);
}

inline std::uint64_t segment::replay(std::uint64_t at, const std::string& where, std::string& problem) {
  const std::byte* base = map_.data();
  const std::uint64_t size = map_.size();
  for (;;) {
    std::uint32_t length = 0;
    switch (check_record(base, at, size, length, &file_)) {
      case record_state::end: return std::min(at, size);
      case record_state::torn:
        problem = at + record_header_size > size
                      ? "record header at offset " + std::to_string(at) + " is cut short by the end of the file (torn write)"
                      : "record at offset " + std::to_string(at) + " claims " + std::to_string(length) +
                            " bytes but the file ends first (torn write)";
        return at;
      case record_state::bad_checksum: problem = "record at offset " + std::to_string(at) + " fails its checksum"; return at;
      case record_state::bad_type:
        problem = "record at offset " + std::to_string(at) + " has unknown type " +
                  std::to_string(load<std::uint8_t>(base + at + 8));
        return at;
      case record_state::valid: break;
    }
    try {
      add_block(base + at + record_header_size, length, where + " record at offset " + std::to_string(at));
    } catch (const error& e) {
      problem = e.what();
      return at;
    }
    at += align8(record_header_size + length);
  }
}

inline std::optional<dropped_log_tail> segment::find_loss(const std::string& problem) const {
  const commit_point& committed = header_.committed;
  dropped_log_tail loss{path(), used_, 0, problem};
  std::uint64_t end = std::max(used_, committed.bytes);  // the bytes not served end here
  if (!problem.empty()) {
    // Are there valid records after the bad one? Scan every 8-byte position (records are
    // aligned) of the data extents after it; holes are never touched.
    const std::byte* base = map_.data();
    const std::uint64_t size = map_.size();
    for (std::uint64_t at = used_ + 8; at + 8 <= size;) {
      if (const std::uint64_t data = file_.next_data(at, size); data > at) at = align8(static_cast<std::size_t>(data));
      const std::uint64_t hole = file_.next_hole(at, size);
      while (at + 8 <= hole) {
        std::uint32_t length = 0;
        if (plausible_record(base, at, size, layout_of(header_.version)) && check_record(base, at, size, length) == record_state::valid) {
          loss.records_after.push_back(at);
          if (length >= 4) loss.spans_after += load<std::uint32_t>(base + at + record_header_size);
          at += align8(record_header_size + length);
          end = std::max(end, std::min(at, size));
          continue;
        }
        if (load<std::uint64_t>(base + at) != 0) end = std::max(end, at + 8);
        at += 8;
      }
      at = std::max(at, hole);
    }
    end = std::max(end, std::min(used_ + 8, size));
  } else if (committed.bytes <= used_) {
    if (!header_.commit_slots_damaged) return std::nullopt;
    loss.reason = "both commit watermarks in the header fail their checksums";
    loss.damage = true;
    return loss;
  } else {
    loss.reason = "the log ends at offset " + std::to_string(used_) + " but its commit watermark says " +
                  std::to_string(committed.bytes) + " bytes were committed (cut short)";
  }
  loss.bytes = end - used_;
  loss.damage = used_ < committed.bytes || !loss.records_after.empty() || header_.commit_slots_damaged;
  // Below the watermark the count is exact: what it committed minus what was read.
  if (committed.bytes >= end && committed.spans >= spans_) loss.spans = committed.spans - spans_;
  return loss;
}

inline std::unique_ptr<segment> segment::open_log(const std::filesystem::path& path, const log_recovery& how,
                                                  std::vector<dropped_log_tail>& dropped) {
  std::unique_ptr<segment> s(new segment());
  s->file_ = file_handle(path, how.writable ? O_RDWR : O_RDONLY);
  const std::uint64_t size = s->file_.size();
  if (how.writable) s->file_.reserve(size);  // an older log may be sparse: appends must never meet a hole
  s->map_ = mapping(s->file_, static_cast<std::size_t>(size), how.writable);
  const std::string where = "log " + path.string();
  s->header_ = read_file_header(s->map_.data(), s->map_.size(), where);
  if (s->header_.kind != file_kind::log) throw error(errc::corrupt_data, where + ": header says it is sealed");
  s->log_index_deferred_ = !how.writable;

  // The end of the log is found by walking its records, never by reading the zeros after it.
  std::string problem;
  s->used_ = s->synced_ = s->replay(file_header_size, where, problem);
  std::optional<dropped_log_tail> loss = s->find_loss(problem);
  if (!loss) {
    if (how.writable)
      for (std::size_t id = 1; id < s->strings_.size(); ++id) s->builder_.intern(s->strings_[id]);
    s->builder_.take_added();
    return s;
  }
  if (how.strict || (how.writable && loss->damage && !how.repair))
    throw error(errc::corrupt_data, "log " + describe(*loss) +
                                        (loss->damage && !how.strict ? "; mmap_store::repair (tracectl repair) drops it" : ""));
  dropped.push_back(*loss);
  if (!how.writable) return s;
  // Cut and re-extend: the dropped bytes become zeros, so a later append cannot be followed
  // by stale records that happen to be valid; then the watermark is moved to what is kept.
  const std::uint64_t kept = s->used_, spans = s->spans_;
  s->map_.reset();
  s->file_.resize(kept);
  s->file_.resize(size);
  s->file_.reserve(size);
  s->file_.sync();
  if (loss->damage) {
    std::byte header[file_header_size];
    if (::pread(s->file_.fd(), header, sizeof header, 0) != static_cast<ssize_t>(sizeof header))
      throw_system_error("pread", path);
    write_commit_slot(header, {kept, spans, s->header_.committed.generation + 1}, 1 - s->header_.committed_slot);
    s->file_.write_all(header + commit_slot_offset, commit_slot_size * commit_slot_count, commit_slot_offset);
    s->file_.sync();
  }
  std::vector<dropped_log_tail> again;
  return open_log(path, {.writable = true, .strict = true}, again);
}

inline bool segment::append(const std::vector<row_input>& rows, block_encoder& encoder) {
  const std::uint32_t strings_before = builder_.next_id();
  const std::size_t length = encoder.plan(rows, builder_, false);
  if (used_ + record_header_size + length > capacity() || length > 0xffffffffu) {
    builder_.roll_back(strings_before);
    return false;
  }
  // The record is laid out in memory and written to the file with pwrite, payload first and
  // header last: a crash in between leaves a zero header, the log's clean end. Not through
  // the mapping: a write there faults in a zeroed page per 4 KiB, and each msync must then
  // write-protect the dirtied pages again (a TLB flush); pwrite fills the page cache directly.
  if (record_capacity_ < length) {
    record_capacity_ = std::max(length, 2 * record_capacity_);
    record_ = std::make_unique_for_overwrite<std::byte[]>(record_capacity_);
  }
  encoder.write(record_.get());
  std::byte header[record_header_size] = {};
  const auto length32 = static_cast<std::uint32_t>(length);
  std::memcpy(header + 4, &length32, 4);
  header[8] = static_cast<std::byte>(record_type::batch);
  const std::uint32_t crc = mask_crc(record_crc(header, record_.get(), length32));
  std::memcpy(header, &crc, 4);
  try {
    file_.write_all(record_.get(), length, used_ + record_header_size);
    file_.write_all(header, record_header_size, used_);
  } catch (...) {  // nothing was acknowledged: the block's strings must be interned again
    builder_.roll_back(strings_before);
    throw;
  }
  add_block(map_.data() + used_ + record_header_size, length,
            "log " + path().string() + " record at offset " + std::to_string(used_));
  used_ += record_header_size + length;
  return true;
}

inline void segment::sync() {
  if (used_ > synced_) map_.sync(static_cast<std::size_t>(synced_), static_cast<std::size_t>(used_ - synced_), path());
  synced_ = used_;
  if (!sealed() && header_.committed.bytes != used_) {
    // After the records it covers are durable, so that a power cut never leaves a watermark
    // over records that were not written.
    const commit_point next{used_, spans_, header_.committed.generation + 1};
    const std::size_t slot = 1 - header_.committed_slot;
    // Written with pwrite too, so that the header page is never dirtied through the mapping.
    std::byte slots[file_header_size];
    write_commit_slot(slots, next, slot);
    const std::size_t at = commit_slot_offset + commit_slot_size * slot;
    file_.write_all(slots + at, commit_slot_size, at);
    map_.sync(0, file_header_size, path());
    header_.committed = next;
    header_.committed_slot = slot;
  }
}

inline void segment::check_file_size() const {
  if (!memory_.empty()) return;
  const std::uint64_t now = file_.size();
  if (now < map_.size())
    throw error(errc::io_error, std::string(sealed() ? "sealed segment " : "log ") + path().string() + " shrank from " +
                                    std::to_string(map_.size()) + " to " + std::to_string(now) +
                                    " bytes while mapped (another process truncated it)");
}

// The text index of an encoded block, read back as a reader will see it.
inline std::string text_index_of(const std::byte* block, std::size_t size) {
  string_list strings;
  strings.push_back({});
  block_view view;
  parse_block(view, block, size, strings, "sealed block being written");
  text_index_builder text;
  for (std::uint32_t row = 0; row < view.rows(); ++row)
    text.add_texts([&view, row](const auto& f) { mmap_span(&view, row).visit_text(f); });
  return text.finish();
}

// The tag indexes of an encoded block, over its rows in their sealed order.
inline std::string tag_index_of(const std::byte* block, std::size_t size, const std::vector<indexed_tag>& tags) {
  string_list strings;
  strings.push_back({});
  block_view view;
  parse_block(view, block, size, strings, "sealed block being written");
  tag_index_builder builder(tags);
  for (std::uint32_t row = 0; row < view.rows(); ++row) builder.add(row, mmap_span(&view, row));
  return builder.finish(view.rows());
}

// Gives the sealed table's first ids to the strings named most: a ref below 64 takes one byte
// in the extras (an attribute key with its type, below 8), a name below 256 one byte in its
// column. So the texts most used by a sample of the rows' extras come first (as many as leave
// the names below 256, at least 7 and at most 63), then the rows' names; the rest follow as
// the extras name them.
inline void segment::intern_by_use(const std::vector<const segment*>& sources, string_table_builder& strings) {
  constexpr std::uint32_t sample_rows = 4096;
  std::unordered_map<std::string_view, std::uint32_t> uses;
  std::uint32_t sampled = 0;
  auto count = [&uses](std::string_view text) {
    if (!text.empty() && text.size() <= max_interned_extras_text) ++uses[text];
  };
  auto count_attribute = [&count](attribute_scope, std::string_view key, const basic_attribute_value<std::string_view>& value) {
    count(key);
    if (const auto* text = std::get_if<std::string_view>(&value)) count(*text);
    return false;
  };
  std::vector<std::vector<bool>> named(sources.size());  // by source, by string id
  std::size_t names = 0;
  for (std::size_t s = 0; s < sources.size(); ++s) {
    const segment& source = *sources[s];
    source.verify();
    for (std::size_t i = 0; i < source.blocks_.size(); ++i) {
      const block_view& b = source.blocks_[i];
      named[s].resize(b.refs().end);
      for (std::uint32_t row = 0; row < b.rows(); ++row)
        for (auto c : {packed_column::service, packed_column::name, packed_column::resource, packed_column::scope})
          named[s][b.id_column(c, row)] = true;
      for (std::uint32_t row = 0; row < b.rows() && sampled < sample_rows; ++row, ++sampled) {
        byte_reader head = b.extras_reader(row);
        count(read_extras_head(head).status_message);
        visit_every_extras_attribute(b.extras_reader(row), count_attribute);
      }
    }
    names += static_cast<std::size_t>(std::ranges::count(named[s], true));
  }
  std::vector<std::pair<std::string_view, std::uint32_t>> most(uses.begin(), uses.end());
  std::ranges::sort(most, [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  const std::size_t first = std::clamp<std::size_t>(names < 255 ? 255 - names : 0, 7, 63);
  for (std::size_t i = 0; i < most.size() && i < first; ++i) strings.intern(most[i].first);
  for (std::size_t s = 0; s < sources.size(); ++s)
    for (std::uint32_t id = 0; id < named[s].size(); ++id)
      if (named[s][id]) strings.intern(sources[s]->strings_[id]);
}

inline std::filesystem::path segment::write_sealed(const std::filesystem::path& dir,
                                                   const std::vector<const segment*>& sources,
                                                   const std::vector<indexed_tag>& tags, seal_buffers& buffers) {
  // Each row's extras are re-encoded with short strings interned into the new table (refs
  // of a sealed source resolve through its own table first), then the block is encoded.
  string_table_builder strings;
  std::string& extras = buffers.extras;
  std::vector<std::size_t>& extras_ends = buffers.extras_ends;
  std::vector<row_input>& rows = buffers.rows;
  extras.clear();
  extras_ends.clear();
  rows.clear();
  // Room for all of it at once: growing by doubling copies the bytes and faults in pages again.
  std::uint64_t source_bytes = 0, source_rows = 0;
  for (const segment* source : sources) {
    source_bytes += source->used_bytes();
    source_rows += source->span_count();
  }
  rows.reserve(static_cast<std::size_t>(source_rows));
  extras_ends.reserve(static_cast<std::size_t>(source_rows));
  intern_by_use(sources, strings);  // verifies the sources too
  for (const segment* source : sources) {
    for (std::size_t i = 0; i < source->blocks_.size(); ++i) {
      const block_view& b = source->blocks_[i];
      for (std::uint32_t row = 0; row < b.rows(); ++row) {
        byte_reader in = b.extras_reader(row);
        byte_writer out(extras, &strings);
        try {
          transcode_extras(in, out);
        } catch (const error& e) {
          throw error(e.code(), source->path().string() + " block " + std::to_string(i) + " row " + std::to_string(row) +
                                    ": " + e.what());
        }
        extras_ends.push_back(extras.size());
        rows.push_back({b.trace_of_row(row), b.id_at(row), b.parent_at(row), b.start_at(row), b.duration_at(row),
                        b.service_at_row(row), b.name_at(row), b.resource_at(row), b.scope_at(row), {},
                        b.status_at(row), b.kind_at(row)});
      }
    }
  }
  std::size_t begin = 0;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    rows[r].extras = std::string_view(extras).substr(begin, extras_ends[r] - begin);
    begin = extras_ends[r];
  }
  const segment& first = *sources.front();
  std::string& bytes = buffers.file;
  bytes.clear();
  bytes.reserve(static_cast<std::size_t>(source_bytes + source_bytes / 4));  // the block, its filter and indexes
  bytes.resize(file_header_size);
  region_bounds bounds = encode_block(bytes, rows, strings, true, buffers.encoder);
  file_header header;
  header.kind = file_kind::sealed;
  header.sequence = first.sequence();
  header.created_ns = first.created_ns();
  header.covers_through = sources.size() > 1 ? sources.back()->covers_through() : 0;
  header.block_bytes = bytes.size() - file_header_size;
  for (std::size_t r = 0; r < block_region_count; ++r) {
    const auto* block = reinterpret_cast<const std::byte*>(bytes.data()) + file_header_size;
    header.region_crcs[r] = mask_crc(crc32c(block + bounds[r], bounds[r + 1] - bounds[r]));
  }
  // The text index, over the block's rows in their sealed order; it goes after the filter.
  std::string text = text_index_of(reinterpret_cast<const std::byte*>(bytes.data()) + file_header_size,
                                   static_cast<std::size_t>(header.block_bytes));
  // The trace filter over the sorted index just written (its entries start with the id).
  const std::size_t index_at = file_header_size + bounds[static_cast<std::size_t>(block_region::trace_index)];
  const std::uint64_t traces = load<std::uint32_t>(reinterpret_cast<const std::byte*>(bytes.data()) + file_header_size + 4);
  const std::size_t block_end = bytes.size();
  encode_trace_filter(bytes, traces, [&bytes, index_at](std::uint64_t t) {
    const auto* entry = reinterpret_cast<const std::byte*>(bytes.data()) + index_at + t * trace_entry_size;
    return trace_id(load<std::uint64_t>(entry), load<std::uint64_t>(entry + 8));
  });
  header.filter_bytes = static_cast<std::uint32_t>(bytes.size() - block_end);
  if (text.size() <= 0xffffffffu) {
    header.text_index_bytes = static_cast<std::uint32_t>(text.size());
    bytes += text;
  }
  // The tag indexes follow the text index.
  if (!tags.empty()) {
    const std::string index = tag_index_of(reinterpret_cast<const std::byte*>(bytes.data()) + file_header_size,
                                           static_cast<std::size_t>(header.block_bytes), tags);
    if (index.size() <= 0xffffffffu && bytes.size() + index.size() <= max_segment_bytes) {  // else: no index, queries scan
      header.tag_index_bytes = static_cast<std::uint32_t>(index.size());
      bytes += index;
    }
  }
  write_file_header(reinterpret_cast<std::byte*>(bytes.data()), header);

  const std::filesystem::path final_path = segment_path(dir, first.sequence(), ".seg");
  write_file_durably(segment_path(dir, first.sequence(), ".seg.tmp"), final_path, bytes.data(), bytes.size());
  return final_path;
}

template <class F>
void segment::for_each_run(const trace_id& id, std::size_t block_limit, F&& f) const {
  if (sealed()) {
    const block_view& b = blocks().front();
    std::uint32_t ordinal = b.find_sorted(id);
    if (ordinal < b.trace_count()) f(b, b.trace_first_row(ordinal), b.trace_row_count(ordinal));
    return;
  }
  build_deferred_log_index();
  std::shared_lock lock(log_index_mutex_);
  auto found = log_index_.find(id);
  if (found == log_index_.end()) return;
  for (const trace_run& run : found->second) {
    if (run.block >= block_limit) break;  // runs are in block order
    const block_view& b = blocks_[run.block];
    f(b, b.trace_first_row(run.ordinal), b.trace_row_count(run.ordinal));
  }
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
