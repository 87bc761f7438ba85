#pragma once
// TraceQL's tokens. The lexer reads one token at a time, in time linear in the query, and
// refuses what it cannot read with a `query_syntax_error` pointing at it.
//
// Attribute names follow Tempo: after a scope (`span.`, `resource.`, `event.`, `link.`,
// `instrumentation.`) or a leading `.`, a name runs up to a space or one of `{}()=~!<>&|^,`
// (so `.http.url-path` is one name); a quoted name (`span."a b"`) may hold anything.

#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "trace/core/time.hpp"
#include "trace/query/traceql/error.hpp"

namespace trace {
inline namespace v0 {
namespace traceql {
namespace detail {

enum class token_kind : std::uint8_t {
  end, word, attribute, string, integer, floating, duration,
  lbrace, rbrace, lparen, rparen, comma, pipe,
  and_, or_, not_, eq, ne, lt, le, gt, ge, match, bang_tilde,  // `!~`: no-match or not-sibling
  plus, minus, star, slash, percent, caret,
  descendant, ancestor, tilde,                                   // >> << ~
  union_child, union_descendant, union_parent, union_ancestor, union_sibling,  // &> &>> &< &<< &~
  not_child, not_descendant, not_parent, not_ancestor                          // !> !>> !< !<<
};

struct token {
  token_kind kind = token_kind::end;
  std::size_t offset = 0;
  std::string_view text{};  // as written
  std::string value{};      // string literal unescaped; attribute: its scope prefix stripped, unquoted
  std::string_view scope{};  // attribute: "span", "resource", ... or "" for `.name`
  std::int64_t integer = 0;  // integer; duration in nanoseconds
  double floating = 0;
};

// A syntax error at the 0-based `offset` of `query`.
[[noreturn]] inline void fail_in(std::string_view query, std::size_t offset, const std::string& problem) {
  throw query_syntax_error(std::string(query), offset + 1, problem);
}

// The string at `query[pos]` (its opening '"'), unescaped: \" \\ \n \t. `pos` ends past
// the closing quote; an unclosed string is reported at `begin`. Both TraceQL parsers read
// strings with it (the single-span form's, traceql.hpp, and this lexer).
inline std::string read_quoted(std::string_view query, std::size_t& pos, std::size_t begin) {
  ++pos;
  std::string value;
  while (true) {
    if (pos >= query.size()) fail_in(query, begin, "string is not closed (missing '\"')");
    const char c = query[pos++];
    if (c == '"') return value;
    if (c != '\\') {
      value += c;
      continue;
    }
    if (pos >= query.size()) fail_in(query, begin, "string is not closed (missing '\"')");
    const char e = query[pos++];
    switch (e) {
      case '"': case '\\': value += e; break;
      case 'n': value += '\n'; break;
      case 't': value += '\t'; break;
      default: fail_in(query, pos - 2, std::string("unknown escape '\\") + e + "' (known: \\\" \\\\ \\n \\t)");
    }
  }
}

class lexer {
 public:
  explicit lexer(std::string_view text) : text_(text) {
    if (text_.size() > max_query_size)
      fail_at(max_query_size,
              "the query is " + std::to_string(text_.size()) + " bytes; the limit is " + std::to_string(max_query_size));
  }

  [[noreturn]] void fail_at(std::size_t offset, const std::string& problem) const { fail_in(text_, offset, problem); }

  token next();

 private:
  static bool space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
  static bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
  static bool alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
  static bool word_char(char c) { return alpha(c) || digit(c) || c == ':'; }
  static bool name_char(char c) {
    if (space(c)) return false;
    switch (c) {
      case '{': case '}': case '(': case ')': case '=': case '~': case '!': case '<': case '>':
      case '&': case '|': case '^': case ',': case '"': return false;
      default: return true;
    }
  }
  char at(std::size_t i) const { return i < text_.size() ? text_[i] : '\0'; }

  token symbol(token_kind kind, std::size_t length) {
    token t;
    t.kind = kind;
    t.offset = pos_;
    t.text = text_.substr(pos_, length);
    pos_ += length;
    return t;
  }
  token number();
  token name_after(std::size_t begin, std::string_view scope);

  std::string_view text_;
  std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------

inline token lexer::next() {
  while (pos_ < text_.size() && space(text_[pos_])) ++pos_;
  if (pos_ >= text_.size()) {
    token t;
    t.offset = text_.size();
    return t;
  }
  const char c = text_[pos_];
  const char n = at(pos_ + 1);
  const char n2 = at(pos_ + 2);
  switch (c) {
    case '{': return symbol(token_kind::lbrace, 1);
    case '}': return symbol(token_kind::rbrace, 1);
    case '(': return symbol(token_kind::lparen, 1);
    case ')': return symbol(token_kind::rparen, 1);
    case ',': return symbol(token_kind::comma, 1);
    case '+': return symbol(token_kind::plus, 1);
    case '-': return symbol(token_kind::minus, 1);
    case '*': return symbol(token_kind::star, 1);
    case '/': return symbol(token_kind::slash, 1);
    case '%': return symbol(token_kind::percent, 1);
    case '^': return symbol(token_kind::caret, 1);
    case '~': return symbol(token_kind::tilde, 1);
    case '|': return n == '|' ? symbol(token_kind::or_, 2) : symbol(token_kind::pipe, 1);
    case '&':
      if (n == '&') return symbol(token_kind::and_, 2);
      if (n == '>') return n2 == '>' ? symbol(token_kind::union_descendant, 3) : symbol(token_kind::union_child, 2);
      if (n == '<') return n2 == '<' ? symbol(token_kind::union_ancestor, 3) : symbol(token_kind::union_parent, 2);
      if (n == '~') return symbol(token_kind::union_sibling, 2);
      fail_at(pos_, "a single '&'; write '&&' for \"and\", or a structural operator such as '&>'");
    case '!':
      if (n == '=') return symbol(token_kind::ne, 2);
      if (n == '~') return symbol(token_kind::bang_tilde, 2);
      if (n == '>') return n2 == '>' ? symbol(token_kind::not_descendant, 3) : symbol(token_kind::not_child, 2);
      if (n == '<') return n2 == '<' ? symbol(token_kind::not_ancestor, 3) : symbol(token_kind::not_parent, 2);
      return symbol(token_kind::not_, 1);
    case '=':
      if (n == '~') return symbol(token_kind::match, 2);
      if (n == '=') return symbol(token_kind::eq, 2);  // `==` is forgiven, as in the bare form
      return symbol(token_kind::eq, 1);
    case '<':
      if (n == '=') return symbol(token_kind::le, 2);
      return n == '<' ? symbol(token_kind::ancestor, 2) : symbol(token_kind::lt, 1);
    case '>':
      if (n == '=') return symbol(token_kind::ge, 2);
      return n == '>' ? symbol(token_kind::descendant, 2) : symbol(token_kind::gt, 1);
    case '"': {
      const std::size_t begin = pos_;
      token t;
      t.kind = token_kind::string;
      t.offset = begin;
      t.value = read_quoted(text_, pos_, begin);
      t.text = text_.substr(begin, pos_ - begin);
      return t;
    }
    default: break;
  }
  if (digit(c) || (c == '.' && digit(n))) {
    // `.99` is a number (quantile_over_time(duration, .99)); `.9xx` an attribute name.
    std::size_t end = pos_ + 1;
    while (digit(at(end))) ++end;
    if (c != '.' || !(alpha(at(end)) || at(end) == '.')) return number();
  }
  if (c == '.') return name_after(pos_, "");
  if (alpha(c)) {
    const std::size_t begin = pos_;
    while (pos_ < text_.size() && word_char(text_[pos_])) ++pos_;
    const std::string_view word = text_.substr(begin, pos_ - begin);
    if (at(pos_) == '.' && (word == "span" || word == "resource" || word == "event" || word == "link" ||
                            word == "instrumentation"))
      return name_after(begin, word);
    token t;
    t.kind = token_kind::word;
    t.offset = begin;
    t.text = word;
    return t;
  }
  fail_at(pos_, "unexpected character '" + std::string(1, c) + "'");
}

// At pos_: the '.' that ends a scope (or starts an unscoped name).
inline token lexer::name_after(std::size_t begin, std::string_view scope) {
  ++pos_;  // the '.'
  token t;
  t.kind = token_kind::attribute;
  t.offset = begin;
  t.scope = scope;
  if (at(pos_) == '"') {
    t.value = read_quoted(text_, pos_, pos_);
  } else {
    const std::size_t name_begin = pos_;
    while (pos_ < text_.size() && name_char(text_[pos_])) ++pos_;
    t.value = std::string(text_.substr(name_begin, pos_ - name_begin));
  }
  t.text = text_.substr(begin, pos_ - begin);
  if (t.value.empty()) fail_at(begin, "'" + std::string(t.text) + "' names no attribute");
  return t;
}

// 42, 0.5, .99, 1e3, 250ms, 1h30m
inline token lexer::number() {
  const std::size_t begin = pos_;
  token t;
  t.offset = begin;
  auto digits = [this] {
    while (pos_ < text_.size() && digit(text_[pos_])) ++pos_;
  };
  digits();
  bool fraction = false;
  if (at(pos_) == '.' && digit(at(pos_ + 1))) {
    fraction = true;
    ++pos_;
    digits();
  }
  if ((at(pos_) == 'e' || at(pos_) == 'E') && (digit(at(pos_ + 1)) || ((at(pos_ + 1) == '-' || at(pos_ + 1) == '+') && digit(at(pos_ + 2))))) {
    fraction = true;
    pos_ += 2;
    digits();
  }
  if (alpha(at(pos_)) || at(pos_) == static_cast<char>(0xC2)) {  // a unit (0xC2: the lead byte of µ)
    pos_ = begin;
    double total = 0;
    while (digit(at(pos_)) || at(pos_) == '.') {
      const std::size_t part = pos_;
      digits();
      if (at(pos_) == '.') {
        ++pos_;
        digits();
      }
      double amount = 0;
      std::from_chars(text_.data() + part, text_.data() + pos_, amount);
      const std::size_t unit_begin = pos_;
      while (alpha(at(pos_)) || at(pos_) == static_cast<char>(0xC2) || at(pos_) == static_cast<char>(0xB5)) ++pos_;
      const std::string_view unit = text_.substr(unit_begin, pos_ - unit_begin);
      double scale = 0;
      if (unit == "ns") scale = 1;
      else if (unit == "us" || unit == "\xC2\xB5s") scale = 1e3;
      else if (unit == "ms") scale = 1e6;
      else if (unit == "s") scale = 1e9;
      else if (unit == "m") scale = 60e9;
      else if (unit == "h") scale = 3600e9;
      else if (unit.empty()) fail_at(unit_begin, "a duration part needs a unit (ns, us, ms, s, m, h)");
      else fail_at(unit_begin, "unknown duration unit '" + std::string(unit) + "' (ns, us, ms, s, m, h)");
      total += amount * scale;
    }
    t.text = text_.substr(begin, pos_ - begin);
    if (!(total < 9.2e18)) fail_at(begin, "duration '" + std::string(t.text) + "' is too long");
    t.kind = token_kind::duration;
    t.integer = static_cast<std::int64_t>(total + 0.5);
    return t;
  }
  t.text = text_.substr(begin, pos_ - begin);
  if (fraction || t.text.front() == '.') {
    t.kind = token_kind::floating;
    auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), t.floating);
    if (ec != std::errc{} || end != t.text.data() + t.text.size())
      fail_at(begin, "bad number '" + std::string(t.text) + "'");
    return t;
  }
  t.kind = token_kind::integer;
  auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), t.integer);
  if (ec != std::errc{} || end != t.text.data() + t.text.size())
    fail_at(begin, "number '" + std::string(t.text) + "' does not fit in 64 bits");
  return t;
}

}  // namespace detail
}  // namespace traceql
}  // namespace v0
}  // namespace trace
