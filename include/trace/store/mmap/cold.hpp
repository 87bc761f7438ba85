#pragma once
// The cold tier of the mmap store (Tael's hot and cold tiers): sealed segments older than a
// set age move into Parquet files of the store's `cold/` folder, one row per span in the
// layout of trace/io/parquet (analytics engines read them as they are). A file is named
//
//   cold/<first sequence>-<last sequence>-<crc32c>.parquet   (16, 16 digits, 8 hex digits)
//
// after the segments it replaces and the CRC-32C of all its bytes, checked when the store
// opens it: Parquet itself has no checksum, and a damaged file must be refused, not read
// wrong. Rows keep the sealed segment's order (grouped by trace, traces by id), so the
// trace-id statistics of the row groups bound disjoint ranges and a lookup reads at most
// one row group per file. Reads decode row groups into in-memory sealed segments, kept while
// the file is (by the store, or by a view after the file was dropped): spans read from the
// store stay valid as long as the store, whichever tier they come from. docs/FORMAT.md,
// "Cold tier".

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/io/parquet/reader.hpp"
#include "trace/io/parquet/writer.hpp"
#include "trace/store/mmap/crc32c.hpp"
#include "trace/store/mmap/encoded_rows.hpp"
#include "trace/store/mmap/file.hpp"
#include "trace/store/mmap/segment.hpp"
#include "trace/store/mmap/span_view.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

inline constexpr std::string_view cold_folder = "cold";

// What a cold file's name says.
struct cold_name {
  std::uint64_t first = 0, last = 0;  // the sequences of the segments it replaces
  std::uint32_t crc = 0;              // CRC-32C of the whole file
};

inline std::string cold_file_name(const cold_name& n) {
  char name[64];
  std::snprintf(name, sizeof name, "%016llu-%016llu-%08x.parquet", static_cast<unsigned long long>(n.first),
                static_cast<unsigned long long>(n.last), static_cast<unsigned>(n.crc));
  return name;
}

// nullopt for any other name (leftovers and foreign files are told apart by the caller).
inline std::optional<cold_name> parse_cold_name(std::string_view name) {
  if (name.size() != 16 + 1 + 16 + 1 + 8 + 8 || name[16] != '-' || name[33] != '-' || !name.ends_with(".parquet"))
    return std::nullopt;
  cold_name n;
  auto number = [&name](std::size_t at, std::size_t length, int base, auto& out) {
    const char* end = name.data() + at + length;
    auto [ptr, ec] = std::from_chars(name.data() + at, end, out, base);
    return ec == std::errc() && ptr == end;
  };
  if (!number(0, 16, 10, n.first) || !number(17, 16, 10, n.last) || !number(34, 8, 16, n.crc) || n.last < n.first)
    return std::nullopt;
  return n;
}

// A row group's bounds, from its column statistics (absent statistics bound nothing).
struct cold_row_group {
  std::uint64_t rows = 0;
  timestamp_ns min_start = 0, max_start = std::numeric_limits<timestamp_ns>::max();
  trace_id min_trace{0, 0}, max_trace{~std::uint64_t{0}, ~std::uint64_t{0}};
  std::optional<std::string> min_service, max_service;

  bool may_hold(const trace_id& id) const noexcept { return !(id < min_trace) && !(max_trace < id); }
  // False only when no span of the group starts in [begin, end) (of `service`, when not empty).
  bool may_match(timestamp_ns begin, timestamp_ns end, std::string_view service) const noexcept {
    if (max_start < begin || min_start >= end) return false;
    if (service.empty() || !min_service || !max_service) return true;
    return !(service < *min_service) && !(*max_service < service);
  }
};

class cold_file {
 public:
  // Maps the file, checks its bytes against the checksum its name gives and reads its
  // footer; throws `error(errc::corrupt_data)` naming the file and what is wrong.
  static std::shared_ptr<const cold_file> open(const std::filesystem::path& path, const cold_name& name);

  const std::filesystem::path& path() const noexcept { return file_.path(); }
  std::uint64_t first() const noexcept { return name_.first; }
  std::uint64_t last() const noexcept { return name_.last; }
  std::uint64_t span_count() const noexcept { return reader_->row_count(); }
  std::uint64_t bytes() const noexcept { return map_->size(); }
  timestamp_ns min_start() const noexcept { return min_start_; }
  timestamp_ns max_start() const noexcept { return max_start_; }
  const std::vector<cold_row_group>& row_groups() const noexcept { return groups_; }

  // Row group `g` as a sealed segment in memory, decoded at its first use and kept with the
  // file. Throws `error(errc::corrupt_data)` when its pages do not decode.
  std::shared_ptr<const segment> thaw(std::size_t g) const;

 private:
  cold_file() = default;
  void check_file_size() const;

  cold_name name_;
  file_handle file_;
  std::shared_ptr<const mapping> map_;
  std::optional<parquet::reader> reader_;
  std::vector<cold_row_group> groups_;
  timestamp_ns min_start_ = 0, max_start_ = 0;
  mutable std::mutex thawed_mutex_;
  mutable std::vector<std::shared_ptr<const segment>> thawed_;
};

namespace cold_detail {
inline std::uint64_t big_endian(std::string_view bytes) {
  std::uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}
inline std::int64_t little_endian_int(std::string_view bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = bytes.size(); i-- > 0;) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return static_cast<std::int64_t>(v);
}
}  // namespace cold_detail

inline std::shared_ptr<const cold_file> cold_file::open(const std::filesystem::path& path, const cold_name& name) {
  std::shared_ptr<cold_file> f(new cold_file());
  f->name_ = name;
  f->file_ = file_handle(path, O_RDONLY);
  const std::uint64_t size = f->file_.size();
  const std::string where = "cold file " + path.string();
  if (size < 12) throw error(errc::corrupt_data, where + ": " + std::to_string(size) + " bytes cannot hold a Parquet file");
  f->map_ = std::make_shared<const mapping>(f->file_, static_cast<std::size_t>(size), false);
  const std::string_view bytes(reinterpret_cast<const char*>(f->map_->data()), f->map_->size());
  if (const std::uint32_t actual = crc32c(bytes); actual != name.crc) {
    char found[16];
    std::snprintf(found, sizeof found, "%08x", static_cast<unsigned>(actual));
    throw error(errc::corrupt_data, where + ": checksum mismatch (the bytes give crc32c " + found +
                                        ", the name says " + cold_file_name(name).substr(34, 8) + "): the file is damaged");
  }
  try {
    f->reader_.emplace(bytes, f->map_);
  } catch (const error& e) {
    throw error(errc::corrupt_data, where + ": " + e.what());
  }
  const auto& layout = f->reader_->layout();
  const auto column = [&layout](const char* path) { return layout.leaf_index.at(path); };
  const std::size_t trace_column = column("trace_id"), start_column = column("start_time"),
                    service_column = column("service_name");
  f->min_start_ = std::numeric_limits<timestamp_ns>::max();
  for (const auto& group : f->reader_->metadata().row_groups) {
    cold_row_group g;
    g.rows = static_cast<std::uint64_t>(group.num_rows);
    const auto& start = group.columns[start_column].stats;
    if (start.min_value && start.max_value && start.min_value->size() == 8 && start.max_value->size() == 8) {
      g.min_start = static_cast<timestamp_ns>(cold_detail::little_endian_int(*start.min_value));
      g.max_start = static_cast<timestamp_ns>(cold_detail::little_endian_int(*start.max_value));
    }
    const auto& trace = group.columns[trace_column].stats;
    if (trace.min_value && trace.max_value && trace.min_value->size() == 16 && trace.max_value->size() == 16) {
      g.min_trace = trace_id(cold_detail::big_endian(trace.min_value->substr(0, 8)), cold_detail::big_endian(trace.min_value->substr(8)));
      g.max_trace = trace_id(cold_detail::big_endian(trace.max_value->substr(0, 8)), cold_detail::big_endian(trace.max_value->substr(8)));
    }
    const auto& service = group.columns[service_column].stats;
    g.min_service = service.min_value, g.max_service = service.max_value;
    if (g.rows) {
      f->min_start_ = std::min(f->min_start_, g.min_start);
      f->max_start_ = std::max(f->max_start_, g.max_start);
    }
    f->groups_.push_back(std::move(g));
  }
  if (f->min_start_ == std::numeric_limits<timestamp_ns>::max()) f->min_start_ = 0;
  f->thawed_.resize(f->groups_.size());
  return f;
}

inline void cold_file::check_file_size() const {
  if (const std::uint64_t now = file_.size(); now < map_->size())
    throw error(errc::io_error, "cold file " + path().string() + " shrank from " + std::to_string(map_->size()) + " to " +
                                    std::to_string(now) + " bytes while mapped (another process truncated it)");
}

inline std::shared_ptr<const segment> cold_file::thaw(std::size_t g) const {
  std::lock_guard lock(thawed_mutex_);
  if (thawed_[g]) return thawed_[g];
  check_file_size();
  const std::string where = "cold file " + path().string() + " row group " + std::to_string(g);
  std::vector<span> spans;
  try {
    spans = reader_->read_row_group(g);
  } catch (const error& e) {
    throw error(errc::corrupt_data, where + ": " + e.what());
  }
  if (spans.size() != groups_[g].rows)
    throw error(errc::corrupt_data, where + ": holds " + std::to_string(spans.size()) + " spans, its metadata says " +
                                        std::to_string(groups_[g].rows));
  encoded_rows rows;
  rows.encode(spans);
  std::shared_ptr<const segment> s = segment::in_memory(name_.first, rows.rows(), where);
  thawed_[g] = s;
  return s;
}

// Writes the spans of the sealed segment `s` as a cold file in `dir` (the `cold/` folder,
// created when missing): the bytes go to `<name>.tmp`, which is synced, then renamed, and
// the folder synced, so that the final name only ever shows a complete, durable file.
// Returns its path.
inline std::filesystem::path write_cold_file(const std::filesystem::path& dir, const segment& s, std::size_t row_group_rows) {
  std::ostringstream out;
  parquet::writer w(out, {.row_group_rows = row_group_rows, .codec = parquet::compression::snappy});
  for (std::size_t b = 0; b < s.blocks().size(); ++b) {
    const block_view& block = s.blocks()[b];
    for (std::uint32_t row = 0; row < block.rows(); ++row) w.write(mmap_span(&block, row).materialize());
  }
  w.close();
  const std::string bytes = std::move(out).str();
  std::filesystem::create_directories(dir);
  const std::filesystem::path final_path = dir / cold_file_name({s.sequence(), s.covers_through(), crc32c(bytes)});
  std::filesystem::path temporary = final_path;
  temporary += ".tmp";
  {
    file_handle tmp(temporary, O_RDWR | O_CREAT | O_TRUNC);
    tmp.write_all(bytes.data(), bytes.size(), 0);
    tmp.sync();
  }
  std::filesystem::rename(temporary, final_path);
  sync_directory(dir);
  return final_path;
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
