#pragma once
// Writing values into ClickHouse SQL text safely. ClickHouse 18.16 has no query parameters,
// so every value a user supplies becomes a literal through these functions and nothing else:
//
//   quote("O'Brien\\")      → 'O\'Brien\\\\'     a string literal; any bytes, NUL included
//   quote_identifier("a`b") → `a\`b`             a database, table or column name
//   url_encode("a b&c")     → a%20b%26c           a query-string value
//
// Inside a quoted literal ClickHouse gives meaning only to the quote and the backslash, so
// those two are escaped; control bytes are written as \xHH so a literal never carries a raw
// NUL or line break. All other bytes, multi-byte UTF-8 or not, pass through unchanged.

#include <cstdint>
#include <string>
#include <string_view>

namespace trace {
inline namespace v0 {
namespace clickhouse {

namespace detail {
inline void append_escaped(std::string& out, std::string_view text, char quote_char) {
  constexpr char hex[] = "0123456789abcdef";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == quote_char || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xf];
    } else {
      out += c;
    }
  }
}
}  // namespace detail

namespace detail {
inline std::string enclosed(std::string_view text, char mark) {
  std::string out;
  out.reserve(text.size() + 2);
  out += mark;
  append_escaped(out, text, mark);
  out += mark;
  return out;
}
}  // namespace detail

// A single-quoted string literal holding exactly `text`.
inline std::string quote(std::string_view text) { return detail::enclosed(text, '\''); }

// A back-quoted identifier naming exactly `name`.
inline std::string quote_identifier(std::string_view name) { return detail::enclosed(name, '`'); }

// Percent-encoding of everything but RFC 3986's unreserved characters.
inline std::string url_encode(std::string_view text) {
  constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0xf];
    }
  }
  return out;
}

}  // namespace clickhouse
}  // namespace v0
}  // namespace trace
