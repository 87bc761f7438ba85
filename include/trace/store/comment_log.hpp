#pragma once
// Comments on traces (and optionally on one span of a trace): who, when, what; added,
// edited and removed (a removal keeps a tombstone). Kept durably in the store's directory
// as `comments.log`, a log with the mmap store's record rules (docs/COMMENTS.md): each
// change is one checksummed record, written and flushed to stable storage (fdatasync) before
// the call returns, so an acknowledged change survives a crash and a change torn by one is
// dropped whole. With no path the log lives in memory (beside a memory_store).
//
//   trace::comment_log comments(store_dir / "comments.log");
//   auto id = comments.add(trace, "ana", "card declined at the issuer, see INC-42");
//   for (const trace::comment& c : comments.of_trace(trace)) ...
//
// One writer per file (an advisory flock; a second gets `errc::io_error`); a read-only
// log takes no lock and sees the changes made before it opened.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/ids.hpp"
#include "trace/core/time.hpp"
#include "trace/store/mmap/codec.hpp"
#include "trace/store/record_file.hpp"

namespace trace {
inline namespace v0 {

struct comment {
  std::uint64_t id = 0;  // 1, 2, ... in order of adding
  trace_id trace{};
  span_id span{};  // invalid (zero): on the trace as a whole
  std::string author{};
  std::string text{};
  timestamp_ns created = 0, edited = 0;  // edited: 0 when never edited
  bool removed = false;                  // a tombstone: `text` is the last text it had
  timestamp_ns removed_at = 0;
  std::string removed_by{};
  friend bool operator==(const comment&, const comment&) = default;
};

class comment_log {
 public:
  enum class mode : std::uint8_t { read_write, read_only };
  static constexpr std::size_t max_text_bytes = 64 << 10;  // a comment, not an attachment

  // In memory only.
  comment_log() = default;
  // Opens (creating when missing, read_write) the log at `path` and replays it. A torn last
  // record (a crash during a change) is dropped, and cut off by a writer; a bad record
  // followed by a valid one is damage: `errc::corrupt_data` naming the file and offset.
  explicit comment_log(const std::filesystem::path& path, mode how = mode::read_write)
      : how_(how), file_(path, file_kind, how == mode::read_write, [this](std::string_view payload) { return apply(payload); }) {}

  // Each returns when the change is on stable storage (file-backed logs).
  std::uint64_t add(const trace_id& trace, std::string_view author, std::string_view text, span_id span = {},
                    timestamp_ns now = now_ns()) {
    comment c;
    c.id = next_id_;
    c.trace = trace;
    c.span = span;
    c.author = std::string(author);
    c.text = std::string(text);
    c.created = now;
    write(change::add, c);
    return c.id;
  }
  void edit(std::uint64_t id, std::string_view text, timestamp_ns now = now_ns()) {
    comment c = existing(id, "edit");
    c.text = std::string(text);
    c.edited = now;
    write(change::edit, c);
  }
  void remove(std::uint64_t id, std::string_view by, timestamp_ns now = now_ns()) {
    comment c = existing(id, "remove");
    c.removed_at = now;
    c.removed_by = std::string(by);
    write(change::remove, c);
  }

  std::optional<comment> find(std::uint64_t id) const {
    auto found = comments_.find(id);
    if (found == comments_.end()) return std::nullopt;
    return found->second;
  }
  // The comments of a trace in order of adding; tombstones only when asked for.
  std::vector<comment> of_trace(const trace_id& trace, bool with_removed = false) const {
    std::vector<comment> out;
    for (const auto& [id, c] : comments_)
      if (c.trace == trace && (with_removed || !c.removed)) out.push_back(c);
    return out;
  }
  std::size_t size() const noexcept { return comments_.size(); }  // tombstones included
  // Whether the last open dropped a torn record, and where it began.
  std::optional<std::uint64_t> dropped_tail() const noexcept { return file_.dropped_tail(); }

 private:
  enum class change : std::uint8_t { add = 1, edit = 2, remove = 3 };
  static constexpr detail::record_file_kind file_kind{"TRACECMT", 1, 16, "comment log"};

  static timestamp_ns now_ns() {
    return static_cast<timestamp_ns>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  }

  comment existing(std::uint64_t id, const char* what) const {
    auto found = comments_.find(id);
    if (found == comments_.end()) throw error(errc::invalid_argument, std::string("cannot ") + what + " comment " + std::to_string(id) + ": there is no such comment");
    if (found->second.removed)
      throw error(errc::invalid_argument, std::string("cannot ") + what + " comment " + std::to_string(id) + ": it was removed");
    return found->second;
  }

  static std::string encode(change kind, const comment& c) {
    std::string payload;
    detail::byte_writer w(payload);
    w.fixed(static_cast<std::uint8_t>(kind));
    w.varint(c.id);
    w.fixed(c.trace.high());
    w.fixed(c.trace.low());
    w.fixed(c.span.value());
    const timestamp_ns when = kind == change::add ? c.created : kind == change::edit ? c.edited : c.removed_at;
    w.fixed(when);
    w.text(kind == change::remove ? c.removed_by : c.author);
    w.text(kind == change::remove ? std::string_view() : std::string_view(c.text));
    return payload;
  }

  // Applies a decoded record; false when it does not fit the state (a removed or unknown id).
  bool apply(std::string_view payload) {
    detail::byte_reader r(payload, "comment record");
    const auto kind = static_cast<change>(r.fixed<std::uint8_t>());
    comment c;
    c.id = r.varint();
    const auto high = r.fixed<std::uint64_t>();
    const auto low = r.fixed<std::uint64_t>();
    c.trace = trace_id(high, low);
    c.span = span_id(r.fixed<std::uint64_t>());
    const auto when = r.fixed<std::uint64_t>();
    const std::string who(r.text()), text(r.text());
    if (!r.at_end()) r.fail("bytes after the comment");
    auto found = comments_.find(c.id);
    switch (kind) {
      case change::add:
        if (found != comments_.end() || c.id != next_id_) return false;
        c.author = who;
        c.text = text;
        c.created = when;
        comments_.emplace(c.id, c);
        ++next_id_;
        return true;
      case change::edit:
        if (found == comments_.end() || found->second.removed) return false;
        found->second.text = text;
        found->second.edited = when;
        return true;
      case change::remove:
        if (found == comments_.end() || found->second.removed) return false;
        found->second.removed = true;
        found->second.removed_at = when;
        found->second.removed_by = who;
        return true;
    }
    return false;
  }

  void write(change kind, const comment& c) {
    if (how_ == mode::read_only) throw error(errc::invalid_argument, "comment log " + file_.path().string() + " is open read-only");
    if (c.text.size() > max_text_bytes || c.author.size() > max_text_bytes || c.removed_by.size() > max_text_bytes)
      throw error(errc::invalid_argument, "a comment's text and author are at most " + std::to_string(max_text_bytes) + " bytes");
    const std::string payload = encode(kind, c);
    if (file_.is_open()) file_.append(payload);
    if (!apply(payload)) throw error(errc::invalid_argument, "comment " + std::to_string(c.id) + ": change does not apply");
  }

  mode how_ = mode::read_write;
  std::map<std::uint64_t, comment> comments_;  // before file_: replaying the file fills it
  std::uint64_t next_id_ = 1;
  detail::record_file file_;
};

}  // namespace v0
}  // namespace trace
