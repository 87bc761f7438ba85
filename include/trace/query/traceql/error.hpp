#pragma once
// The error every TraceQL parse raises, and the limits that keep the parser safe for text
// from anywhere (a server's request): both parsers (the bare `--where` form and the whole
// language) refuse what passes them with this error.

#include <cstddef>
#include <string>
#include <utility>

#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {

// Limits of `parse_traceql`, each refused with a `query_syntax_error`.
inline constexpr std::size_t max_query_nesting = 128;     // parentheses inside parentheses
inline constexpr std::size_t max_query_size = 1u << 20;  // bytes of query text

class query_syntax_error : public error {
 public:
  query_syntax_error(std::string query, std::size_t column, const std::string& problem)
      : error(errc::parse_error, "query column " + std::to_string(column) + ": " + problem),
        query_(std::move(query)), column_(column), problem_(problem) {}

  const std::string& query() const noexcept { return query_; }
  std::size_t column() const noexcept { return column_; }  // 1-based, in bytes
  const std::string& problem() const noexcept { return problem_; }
  // Two lines: the query, then a caret under the offending column (tabs kept, UTF-8
  // sequences counted as one character, so the caret lines up on a terminal).
  std::string caret() const;

 private:
  std::string query_;
  std::size_t column_;
  std::string problem_;
};

inline std::string query_syntax_error::caret() const {
  std::string line = query_;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::string pointer;
  for (std::size_t i = 0; i + 1 < column_ && i < query_.size(); ++i) {
    const auto byte = static_cast<unsigned char>(query_[i]);
    if ((byte & 0xC0) == 0x80) continue;  // UTF-8 continuation byte
    pointer += byte == '\t' ? '\t' : ' ';
  }
  return line + "\n" + pointer + "^";
}

}  // namespace v0
}  // namespace trace
