#pragma once
// Comments on traces (docs/COMMENTS.md) for the ClickHouse backend: the same operations and
// rules as `comment_log` (add, edit, remove leaving a tombstone; numbers 1, 2, ...), kept in
// a table beside the span table, `<table>_comments`, one row per change, as comments.log
// keeps one record per change:
//
//   trace::clickhouse_comments comments(store);   // a clickhouse_store
//   comments.create_schema();
//   auto id = comments.add(trace, "ana", "card declined at the issuer, INC-42");
//   for (const trace::comment& c : comments.of_trace(trace)) ...
//
// Rows: Id (the comment's number), Version (0 for the add, then 1, 2, ... per change),
// Change (1 add, 2 edit, 3 remove), TraceId (32 hex digits), SpanId (0: the whole trace),
// Time (ns), Who (the author, or who removed it), Text (empty for a removal). Strings go in
// and out hex-encoded, so any bytes survive. A change is acknowledged when its INSERT is.
// One writer: numbers come from the largest one stored, so two writers could pick the same.
// With a cluster the table is a plain one on the server the store talks to.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/ids.hpp"
#include "trace/core/time.hpp"
#include "trace/store/clickhouse.hpp"
#include "trace/store/comment_log.hpp"  // comment

namespace trace {
inline namespace v0 {

class clickhouse_comments {
 public:
  explicit clickhouse_comments(const clickhouse_store& store)
      : store_(store),
        table_(clickhouse::quote_identifier(store.options().database) + "." +
               clickhouse::quote_identifier(store.options().table + "_comments")) {}

  void create_schema() const {
    store_.execute("CREATE TABLE IF NOT EXISTS " + table_ +
                   " (Id UInt64, Version UInt32, Change UInt8, TraceId String, SpanId UInt64, Time UInt64, Who String,"
                   " Text String) ENGINE = MergeTree ORDER BY (TraceId, Id, Version)");
  }
  void drop_schema() const { store_.execute("DROP TABLE IF EXISTS " + table_); }

  std::uint64_t add(const trace_id& trace, std::string_view author, std::string_view text, span_id span = {},
                    timestamp_ns now = now_ns()) const {
    check_sizes(author, text);
    const std::uint64_t id = number_of(store_.execute("SELECT max(Id) FROM " + table_ + " FORMAT TabSeparated")) + 1;
    insert(id, 0, change::add, trace, span, now, author, text);
    return id;
  }
  void edit(std::uint64_t id, std::string_view text, timestamp_ns now = now_ns()) const {
    check_sizes({}, text);
    const auto [c, version] = existing(id, "edit");
    insert(id, version, change::edit, c.trace, c.span, now, c.author, text);
  }
  void remove(std::uint64_t id, std::string_view by, timestamp_ns now = now_ns()) const {
    check_sizes(by, {});
    const auto [c, version] = existing(id, "remove");
    insert(id, version, change::remove, c.trace, c.span, now, by, {});
  }

  std::optional<comment> find(std::uint64_t id) const {
    auto found = read("Id = " + std::to_string(id));
    if (found.empty()) return std::nullopt;
    return found.front().first;
  }
  // The comments of a trace in order of adding; tombstones only when asked for.
  std::vector<comment> of_trace(const trace_id& trace, bool with_removed = false) const {
    std::vector<comment> out;
    for (auto& [c, version] : read("TraceId = " + clickhouse::quote(trace.to_hex())))
      if (with_removed || !c.removed) out.push_back(std::move(c));
    return out;
  }

 private:
  enum class change : std::uint8_t { add = 1, edit = 2, remove = 3 };

  static void check_sizes(std::string_view who, std::string_view text) {
    if (who.size() > comment_log::max_text_bytes || text.size() > comment_log::max_text_bytes)
      throw error(errc::invalid_argument, "a comment's text and author are at most " + std::to_string(comment_log::max_text_bytes) + " bytes");
  }

  static std::string hex(std::string_view bytes) {
    constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) out += digits[b >> 4], out += digits[b & 15];
    return out;
  }
  static std::string unhex(std::string_view text) {
    auto nibble = [&](char c) -> unsigned {
      if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
      if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
      throw error(errc::corrupt_data, "comments table: a hex string has '" + std::string(1, c) + "'");
    };
    if (text.size() % 2) throw error(errc::corrupt_data, "comments table: a hex string of odd length");
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += 2) out += static_cast<char>(nibble(text[i]) << 4 | nibble(text[i + 1]));
    return out;
  }
  static std::uint64_t number_of(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    std::uint64_t n = 0;
    if (text.empty()) throw error(errc::corrupt_data, "comments table: an empty number");
    for (char c : text) {
      if (c < '0' || c > '9') throw error(errc::corrupt_data, "comments table: \"" + std::string(text) + "\" is not a number");
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
  }

  void insert(std::uint64_t id, std::uint32_t version, change kind, const trace_id& trace, span_id span, timestamp_ns when,
              std::string_view who, std::string_view text) const {
    store_.execute("INSERT INTO " + table_ + " SELECT " + std::to_string(id) + ", " + std::to_string(version) + ", " +
                   std::to_string(static_cast<unsigned>(kind)) + ", " + clickhouse::quote(trace.to_hex()) + ", " +
                   std::to_string(span.value()) + ", " + std::to_string(when) + ", unhex(" + clickhouse::quote(hex(who)) +
                   "), unhex(" + clickhouse::quote(hex(text)) + ")");
  }

  // The comment `id` as it stands, and the version its next change gets.
  std::pair<comment, std::uint32_t> existing(std::uint64_t id, const char* what) const {
    auto found = read("Id = " + std::to_string(id));
    if (found.empty()) throw error(errc::invalid_argument, std::string("cannot ") + what + " comment " + std::to_string(id) + ": there is no such comment");
    if (found.front().first.removed)
      throw error(errc::invalid_argument, std::string("cannot ") + what + " comment " + std::to_string(id) + ": it was removed");
    return found.front();
  }

  // The comments whose rows match `where`, each replayed from its changes in order, with
  // the version its next change gets.
  std::vector<std::pair<comment, std::uint32_t>> read(const std::string& where) const {
    const std::string rows = store_.execute("SELECT Id, Version, Change, TraceId, SpanId, Time, hex(Who), hex(Text) FROM " + table_ +
                                            " WHERE " + where + " ORDER BY Id, Version FORMAT TabSeparated");
    std::vector<std::pair<comment, std::uint32_t>> out;
    std::size_t at = 0;
    while (at < rows.size()) {
      const std::size_t end = std::min(rows.find('\n', at), rows.size());
      std::vector<std::string_view> f;
      for (std::size_t from = at; from <= end;) {
        const std::size_t tab = std::min(rows.find('\t', from), end);
        f.push_back(std::string_view(rows).substr(from, tab - from));
        from = tab + 1;
      }
      at = end + 1;
      if (f.size() != 8) throw error(errc::corrupt_data, "comments table: a row of " + std::to_string(f.size()) + " fields, not 8");
      const std::uint64_t change_number = number_of(f[2]);
      if (change_number < 1 || change_number > 3)
        throw error(errc::corrupt_data, "comments table: comment " + std::string(f[0]) + " has change " + std::string(f[2]));
      const auto kind = static_cast<change>(change_number);
      const timestamp_ns when = number_of(f[5]);
      std::string who = unhex(f[6]), text = unhex(f[7]);
      if (kind == change::add) {
        comment c;
        c.id = number_of(f[0]);
        const auto trace = trace_id::from_hex(f[3]);
        if (!trace) throw error(errc::corrupt_data, "comments table: comment " + std::string(f[0]) + " has trace id \"" + std::string(f[3]) + "\"");
        c.trace = *trace;
        c.span = span_id(number_of(f[4]));
        c.author = std::move(who);
        c.text = std::move(text);
        c.created = when;
        out.emplace_back(std::move(c), 1);
        continue;
      }
      if (out.empty() || out.back().first.id != number_of(f[0]) || out.back().first.removed)
        throw error(errc::corrupt_data, "comments table: a change to comment " + std::string(f[0]) + " without its live comment");
      comment& c = out.back().first;
      ++out.back().second;
      if (kind == change::edit) {
        c.text = std::move(text);
        c.edited = when;
      } else {
        c.removed = true;
        c.removed_at = when;
        c.removed_by = std::move(who);
      }
    }
    return out;
  }

  const clickhouse_store& store_;
  std::string table_;
};

}  // namespace v0
}  // namespace trace
