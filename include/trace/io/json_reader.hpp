#pragma once
// A strict RFC 8259 JSON reader. Two ways in:
//
//   json::value doc = json::parse(text);          // the whole text as one tree
//
//   json::reader r(text);                          // pull, for documents too big for one tree:
//   r.begin_object();
//   while (r.next_key(key)) {
//     if (key == "items") { r.begin_array(); while (r.next_element()) use(r.read_value()); }
//     else r.skip_value();
//   }
//
// A leading UTF-8 byte-order mark (EF BB BF, as some Windows tools write) is skipped;
// positions still count its bytes. Strings must be valid UTF-8 (overlong forms, surrogates
// and code points past U+10FFFF are refused); `\u` escapes pair surrogates; integers that fit stay exact int64/uint64; nesting
// is bounded. Every error is `trace::error(errc::parse_error)` whose message starts with
// "line L, column C" (1-based; the column counts bytes).

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "trace/core/error.hpp"
#include "trace/io/json_value.hpp"

namespace trace {
inline namespace v0 {
namespace json {

struct parse_options {
  std::size_t max_depth = 256;  // arrays and objects nested deeper are refused
  std::size_t first_line = 1;   // line number of the text's first line (for JSON Lines)
};

// 1-based line and byte column of `offset` in `text`.
struct position {
  std::size_t line = 1;
  std::size_t column = 1;
};
position position_of(std::string_view text, std::size_t offset, std::size_t first_line = 1) noexcept;

// "line L, column C: what", as a parse error.
[[noreturn]] void fail_at(std::string_view text, std::size_t offset, std::size_t first_line, const std::string& what);

class reader {
 public:
  explicit reader(std::string_view text, parse_options options = {})
      : text_(text), options_(options), pos_(text.starts_with(utf8_bom) ? utf8_bom.size() : 0) {}

  // The byte-order mark some editors put before UTF-8 text; RFC 8259 lets a parser ignore it.
  static constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

  // ---- pull interface ----
  void begin_object();                 // consumes '{'
  bool next_key(std::string& key);     // the next member's key and ':'; false after '}'
  void begin_array();                  // consumes '['
  bool next_element();                 // true when another element follows; false after ']'
  bool skip_null();                    // consumes a `null` and says so; otherwise reads nothing
  value read_value();                  // the next value as a tree
  void skip_value();                   // the next value, checked but not kept
  bool at_end();                       // only whitespace remains
  void expect_end();                   // refuses anything but whitespace

  std::size_t offset() const noexcept { return pos_; }
  std::string_view text() const noexcept { return text_; }
  const parse_options& options() const noexcept { return options_; }
  [[noreturn]] void fail(std::size_t offset, const std::string& what) const {
    fail_at(text_, offset, options_.first_line, what);
  }

 private:
  void skip_whitespace() noexcept;
  char peek_significant();
  void expect(char c, const char* what);
  void enter(std::size_t where);
  void read_string_into(std::string& out);
  value read_number();
  void read_literal(std::string_view word);
  std::uint32_t read_hex4();
  void append_utf8_sequence(std::string& out);

  std::string_view text_;
  parse_options options_;
  std::size_t pos_;
  // One entry per open container: whether it has an item yet, so the next needs a comma.
  std::string open_containers_;
};

// The whole text as one value; anything after it but whitespace is refused.
value parse(std::string_view text, parse_options options = {});

// ---------------------------------------------------------------------------------------

inline position position_of(std::string_view text, std::size_t offset, std::size_t first_line) noexcept {
  position p{first_line, 1};
  if (offset > text.size()) offset = text.size();
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

inline void fail_at(std::string_view text, std::size_t offset, std::size_t first_line, const std::string& what) {
  position p = position_of(text, offset, first_line);
  throw error(errc::parse_error,
              "line " + std::to_string(p.line) + ", column " + std::to_string(p.column) + ": " + what);
}

inline void reader::skip_whitespace() noexcept {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    ++pos_;
  }
}

inline char reader::peek_significant() {
  skip_whitespace();
  if (pos_ >= text_.size()) fail(pos_, "unexpected end of input");
  return text_[pos_];
}

inline void reader::expect(char c, const char* what) {
  if (peek_significant() != c) fail(pos_, std::string("expected ") + what);
  ++pos_;
}

inline void reader::enter(std::size_t where) {
  if (open_containers_.size() >= options_.max_depth)
    fail(where, "nesting deeper than " + std::to_string(options_.max_depth) + " levels");
  open_containers_ += '0';
}

inline void reader::begin_object() {
  std::size_t where = pos_;
  expect('{', "'{'");
  enter(where);
}

inline bool reader::next_key(std::string& key) {
  if (open_containers_.empty()) fail(pos_, "next_key() called outside an object");
  char c = peek_significant();
  if (c == '}') {
    ++pos_;
    open_containers_.pop_back();
    return false;
  }
  if (open_containers_.back() == '1') {
    if (c != ',') fail(pos_, "expected ',' or '}' in object");
    ++pos_;
    c = peek_significant();
  }
  if (c != '"') fail(pos_, "expected a string as object key");
  open_containers_.back() = '1';
  key.clear();
  read_string_into(key);
  expect(':', "':' after object key");
  return true;
}

inline void reader::begin_array() {
  std::size_t where = pos_;
  expect('[', "'['");
  enter(where);
}

inline bool reader::next_element() {
  if (open_containers_.empty()) fail(pos_, "next_element() called outside an array");
  char c = peek_significant();
  if (c == ']') {
    ++pos_;
    open_containers_.pop_back();
    return false;
  }
  if (open_containers_.back() == '1') {
    if (c != ',') fail(pos_, "expected ',' or ']' in array");
    ++pos_;
    peek_significant();
  }
  open_containers_.back() = '1';
  return true;
}

inline bool reader::skip_null() {
  if (peek_significant() != 'n') return false;
  read_literal("null");
  return true;
}

inline bool reader::at_end() {
  skip_whitespace();
  return pos_ >= text_.size();
}

inline void reader::expect_end() {
  if (!at_end()) fail(pos_, "unexpected text after the JSON value");
}

inline void reader::skip_value() {
  std::string scratch;
  switch (peek_significant()) {
    case '{':
      begin_object();
      while (next_key(scratch)) skip_value();
      break;
    case '[':
      begin_array();
      while (next_element()) skip_value();
      break;
    case '"': read_string_into(scratch); break;
    case 't': read_literal("true"); break;
    case 'f': read_literal("false"); break;
    case 'n': read_literal("null"); break;
    default: read_number(); break;
  }
}

inline value reader::read_value() {
  const std::size_t start = (skip_whitespace(), pos_);
  value out;
  switch (peek_significant()) {
    case '{': {
      begin_object();
      object members;
      members.reserve(8);  // most objects of trace formats are small: one allocation, not several
      std::string key;
      while (next_key(key)) members.push_back({std::move(key), read_value()});
      out = value(std::move(members));
      break;
    }
    case '[': {
      begin_array();
      array items;
      while (next_element()) items.push_back(read_value());
      out = value(std::move(items));
      break;
    }
    case '"': {
      std::string s;
      read_string_into(s);
      out = value(std::move(s));
      break;
    }
    case 't': read_literal("true"); out = value(true); break;
    case 'f': read_literal("false"); out = value(false); break;
    case 'n': read_literal("null"); break;
    default: out = read_number(); break;
  }
  out.set_offset(start);
  return out;
}

inline void reader::read_literal(std::string_view word) {
  if (text_.substr(pos_, word.size()) != word) fail(pos_, "invalid literal (expected " + std::string(word) + ")");
  pos_ += word.size();
}

inline value reader::read_number() {
  const std::size_t start = pos_;
  auto digit_at = [this](std::size_t i) { return i < text_.size() && text_[i] >= '0' && text_[i] <= '9'; };
  std::size_t i = pos_;
  if (i < text_.size() && text_[i] == '-') ++i;
  if (!digit_at(i)) fail(start, "expected a value");
  if (text_[i] == '0') {
    ++i;
    if (digit_at(i)) fail(i, "leading zero in number");
  } else {
    while (digit_at(i)) ++i;
  }
  bool integral = true;
  if (i < text_.size() && text_[i] == '.') {
    integral = false;
    ++i;
    if (!digit_at(i)) fail(i, "expected a digit after the decimal point");
    while (digit_at(i)) ++i;
  }
  if (i < text_.size() && (text_[i] == 'e' || text_[i] == 'E')) {
    integral = false;
    ++i;
    if (i < text_.size() && (text_[i] == '+' || text_[i] == '-')) ++i;
    if (!digit_at(i)) fail(i, "expected a digit in the exponent");
    while (digit_at(i)) ++i;
  }
  pos_ = i;
  const char* first = text_.data() + start;
  const char* last = text_.data() + i;
  if (integral) {
    if (*first == '-') {
      std::int64_t v = 0;
      if (std::from_chars(first, last, v).ec == std::errc{}) return value(v);
    } else {
      std::uint64_t v = 0;
      if (std::from_chars(first, last, v).ec == std::errc{}) return value(v);
    }
  }
  // Fractions, exponents and integers past 64 bits are doubles; past double's range, refused.
  double d = 0;
  auto result = std::from_chars(first, last, d);
  if (result.ec != std::errc{}) fail(start, "number " + std::string(first, last) + " is out of range");
  return value(d);
}

inline std::uint32_t reader::read_hex4() {
  if (pos_ + 4 > text_.size()) fail(pos_, "unexpected end of input in \\u escape");
  std::uint32_t code = 0;
  for (int k = 0; k < 4; ++k) {
    char c = text_[pos_];
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (d < 0) fail(pos_, "invalid hex digit in \\u escape");
    code = code << 4 | static_cast<std::uint32_t>(d);
    ++pos_;
  }
  return code;
}

namespace detail {
inline void append_code_point(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Length of the well-formed UTF-8 sequence at the start of `s` (Unicode table 3-7), or 0.
inline std::size_t utf8_sequence_length(std::string_view s) noexcept {
  auto byte = [&s](std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; };
  auto continuation = [&byte](std::size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) {
    unsigned b = byte(i);
    return b >= lo && b <= hi;
  };
  unsigned lead = byte(0);
  if (lead < 0x80) return s.empty() ? 0 : 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    unsigned lo = lead == 0xE0 ? 0xA0 : 0x80, hi = lead == 0xED ? 0x9F : 0xBF;  // no overlongs, no surrogates
    return continuation(1, lo, hi) && continuation(2) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    unsigned lo = lead == 0xF0 ? 0x90 : 0x80, hi = lead == 0xF4 ? 0x8F : 0xBF;  // at most U+10FFFF
    return continuation(1, lo, hi) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}
}  // namespace detail

inline void reader::append_utf8_sequence(std::string& out) {
  std::size_t length = detail::utf8_sequence_length(text_.substr(pos_));
  if (length == 0) fail(pos_, "invalid UTF-8 in string");
  out.append(text_.data() + pos_, length);
  pos_ += length;
}

inline void reader::read_string_into(std::string& out) {
  const std::size_t open = pos_;
  ++pos_;  // the opening quote
  for (;;) {
    // Copy the plain run in one go.
    std::size_t run = pos_;
    while (run < text_.size()) {
      auto c = static_cast<unsigned char>(text_[run]);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
      ++run;
    }
    out.append(text_.data() + pos_, run - pos_);
    pos_ = run;
    if (pos_ >= text_.size()) fail(open, "unterminated string");
    auto c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"') {
      ++pos_;
      return;
    }
    if (c < 0x20) fail(pos_, "unescaped control character in string");
    if (c >= 0x80) {
      append_utf8_sequence(out);
      continue;
    }
    const std::size_t escape = pos_++;
    if (pos_ >= text_.size()) fail(open, "unterminated string");
    switch (text_[pos_++]) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        std::uint32_t cp = read_hex4();
        if (cp >= 0xDC00 && cp <= 0xDFFF) fail(escape, "lone low surrogate in \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (text_.substr(pos_, 2) != "\\u") fail(escape, "high surrogate not followed by a low surrogate");
          pos_ += 2;
          std::uint32_t low = read_hex4();
          if (low < 0xDC00 || low > 0xDFFF) fail(escape, "high surrogate not followed by a low surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        detail::append_code_point(out, cp);
        break;
      }
      default: fail(escape, "invalid escape sequence");
    }
  }
}

inline value parse(std::string_view text, parse_options options) {
  reader r(text, options);
  value v = r.read_value();
  r.expect_end();
  return v;
}

}  // namespace json
}  // namespace v0
}  // namespace trace
