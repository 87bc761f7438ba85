#pragma once
// Regular expressions that match in time linear in the text, whatever the pattern: the
// engine behind TraceQL's `=~` and `!~`, safe for patterns typed by anyone.
//
//   trace::regex r("GET /api/.*");
//   r.full_match("GET /api/orders");   // true: the whole text matches
//   r.search("x GET /api/ y");         // true: some part of the text matches
//
// The syntax is RE2's (Go's `regexp`, which Tempo uses), without what needs backtracking:
// backreferences and lookaround are refused. docs/QUERY.md lists what is supported.
//
// How: the pattern is parsed without recursion into a syntax tree (a flat array), the tree
// is compiled into a Thompson NFA program, and the program runs as a Pike VM, which steps
// every live thread over each byte once: O(text × program) time, O(program) memory, no
// backtracking. The text is bytes; a `.` or a class matches one UTF-8 encoded character.
// Limits (pattern size, nesting, repetition count, program size) bound the memory and the
// work; a pattern beyond them is refused, like a malformed one, with a `regex_error` that
// says where.
//
// A `regex` is immutable after construction and may be used by many threads at once.

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {

// A refused pattern: a `trace::error` with errc::parse_error whose message reads
// `regular expression "PATTERN" at character N: PROBLEM`.
class regex_error : public error {
 public:
  regex_error(std::string_view pattern, std::size_t offset, const std::string& problem);

  std::size_t offset() const noexcept { return offset_; }  // 0-based, in bytes of the pattern
  const std::string& problem() const noexcept { return problem_; }

 private:
  std::size_t offset_;
  std::string problem_;
};

namespace detail {

struct code_range {
  char32_t lo, hi;  // inclusive
};

// One instruction of the Pike VM's program. Consuming instructions continue at `out`.
struct regex_instruction {
  // utf8_lead: a byte of its set goes to `out`; a lead byte of a 2-, 3- or 4-byte sequence
  // goes to the 1, 2 or 3 continuation-byte instructions that precede `out`.
  enum class op : std::uint8_t { byte_range, byte_set, utf8_lead, split, jump, assertion, match };
  enum class assertion : std::uint8_t { begin_text, end_text, begin_line, end_line, word_boundary, not_word_boundary };
  op code = op::match;
  std::uint8_t lo = 0, hi = 0;                   // byte_range
  assertion test = assertion::begin_text;       // assertion
  std::uint32_t out = 0;                         // next instruction; split: the first branch
  std::uint32_t other = 0;                       // split: the second branch; byte_set, utf8_lead: the set
};

using byte_set = std::array<std::uint64_t, 4>;

struct regex_program {
  std::vector<regex_instruction> code;
  std::vector<byte_set> sets;
  std::uint32_t start = 0;
};

}  // namespace detail

class regex {
 public:
  // Limits, each refused with a `regex_error`:
  static constexpr std::size_t max_pattern_size = 16 * 1024;  // bytes of pattern
  static constexpr std::size_t max_nesting = 256;             // groups inside groups
  static constexpr std::uint32_t max_repeat = 1000;           // n and m of {n,m}
  static constexpr std::size_t max_program_size = 50'000;     // compiled instructions (~1 MiB)

  explicit regex(std::string_view pattern);

  // Whether the whole text matches (as TraceQL's `=~` asks).
  bool full_match(std::string_view text) const;
  // Whether some part of the text matches.
  bool search(std::string_view text) const;

  const std::string& pattern() const noexcept { return pattern_; }
  std::size_t program_size() const noexcept { return program_.code.size(); }

 private:
  bool run(std::string_view text, bool anchored) const;

  std::string pattern_;
  detail::regex_program program_;
  // Cheap tests that refuse most texts before the VM runs (found in the pattern's top level).
  std::string prefix_;    // every full match starts with it
  std::string suffix_;    // every full match ends with it
  std::string required_;  // every match contains it
  bool literal_ = false;  // the pattern is exactly prefix_
};

// ---------------------------------------------------------------------------------------

inline regex_error::regex_error(std::string_view pattern, std::size_t offset, const std::string& problem)
    : error(errc::parse_error,
            "regular expression \"" +
                (pattern.size() <= 64 ? std::string(pattern) : std::string(pattern.substr(0, 60)) + "...") +
                "\" at character " + std::to_string(offset + 1) + ": " + problem),
      offset_(offset), problem_(problem) {}

namespace detail {

constexpr char32_t max_code_point = 0x10FFFF;
constexpr char32_t replacement_character = 0xFFFD;

// A set of code points as sorted, disjoint, non-adjacent ranges.
class code_set {
 public:
  void add(char32_t lo, char32_t hi) { ranges_.push_back({lo, hi}); }
  void add(const code_set& other) { ranges_.insert(ranges_.end(), other.ranges_.begin(), other.ranges_.end()); }

  void normalize() {
    std::sort(ranges_.begin(), ranges_.end(), [](code_range a, code_range b) { return a.lo < b.lo; });
    std::vector<code_range> merged;
    for (code_range r : ranges_) {
      if (!merged.empty() && r.lo <= merged.back().hi + 1) merged.back().hi = std::max(merged.back().hi, r.hi);
      else merged.push_back(r);
    }
    ranges_ = std::move(merged);
  }
  void negate() {
    normalize();
    std::vector<code_range> out;
    char32_t next = 0;
    for (code_range r : ranges_) {
      if (r.lo > next) out.push_back({next, r.lo - 1});
      next = r.hi + 1;
    }
    if (next <= max_code_point) out.push_back({next, max_code_point});
    ranges_ = std::move(out);
  }
  // (?i): ASCII letters only, as documented.
  void fold_ascii_case() {
    const std::size_t n = ranges_.size();
    for (std::size_t i = 0; i < n; ++i) {
      const code_range r = ranges_[i];
      auto fold = [&](char32_t from_lo, char32_t from_hi, char32_t shift_to) {
        const char32_t lo = std::max(r.lo, from_lo), hi = std::min(r.hi, from_hi);
        if (lo <= hi) ranges_.push_back({lo - from_lo + shift_to, hi - from_lo + shift_to});
      };
      fold('a', 'z', 'A');
      fold('A', 'Z', 'a');
    }
    normalize();
  }
  bool contains(char32_t c) const {
    for (code_range r : ranges_)
      if (c >= r.lo && c <= r.hi) return true;
    return false;
  }
  // The one code point of the set, when it has exactly one.
  bool single(char32_t& c) const {
    if (ranges_.size() != 1 || ranges_[0].lo != ranges_[0].hi) return false;
    c = ranges_[0].lo;
    return true;
  }
  const std::vector<code_range>& ranges() const noexcept { return ranges_; }

 private:
  std::vector<code_range> ranges_;
};

inline std::size_t utf8_encode(char32_t c, unsigned char* out) {
  if (c < 0x80) {
    out[0] = static_cast<unsigned char>(c);
    return 1;
  }
  if (c < 0x800) {
    out[0] = static_cast<unsigned char>(0xC0 | (c >> 6));
    out[1] = static_cast<unsigned char>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = static_cast<unsigned char>(0xE0 | (c >> 12));
    out[1] = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
    out[2] = static_cast<unsigned char>(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = static_cast<unsigned char>(0xF0 | (c >> 18));
  out[1] = static_cast<unsigned char>(0x80 | ((c >> 12) & 0x3F));
  out[2] = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
  out[3] = static_cast<unsigned char>(0x80 | (c & 0x3F));
  return 4;
}

// A sequence of byte ranges: the UTF-8 encodings of a range of code points of one length
// whose bytes vary independently.
struct utf8_sequence {
  std::array<std::uint8_t, 4> lo{}, hi{};
  std::size_t length = 0;
};

// Splits [lo, hi] (code points >= 0x80) into UTF-8 byte-range sequences: first at the
// boundaries of encoding length, then wherever a trailing byte does not cover its full
// 0x80..0xBF span, so that each piece is a product of byte ranges.
inline void utf8_sequences(char32_t lo, char32_t hi, std::vector<utf8_sequence>& out) {
  std::vector<code_range> pending{{lo, hi}};
  while (!pending.empty()) {
    code_range r = pending.back();
    pending.pop_back();
    bool split = false;
    for (char32_t boundary : {char32_t{0x7FF}, char32_t{0xFFFF}}) {
      if (r.lo <= boundary && r.hi > boundary) {
        pending.push_back({boundary + 1, r.hi});
        pending.push_back({r.lo, boundary});
        split = true;
        break;
      }
    }
    if (split) continue;
    for (unsigned i = 1; i < 4 && !split; ++i) {
      const char32_t mask = (char32_t{1} << (6 * i)) - 1;
      if ((r.lo & ~mask) == (r.hi & ~mask)) continue;
      if ((r.lo & mask) != 0) {
        pending.push_back({(r.lo | mask) + 1, r.hi});
        pending.push_back({r.lo, r.lo | mask});
        split = true;
      } else if ((r.hi & mask) != mask) {
        pending.push_back({r.hi & ~mask, r.hi});
        pending.push_back({r.lo, (r.hi & ~mask) - 1});
        split = true;
      }
    }
    if (split) continue;
    unsigned char a[4], b[4];
    utf8_sequence s;
    s.length = utf8_encode(r.lo, a);
    utf8_encode(r.hi, b);
    for (std::size_t i = 0; i < s.length; ++i) {
      s.lo[i] = a[i];
      s.hi[i] = b[i];
    }
    out.push_back(s);
  }
}

// Decodes one UTF-8 character of a pattern; 0 when the bytes are not valid UTF-8.
inline std::size_t utf8_decode(std::string_view text, std::size_t at, char32_t& c) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) {
    c = b0;
    return 1;
  }
  std::size_t length = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
  if (length == 0 || b0 > 0xF4 || at + length > text.size()) return 0;
  c = b0 & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    c = (c << 6) | (byte(i) & 0x3F);
  }
  constexpr char32_t shortest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < shortest[length] || c > max_code_point || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  return length;
}

// ---- syntax tree: nodes in one array, children by index (no recursion to destroy) ----

struct regex_node {
  enum class kind : std::uint8_t { empty, set, concat, alternate, repeat, assertion };
  kind type = kind::empty;
  std::size_t offset = 0;  // where it starts in the pattern, for errors
  code_set chars{};        // set
  bool folded = false;     // set: written under (?i), so not a literal for the prefilters
  regex_instruction::assertion test{};
  std::uint32_t min = 0, max = 0;  // repeat; max == unbounded for no upper limit
  std::vector<std::uint32_t> children{};
  static constexpr std::uint32_t unbounded = std::numeric_limits<std::uint32_t>::max();
};

struct regex_flags {
  bool icase = false, dotall = false, multiline = false;
};

// A recursive-descent parser would overflow the stack on deep nesting; this one keeps the
// open groups on a heap stack.
class regex_parser {
 public:
  explicit regex_parser(std::string_view pattern) : p_(pattern) {}

  struct tree {
    std::vector<regex_node> nodes;
    std::uint32_t root = 0;
  };

  tree parse() {
    if (p_.size() > regex::max_pattern_size)
      fail(regex::max_pattern_size, "the pattern is " + std::to_string(p_.size()) + " bytes; the limit is " +
                                        std::to_string(regex::max_pattern_size));
    groups_.push_back(group{});
    while (i_ < p_.size()) step();
    if (groups_.size() > 1) fail(groups_.back().open, "missing ')' to close this '('");
    const std::uint32_t root = finish_group(groups_.back());
    return {std::move(nodes_), root};
  }

 private:
  struct group {
    std::vector<std::vector<std::uint32_t>> alternatives{{}};  // each a concatenation
    regex_flags outer{};  // flags to restore when the group closes
    std::size_t open = 0;
    bool last_is_repeat = false;
  };

  [[noreturn]] void fail(std::size_t at, const std::string& problem) const { throw regex_error(p_, at, problem); }

  std::uint32_t add(regex_node n) {
    nodes_.push_back(std::move(n));
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }
  void append(std::uint32_t node) {
    groups_.back().alternatives.back().push_back(node);
    groups_.back().last_is_repeat = false;
  }
  void append_set(code_set chars, std::size_t at) {
    chars.normalize();
    if (flags_.icase) chars.fold_ascii_case();
    regex_node n{.type = regex_node::kind::set, .offset = at, .chars = std::move(chars), .folded = flags_.icase};
    append(add(std::move(n)));
  }
  void append_assertion(regex_instruction::assertion test, std::size_t at) {
    append(add({.type = regex_node::kind::assertion, .offset = at, .test = test}));
  }

  // The node for a finished group: its alternatives, each a concatenation.
  std::uint32_t finish_group(group& g) {
    std::vector<std::uint32_t> alternatives;
    for (auto& items : g.alternatives) {
      if (items.size() == 1) alternatives.push_back(items[0]);
      else alternatives.push_back(add({.type = items.empty() ? regex_node::kind::empty : regex_node::kind::concat,
                                       .offset = g.open, .children = std::move(items)}));
    }
    if (alternatives.size() == 1) return alternatives[0];
    return add({.type = regex_node::kind::alternate, .offset = g.open, .children = std::move(alternatives)});
  }

  void step() {
    const std::size_t at = i_;
    const char c = p_[i_];
    switch (c) {
      case '(': return open_group();
      case ')': {
        if (groups_.size() == 1) fail(at, "unexpected ')' (no '(' to close)");
        ++i_;
        group g = std::move(groups_.back());
        groups_.pop_back();
        flags_ = g.outer;
        return append(finish_group(g));
      }
      case '|':
        ++i_;
        groups_.back().alternatives.emplace_back();
        groups_.back().last_is_repeat = false;
        return;
      case '*': case '+': case '?': ++i_; return repeat(at, c == '+' ? 1 : 0, c == '?' ? 1 : regex_node::unbounded);
      case '{': {
        std::uint32_t min = 0, max = 0;
        if (counted_repeat(min, max)) return repeat(at, min, max);
        ++i_;  // not a repetition: a literal '{', as in RE2
        return append_literal('{', at);
      }
      case '^':
        ++i_;
        return append_assertion(flags_.multiline ? regex_instruction::assertion::begin_line
                                                 : regex_instruction::assertion::begin_text, at);
      case '$':
        ++i_;
        return append_assertion(flags_.multiline ? regex_instruction::assertion::end_line
                                                 : regex_instruction::assertion::end_text, at);
      case '.': {
        ++i_;
        code_set any;
        if (flags_.dotall) any.add(0, max_code_point);
        else {
          any.add(0, '\n' - 1);
          any.add('\n' + 1, max_code_point);
        }
        regex_node n{.type = regex_node::kind::set, .offset = at, .chars = std::move(any), .folded = true};
        return append(add(std::move(n)));
      }
      case '[': return char_class();
      case '\\': return escape();
      default: {
        char32_t cp = 0;
        const std::size_t length = utf8_decode(p_, i_, cp);
        if (length == 0) fail(at, "invalid UTF-8");
        i_ += length;
        return append_literal(cp, at);
      }
    }
  }

  void append_literal(char32_t c, std::size_t at) {
    code_set one;
    one.add(c, c);
    append_set(std::move(one), at);
  }

  void open_group() {
    const std::size_t at = i_++;
    if (groups_.size() > regex::max_nesting)
      fail(at, "groups nest deeper than " + std::to_string(regex::max_nesting));
    regex_flags inner = flags_;
    if (i_ < p_.size() && p_[i_] == '?') {
      ++i_;
      const std::string_view rest = p_.substr(i_);
      if (rest.starts_with("=") || rest.starts_with("!") || rest.starts_with("<=") || rest.starts_with("<!"))
        fail(at, "lookaround ('(?=', '(?!', '(?<=', '(?<!') is not supported");
      if (rest.starts_with("P<") || rest.starts_with("<")) {  // a named group: the name does not matter here
        const std::size_t close = p_.find('>', i_);
        const std::size_t name = i_ + (rest[0] == 'P' ? 2 : 1);
        if (close == std::string_view::npos) fail(at, "missing '>' to close the group name");
        if (close == name) fail(at, "a group name is empty");
        for (std::size_t k = name; k < close; ++k)
          if (!std::isalnum(static_cast<unsigned char>(p_[k])) && p_[k] != '_') fail(k, "invalid character in a group name");
        i_ = close + 1;
      } else {
        bool on = true, any = false;
        while (true) {
          if (i_ >= p_.size()) fail(at, "missing ')' to close the flags group");
          const char f = p_[i_];
          if (f == ')' || f == ':') break;
          if (f == '-' && on) on = false;
          else if (f == 'i') inner.icase = on;
          else if (f == 's') inner.dotall = on;
          else if (f == 'm') inner.multiline = on;
          else if (f == 'U') {}  // ungreedy: the same strings match
          else fail(i_, std::string("unknown flag '") + f + "' (known: i, m, s, U)");
          any = any || f != '-';
          ++i_;
        }
        if (!any && p_[i_] == ')') fail(at, "a flags group names no flag");
        if (p_[i_++] == ')') {  // (?i): the flags hold to the end of the enclosing group
          flags_ = inner;
          groups_.back().last_is_repeat = true;  // nothing to repeat: `(?i)*` is refused below
          return;
        }
      }
    }
    group g;
    g.outer = flags_;
    g.open = at;
    groups_.push_back(std::move(g));
    flags_ = inner;
  }

  void repeat(std::size_t at, std::uint32_t min, std::uint32_t max) {
    if (i_ < p_.size() && p_[i_] == '?') ++i_;  // lazy: the same strings match
    group& g = groups_.back();
    auto& items = g.alternatives.back();
    if (items.empty() || g.last_is_repeat)
      fail(at, g.last_is_repeat ? "a repetition operator follows another one (or nothing)"
                                : "a repetition operator with nothing to repeat");
    const std::uint32_t child = items.back();
    items.back() = add({.type = regex_node::kind::repeat, .offset = at, .min = min, .max = max, .children = {child}});
    g.last_is_repeat = true;
  }

  // `{n}`, `{n,}`, `{n,m}` at i_; false (i_ unchanged) when the brace starts no repetition.
  bool counted_repeat(std::uint32_t& min, std::uint32_t& max) {
    std::size_t k = i_ + 1;
    auto number = [&](std::uint32_t& value) {
      const std::size_t begin = k;
      std::uint64_t v = 0;
      while (k < p_.size() && p_[k] >= '0' && p_[k] <= '9') {
        v = std::min<std::uint64_t>(v * 10 + static_cast<std::uint64_t>(p_[k] - '0'), 1u << 30);
        ++k;
      }
      value = static_cast<std::uint32_t>(v);
      return k > begin;
    };
    if (!number(min)) return false;
    max = min;
    if (k < p_.size() && p_[k] == ',') {
      ++k;
      if (k < p_.size() && p_[k] == '}') max = regex_node::unbounded;
      else if (!number(max)) return false;
    }
    if (k >= p_.size() || p_[k] != '}') return false;
    if (min > regex::max_repeat || (max != regex_node::unbounded && max > regex::max_repeat))
      fail(i_, "a repetition count above " + std::to_string(regex::max_repeat));
    if (max < min) fail(i_, "a repetition {n,m} with m below n");
    i_ = k + 1;
    return true;
  }

  // \d \w \s and their negations, also inside classes; false for other letters.
  static bool perl_class(char c, code_set& out) {
    code_set s;
    switch (c) {
      case 'd': case 'D': s.add('0', '9'); break;
      case 'w': case 'W': s.add('0', '9'); s.add('A', 'Z'); s.add('a', 'z'); s.add('_', '_'); break;
      case 's': case 'S': s.add('\t', '\n'); s.add('\f', '\r'); s.add(' ', ' '); break;
      default: return false;
    }
    if (c == 'D' || c == 'W' || c == 'S') s.negate();
    out.add(s);
    return true;
  }

  // One escaped character after the backslash at i_ (inside or outside a class); returns
  // false when it is a class (\d ...), added to `chars`.
  bool escaped_char(char32_t& c, code_set& chars, bool in_class) {
    const std::size_t at = i_;
    if (i_ + 1 >= p_.size()) fail(at, "a trailing '\\' escapes nothing");
    const char e = p_[i_ + 1];
    i_ += 2;
    if (perl_class(e, chars)) return false;
    switch (e) {
      case 'n': c = '\n'; return true;
      case 't': c = '\t'; return true;
      case 'r': c = '\r'; return true;
      case 'f': c = '\f'; return true;
      case 'v': c = '\v'; return true;
      case 'a': c = '\a'; return true;
      case 'x': {
        const bool braced = i_ < p_.size() && p_[i_] == '{';
        const std::size_t begin = i_ + (braced ? 1 : 0);
        std::size_t end = braced ? p_.find('}', begin) : begin + 2;
        if (end == std::string_view::npos || end > p_.size() || end == begin || end - begin > 8)
          fail(at, "expected two hex digits or {hex} after '\\x'");
        std::uint32_t v = 0;
        for (std::size_t k = begin; k < end; ++k) {
          const char h = p_[k];
          const int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
          if (d < 0) fail(at, "expected two hex digits or {hex} after '\\x'");
          v = v * 16 + static_cast<std::uint32_t>(d);
        }
        if (v > max_code_point) fail(at, "\\x{...} above U+10FFFF");
        c = v;
        i_ = end + (braced ? 1 : 0);
        return true;
      }
      default: break;
    }
    if (e >= '1' && e <= '9') fail(at, std::string("backreferences ('\\") + e + "') are not supported");
    if (e == 'p' || e == 'P') fail(at, "Unicode classes ('\\p', '\\P') are not supported");
    if (!in_class && (e == 'b' || e == 'B' || e == 'A' || e == 'z')) {
      i_ = at;  // an assertion: handled by the caller
      return false;
    }
    if (static_cast<unsigned char>(e) < 0x80 && !std::isalnum(static_cast<unsigned char>(e))) {
      c = static_cast<unsigned char>(e);  // escaped punctuation is itself
      return true;
    }
    i_ = at;
    fail(at, std::string("unknown escape '\\") + e + "'");
  }

  void escape() {
    const std::size_t at = i_;
    if (p_.substr(i_).starts_with("\\Q")) {  // \Q...\E: literal text
      const std::size_t end = p_.find("\\E", i_ + 2);
      std::size_t k = i_ + 2;
      const std::size_t stop = end == std::string_view::npos ? p_.size() : end;
      while (k < stop) {
        char32_t cp = 0;
        const std::size_t length = utf8_decode(p_, k, cp);
        if (length == 0) fail(k, "invalid UTF-8");
        append_literal(cp, k);
        k += length;
      }
      i_ = end == std::string_view::npos ? p_.size() : end + 2;
      return;
    }
    char32_t c = 0;
    code_set chars;
    if (escaped_char(c, chars, false)) return append_literal(c, at);
    if (i_ == at) {  // an assertion
      using a = regex_instruction::assertion;
      const char e = p_[i_ + 1];
      i_ += 2;
      return append_assertion(e == 'b' ? a::word_boundary : e == 'B' ? a::not_word_boundary
                              : e == 'A' ? a::begin_text : a::end_text, at);
    }
    append_set(std::move(chars), at);
  }

  // [...]: code points, ranges, \d-style classes and [:name:] classes; [^...] negates.
  void char_class() {
    const std::size_t open = i_++;
    code_set chars;
    const bool negated = i_ < p_.size() && p_[i_] == '^';
    if (negated) ++i_;
    bool first = true;
    while (true) {
      if (i_ >= p_.size()) fail(open, "missing ']' to close this '['");
      if (p_[i_] == ']' && !first) break;
      first = false;
      if (p_.substr(i_).starts_with("[:")) {
        if (posix_class(chars)) continue;
      }
      const std::size_t item = i_;
      char32_t lo = 0;
      if (!class_char(lo, chars)) continue;  // a \d-style class
      if (i_ + 1 < p_.size() && p_[i_] == '-' && p_[i_ + 1] != ']') {
        ++i_;
        char32_t hi = 0;
        if (!class_char(hi, chars)) fail(item, "a range ends in a class");
        if (hi < lo) fail(item, "a range with its end before its start");
        chars.add(lo, hi);
      } else {
        chars.add(lo, lo);
      }
    }
    ++i_;
    chars.normalize();
    if (flags_.icase) chars.fold_ascii_case();  // before negation: [^a] under (?i) refuses 'A' too
    if (negated) chars.negate();
    regex_node n{.type = regex_node::kind::set, .offset = open, .chars = std::move(chars), .folded = true};
    append(add(std::move(n)));
  }

  // One character inside a class; false when it was an escaped class, added to `chars`.
  bool class_char(char32_t& c, code_set& chars) {
    if (p_[i_] == '\\') return escaped_char(c, chars, true);
    const std::size_t length = utf8_decode(p_, i_, c);
    if (length == 0) fail(i_, "invalid UTF-8");
    i_ += length;
    return true;
  }

  bool posix_class(code_set& chars) {
    const std::size_t end = p_.find(":]", i_ + 2);
    if (end == std::string_view::npos) return false;
    std::string_view name = p_.substr(i_ + 2, end - i_ - 2);
    const bool negated = name.starts_with('^');
    if (negated) name.remove_prefix(1);
    code_set s;
    if (name == "alnum") { s.add('0', '9'); s.add('A', 'Z'); s.add('a', 'z'); }
    else if (name == "alpha") { s.add('A', 'Z'); s.add('a', 'z'); }
    else if (name == "ascii") s.add(0, 0x7F);
    else if (name == "blank") { s.add('\t', '\t'); s.add(' ', ' '); }
    else if (name == "cntrl") { s.add(0, 0x1F); s.add(0x7F, 0x7F); }
    else if (name == "digit") s.add('0', '9');
    else if (name == "graph") s.add('!', '~');
    else if (name == "lower") s.add('a', 'z');
    else if (name == "print") s.add(' ', '~');
    else if (name == "punct") { s.add('!', '/'); s.add(':', '@'); s.add('[', '`'); s.add('{', '~'); }
    else if (name == "space") { s.add('\t', '\r'); s.add(' ', ' '); }
    else if (name == "upper") s.add('A', 'Z');
    else if (name == "word") { s.add('0', '9'); s.add('A', 'Z'); s.add('a', 'z'); s.add('_', '_'); }
    else if (name == "xdigit") { s.add('0', '9'); s.add('A', 'F'); s.add('a', 'f'); }
    else fail(i_, "unknown class '[:" + std::string(name) + ":]'");
    if (negated) s.negate();
    chars.add(s);
    i_ = end + 2;
    return true;
  }

  std::string_view p_;
  std::size_t i_ = 0;
  regex_flags flags_{};
  std::vector<group> groups_;
  std::vector<regex_node> nodes_;
};

// ---- compiler: syntax tree to program ----

// Recursive, but only as deep as the tree, which max_nesting bounds (a group adds at most
// an alternation, a concatenation and a repetition).
class regex_compiler {
 public:
  regex_compiler(std::string_view pattern, const std::vector<regex_node>& nodes) : pattern_(pattern), nodes_(nodes) {}

  regex_program compile(std::uint32_t root) {
    emit_node(root);
    emit({.code = regex_instruction::op::match}, 0);
    return std::move(program_);
  }

 private:
  using op = regex_instruction::op;

  std::uint32_t pc() const { return static_cast<std::uint32_t>(program_.code.size()); }

  std::uint32_t emit(regex_instruction in, std::size_t at) {
    if (program_.code.size() >= regex::max_program_size)
      throw regex_error(pattern_, at, "the pattern compiles to more than " + std::to_string(regex::max_program_size) +
                                          " instructions (fewer or smaller repetitions, please)");
    if (in.code == op::byte_range || in.code == op::byte_set || in.code == op::utf8_lead || in.code == op::assertion)
      in.out = pc() + 1;
    program_.code.push_back(in);
    return pc() - 1;
  }

  // `split` to `first` and `second`; either may be patched later.
  std::uint32_t emit_split(std::size_t at) { return emit({.code = op::split}, at); }
  std::uint32_t emit_jump(std::size_t at) { return emit({.code = op::jump}, at); }

  void emit_node(std::uint32_t index) {
    const regex_node& n = nodes_[index];
    switch (n.type) {
      case regex_node::kind::empty: return;
      case regex_node::kind::set: return emit_set(n.chars, n.offset);
      case regex_node::kind::assertion: emit({.code = op::assertion, .test = n.test}, n.offset); return;
      case regex_node::kind::concat:
        for (std::uint32_t child : n.children) emit_node(child);
        return;
      case regex_node::kind::alternate: {
        std::vector<std::uint32_t> exits;
        for (std::size_t k = 0; k < n.children.size(); ++k) {
          if (k + 1 == n.children.size()) {
            emit_node(n.children[k]);
            break;
          }
          const std::uint32_t split = emit_split(n.offset);
          program_.code[split].out = pc();
          emit_node(n.children[k]);
          exits.push_back(emit_jump(n.offset));
          program_.code[split].other = pc();
        }
        for (std::uint32_t e : exits) program_.code[e].out = pc();
        return;
      }
      case regex_node::kind::repeat: return emit_repeat(n);
    }
  }

  void emit_repeat(const regex_node& n) {
    const std::uint32_t child = n.children[0];
    // Copies of a child that compiles to nothing change nothing: skipping them keeps the
    // work bounded by the program size, also for `((){1000}){1000}`.
    const std::uint32_t before = pc();
    std::uint32_t copies = 0;
    for (; copies < n.min; ++copies) {
      const std::uint32_t begin = pc();
      emit_node(child);
      if (pc() == before) return;
      if (copies + 1 == n.min && n.max == regex_node::unbounded) {  // x{n,}: the last copy loops
        const std::uint32_t split = emit_split(n.offset);
        program_.code[split].out = begin;
        program_.code[split].other = pc();
        return;
      }
    }
    if (n.max == regex_node::unbounded) {  // x*: split to the child or past the loop
      const std::uint32_t split = emit_split(n.offset);
      program_.code[split].out = pc();
      emit_node(child);
      program_.code[emit_jump(n.offset)].out = split;
      program_.code[split].other = pc();
      return;
    }
    std::vector<std::uint32_t> skips;  // x{0,k}: each optional copy may end the repetition
    for (; copies < n.max; ++copies) {
      const std::uint32_t split = emit_split(n.offset);
      program_.code[split].out = pc();
      skips.push_back(split);
      const std::uint32_t begin = pc();
      emit_node(child);
      if (pc() == begin) break;
    }
    for (std::uint32_t s : skips) program_.code[s].other = pc();
  }

  // A set of code points: its one-byte members as one byte_set instruction, the longer
  // UTF-8 encodings as alternatives of byte-range sequences. A set holding U+FFFD also
  // matches each byte that cannot start a UTF-8 character, as Go does with invalid UTF-8.
  void emit_set(const code_set& chars, std::size_t at) {
    byte_set bytes{};
    auto add_byte = [&bytes](unsigned b) { bytes[b / 64] |= std::uint64_t{1} << (b % 64); };
    std::vector<utf8_sequence> sequences;
    for (code_range r : chars.ranges()) {
      for (char32_t c = r.lo; c <= std::min<char32_t>(r.hi, 0x7F); ++c) add_byte(static_cast<unsigned>(c));
      if (r.hi >= 0x80) utf8_sequences(std::max<char32_t>(r.lo, 0x80), r.hi, sequences);
    }
    if (chars.contains(replacement_character))
      for (unsigned b = 0x80; b < 0x100; ++b)
        if (b < 0xC2 || b > 0xF4) add_byte(b);
    const bool has_bytes = bytes != byte_set{};
    const bool all_multibyte = std::any_of(chars.ranges().begin(), chars.ranges().end(), [](code_range r) {
      return r.lo <= 0x80 && r.hi == max_code_point;
    });
    if (all_multibyte) {  // `.`, [^a], \D...: one deterministic path by the lead byte, no split
      program_.sets.push_back(bytes);
      const std::uint32_t lead = emit({.code = op::utf8_lead, .other = static_cast<std::uint32_t>(program_.sets.size() - 1)}, at);
      for (int k = 0; k < 3; ++k) emit({.code = op::byte_range, .lo = 0x80, .hi = 0xBF}, at);
      program_.code[lead].out = pc();
      return;
    }
    std::vector<std::uint32_t> exits;
    const std::size_t alternatives = sequences.size() + (has_bytes ? 1 : 0);
    std::size_t done = 0;
    auto alternative = [&](auto&& body) {
      if (++done == alternatives) return body();
      const std::uint32_t split = emit_split(at);
      program_.code[split].out = pc();
      body();
      exits.push_back(emit_jump(at));
      program_.code[split].other = pc();
    };
    if (alternatives == 0) {  // nothing matches: a set no byte is in
      program_.sets.push_back(bytes);
      emit({.code = op::byte_set, .other = static_cast<std::uint32_t>(program_.sets.size() - 1)}, at);
      return;
    }
    if (has_bytes)
      alternative([&] {
        std::uint32_t count = 0, lo = 0;
        for (unsigned b = 0; b < 256; ++b)
          if (bytes[b / 64] >> (b % 64) & 1) {
            if (count++ == 0) lo = b;
          }
        if (count == 1) {
          emit({.code = op::byte_range, .lo = static_cast<std::uint8_t>(lo), .hi = static_cast<std::uint8_t>(lo)}, at);
        } else {
          program_.sets.push_back(bytes);
          emit({.code = op::byte_set, .other = static_cast<std::uint32_t>(program_.sets.size() - 1)}, at);
        }
      });
    for (const utf8_sequence& s : sequences)
      alternative([&] {
        for (std::size_t k = 0; k < s.length; ++k) emit({.code = op::byte_range, .lo = s.lo[k], .hi = s.hi[k]}, at);
      });
    for (std::uint32_t e : exits) program_.code[e].out = pc();
  }

  std::string_view pattern_;
  const std::vector<regex_node>& nodes_;
  regex_program program_;
};

// The literal text of a set node written without (?i): its one code point in UTF-8.
inline bool literal_of(const regex_node& n, std::string& out) {
  char32_t c = 0;
  if (n.type != regex_node::kind::set || n.folded || !n.chars.single(c)) return false;
  unsigned char bytes[4];
  out.append(reinterpret_cast<const char*>(bytes), utf8_encode(c, bytes));
  return true;
}

// ---- the Pike VM ----

// The set of threads (program counters) live at one position, in insertion order.
class thread_list {
 public:
  void reset(std::size_t program_size) {
    if (sparse_.size() < program_size) {
      sparse_.resize(program_size);
      dense_.resize(program_size);
    }
    size_ = 0;
  }
  bool contains(std::uint32_t pc) const { return sparse_[pc] < size_ && dense_[sparse_[pc]] == pc; }
  void insert(std::uint32_t pc) {
    sparse_[pc] = size_;
    dense_[size_++] = pc;
  }
  std::uint32_t size() const { return size_; }
  std::uint32_t operator[](std::uint32_t i) const { return dense_[i]; }
  void clear() { size_ = 0; }

 private:
  std::vector<std::uint32_t> sparse_, dense_;
  std::uint32_t size_ = 0;
};

// Buffers reused by every match on this thread: no allocation per match once warm.
struct pike_scratch {
  thread_list current, next;
  std::vector<std::uint32_t> stack;
};

inline pike_scratch& this_thread_scratch() {
  thread_local pike_scratch scratch;
  return scratch;
}

inline bool is_word_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

inline bool assertion_holds(regex_instruction::assertion test, std::string_view text, std::size_t at) {
  using a = regex_instruction::assertion;
  switch (test) {
    case a::begin_text: return at == 0;
    case a::end_text: return at == text.size();
    case a::begin_line: return at == 0 || text[at - 1] == '\n';
    case a::end_line: return at == text.size() || text[at] == '\n';
    case a::word_boundary:
    case a::not_word_boundary: {
      const bool before = at > 0 && is_word_byte(static_cast<unsigned char>(text[at - 1]));
      const bool after = at < text.size() && is_word_byte(static_cast<unsigned char>(text[at]));
      return (before != after) == (test == a::word_boundary);
    }
  }
  return false;
}

// Adds the thread at `pc` and every thread it reaches without consuming a byte; an explicit
// stack, since chains of splits are as long as the program.
inline void add_thread(const regex_program& p, thread_list& list, std::vector<std::uint32_t>& stack,
                       std::uint32_t pc, std::string_view text, std::size_t at) {
  stack.clear();
  stack.push_back(pc);
  while (!stack.empty()) {
    const std::uint32_t here = stack.back();
    stack.pop_back();
    if (list.contains(here)) continue;
    list.insert(here);
    const regex_instruction& in = p.code[here];
    switch (in.code) {
      case regex_instruction::op::jump: stack.push_back(in.out); break;
      case regex_instruction::op::split:
        stack.push_back(in.other);
        stack.push_back(in.out);
        break;
      case regex_instruction::op::assertion:
        if (assertion_holds(in.test, text, at)) stack.push_back(in.out);
        break;
      default: break;  // consuming instructions and match wait for the step
    }
  }
}

inline bool pike_run(const regex_program& p, std::string_view text, bool anchored) {
  pike_scratch& s = this_thread_scratch();
  s.current.reset(p.code.size());
  s.next.reset(p.code.size());
  s.stack.reserve(2 * p.code.size() + 1);
  thread_list* current = &s.current;
  thread_list* next = &s.next;
  add_thread(p, *current, s.stack, p.start, text, 0);
  for (std::size_t at = 0;; ++at) {
    const bool end = at == text.size();
    const auto byte = end ? 0u : static_cast<unsigned char>(text[at]);
    next->clear();
    for (std::uint32_t k = 0; k < current->size(); ++k) {
      const regex_instruction& in = p.code[(*current)[k]];
      switch (in.code) {
        case regex_instruction::op::match:
          if (!anchored || end) return true;
          break;
        case regex_instruction::op::byte_range:
          if (!end && byte >= in.lo && byte <= in.hi) add_thread(p, *next, s.stack, in.out, text, at + 1);
          break;
        case regex_instruction::op::byte_set:
          if (!end && (p.sets[in.other][byte / 64] >> (byte % 64) & 1)) add_thread(p, *next, s.stack, in.out, text, at + 1);
          break;
        case regex_instruction::op::utf8_lead: {
          if (end) break;
          const std::uint32_t pc = (*current)[k];
          if (p.sets[in.other][byte / 64] >> (byte % 64) & 1) add_thread(p, *next, s.stack, in.out, text, at + 1);
          else if (byte >= 0xC2 && byte <= 0xDF) add_thread(p, *next, s.stack, pc + 3, text, at + 1);
          else if (byte >= 0xE0 && byte <= 0xEF) add_thread(p, *next, s.stack, pc + 2, text, at + 1);
          else if (byte >= 0xF0 && byte <= 0xF4) add_thread(p, *next, s.stack, pc + 1, text, at + 1);
          break;
        }
        default: break;
      }
    }
    if (end) return false;
    if (!anchored) add_thread(p, *next, s.stack, p.start, text, at + 1);  // a match may start anywhere
    if (next->size() == 0) return false;
    std::swap(current, next);
  }
}

}  // namespace detail

inline regex::regex(std::string_view pattern) : pattern_(pattern) {
  const detail::regex_parser::tree tree = detail::regex_parser(pattern).parse();
  const std::vector<detail::regex_node>& nodes = tree.nodes;
  program_ = detail::regex_compiler(pattern, nodes).compile(tree.root);
  // Prefilters from the top-level concatenation: the literal run it starts with, the one it
  // ends with, and its longest literal run.
  const detail::regex_node& root = nodes[tree.root];
  std::vector<std::uint32_t> items;
  if (root.type == detail::regex_node::kind::concat) items = root.children;
  else items.push_back(tree.root);
  std::string run;
  bool leading = true;
  for (std::uint32_t index : items) {
    if (detail::literal_of(nodes[index], run)) continue;
    if (leading) prefix_ = run;
    leading = false;
    if (run.size() > required_.size()) required_ = run;
    run.clear();
  }
  if (leading) {
    prefix_ = run;
    literal_ = true;
  }
  suffix_ = run;
  if (run.size() > required_.size()) required_ = run;
}

inline bool regex::full_match(std::string_view text) const {
  if (literal_) return text == prefix_;
  if (!text.starts_with(prefix_) || !text.ends_with(suffix_) || text.size() < prefix_.size() + suffix_.size())
    return false;
  if (required_.size() > prefix_.size() && required_ != suffix_ && text.find(required_) == std::string_view::npos)
    return false;
  return run(text, true);
}

inline bool regex::search(std::string_view text) const {
  if (!required_.empty() && text.find(required_) == std::string_view::npos) return false;
  return run(text, false);
}

inline bool regex::run(std::string_view text, bool anchored) const { return detail::pike_run(program_, text, anchored); }

}  // namespace v0
}  // namespace trace
