#pragma once
// The text index of a sealed segment (docs/FORMAT.md, "Text index"): for each token of the
// segment's span text (query/text_tokens.hpp), the groups of `text_index_group_rows`
// consecutive rows where it occurs. A query reads the groups its words name and tests only
// their rows (text_query::candidate_groups), so the index narrows a scan and never decides an
// answer alone. Written when a segment is sealed or compacted; a segment without one (written
// before it existed, or whose index fails its checks) is answered by scanning.
//
// Region: masked CRC-32C of the bytes after it u32 | version u32 | rows u32 | group rows u32 |
//         term count u32 | restart count u32 | entries bytes u32 | zero u32 |
//         restart offsets u32 × restart count | entries.
// Entry:  varint shared prefix length | varint suffix length | suffix | varint form |
//         postings. Terms are sorted bytewise; every `text_index_restart`-th term shares
//         nothing (a restart), so a lookup binary-searches the restarts and reads at most one
//         run. Form = count << 1 | bitmap: a bitmap is ceil(groups / 8) bytes, bit g of byte
//         g / 8 for group g; otherwise varint byte length, then `count` ascending groups as
//         varint deltas (the first from 0).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/query/text_query.hpp"
#include "trace/store/mmap/codec.hpp"
#include "trace/store/mmap/crc32c.hpp"
#include "trace/store/mmap/strings.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

inline constexpr std::uint32_t text_index_version = 1;
inline constexpr std::uint32_t text_index_group_rows = 16;
inline constexpr std::size_t text_index_max_term = 32;  // longer tokens are indexed by their first 32 bytes
inline constexpr std::uint32_t text_index_restart = 16;
inline constexpr std::size_t text_index_head = 32;

// The form of a token a text index holds.
inline std::string_view indexed_term(std::string_view token) noexcept { return token.substr(0, text_index_max_term); }

// Collects the tokens of rows added in order, then encodes the region.
class text_index_builder {
 public:
  template <span_like S>
  void add(const S& s) {
    const std::uint32_t group = rows_++ / text_index_group_rows;
    visit_span_text(s, [&](std::string_view field) { add_group(tokenize(field), group); });
  }
  // Adds a row whose texts `visit(f)` passes to f one by one: those visit_span_text gives,
  // in any order (a writer that knows its rows' layout reads them in fewer passes). The texts
  // are views into bytes that repeat a text at the same address (a sealed block's string
  // table), so a short one's lists are remembered by address.
  template <class Visit>
  void add_texts(Visit&& visit) {
    const std::uint32_t group = rows_++ / text_index_group_rows;
    visit([&](std::string_view field) {
      add_group(field.size() <= max_cached_field ? remembered(field) : tokenize(field), group);
    });
  }

  std::uint32_t rows() const noexcept { return rows_; }

  std::string finish() const {
    std::vector<const std::pair<const std::string, std::vector<std::uint32_t>>*> terms;
    terms.reserve(postings_.size());
    for (const auto& entry : postings_) terms.push_back(&entry);
    std::ranges::sort(terms, {}, [](const auto* e) { return std::string_view(e->first); });
    const std::uint32_t groups = (rows_ + text_index_group_rows - 1) / text_index_group_rows;
    std::string entries, deltas;
    std::vector<std::uint32_t> restarts;
    byte_writer w(entries);
    std::string_view previous;
    for (std::size_t i = 0; i < terms.size(); ++i) {
      const std::string_view term = terms[i]->first;
      std::size_t shared = 0;
      if (i % text_index_restart == 0) restarts.push_back(static_cast<std::uint32_t>(entries.size()));
      else
        while (shared < previous.size() && shared < term.size() && previous[shared] == term[shared]) ++shared;
      w.varint(shared);
      w.varint(term.size() - shared);
      entries.append(term.substr(shared));
      const std::vector<std::uint32_t>& list = terms[i]->second;
      deltas.clear();
      byte_writer d(deltas);
      for (std::size_t k = 0; k < list.size(); ++k) d.varint(list[k] - (k ? list[k - 1] : 0));
      const std::size_t bitmap = (groups + 7) / 8;
      if (bitmap < deltas.size()) {
        w.varint(std::uint64_t{list.size()} << 1 | 1);
        std::string bits(bitmap, '\0');
        for (std::uint32_t g : list) bits[g / 8] = static_cast<char>(bits[g / 8] | (1 << (g % 8)));
        entries.append(bits);
      } else {
        w.varint(std::uint64_t{list.size()} << 1);
        w.varint(deltas.size());
        entries.append(deltas);
      }
      previous = term;
    }
    std::string out;
    byte_writer head(out);
    for (std::uint32_t v : {0u, text_index_version, rows_, text_index_group_rows, static_cast<std::uint32_t>(terms.size()),
                            static_cast<std::uint32_t>(restarts.size()), static_cast<std::uint32_t>(entries.size()), 0u})
      head.fixed(v);
    for (std::uint32_t r : restarts) head.fixed(r);
    out += entries;
    const std::uint32_t crc = mask_crc(crc32c(out.data() + 4, out.size() - 4));
    std::memcpy(out.data(), &crc, 4);
    return out;
  }

 private:
  using posting_refs = std::vector<std::vector<std::uint32_t>*>;
  struct field_tokens {
    std::string text;
    posting_refs postings;
  };

  static void add_group(const posting_refs& lists, std::uint32_t group) {
    for (std::vector<std::uint32_t>* groups : lists)  // a token twice in a field: the group is added once
      if (groups->empty() || groups->back() != group) groups->push_back(group);
  }
  // The posting lists of a field's tokens (valid until the next call).
  const posting_refs& tokenize(std::string_view field) {
    once_.clear();
    for_each_text_token(field, [&](std::string_view token) {
      const std::string_view term = indexed_term(token);
      auto at = postings_.find(term);
      if (at == postings_.end()) at = postings_.emplace(std::string(term), std::vector<std::uint32_t>{}).first;
      once_.push_back(&at->second);
    });
    return once_;
  }
  // The same, remembered under the field's address: rows repeat their fields (names, short
  // attribute values), so each is tokenized once. The copy of its text kept beside the lists
  // tells whether the address still holds that text.
  const posting_refs& remembered(std::string_view field) {
    field_tokens& cached = fields_[field.data()];
    if (cached.text != field) {  // a new entry holds an empty text, as an empty field's
      cached.postings = tokenize(field);
      cached.text = field;
    }
    return cached.postings;
  }

  static constexpr std::size_t max_cached_field = 64;
  // Node-based: the lists never move, so the remembered pointers stay valid.
  std::unordered_map<std::string, std::vector<std::uint32_t>, transparent_string_hash, std::equal_to<>> postings_;
  std::unordered_map<const char*, field_tokens> fields_;
  posting_refs once_;  // the lists of the field being tokenized
  std::uint32_t rows_ = 0;
};

// A text index read in place. `open` checks the checksum and the whole structure, so the
// lookups after it never leave the region nor name a group past the rows.
class text_index_view {
 public:
  text_index_view() = default;

  // Throws `error(errc::corrupt_data)` naming `where` and what is wrong.
  static text_index_view open(const std::byte* p, std::size_t size, std::uint32_t rows, const std::string& where) {
    const std::string what = where + ": text index";
    auto fail = [&](const std::string& problem) { throw error(errc::corrupt_data, what + ": " + problem); };
    if (size < text_index_head) fail("region is " + std::to_string(size) + " bytes, shorter than its head");
    if (unmask_crc(load<std::uint32_t>(p)) != crc32c(p + 4, size - 4)) fail("checksum mismatch");
    text_index_view v;
    const auto field = [p](std::size_t i) { return load<std::uint32_t>(p + 4 * i); };
    if (field(1) != text_index_version)
      fail("version " + std::to_string(field(1)) + " is not read by this build (it reads " +
           std::to_string(text_index_version) + ")");
    if (field(2) != rows) fail("covers " + std::to_string(field(2)) + " rows but the segment has " + std::to_string(rows));
    v.group_rows_ = field(3);
    if (v.group_rows_ == 0) fail("group size is 0");
    v.groups_ = static_cast<std::uint32_t>((std::uint64_t{rows} + v.group_rows_ - 1) / v.group_rows_);
    v.terms_ = field(4);
    v.restart_count_ = field(5);
    const std::uint64_t entries = field(6);
    if (field(7) != 0) fail("reserved field is not zero");
    const std::uint64_t restarts_end = text_index_head + std::uint64_t{v.restart_count_} * 4;
    if (restarts_end + entries != size) fail("sizes in its head do not add up to the region's " + std::to_string(size) + " bytes");
    if (v.restart_count_ != (v.terms_ + text_index_restart - 1) / text_index_restart)
      fail(std::to_string(v.restart_count_) + " restarts for " + std::to_string(v.terms_) + " terms");
    v.restarts_ = p + text_index_head;
    v.entries_ = p + restarts_end;
    v.entries_size_ = static_cast<std::size_t>(entries);
    v.what_ = std::make_shared<const std::string>(what);
    v.check();
    return v;
  }

  std::uint32_t group_count() const noexcept { return groups_; }
  std::uint32_t group_rows() const noexcept { return group_rows_; }
  std::uint32_t term_count() const noexcept { return terms_; }

  // Calls f(group) once for each group holding `word` (or, with `prefix`, a word it begins).
  template <class F>
  void for_each_group(std::string_view word, bool prefix, F&& f) const {
    if (terms_ == 0) return;
    const std::string_view key = indexed_term(word);
    // The last restart whose term is below the key (the first when none is).
    std::uint32_t low = 0, high = restart_count_;
    while (high - low > 1) {
      const std::uint32_t mid = low + (high - low) / 2;
      if (restart_term(mid).compare(key) < 0) low = mid;
      else high = mid;
    }
    std::vector<std::uint8_t> seen;  // a prefix's terms may share groups: each is called once
    if (prefix) seen.assign(groups_, 0);
    reader r = at_restart(low);
    std::string term;
    for (std::uint32_t t = low * text_index_restart; t < terms_; ++t) {
      const entry e = r.next(term);
      if (!term.starts_with(key)) {
        if (term.compare(key) > 0) break;  // past every term that starts with the key
        continue;
      }
      if (!prefix) {
        if (term == key) e.for_each(groups_, f);
        break;
      }
      e.for_each(groups_, [&](std::uint32_t g) {
        if (!seen[g]) seen[g] = 1, f(g);
      });
    }
  }

 private:
  struct entry {
    const std::byte* postings = nullptr;
    std::size_t bytes = 0;
    std::uint64_t count = 0;
    bool bitmap = false;
    template <class F>
    void for_each(std::uint32_t groups, F&& f) const {
      if (bitmap) {
        for (std::uint32_t g = 0; g < groups; ++g)
          if (static_cast<std::uint8_t>(postings[g / 8]) & (1u << (g % 8))) f(g);
        return;
      }
      byte_reader r(postings, postings + bytes, "text index postings");
      std::uint64_t g = 0;
      for (std::uint64_t k = 0; k < count; ++k) f(static_cast<std::uint32_t>(g += r.varint()));
    }
  };
  struct reader {
    byte_reader in;
    std::uint32_t groups;
    entry next(std::string& term) {
      const std::uint64_t shared = in.varint();
      const std::uint64_t suffix = in.varint();
      if (shared > term.size()) in.fail("a term shares more bytes than the term before it has");
      term.resize(static_cast<std::size_t>(shared));
      const std::byte* bytes = in.take(suffix);
      term.append(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(suffix));
      entry e;
      const std::uint64_t form = in.varint();
      e.count = form >> 1;
      e.bitmap = form & 1;
      e.bytes = e.bitmap ? (groups + 7) / 8 : static_cast<std::size_t>(in.varint());
      e.postings = in.take(e.bytes);
      return e;
    }
  };

  reader at_restart(std::uint32_t k) const {
    const auto offset = load<std::uint32_t>(restarts_ + 4 * std::size_t{k});
    return {byte_reader(entries_ + offset, entries_ + entries_size_, what_->c_str()), groups_};
  }
  std::string restart_term(std::uint32_t k) const {
    std::string term;
    at_restart(k).next(term);
    return term;
  }

  // Every entry in order: restarts where they say, terms ascending, restarts sharing
  // nothing, postings ascending, in range and as many as they say.
  void check() const {
    byte_reader all(entries_, entries_ + entries_size_, what_->c_str());
    reader r{all, groups_};
    std::string term, previous;
    for (std::uint32_t t = 0; t < terms_; ++t) {
      const std::size_t offset = entries_size_ - r.in.remaining();
      if (t % text_index_restart == 0) {
        if (load<std::uint32_t>(restarts_ + 4 * std::size_t{t / text_index_restart}) != offset)
          r.in.fail("restart " + std::to_string(t / text_index_restart) + " does not point at term " + std::to_string(t));
        term.clear();
      }
      entry e = r.next(term);
      if (t > 0 && previous.compare(term) >= 0) r.in.fail("term " + std::to_string(t) + " is not after the one before it");
      if (term.empty() || term.size() > text_index_max_term) r.in.fail("term " + std::to_string(t) + " has a bad length");
      if (e.count == 0 || e.count > groups_) r.in.fail("term " + std::to_string(t) + " claims " + std::to_string(e.count) + " groups");
      std::uint64_t seen = 0;
      if (e.bitmap) {
        if (groups_ % 8 && (static_cast<std::uint8_t>(e.postings[e.bytes - 1]) >> (groups_ % 8)))
          r.in.fail("term " + std::to_string(t) + " names a group past the rows");
        e.for_each(groups_, [&](std::uint32_t) { ++seen; });
      } else {
        byte_reader d(e.postings, e.postings + e.bytes, what_->c_str());
        for (std::uint64_t group = 0; seen < e.count; ++seen) {
          const std::uint64_t delta = d.varint();
          if ((seen > 0 && delta == 0) || delta >= groups_ || (group += delta) >= groups_)
            d.fail("term " + std::to_string(t) + " names a group out of order or past the rows");
        }
        if (!d.at_end()) d.fail("term " + std::to_string(t) + " has bytes after its groups");
      }
      if (seen != e.count) r.in.fail("term " + std::to_string(t) + " holds " + std::to_string(seen) + " groups, not " + std::to_string(e.count));
      previous = term;
    }
    if (!r.in.at_end()) r.in.fail("bytes after the last term");
  }

  const std::byte* restarts_ = nullptr;
  const std::byte* entries_ = nullptr;
  std::size_t entries_size_ = 0;
  std::uint32_t groups_ = 0, group_rows_ = text_index_group_rows, terms_ = 0, restart_count_ = 0;
  std::shared_ptr<const std::string> what_;  // names the file in errors; shared, views are copied
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
