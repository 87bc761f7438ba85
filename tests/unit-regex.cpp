#include <catch2/catch.hpp>
#include <trace/query/regex.hpp>

#include <random>
#include <regex>  // the reference the differential tests compare with, on inputs where it is safe
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct row {
  const char* pattern;
  const char* text;
  bool full;            // full_match
  bool found;           // search
  bool ecmascript;      // std::regex (ECMAScript) agrees on this row
};

// Patterns against texts: whether the whole text matches, and whether some part does.
const row table[] = {
    // literals, concatenation, alternation, groups
    {"abc", "abc", true, true, true},
    {"abc", "xabcx", false, true, true},
    {"abc", "ab", false, false, true},
    {"", "", true, true, true},
    {"", "x", false, true, true},
    {"a|b|c", "b", true, true, true},
    {"ab|cd", "abd", false, true, true},
    {"(ab|cd)+", "abcdab", true, true, true},
    {"(?:ab|cd)+", "abcdac", false, true, false},
    {"a(|b)c", "ac", true, true, true},
    {"GET /api/.*", "GET /api/orders/7", true, true, true},
    {"GET /api/.*", "POST /api/orders", false, false, true},
    {".*timeout.*", "read timeout after 5s", true, true, true},
    {".*timeout.*", "read time out", false, false, true},
    // any character, classes, escapes
    {"a.c", "abc", true, true, true},
    {"a.c", "a\nc", false, false, true},
    {"(?s)a.c", "a\nc", true, true, false},
    {"[a-c]+", "abcab", true, true, true},
    {"[a-c]+", "abd", false, true, true},
    {"[^a-c]", "d", true, true, true},
    {"[^a-c]", "a", false, false, true},
    {"[]a]+", "]a]", true, true, false},
    {"[-a]+", "-a-", true, true, true},
    {"[a-]+", "-a-", true, true, true},
    {"[0-9]+", "20240501", true, true, true},
    {"[0-9]+", "2024-05", false, true, true},
    {"\\d{3}", "503", true, true, true},
    {"\\D+", "abc", true, true, true},
    {"\\w+", "snake_case9", true, true, true},
    {"\\W", "-", true, true, true},
    {"\\s+", " \t\n", true, true, true},
    {"\\S+", "a b", false, true, true},
    {"[\\d.]+", "1.25", true, true, true},
    {"[^\\d]+", "abc", true, true, true},
    {"a\\.b", "a.b", true, true, true},
    {"a\\.b", "axb", false, false, true},
    {"\\\\", "\\", true, true, true},
    {"\\(\\)\\[\\]\\{\\}\\*\\+\\?\\|\\^\\$", "()[]{}*+?|^$", true, true, true},
    {"\\x41\\x{42}", "AB", true, true, false},
    {"\\t\\n", "\t\n", true, true, true},
    {"[[:digit:]]+", "42", true, true, false},
    {"[[:^alpha:]]+", "4-2", true, true, false},
    {"[[:xdigit:]]+", "c0ffee", true, true, false},
    {"\\Qa.b*\\E", "a.b*", true, true, false},
    {"\\Qa.b*\\E", "axbb", false, false, false},
    // anchors and assertions
    {"^abc$", "abc", true, true, true},
    {"^abc", "xabc", false, false, true},
    {"abc$", "abcx", false, false, true},
    {"a$", "a\n", false, false, true},          // $ is the end of the text only (RE2), not before a final \n
    {"(?m)^b$", "a\nb\nc", false, true, false},
    {"(?m)a$\\nb", "a\nb", true, true, false},
    {"\\bfoo\\b", "a foo b", false, true, true},
    {"\\bfoo\\b", "afoo", false, false, true},
    {"foo\\B.*", "foobar", true, true, true},
    {"\\Aab\\z", "ab", true, true, false},
    // repetition
    {"a*", "", true, true, true},
    {"a+", "", false, false, true},
    {"a?b", "b", true, true, true},
    {"a{3}", "aaa", true, true, true},
    {"a{3}", "aa", false, false, true},
    {"a{2,}", "aaaaa", true, true, true},
    {"a{2,3}", "aaaa", false, true, true},
    {"a{0,2}b", "aab", true, true, true},
    {"(ab){2}c", "ababc", true, true, true},
    {"a*?b+?c??", "aabb", true, true, true},
    {"(a*)*", "aaa", true, true, true},
    {"(a*|b)*c", "abbac", true, true, true},
    {"x{,3}", "x{,3}", true, true, false},       // not a repetition: literal braces, as RE2
    {"x{a}", "x{a}", true, true, false},
    {"(){1000}", "", true, true, true},
    // flags and group forms
    {"(?i)get /API", "GET /api", true, true, false},
    {"(?i)[a-c]+", "AbC", true, true, false},
    {"(?i)[^a]", "A", false, false, false},
    {"a(?i:b)c", "aBc", true, true, false},
    {"a(?i:b)c", "aBC", false, false, false},
    {"(?i)a(?-i)b", "Ab", true, true, false},
    {"(?i)a(?-i)b", "AB", false, false, false},
    {"(?P<verb>GET|PUT) (?<path>/.*)", "PUT /x", true, true, false},
    {"(?U)a+", "aaa", true, true, false},
    // UTF-8: `.` and classes match one character, literals their bytes
    {".", "\xC3\xA9", true, true, false},                          // é
    {"..", "\xC3\xA9", false, false, false},
    {"^.{3}$", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", true, true, false},  // 日本語
    {"^.$", "\xF0\x9F\x98\x80", true, true, false},                // 😀
    {"[^a]", "\xC3\xA9", true, true, false},
    {"[\xC3\xA0-\xC3\xAB]+", "\xC3\xA9\xC3\xA0", true, true, false},  // [à-ë]
    {"[\xC3\xA0-\xC3\xAB]", "\xC3\xAC", false, false, false},          // ì
    {"caf\xC3\xA9", "caf\xC3\xA9", true, true, false},
    {"\\x{65E5}", "\xE6\x97\xA5", true, true, false},
    {"\\xE9", "\xC3\xA9", true, true, false},                      // \xHH is a code point, as in Go
    {"(?i)\xC3\xA9", "\xC3\x89", false, false, false},             // (?i) folds ASCII letters only
    {".", "\xFF", true, true, false},                              // an invalid byte is one character
    {"[^a]", "\x80", true, true, false},
    {".", "\xC3", false, false, false},                            // a cut-off sequence is not
    {"[\\x00-\\x{10FFFF}]", "\xF4\x8F\xBF\xBF", true, true, false},
};

bool std_full(const std::string& pattern, const std::string& text) {
  return std::regex_match(text, std::regex(pattern, std::regex::ECMAScript));
}
bool std_search(const std::string& pattern, const std::string& text) {
  return std::regex_search(text, std::regex(pattern, std::regex::ECMAScript));
}

trace::regex_error refusal(std::string_view pattern) {
  try {
    trace::regex r(pattern);
  } catch (const trace::regex_error& e) {
    return e;
  }
  return trace::regex_error(pattern, 0, "compiled without error");
}

// A random pattern over a, b and '-'. Only single characters repeat without bound: loops
// around groups that can match the empty text, such as (a?)*, send std::regex into
// exponential backtracking.
std::string random_pattern(std::mt19937& rng, int depth) {
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto atom = [&]() -> std::string {
    switch (pick(depth > 0 ? 9 : 6)) {
      case 0: return "a";
      case 1: return "b";
      case 2: return ".";
      case 3: return "[ab]";
      case 4: return "[^a]";
      case 5: return "-";
      case 6: return "(" + random_pattern(rng, depth - 1) + ")";
      case 7: return "(?:" + random_pattern(rng, depth - 1) + ")";
      default: return "(" + random_pattern(rng, depth - 1) + "|" + random_pattern(rng, depth - 1) + ")";
    }
  };
  std::string out;
  const int items = pick(4);
  if (pick(8) == 0) out += "^";
  for (int i = 0; i <= items; ++i) {
    const std::string item = atom();
    out += item;
    const bool outer = item.back() != ')';
    switch (pick(10)) {
      case 0: out += outer ? "*" : "?"; break;
      case 1: out += outer ? "+" : "{1,2}"; break;
      case 2: out += "?"; break;
      case 3: out += "{" + std::to_string(pick(3)) + "}"; break;
      case 4: out += "{" + std::to_string(pick(2)) + "," + std::to_string(2 + pick(2)) + "}"; break;
      case 5: out += outer ? "*?" : "??"; break;
      case 6: out += "\\b"; break;
      default: break;
    }
  }
  if (pick(8) == 0) out += "$";
  if (pick(6) == 0) out += "|" + random_pattern(rng, 0);
  return out;
}

std::string random_text(std::mt19937& rng) {
  std::string out(rng() % 7, ' ');
  for (char& c : out) c = "ab-"[rng() % 3];
  return out;
}

}  // namespace

TEST_CASE("each pattern of the table matches its text as RE2 would") {
  for (const row& r : table) {
    INFO("pattern " << r.pattern << " on \"" << r.text << "\"");
    const trace::regex re(r.pattern);
    CHECK(re.full_match(r.text) == r.full);
    CHECK(re.search(r.text) == r.found);
  }
}

TEST_CASE("the table agrees with std::regex where ECMAScript means the same") {
  std::size_t compared = 0;
  for (const row& r : table) {
    if (!r.ecmascript) continue;
    INFO("pattern " << r.pattern << " on \"" << r.text << "\"");
    CHECK(std_full(r.pattern, r.text) == r.full);
    CHECK(std_search(r.pattern, r.text) == r.found);
    ++compared;
  }
  CHECK(compared > 50);
}

TEST_CASE("random small patterns and texts: the same answers as std::regex") {
  std::mt19937 rng(20240501);
  std::size_t matched = 0, compared = 0;
  for (int p = 0; p < 1500; ++p) {
    const std::string pattern = random_pattern(rng, 2);
    const trace::regex ours(pattern);
    const std::regex reference(pattern, std::regex::ECMAScript);
    for (int t = 0; t < 12; ++t) {
      const std::string text = random_text(rng);
      INFO("pattern " << pattern << " on \"" << text << "\"");
      const bool full = std::regex_match(text, reference);
      CHECK(ours.full_match(text) == full);
      CHECK(ours.search(text) == std::regex_search(text, reference));
      matched += full;
      ++compared;
    }
  }
  // Both answers occur often: the comparison says something.
  CHECK(matched > compared / 20);
  CHECK(matched < compared - compared / 20);
}

TEST_CASE("patterns that make backtracking engines explode finish, with the right answer") {
  const std::string thirty_a = std::string(30, 'a');
  CHECK_FALSE(trace::regex("(a+)+$").full_match(thirty_a + "!"));
  CHECK_FALSE(trace::regex("(a+)+$").search(thirty_a + "!"));
  CHECK(trace::regex("(a+)+$").search(thirty_a));
  CHECK_FALSE(trace::regex("(a|aa)*[cd]").search(std::string(5000, 'a')));
  CHECK_FALSE(trace::regex("(x+x+)+[yz]").full_match(std::string(5000, 'x')));
  CHECK(trace::regex("(?:a?){1000}a{1000}").full_match(std::string(1000, 'a')));
  CHECK_FALSE(trace::regex("(.*)*,(.*)*,(.*)*=").search(std::string(3000, ',')));
}

TEST_CASE("a 50,000-byte text and a pattern at the size limit are matched without recursion") {
  const std::string long_text = std::string(50000, 'a') + "b";
  CHECK(trace::regex("(a|b)*").full_match(long_text));
  CHECK(trace::regex("[ab]*b").full_match(long_text));
  CHECK_FALSE(trace::regex("(a|b)*a").full_match(long_text));
  CHECK(trace::regex("((((a))))*b").full_match(long_text));
  CHECK(trace::regex(".*").full_match(std::string(50000, '\xFF')));  // invalid bytes, one at a time

  const std::string literal(trace::regex::max_pattern_size, 'x');
  CHECK(trace::regex(literal).full_match(literal));
  std::string alternation = "y";
  while (alternation.size() + 2 <= trace::regex::max_pattern_size) alternation += "|x";
  CHECK(trace::regex(alternation).full_match("x"));
  CHECK_FALSE(trace::regex(alternation).full_match("xx"));
}

TEST_CASE("groups nest up to max_nesting levels") {
  const std::size_t most = trace::regex::max_nesting;
  CHECK(trace::regex(std::string(most, '(') + "a" + std::string(most, ')')).full_match("a"));
  auto e = refusal(std::string(most + 1, '(') + "a" + std::string(most + 1, ')'));
  CHECK(e.offset() == most);
  CHECK(e.problem() == "groups nest deeper than " + std::to_string(most));
}

TEST_CASE("patterns beyond the limits are refused, saying where") {
  auto big = refusal(std::string(60000, 'a'));
  CHECK(big.offset() == trace::regex::max_pattern_size);
  CHECK(big.problem() == "the pattern is 60000 bytes; the limit is " + std::to_string(trace::regex::max_pattern_size));
  auto counted = refusal("ab{1001}");
  CHECK(counted.offset() == 2);
  CHECK(counted.problem() == "a repetition count above 1000");
  CHECK(trace::regex("b{1000}").full_match(std::string(1000, 'b')));
  auto program = refusal("x(a{1000}){100}");
  CHECK(program.offset() == 2);  // the `a` whose copies went past the limit
  CHECK(program.problem() == "the pattern compiles to more than " + std::to_string(trace::regex::max_program_size) +
                                 " instructions (fewer or smaller repetitions, please)");
  CHECK(refusal("((((a{1000}){1000}){1000}){1000})").problem().starts_with("the pattern compiles to more than"));
  CHECK(trace::regex("((((){1000}){1000}){1000}){1000}").full_match(""));  // empty repeats cost nothing
}

TEST_CASE("each malformed or unsupported pattern is refused at its position") {
  struct expectation { const char* pattern; std::size_t offset; const char* problem; };
  const expectation cases[] = {
      {"ab(c", 2, "missing ')' to close this '('"},
      {"a)b", 1, "unexpected ')' (no '(' to close)"},
      {"x[ab", 1, "missing ']' to close this '['"},
      {"[z-a]", 1, "a range with its end before its start"},
      {"*a", 0, "a repetition operator with nothing to repeat"},
      {"a|+", 2, "a repetition operator with nothing to repeat"},
      {"a**", 2, "a repetition operator follows another one (or nothing)"},
      {"a*+", 2, "a repetition operator follows another one (or nothing)"},
      {"a{2}{3}", 4, "a repetition operator follows another one (or nothing)"},
      {"a{3,2}", 1, "a repetition {n,m} with m below n"},
      {"(a)\\1", 3, "backreferences ('\\1') are not supported"},
      {"a(?=b)", 1, "lookaround ('(?=', '(?!', '(?<=', '(?<!') is not supported"},
      {"a(?!b)", 1, "lookaround ('(?=', '(?!', '(?<=', '(?<!') is not supported"},
      {"(?<=a)b", 0, "lookaround ('(?=', '(?!', '(?<=', '(?<!') is not supported"},
      {"(?<!a)b", 0, "lookaround ('(?=', '(?!', '(?<=', '(?<!') is not supported"},
      {"\\pL", 0, "Unicode classes ('\\p', '\\P') are not supported"},
      {"a\\q", 1, "unknown escape '\\q'"},
      {"ab\\", 2, "a trailing '\\' escapes nothing"},
      {"\\xZZ", 0, "expected two hex digits or {hex} after '\\x'"},
      {"\\x{110000}", 0, "\\x{...} above U+10FFFF"},
      {"(?x)a", 2, "unknown flag 'x' (known: i, m, s, U)"},
      {"(?)a", 0, "a flags group names no flag"},
      {"(?i", 0, "missing ')' to close the flags group"},
      {"(?P<>a)", 0, "a group name is empty"},
      {"(?P<a-b>c)", 5, "invalid character in a group name"},
      {"[[:alfa:]]", 1, "unknown class '[:alfa:]'"},
      {"a\xC3(", 1, "invalid UTF-8"},
  };
  for (const expectation& c : cases) {
    INFO(c.pattern);
    auto e = refusal(c.pattern);
    CHECK(e.problem() == c.problem);
    CHECK(e.offset() == c.offset);
    CHECK(e.code() == trace::errc::parse_error);
    CHECK(std::string(e.what()) == "parse error: regular expression \"" + std::string(c.pattern) + "\" at character " +
                                       std::to_string(c.offset + 1) + ": " + c.problem);
  }
}

TEST_CASE("a long pattern is shortened in the message, not in the position") {
  auto e = refusal(std::string(100, 'a') + "(");
  CHECK(e.offset() == 100);
  CHECK(std::string(e.what()) == "parse error: regular expression \"" + std::string(60, 'a') +
                                     "...\" at character 101: missing ')' to close this '('");
}

TEST_CASE("one regex answers many threads at once") {
  const trace::regex re("(GET|POST) /api/[a-z]+/[0-9]+");
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&re, &wrong, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string hit = (i % 2 ? "GET /api/orders/" : "POST /api/users/") + std::to_string(i * t);
        if (!re.full_match(hit) || re.full_match(hit + "/")) ++wrong[static_cast<std::size_t>(t)];
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(wrong == std::vector<int>(4, 0));
}
