#pragma once
// An in-memory text index (the memory store's, and the log store's over log bodies): for
// each word of the rows added so far
// (query/text_tokens.hpp), the groups of `group_rows` consecutive rows where it occurs, the
// same answer the mmap store's sealed text index gives (store/mmap/text_index.hpp), kept in
// a sorted map so that a prefix is a range. It only narrows the rows a text condition tests
// (text_query::candidate_groups); it never decides a match alone.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/span_traits.hpp"
#include "trace/query/text_query.hpp"

namespace trace {
inline namespace v0 {

class text_postings {
 public:
  static constexpr std::uint32_t group_rows_per_group = 16;

  // Adds the next row, `rows()`.
  template <span_like S>
  void add(const S& s) {
    const std::uint32_t group = rows_++ / group_rows_per_group;
    visit_span_text(s, [&](std::string_view field) { add_words(group, field); });
  }
  // Adds the next row, whose one text is `text` (a log's body).
  void add_text(std::string_view text) { add_words(rows_++ / group_rows_per_group, text); }

  std::uint32_t rows() const noexcept { return rows_; }
  std::uint32_t group_rows() const noexcept { return group_rows_per_group; }
  std::uint32_t group_count() const noexcept { return (rows_ + group_rows_per_group - 1) / group_rows_per_group; }

  // Calls f(group) once for each group holding `word` (or, with `prefix`, a word it begins).
  template <class F>
  void for_each_group(std::string_view word, bool prefix, F&& f) const {
    if (!prefix) {
      if (auto found = postings_.find(word); found != postings_.end())
        for (std::uint32_t g : found->second) f(g);
      return;
    }
    std::vector<std::uint8_t> seen(group_count(), 0);
    for (auto at = postings_.lower_bound(word); at != postings_.end() && std::string_view(at->first).starts_with(word); ++at)
      for (std::uint32_t g : at->second)
        if (!seen[g]) seen[g] = 1, f(g);
  }

 private:
  void add_words(std::uint32_t group, std::string_view field) {
    for_each_text_token(field, [&](std::string_view token) {
      auto found = postings_.find(token);
      if (found == postings_.end()) found = postings_.emplace(std::string(token), std::vector<std::uint32_t>{}).first;
      if (found->second.empty() || found->second.back() != group) found->second.push_back(group);
    });
  }

  std::map<std::string, std::vector<std::uint32_t>, std::less<>> postings_;
  std::uint32_t rows_ = 0;
};

}  // namespace v0
}  // namespace trace
